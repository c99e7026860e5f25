"""The payment file in a run, and which basis each results row rests on.

:func:`payment_costs` reads the configured payment file (ids by the run's
policy) into the net cost per person and month; :func:`with_bases` fills the
results' ``basis`` column (the values are listed in
:mod:`survival_invest.pipeline.portfolio`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from survival_invest.config import CaseConfig, Portfolio, pseudonym_key
from survival_invest.io.payments import monthly_net, read_payments
from survival_invest.io.privacy import IdPolicy

__all__ = ["payment_costs", "with_bases"]

log = logging.getLogger(__name__)


def payment_costs(config: Portfolio, engine: str) -> pd.DataFrame | None:
    """The payment file's net cost per person and month, when one is configured and the engine has cohorts.

    DuckDB and Spark give count tables, not persons: their realised savings
    stay on the cost-per-full-time-person basis, with a warning.
    """
    if config.data.payments is None:
        return None
    if engine != "memory":
        log.warning(
            "%s: realised savings use the cost per full-time person: the payment file is used by the in-memory "
            "engine only (--engine memory)",
            config.data.payments,
        )
        return None
    ids = IdPolicy(pseudonym_key(config.privacy, config.source))
    pay = read_payments(config.data.payments, benefits=config.data.payment_benefits, ids=ids)
    return monthly_net(pay)


def with_bases(out: pd.DataFrame, case: CaseConfig) -> pd.DataFrame:
    """Fill ``basis`` where a row has none (module docstring); ``net`` takes its savings' basis."""
    measure, kind = out["measure"], out["kind"]
    default = np.select(
        [
            (kind == "budget") | ((measure == "investment") & (kind == "forecast")),
            measure == "investment",
            measure == "saved_fte",
            np.full(len(out), case.method == "count"),
        ],
        ["budget", "finance", "curves", "placements"],
        "cost_per_fte",
    )
    out["basis"] = out["basis"].where(out["basis"].notna() & (out["basis"] != ""), default)
    sav = out[measure == "savings"].set_index(["year", "kind"])["basis"]
    net = measure == "net"
    keys = list(zip(out.loc[net, "year"], out.loc[net, "kind"], strict=True))
    out.loc[net, "basis"] = sav.reindex(keys).to_numpy()
    return out
