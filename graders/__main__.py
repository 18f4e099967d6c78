"""``python -m graders``: the instructor's and student's command line."""
from graders.engine.cli import main

raise SystemExit(main())
