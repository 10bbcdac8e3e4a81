"""Package attributes imported on first use (PEP 562), so that light imports stay light.

``yantra_gnn``, ``yantra_gnn.graph``, ``yantra_gnn.nn`` and ``yantra_gnn.train`` name
classes whose modules load torch; :func:`lazy_attributes` gives each package the
``__getattr__`` and ``__dir__`` that import such a name's module only when the name is
first used (``yantra-gnn --help`` and ``TrainConfig`` never load torch).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_attributes(
    package: str, lazy: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package named ``package``.

    Args:
        package: the package's ``__name__``.
        lazy: public name -> the module it is imported from on first use.
        public: the package's ``__all__`` (``dir()`` lists it before first use).
    """

    def __getattr__(name: str) -> Any:
        module_name = lazy.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
