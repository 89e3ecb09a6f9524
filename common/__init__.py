"""Helpers shared by part1, part2 and part3: command-line errors, devices, atomic files."""
