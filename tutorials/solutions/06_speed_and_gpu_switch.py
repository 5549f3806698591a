# Solutions of the exercises of 06_speed_and_gpu_switch.ipynb. Each section "# %% exN" replaces the
# exercise cell of that name when tutorials/execute.py runs the notebook.

# %% ex1 the whole sampler's speed-up
# Per token both samplers do the same logits' product (R, 33) @ (33, 5000). The plain one adds the bias in a
# second pass and takes a cumulative sum over all 5000 entries; the fast one scans 100 block masses and the 50
# entries of one block, in cache: about the draw's speed-up of section 2.1, 2 to 2.5. The table lookup saves a
# small product per step. The chunks on 2 threads can double that on two idle cores (about 5), and give little
# on a machine that other work shares (about 2). A guess in between, by ratio:
my_speedup = 3.2

# %% ex2 the two-level draw
def my_two_level_draw(logits, u, S):
    # logits (R, V), u (R,) in [0, 1), S a divisor of V -> (R,) int: the token of core.lm.sample_categorical
    R, V = logits.shape
    p = np.exp(logits - logits.max(axis=1, keepdims=True))  # (R, V) unnormalised probabilities
    blocks = p.reshape(R, V // S, S)  # (R, V/S, S)
    block_cdf = np.cumsum(blocks.sum(axis=2), axis=1)  # (R, V/S) cumulative block masses
    threshold = u * block_cdf[:, -1]  # (R,) u times the total
    j = np.minimum((block_cdf <= threshold[:, None]).sum(axis=1), V // S - 1)  # the first block whose mass passes it
    rows = np.arange(R)
    before = np.where(j > 0, block_cdf[rows, np.maximum(j - 1, 0)], 0.0)  # (R,) the mass of the blocks before j
    inner_cdf = np.cumsum(blocks[rows, j], axis=1)  # (R, S) inside block j
    k = np.minimum((inner_cdf <= (threshold - before)[:, None]).sum(axis=1), S - 1)  # the first token that passes it
    return j * S + k

# %% ex3 float32 and float64 samples
# A token flips only where its uniform falls within a float32 rounding of a boundary of the cumulative sum:
# rare, so nearly every token agrees. After a flip the two rows read different inputs, their states part by far
# more than a rounding, and the same uniforms draw unrelated tokens from the oracle's peaked softmaxes.
my_equal_share = 0.995
my_after_share = 0.05

# %% ex4 a paper-size checkpoint
# Ten G-sized float32 arrays: four language models (oracle, G, G_mle, G_beta) and the m and v of three Adam
# states (G, G_pg, G_mle). Three D-sized ones: D and the m and v of its Adam state. The data: 20,000 x 20 int64.
my_megabytes = (10 * n_G * 4 + 3 * n_D * 4 + (10_000 + 10_000) * T * 8) / 1e6
