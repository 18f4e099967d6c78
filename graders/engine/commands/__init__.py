"""The command line: ``cli`` and one module per subcommand, each with a keyword-only ``main``."""
