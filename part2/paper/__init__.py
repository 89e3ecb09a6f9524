"""The report's long run and what it ships: start2.py's presets (start.py), the course's books (books.py), Figure 4
and Tables 5-7 from a run (summarize.py, with the run's own plotter), and the shipped model (pretrained.py)."""
