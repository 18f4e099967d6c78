"""``python -m graders``: the instructor's and student's command line."""
from graders.engine.commands.cli import main

raise SystemExit(main())
