"""Reading one TOML table with messages that name the file, the table and the key."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from survival_invest.config.model import ConfigError
from survival_invest.io.sources import is_uri

__all__ = ["ConfigProblems", "TableReader", "is_number", "location_value", "path_value", "problem_lines"]

C = TypeVar("C", bound=str)
T = TypeVar("T")
F = TypeVar("F")


class ConfigProblems(ConfigError):
    """Several configuration problems found in one pass; ``problems`` holds one line each (the message joins them)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def problem_lines(exc: ConfigError) -> list[str]:
    """The problem lines of a configuration error (one for a plain :class:`ConfigError`)."""
    return list(exc.problems) if isinstance(exc, ConfigProblems) else [str(exc)]


def is_number(v: object) -> bool:
    """Whether ``v`` is a finite TOML number: an int or a float other than ``nan``, ``inf``, ``-inf`` (not a bool)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class TableReader:
    """Reads keys of one TOML table, raising :class:`ConfigError` that names the file, the table and the key."""

    def __init__(self, source: Path, where: str) -> None:
        self.source = source
        self.where = where
        self.problems: list[str] = []

    def attempt(self, read: Callable[[], T], fallback: F) -> T | F:
        """Run one key's check; a :class:`ConfigError` is recorded in :attr:`problems` and ``fallback`` returned.

        So a table's independent keys are all checked in one pass; call :meth:`done` at the end.
        """
        try:
            return read()
        except ConfigError as exc:
            self.problems.extend(problem_lines(exc))
            return fallback

    def done(self) -> None:
        """Raise :class:`ConfigProblems` with every problem :meth:`attempt` recorded (nothing when there were none)."""
        if self.problems:
            raise ConfigProblems(self.problems)

    def error(self, key: str, msg: str) -> ConfigError:
        """The error for ``key``: ``<file>: <where>, key '<key>': <msg>``."""
        return ConfigError(f"{self.source}: {self.where}, key '{key}': {msg}")

    def unknown(self, table: Mapping[str, Any], allowed: set[str]) -> None:
        """Refuse every key of ``table`` not in ``allowed`` (one line each), with a "did you mean" hint."""
        lines = []
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else f"; allowed: {sorted(allowed)}"
                lines.append(str(self.error(key, f"unknown key{hint}")))
        if len(lines) == 1:
            raise ConfigError(lines[0])
        if lines:
            raise ConfigProblems(lines)

    def need(self, table: Mapping[str, Any], key: str) -> Any:
        """The value of a required key."""
        if key not in table:
            raise self.error(key, "missing")
        return table[key]

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        *,
        lo: float | None = None,
        hi: float | None = None,
        integer: bool = False,
        default: Any = ...,
    ) -> Any:
        """A number within ``lo .. hi`` (a whole number with ``integer``); ``default`` when absent, else required.

        Parameters
        ----------
        table : mapping
        key : str
        lo, hi : float, optional
            Inclusive bounds.
        integer : bool
            Require a whole number (a TOML integer).
        default : optional
            The value when the key is absent; without it the key is required.

        Returns
        -------
        int or float (or ``default``)
        """
        if key not in table:
            if default is ...:
                raise self.error(key, "missing")
            return default
        v = table[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            raise self.error(key, f"expected {'a whole number' if integer else 'a number'}, got {v!r}")
        if not is_number(v):
            raise self.error(
                key, f"{v!r} is not a finite number; expected {'a whole number' if integer else 'a number'}"
            )
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"{lo if lo is not None else '-inf'} .. {hi if hi is not None else 'inf'}"
            raise self.error(key, f"{v!r} is outside {rng}")
        return v

    def choice(self, table: Mapping[str, Any], key: str, options: tuple[C, ...], default: C) -> C:
        """One of ``options`` (a tuple from :mod:`survival_invest.choices`), typed as its ``Literal``.

        Parameters
        ----------
        table : mapping
        key : str
        options : tuple of str
        default : str
            The value when the key is absent.

        Returns
        -------
        str
            The matching option.
        """
        v = table.get(key, default)
        for option in options:  # returns the option itself: typed as its Literal
            if v == option:
                return option
        close = difflib.get_close_matches(str(v), [str(o) for o in options], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise self.error(key, f"{v!r} is not one of {list(options)}{hint}")

    def numbers(
        self, table: Mapping[str, Any], key: str, n: int | None = None, *, required: bool = True
    ) -> tuple[float, ...]:
        """A list of numbers (``n`` of them when given: one per year); ``()`` when absent and not required.

        Parameters
        ----------
        table : mapping
        key : str
        n : int, optional
            The number of values required (the case's years).
        required : bool
            Whether a missing key is an error.

        Returns
        -------
        tuple of float
        """
        if key not in table:
            if required:
                raise self.error(key, "missing")
            return ()
        v = table[key]
        if not isinstance(v, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            raise self.error(key, f"expected a list of numbers, got {v!r}")
        bad = [i for i, x in enumerate(v, start=1) if not is_number(x)]
        if bad:
            raise self.error(key, f"value {bad[0]} is {v[bad[0] - 1]!r}; expected finite numbers (no nan or inf)")
        if n is not None and len(v) != n:
            raise self.error(key, f"has {len(v)} values but 'years' has {n}; give one per year")
        return tuple(float(x) for x in v)


def path_value(ctx: TableReader, table: Mapping[str, Any], key: str, base: Path, required: bool) -> Path | None:
    """A file path (relative paths are relative to ``base``, the configuration's folder).

    Parameters
    ----------
    ctx : TableReader
    table : mapping
    key : str
    base : Path
    required : bool
        Whether a missing key is an error (else ``None``).

    Returns
    -------
    Path or None
    """
    if key not in table:
        if required:
            raise ctx.error(key, "missing")
        return None
    v = table[key]
    if not isinstance(v, str) or not v:
        raise ctx.error(key, f"expected a file path, got {v!r}")
    p = Path(v)
    return p if p.is_absolute() else (base / p)


def location_value(ctx: TableReader, table: Mapping[str, Any], key: str, base: Path) -> Path | str:
    """A required input location: a URI (``hdfs://``, ``file://`` ...) kept as text, else a path as :func:`path_value`.

    URIs are never joined to ``base`` (see :mod:`survival_invest.io.sources`);
    local paths may be files, folders of parts or globs.

    Parameters
    ----------
    ctx : TableReader
    table : mapping
    key : str
    base : Path
        The configuration's folder.

    Returns
    -------
    Path or str
    """
    v = table.get(key)
    if isinstance(v, str) and is_uri(v):
        return v
    p = path_value(ctx, table, key, base, True)
    if p is None:  # path_value raised already; this keeps the type exact
        raise ctx.error(key, "missing")
    return p
