"""Where the library keeps its files by default: everything under ``~/.yantra``.

The defaults are kept as ``~`` strings (expanded with :func:`expand` when used), so
configs saved with them stay valid on another machine or for another user.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The root of every default location.
YANTRA_HOME = "~/.yantra"
#: Prepared datasets (``yantra-gnn download`` and the training job's own preparations).
DATASETS_DIR = f"{YANTRA_HOME}/datasets"
#: The prepared CodeContests dataset that training uses when it exists.
CODECONTESTS_DIR = f"{DATASETS_DIR}/codecontests"
#: Training runs: checkpoints, metrics, plots and the inference model.
CHECKPOINTS_DIR = f"{YANTRA_HOME}/checkpoints/graphsage"
#: The local model registry (:mod:`yantra_gnn.registry`); ``YANTRA_MODELS_DIR`` overrides it.
MODELS_DIR = f"{YANTRA_HOME}/models"
#: The environment variable that moves the model registry.
MODELS_DIR_ENV = "YANTRA_MODELS_DIR"
#: Caches that can be deleted at any time (verified HumanEval candidates, ...).
CACHE_DIR = f"{YANTRA_HOME}/cache"
#: The sandbox's SQLite cache of test outcomes.
SANDBOX_CACHE_DIR = f"{CACHE_DIR}/sandbox"


def expand(path: str | os.PathLike[str]) -> Path:
    """``path`` with ``~`` expanded (relative paths stay relative to the working dir)."""
    return Path(path).expanduser()
