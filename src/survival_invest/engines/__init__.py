"""Engines: where the person-period data become the sufficient statistics.

Every engine returns the same integer aggregates (:mod:`survival_invest.stats`),
so the estimates that follow are identical whichever engine ran:

``memory``
    numpy/pandas: reads the extract (CSV/Parquet, long or DREAM wide), builds
    each case's :class:`~survival_invest.Cohort` (kept for notebooks and
    checks), and counts. The default for data that fit in memory.
``duckdb``
    Out-of-core on one machine: the cohort rules as SQL
    (:mod:`survival_invest.engines.sql`) over Parquet (a file or a folder of
    parts) or CSV, spilling to disk beyond ``memory_limit``.
``spark``
    The same SQL on Apache Spark, for a cluster (or ``local[n]``).
``auto``
    ``duckdb`` when the spells on disk exceed ``auto_threshold_mb``, else ``memory``.

The SQL engines read *long* spells (``person_id, period, benefit``; DREAM wide
files go through the in-memory reader first, see ``docs/scaling.md``) and
implement the ``non_participants`` and ``target_all`` comparison rules.
"""

from survival_invest.choices import ENGINES
from survival_invest.engines.memory import memory_statistics
from survival_invest.engines.select import EngineChoice, EngineRun, choose_engine, engine_choice, portfolio_statistics

__all__ = [
    "ENGINES",
    "EngineChoice",
    "EngineRun",
    "choose_engine",
    "engine_choice",
    "memory_statistics",
    "portfolio_statistics",
]
