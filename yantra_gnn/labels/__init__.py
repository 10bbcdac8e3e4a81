"""Labels from the code itself and from running it: mutants, rewrites, imports, verdicts."""
