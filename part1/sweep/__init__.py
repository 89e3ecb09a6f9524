"""The accuracy-vs-input-length sweep of start1.py: config.py (its command line), presets.py (the grids and the
report's results), runs.py (runs.jsonl, loss curves and claims), executors.py and launch.py (training here or as
SLURM jobs), run.py (the sweep itself), summary.py and figures.py (its results)."""
