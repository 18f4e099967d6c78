"""Loads the weights but returns the model as built, in training mode (the course's notebook never switched
modes): BatchNorm then normalizes each test batch with its own statistics instead of those learnt, and
dropout-like layers would stay on."""

BREAKS = ["trained_model_accuracy"]


def load_trained_model(checkpoint: Checkpoint) -> torch.nn.Module:
    with checkpoint.as_directory() as folder:
        state = torch.load(os.path.join(folder, MODEL_FILE), map_location="cpu")
    model = build_model()
    model.load_state_dict(state)
    return model
