"""The kit's own tests. Submission corpora hold lessonN_*.py files: graded by tests, never collected."""
collect_ignore_glob = ["mutants/*", "submissions/*", "fakecourse/*"]
