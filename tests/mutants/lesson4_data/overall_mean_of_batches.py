"""``overall_accuracy`` as the notebook wrote it: the mean of per-batch accuracies.

It equals the overall accuracy only when every batch has the same size and the same mistakes.
"""
BREAKS = ["overall_accuracy_matches"]


def overall_accuracy(ds_preds):
    def batch_accuracy(batch):
        return {"accuracy": [np.mean(batch["predicted_label"] == batch["ground_truth_label"])]}

    return float(ds_preds.map_batches(batch_accuracy, batch_size=None).mean("accuracy"))
