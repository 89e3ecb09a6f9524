"""The accuracy-vs-input-length sweep of start1.py: config.py (its command line), claims.py (which process trains
which run), executors.py and launch.py (training here or as SLURM jobs), together.py (the seeds of one model and
length side by side), run.py (the sweep itself), summary.py and figures.py (its results), lottery.py (how often a
model learns). The grids and the report's results are in part1/presets.py, the run records in part1/records.py."""
