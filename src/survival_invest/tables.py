"""Moved to :mod:`survival_invest.report.tables`; this path keeps working for its public names."""

from survival_invest._moved import moved

__getattr__, __dir__, __all__ = moved(__name__, "survival_invest.report.tables")
