"""The paper, plain: the code a reader follows, and the code that runs with
``--plain``. It imports NumPy, ``seqgan_np.backend`` (the array module) and
itself, nothing else. Read it in this order:

  layers.py         the layers, forward and backward (G's output layer and
                    loss, D's convolution, highway and dropout)
  lstm.py           G_theta's LSTM cell and backpropagation through time
  lm.py             G_theta, G_beta and the oracle: sampling, eqs. (1)-(2),
                    the MLE loss and the policy-gradient loss of eq. (8)
  discriminator.py  D_phi, the CNN classifier, and its loss, eq. (5)
  rollout.py        Monte Carlo rollout: Q of eqs. (3)-(4); beta <- theta
  optim.py          Adam (and plain SGD) with global-norm clipping
  metrics.py        NLL-oracle, NLL-test, BLEU
  oracle.py         the synthetic oracle: made from a seed or the original file
  data.py           shuffled mini-batches
  seqgan.py         Algorithm 1: its steps and their composition
  checks.py         the input checks every public function makes
"""
