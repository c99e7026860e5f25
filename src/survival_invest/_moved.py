"""Old module paths that keep working after the move to one package per stage.

Each old top-level module (``survival_invest.tables``, ``.balance``, ...) is a
three-line shim built by :func:`moved`: its public names resolve to the new
module, and any other name fails with an :class:`AttributeError` that names
the new place, so a user's import either works unchanged or says where to go.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

__all__ = ["moved"]


def public_names(module: ModuleType) -> list[str]:
    """The names a module offers: its ``__all__``, else every name not starting with ``_``."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_") and not isinstance(vars(module)[n], ModuleType)]
    return list(names)


def moved(old: str, new: str) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """Module-level ``__getattr__``, ``__dir__`` and ``__all__`` forwarding ``old`` to ``new`` (PEP 562).

    Parameters
    ----------
    old : str
        The old module's dotted name (the shim's ``__name__``).
    new : str
        The dotted name of the module that now holds the code.

    Returns
    -------
    (__getattr__, __dir__, __all__)
        Assign them at the shim's top level.
    """
    target = importlib.import_module(new)
    names = public_names(target)
    offered = set(names) | {n for n in vars(target) if not n.startswith("_")}

    def __getattr__(name: str) -> object:
        if name in offered:
            return getattr(target, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}: its code moved to {new!r}; import from there")

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__, names
