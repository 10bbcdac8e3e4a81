"""``python -m yantra_gnn.cli COMMAND ...``: the ``yantra-gnn`` command."""

from __future__ import annotations

import sys

from yantra_gnn.cli import main

sys.exit(main())
