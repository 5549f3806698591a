"""seqgan-np: SeqGAN (Yu et al., AAAI 2017) in NumPy, every gradient written by hand and checked."""
__version__ = "0.1.0"
