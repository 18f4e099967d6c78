def double(x):
    return 2 * x


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
