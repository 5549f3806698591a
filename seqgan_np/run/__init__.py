"""The runner: phases around Algorithm 1's steps (``runner.py``), the oracle
experiment (``oracle_experiment.py``), the plain/fast switch (``code.py``),
settings and presets (``config.py``), checkpoints and run folders, progress,
plots and ``make bench``."""
