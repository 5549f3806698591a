# Solutions of the exercises of 01_lstm_language_model.ipynb.
# Each section "# %% exN" replaces the TODO cell of exercise N when tutorials/execute.py runs the notebook.

# %% ex1
def my_lstm_cell(a, c):
    """a (B, 4H) pre-activations [i, f, o, g], c (B, H) the previous memory -> (h_new, c_new), each (B, H)."""
    H = c.shape[1]
    sigma = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    i = sigma(a[:, 0 * H:1 * H])  # input gate
    f = sigma(a[:, 1 * H:2 * H])  # forget gate
    o = sigma(a[:, 2 * H:3 * H])  # output gate
    g = np.tanh(a[:, 3 * H:4 * H])  # candidate
    c_new = f * c + i * g  # keep part of the old memory, write part of the candidate
    h_new = o * np.tanh(c_new)  # expose part of the memory
    return h_new, c_new

# %% ex2
def my_dlogits(logits, targets, weights):
    """d loss / d logits for loss = -sum_r weights[r] * log softmax(logits[r])[targets[r]] -> (R, V)."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))  # shifted: no overflow
    p /= p.sum(axis=1, keepdims=True)  # softmax (R, V)
    one_hot = np.eye(logits.shape[1])[targets]  # (R, V)
    return weights[:, None] * (p - one_hot)

# %% ex3
# Tiny weights make c + V h_t tiny, so softmax(c + V h_t) is almost uniform over the 5000 tokens:
# every token, whatever the data, costs about -log(1/5000) = log 5000 nats.
my_guess = np.log(5000)

# %% ex4
def my_draw(logits, u):
    """logits (R, V), uniforms u (R,) in [0, 1) -> tokens (R,) int: per row, the first k with F_k > u."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    F = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)  # (R, V) cumulative probabilities
    return np.argmax(F > u[:, None], axis=1)  # argmax of booleans: the first True
