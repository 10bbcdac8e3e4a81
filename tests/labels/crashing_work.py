"""Work functions that kill their worker process, for the executor tests.

A module of its own, importing only the standard library: a ``spawn`` worker imports
the module of the function it runs, and the test modules import torch.
"""

from __future__ import annotations

import os
from pathlib import Path


def crash_once(marker: str) -> str:
    """Kills its worker process the first time it runs for ``marker`` (a file path)."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return Path(marker).name


def always_crash(marker: str) -> str:
    """Kills its worker process every time."""
    os._exit(1)
