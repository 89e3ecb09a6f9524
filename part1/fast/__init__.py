"""The fast path of part 1's models: whole-sequence recurrences with a hand-written backward through time.

backend.py is the table of back ends and chooses one by name; sequence.py holds the autograd Functions,
workspace.py their reusable buffers, cells_*.py each back end's per-step work.
"""
