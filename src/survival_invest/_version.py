"""The installed distribution's version (``0+unknown`` when run from a bare source tree)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("survival-invest")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
