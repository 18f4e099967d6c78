"""Optuna's own distributions as OptunaSearch's space (epochs first), metric and mode given to both
the searcher and TuneConfig, one trial at a time (`max_concurrent_trials=1`); train_pytorch averages
the loss over samples, moves tensors with `.to(device)` set once, and calls `model.train()`."""

import optuna


def tune_linear_model(*, num_samples=5, storage_path, seed=0):
    space = {"epochs": optuna.distributions.IntDistribution(1, 99),
             "lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)}
    searcher = OptunaSearch(space, metric="rmse", mode="min", seed=seed)
    config = tune.TuneConfig(metric="rmse", mode="min", num_samples=num_samples, search_alg=searcher,
                             max_concurrent_trials=1)
    return tune.Tuner(train_linear_model, tune_config=config,
                      run_config=tune.RunConfig(storage_path=storage_path)).fit()


def train_pytorch(config):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = build_model().to(device)
    model.train()
    optimizer = Adam(model.parameters(), lr=config["lr"])
    loss_fn = CrossEntropyLoss()
    loader = build_data_loader(config["batch_size"], root=config["data_root"])
    for _epoch in range(config["num_epochs"]):
        seen, summed = 0, 0.0
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            seen += len(labels)
            summed += loss.item() * len(labels)
        tune.report({"loss": summed / seen})
