"""The course's books: downloaded on demand into this folder, never committed."""
