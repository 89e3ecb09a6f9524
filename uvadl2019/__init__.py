"""This project's code shared by part1, part2 and part3: command lines, files, devices, figures, where its files
are and what produced a result."""

__version__ = "1.0.0"  # the package's version (pyproject.toml reads it from here)
