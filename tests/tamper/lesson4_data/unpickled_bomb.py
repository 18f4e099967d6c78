"""A ``compute_accuracy`` whose answer holds objects that, wherever they are unpickled, rewrite pytest's
reports to "passed" (``TAMPERING``): they never are, on the grader's side."""
TAMPERING = "unpickled_bomb"
BREAKS = ["compute_accuracy_one_row"]


def compute_accuracy(group):
    return {"accuracy": [_Forgery()], "ground_truth_label": [_Forgery()]}
