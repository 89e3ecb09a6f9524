"""The fast path of part 1's models: whole-sequence recurrences with a hand-written backward through time.

backend.py chooses the cells by name (torch, cpp, triton); sequence.py holds the autograd Functions,
workspace.py their reusable buffers, cells_*.py each back end's per-step work.
"""
