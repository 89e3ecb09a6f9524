"""Helpers shared by part1, part2 and part3: command-line errors, devices, atomic files."""

__version__ = "1.0.0"  # the package's version (pyproject.toml reads it from here)
