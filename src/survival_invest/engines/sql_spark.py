"""The member pass as per-member ``GROUP BY`` in Spark SQL: bit masks in 63-bit words, no window.

The rules are those of :mod:`survival_invest.engines.sql` (its module
docstring states them), computed as in
:mod:`survival_invest.engines.sql_grouped` (DuckDB's ``bitstring_agg``). Spark
SQL has no bit-string aggregate, so each member's periods are set bits of a few
``BIGINT`` words: word ``j`` of a range starting at ``lo`` is
``bit_or(shiftleft(1, t - lo - 63 j))`` over the rows with
``lo + 63 j <= t < lo + 63 (j + 1)``, a fixed-width aggregate that Spark
computes partially before the shuffle (one row per member and task leaves
each task instead of every joined row). ``bin`` of the words, zero-padded and
reversed, gives the bit string (character ``i + 1`` = period ``lo + i``), which
the sequence rules read with string functions:

* the exit (``exit_mid``): the start of the first run of ``k`` zeros within
  follow-up that an on-support period ends (a gap between two on-support
  periods, the first gap starting at ``t = -1``); a run at the end of
  follow-up is left to :func:`survival_invest.engines.sql.persons_sql`, as
  in the window pass;
* ``last_on``: the last ``1`` of the follow-up string (``NULL`` when none);
* ``prior_periods``: the ones after the last run of ``reset`` zeros of the
  source periods before entry (0 after a break just before entry);
* ``t_c``, the benefit at entry and the duplicate rows (rows less the set bits
  of the periods present) are plain aggregates.

``m_agg`` has one row per member with spell rows and the columns and values of
the window pass (:func:`survival_invest.engines.sql.window_member_steps`) for
those members (tested member by member on a local Spark session).

The members are joined by broadcast (a hash table of the members in every
task, the extract streamed past it) when they are few enough for the driver
to send (:data:`BROADCAST_MEMBERS`); beyond that Spark joins as it chooses
(a shuffle of the extract by person).
"""

from __future__ import annotations

from survival_invest.engines.sql import CODE_BASE, NEVER, T_OFFSET

__all__ = ["BROADCAST_MEMBERS", "spark_member_steps"]

#: Bits per word (63: the words stay non-negative, so ``bin`` gives at most 63 digits).
WORD = 63
#: Members joined by broadcast up to this many rows (about 50 bytes each in the hash table: ~250 MB).
BROADCAST_MEMBERS = 5_000_000


