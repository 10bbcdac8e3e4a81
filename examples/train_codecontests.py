"""Train YantraGNN on CodeContests: the project's main job.

With no arguments it trains on ``~/.yantra/datasets/codecontests`` when that dataset
has been prepared (``yantra-gnn download``), else on the sample shipped in the package,
and leaves checkpoints, ``metrics.csv``, ``training.png`` and an inference model in
``~/.yantra/checkpoints/graphsage``. Run it again and the new run takes that folder: the
previous one is moved to ``~/.yantra/checkpoints/graphsage/previous/version_N``. A folder
given with ``--output`` that already holds a run is refused unless ``--overwrite`` is
given.

Examples::

    python examples/train_codecontests.py
    python examples/train_codecontests.py --epochs 2 --batch-size 8 --limit 40
    python examples/train_codecontests.py --device mps
    python examples/train_codecontests.py --resume last
    python examples/train_codecontests.py --output runs/a --overwrite
    python examples/train_codecontests.py --config my_run.yaml --lr 3e-4
"""

from __future__ import annotations

import argparse
import sys

from yantra_gnn.cli.common import run_handler
from yantra_gnn.cli.train import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_handler("train_codecontests.py", run, args)


if __name__ == "__main__":
    sys.exit(main())
