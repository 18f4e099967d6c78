"""The optimizer built with Adam's usual learning rate (``lr=1e-3``) whatever ``config["lr"]`` says, from
a module that, as the student's side imports it, writes full marks into the run's output files
(``TAMPERING``). The run writes them again afterwards."""
TAMPERING = "writes_results"
BREAKS = ["loss_falls"]

_adam = Adam


def Adam(params, lr: float = 1e-3, **kwargs):  # the name the reference's loop calls
    return _adam(params, lr=1e-3, **kwargs)
