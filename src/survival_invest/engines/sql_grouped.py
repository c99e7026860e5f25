"""The member pass as per-member ``GROUP BY`` (DuckDB): no window over the joined rows.

The rules are those of :mod:`survival_invest.engines.sql` (its module
docstring states them); this is the DuckDB dialect of its member and prior
passes (:func:`survival_invest.engines.sql.window_member_steps` is the Spark
one, which has no ``bitstring_agg``). Each member's periods become bit strings
in one aggregate, and the sequence rules read the strings:

* ``on_bits``: bit ``t`` (``0 <= t <= horizon``) set when period ``entry + t`` is
  on support by the member's month rule. Cut to the follow-up
  (``obs_end = min(cut-off - entry, t_c - 1)``), the exit is the first run of
  ``k`` zeros (``strpos(bits, repeat('0', k))``: a gap between two on-support
  periods, the first gap starting at ``t = -1``, or a run at the end of
  follow-up) and the last on-support period is the last ``1``.
* ``prior_bits``: bit ``u + lookback`` set for a source period ``u`` (``-lookback
  <= u < 0``) with a support code; the prior periods are the ones after the
  last run of ``reset`` zeros (none when the string ends in such a run).
* ``t_c``, the benefit at entry and the duplicate rows are plain aggregates
  (``MIN ... FILTER``, ``MAX`` of a packed (t, code) key, ``COUNT(*)`` less the
  distinct periods, counted as the set bits of ``bitstring_agg``).

Monthly data (no rollup) take one scan of the extract joined with the members
for everything, presence included; weekly data rolled up to months take the
status pass (weeks grouped per person and month) and one scan at the source
frequency for presence and prior support.
"""

from __future__ import annotations

from survival_invest.engines.sql import CODE_BASE, T_OFFSET

__all__ = ["UNITS_CHUNK", "grouped_member_steps", "grouped_units_sql"]

#: Bits per piece when the units are read off the members' strings (8 and 16 were fastest at 10^7 rows;
#: 64 was twice as slow).
UNITS_CHUNK = 8


def _on_flag(units: str, wim: str) -> str:
    """On support for the exit clock by the member's month rule (``m.rule``: any, majority, all)."""
    return (
        f"CASE WHEN (m.rule = 0 AND {units} > 0) OR (m.rule = 1 AND 2 * {units} >= {wim}) "
        f"OR (m.rule = 2 AND {units} >= {wim}) THEN 1 ELSE 0 END"
    )


def _prior_bits(src_lookback: int) -> str:
    """The aggregate of support source periods before entry as a bit string (over ``sup`` and ``u``)."""
    L = src_lookback
    return f"bitstring_agg(u + {L}, 0, {L - 1}) FILTER (sup = 1 AND u >= {-L} AND u < 0) AS prior_bits"


#: Spell rows joined with the members, period map and codes (``t``, ``u``, flags); one scan of the extract.
JOINED_ROWS = """
        SELECT m.member AS member, m.entry AS entry, m.k AS k, p.period - m.entry AS t,
               p.src_period - m.entry_src AS u, p.period AS period,
               c.is_support AS sup, c.is_censor AS cen, c.code_id AS code_id
        FROM spells s
        JOIN members m ON s.person_id = m.person_id
        JOIN pmap p ON s.period = p.raw_period
        JOIN codes c ON s.benefit = c.benefit
"""


def _derive(*, cutoff: int, src_reset: int, present: str, follow_bits: bool) -> str:
    """Exit, last on-support period and prior periods from the bit strings of ``g`` (one row per member).

    With ``follow_bits`` the member's on-support string cut to its follow-up
    (``s``) is kept as ``follow_bits`` (a ``BIT``, NULL when the follow-up is
    empty), from which :func:`grouped_units_sql` reads the units.
    """
    keep = "CASE WHEN s = '' THEN NULL ELSE CAST(s AS BIT) END AS follow_bits, " if follow_bits else ""
    return f"""
    SELECT member, {present} AS present, t_c, dup_rows, entry_code_key, {keep}
        NULLIF(strpos(s, repeat('0', CAST(k AS INTEGER))), 0) - 1 AS exit_mid,
        length(rtrim(s, '0')) - 1 AS last_on,
        CASE WHEN ps IS NULL THEN 0
             ELSE length(replace(CASE WHEN pos = 0 THEN ps ELSE left(reverse(ps), pos - 1) END, '0', '')) END
             AS prior_periods
    FROM (
        SELECT *, strpos(reverse(ps), '{"0" * src_reset}') AS pos,
            CASE WHEN obs_end >= 0 THEN substr(COALESCE(CAST(on_bits AS VARCHAR), ''), 1, CAST(obs_end + 1 AS INTEGER))
                 ELSE '' END AS s
        FROM (
            SELECT *, CAST(prior_bits AS VARCHAR) AS ps,
                LEAST({cutoff} - entry, COALESCE(t_c, {1 << 40}) - 1) AS obs_end
            FROM g
        ) g1
    ) g2
    """


