"""Results and their renderings: the results stream, the terminal, feedback messages, a self-check's progress record."""
