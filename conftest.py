"""The kit's root conftest: the grading engine's plugin serves every pytest run in this folder."""
pytest_plugins = ["graders.engine.grading.plugin"]
