"""A tiny made-up course on which the kit's tests exercise the grading engine apart from the lessons."""