def grouped_member_steps(
    *, rollup: bool, status: str, cutoff: int, lookback: int, src_lookback: int, src_reset: int, horizon: int
) -> list[tuple[str, str]]:
    """The tables to materialise, in order, ending with ``m_agg`` (one row per member with spell rows).

    ``m_agg``: member, present, t_c, dup_rows, entry_code_key, exit_mid (the
    first run of ``k`` off periods in follow-up), last_on, prior_periods, as
    :func:`survival_invest.engines.sql.persons_sql` reads them.

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

    Returns
    -------
    list of (name, sql)
    """
    h, lb = max(horizon, 0), lookback
    code_key = f"MAX((t + {T_OFFSET}) * {CODE_BASE} + code_id) FILTER (units > 0 AND t <= 0) AS entry_code_key"
    if not rollup:  # the extract's rows are the status: one scan for everything
        win = f"t >= {-lb} AND period <= {cutoff}"
        g = f"""
        SELECT member, entry, k,
            MIN(t) FILTER (cen = 1 AND t >= 0 AND period <= {cutoff}) AS t_c,
            COUNT(*) FILTER ({win}) - COALESCE(bit_count(bitstring_agg(t, {-lb}, {h + lb}) FILTER ({win})), 0)
                AS dup_rows,
            bitstring_agg(t, 0, {h}) FILTER (sup = 1 AND t >= 0 AND period <= {cutoff}) AS on_bits,
            MAX((t + {T_OFFSET}) * {CODE_BASE} + code_id) FILTER (sup = 1 AND t <= 0 AND {win}) AS entry_code_key,
            {_prior_bits(src_lookback)}
        FROM ({JOINED_ROWS}) j
        GROUP BY member, entry, k
        """
        derived = _derive(cutoff=cutoff, src_reset=src_reset, present="1", follow_bits=True)
        return [("m_agg", f"WITH g AS ({g}) {derived}")]
    pp = f"""
        SELECT member, {_prior_bits(src_lookback)}
        FROM ({JOINED_ROWS}) j
        GROUP BY member
    """
    mg = f"""
        SELECT member, entry, k,
            MIN(t) FILTER (censor = 1 AND t >= 0) AS t_c,
            SUM(dups) AS dup_rows,
            bitstring_agg(t, 0, {h}) FILTER (on_flag = 1 AND t >= 0) AS on_bits,
            {code_key}
        FROM (
            SELECT m.member AS member, m.entry AS entry, m.k AS k, st.period - m.entry AS t,
                   {_on_flag("st.units", "st.wim")} AS on_flag,
                   st.censor AS censor, st.units AS units, st.code_id AS code_id, st.dups AS dups
            FROM members m JOIN ({status}) st ON st.person_id = m.person_id
            WHERE st.period >= m.entry - {lb} AND st.period <= {cutoff}
        ) j
        GROUP BY member, entry, k
    """
    g = """
        SELECT pp.member AS member, m.entry AS entry, m.k AS k, mg.t_c AS t_c, COALESCE(mg.dup_rows, 0) AS dup_rows,
               mg.on_bits AS on_bits, mg.entry_code_key AS entry_code_key, pp.prior_bits AS prior_bits
        FROM pp_agg pp JOIN members m ON m.member = pp.member LEFT JOIN mg_agg mg ON mg.member = pp.member
    """
    return [
        ("mg_agg", mg),
        ("pp_agg", pp),
        ("m_agg", f"WITH g AS ({g}) {_derive(cutoff=cutoff, src_reset=src_reset, present='1', follow_bits=False)}"),
    ]


def grouped_units_sql() -> str:
    """The units aggregate of monthly data from the kept members' ``follow_bits``, without a scan of the extract.

    For spells at the analysis frequency a period's units are its support
    rows (0 or 1, duplicates refused), so the support units of a kept member
    at ``0 <= t < followed`` are the bits of its follow-up string:
    ``units(case, group, month, t, benefit group, prior) = #{kept members of
    the key with bit t set}``, ``month = entry + t`` — the table
    :func:`survival_invest.engines.sql.units_sql` gets by joining the extract
    with the kept members again. Each string is cut into pieces of
    :data:`UNITS_CHUNK` bits, the pieces are counted per (key, offset, piece)
    (support spells are runs, so few pieces are distinct), and only the
    distinct pieces are spread into periods: about ``1/UNITS_CHUNK`` of the
    rows a per-period expansion makes (0.19 s against 0.53 s for the scan at
    10^7 rows).

    Returns
    -------
    str
        A query over ``kept`` and ``m_agg`` with the columns of
        :func:`~survival_invest.engines.sql.units_sql`.
    """
    w = UNITS_CHUNK
    return f"""
    WITH pieces AS (
        SELECT k.case_id AS case_id, k.grp AS grp, k.entry AS entry, k.benefit_group AS benefit_group,
               k.prior_key AS prior_key, c.c AS c, substr(g.bits, CAST(c.c + 1 AS BIGINT), {w}) AS piece
        FROM kept k
        JOIN (SELECT member, CAST(follow_bits AS VARCHAR) AS bits FROM m_agg WHERE follow_bits IS NOT NULL) g
            ON g.member = k.member,
             LATERAL (SELECT unnest(range(0, CAST(k.followed AS BIGINT), {w})) AS c) c
    ),
    counted AS (
        SELECT case_id, grp, entry, benefit_group, prior_key, c, piece, COUNT(*) AS n
        FROM pieces WHERE strpos(piece, '1') > 0
        GROUP BY case_id, grp, entry, benefit_group, prior_key, c, piece
    ),
    spread AS (
        SELECT *, c + unnest(range(length(piece))) AS t FROM counted
    )
    SELECT case_id, grp, entry + t AS month, t, benefit_group, prior_key AS prior_periods, SUM(n) AS units
    FROM spread
    WHERE substr(piece, CAST(t - c + 1 AS BIGINT), 1) = '1'
    GROUP BY case_id, grp, entry + t, t, benefit_group, prior_key
    """
