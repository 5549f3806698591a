"""Studies built on the runner: Table 1 of the paper over seeds with its
baselines (``baselines.py``) and statistics (``stats.py``)."""