def _words(name: str, cond: str, t: str, lo: int, hi: int) -> list[str]:
    """``bit_or`` aggregates ``name_0..`` with bit ``t - lo`` set for the rows where ``cond`` holds (``lo <= t <= hi``)."""
    out = []
    for j in range((max(hi, lo) - lo) // WORD + 1):
        a = lo + WORD * j
        out.append(
            f"bit_or(CASE WHEN {cond} AND {t} >= {a} AND {t} < {a + WORD} "
            f"THEN shiftleft(1L, CAST({t} - {a} AS INT)) ELSE 0L END) AS {name}_{j}"
        )
    return out


def _bits(name: str, lo: int, hi: int) -> str:
    """The words of :func:`_words` as a string of ``hi - lo + 1`` digits (character ``i + 1`` = bit ``lo + i``)."""
    n = (max(hi, lo) - lo) // WORD + 1
    parts = ", ".join(f"reverse(lpad(bin({name}_{j}), {WORD}, '0'))" for j in range(n))
    return f"substr(concat({parts}), 1, {hi - lo + 1})"


def _popcount(name: str, lo: int, hi: int) -> str:
    """The number of bits set in the words of :func:`_words`."""
    n = (max(hi, lo) - lo) // WORD + 1
    return " + ".join(f"bit_count({name}_{j})" for j in range(n))


def _hint(broadcast: bool, alias: str) -> str:
    return f"/*+ BROADCAST({alias}) */" if broadcast else ""


def _joined(broadcast: bool) -> str:
    """Spell rows joined with the members, period map and codes (``t``, ``u``, flags); one scan of the extract."""
    return f"""
        SELECT {_hint(broadcast, "m")} m.member AS member, m.entry AS entry, m.k AS k,
               p.period - m.entry AS t, p.src_period - m.entry_src AS u, p.period AS period,
               c.is_support AS sup, c.is_censor AS cen, c.code_id AS code_id
        FROM spells s
        JOIN members m ON s.person_id = m.person_id
        JOIN pmap p ON s.period = p.raw_period
        JOIN codes c ON s.benefit = c.benefit
    """


def _derive(g: str, *, cutoff: int, src_lookback: int, src_reset: int, horizon: int) -> str:
    """Exit, last on-support period and prior periods from the words of the query ``g`` (one row per member).

    A subquery, not a ``WITH``: a cached table whose text holds a CTE is not
    recognised when a later query with its own CTEs reads it (Spark 4 merges
    the CTEs and computes the table again: measured, a second scan of the
    extract).
    """
    L = src_lookback
    return f"""
    SELECT member, 1 AS present, t_c, dup_rows, entry_code_key,
        CASE WHEN pos_k > 0 AND pos_k - 1 < last_on THEN pos_k - 1 END AS exit_mid,
        last_on,
        length(replace(CASE WHEN pos_r = 0 THEN ps ELSE left(reverse(ps), pos_r - 1) END, '0', '')) AS prior_periods
    FROM (
        SELECT *, instr(s, repeat('0', CAST(k AS INT))) AS pos_k,
            NULLIF(length(TRIM(TRAILING '0' FROM s)) - 1, -1) AS last_on,
            instr(reverse(ps), '{"0" * src_reset}') AS pos_r
        FROM (
            SELECT *, {_bits("pr", -L, -1)} AS ps,
                CASE WHEN obs_end >= 0 THEN substr({_bits("on", 0, horizon)}, 1, CAST(obs_end + 1 AS INT))
                     ELSE '' END AS s
            FROM (SELECT *, LEAST({cutoff} - entry, COALESCE(t_c, {NEVER}) - 1) AS obs_end FROM ({g}) g) g0
        ) g1
    ) g2
    """


def _on_flag(units: str, wim: str) -> str:
    """On support for the exit clock by the member's month rule (``m.rule``: any, majority, all)."""
    return (
        f"CASE WHEN (m.rule = 0 AND {units} > 0) OR (m.rule = 1 AND 2 * {units} >= {wim}) "
        f"OR (m.rule = 2 AND {units} >= {wim}) THEN 1 ELSE 0 END"
    )


def _monthly(*, cutoff: int, lookback: int, src_lookback: int, horizon: int, broadcast: bool) -> str:
    """The per-member aggregate ``g`` of monthly data: one scan of the extract for everything."""
    h, lb, L = horizon, lookback, src_lookback
    win = f"t >= {-lb} AND period <= {cutoff}"
    aggs = [
        f"MIN(CASE WHEN cen = 1 AND t >= 0 AND period <= {cutoff} THEN t END) AS t_c",
        f"SUM(CASE WHEN {win} THEN 1 ELSE 0 END) AS rows_in",
        f"MAX(CASE WHEN sup = 1 AND t <= 0 AND {win} THEN (t + {T_OFFSET}) * {CODE_BASE} + code_id END)"
        " AS entry_code_key",
        *_words("on", f"sup = 1 AND t >= 0 AND period <= {cutoff}", "t", 0, h),
        *_words("pres", win, "t", -lb, h),
        *_words("pr", "sup = 1", "u", -L, -1),
    ]
    return f"""
        SELECT *, rows_in - ({_popcount("pres", -lb, h)}) AS dup_rows
        FROM (
            SELECT member, entry, k, {", ".join(aggs)}
            FROM ({_joined(broadcast)}) j
            GROUP BY member, entry, k
        ) a
    """


def spark_member_steps(
    *,
    rollup: bool,
    status: str,
    cutoff: int,
    lookback: int,
    src_lookback: int,
    src_reset: int,
    horizon: int,
    broadcast: bool,
) -> list[tuple[str, str]]:
    """The tables to materialise, in order, ending with ``m_agg`` (one row per member with spell rows).

    ``m_agg``: member, present, t_c, dup_rows, entry_code_key, exit_mid,
    last_on, prior_periods, as :func:`survival_invest.engines.sql.persons_sql`
    reads them.

    Parameters
    ----------
    rollup : bool
        Weekly spells rolled up to months.
    status : str
        The status query (:func:`survival_invest.engines.sql.status_sql`; used with ``rollup``).
    cutoff : int
        The last complete period.
    lookback : int
        Analysis periods read before entry (the benefit at entry).
    src_lookback, src_reset : int
        The prior-support clock at the source frequency.
    horizon : int
        The largest ``t`` of any member (``cut-off - first entry``, at least 0).
    broadcast : bool
        Join the members by broadcast (few enough members: :data:`BROADCAST_MEMBERS`).

    Returns
    -------
    list of (name, sql)
    """
    h, lb = max(horizon, 0), lookback
    clocks = {"cutoff": cutoff, "src_lookback": src_lookback, "src_reset": src_reset, "horizon": h}
    if not rollup:
        g = _monthly(cutoff=cutoff, lookback=lb, src_lookback=src_lookback, horizon=h, broadcast=broadcast)
        return [("m_agg", _derive(g, **clocks))]
    pp = f"""
        SELECT member, {", ".join(_words("pr", "sup = 1", "u", -src_lookback, -1))}
        FROM ({_joined(broadcast)}) j
        GROUP BY member
    """
    mg = f"""
        SELECT member, MIN(CASE WHEN censor = 1 AND t >= 0 THEN t END) AS t_c, SUM(dups) AS dup_rows,
            MAX(CASE WHEN units > 0 AND t <= 0 THEN (t + {T_OFFSET}) * {CODE_BASE} + code_id END) AS entry_code_key,
            {", ".join(_words("on", "on_flag = 1", "t", 0, h))}
        FROM (
            SELECT {_hint(broadcast, "m")} m.member AS member, st.period - m.entry AS t,
                   {_on_flag("st.units", "st.wim")} AS on_flag,
                   st.censor AS censor, st.units AS units, st.code_id AS code_id, st.dups AS dups
            FROM members m JOIN ({status}) st ON st.person_id = m.person_id
            WHERE st.period >= m.entry - {lb} AND st.period <= {cutoff}
        ) j
        GROUP BY member
    """
    on0 = ", ".join(f"COALESCE(mg.on_{j}, 0L) AS on_{j}" for j in range(h // WORD + 1))
    pr0 = ", ".join(f"pp.pr_{j} AS pr_{j}" for j in range((src_lookback - 1) // WORD + 1))
    g = f"""
        SELECT pp.member AS member, m.entry AS entry, m.k AS k, mg.t_c AS t_c, COALESCE(mg.dup_rows, 0) AS dup_rows,
               mg.entry_code_key AS entry_code_key, {on0}, {pr0}
        FROM pp_agg pp JOIN members m ON m.member = pp.member LEFT JOIN mg_agg mg ON mg.member = pp.member
    """
    return [("mg_agg", mg), ("pp_agg", pp), ("m_agg", _derive(g, **clocks))]
