"""``compute_accuracy`` that labels the group with its first *predicted* label, not the true one."""
BREAKS = ["compute_accuracy_one_row"]


def compute_accuracy(group):
    return {"accuracy": [np.mean(group["predicted_label"] == group["ground_truth_label"])],
            "ground_truth_label": group["predicted_label"][:1]}
