"""``accuracy_by_label`` grouped on the predicted label: each row is a precision, not a per-digit accuracy."""
BREAKS = ["accuracy_by_label_matches"]


def accuracy_by_label(ds_preds):
    per_label = ds_preds.groupby("predicted_label").map_groups(compute_accuracy).to_pandas()
    return per_label.sort_values("ground_truth_label").reset_index(drop=True)
