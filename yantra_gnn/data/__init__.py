"""Data: CodeContests download and preparation, mutation operators, labels and datasets."""
