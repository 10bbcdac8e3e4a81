"""Human-readable source of the bundled CodeContests-format sample dataset.

Each ``*_problems.py`` module defines ``PROBLEMS``: a list of :class:`Problem` with a
statement, tests, correct and incorrect Python 3 solutions (kept as string literals,
they are data, not library code). ``build_sample.py`` runs every solution against every
test and writes ``yantra_gnn/datasets/sample/codecontests_sample.jsonl`` only when all
correct solutions pass and every incorrect solution fails.
"""
