"""The cohort rules of :func:`survival_invest.build_cohort` as SQL, for DuckDB and Spark.

One text serves both engines except the member pass: it uses only what DuckDB
and Spark SQL share (CTEs, ``CASE``, ``COALESCE``, ``LEAST``, window frames
``ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING``, ``%``). The member pass
is one ``GROUP BY`` per member in each engine's dialect (no window over the
joined rows): DuckDB's with ``bitstring_agg``
(:mod:`survival_invest.engines.sql_grouped`) and Spark's with bit masks in
``BIGINT`` words (:mod:`survival_invest.engines.sql_spark`). Both are tested
member by member against the windows of :func:`window_member_steps` (the rules
stated with windows over every joined row, which both engines run; too slow
at scale, kept as the reference). The engines register five relations and run
the statements below:

``spells``   person_id, period, benefit           (the extract; Parquet/CSV, any size)
``members``  member, case_id, grp, person_id, entry, entry_src, k, rule   (from the memberships file: small)
``pmap``     raw_period, src_period, period, wim  (distinct period labels -> numbers)
``codes``    benefit, code_id, is_support, is_censor, benefit_group

Rules (identical to :mod:`survival_invest.cohort`; ``t = period - entry``):

* status per person and analysis period: weekly data rolled up to months by
  the month of the week's Thursday (``pmap``); ``units`` = weeks on support
  (or 1 when the data are at the analysis frequency), ``wim`` = weeks in the
  month (1 at the analysis frequency); a censor week makes a censor month; the
  period's code is its first support week's code, else its first week's.
* on support for the exit clock, per member by the member's case's month
  rule (``rule``: 0 ``any`` = ``units > 0``, 1 ``majority`` = ``2 units >=
  wim``, 2 ``all`` = ``units >= wim``); the rule decides nothing else: the
  occupancy units, the benefit at entry and the prior support read the weeks.
* per member (one pass, windows partitioned by member and ordered by ``t``):
  ``t_c`` = first censor period at ``t >= 0``; follow-up ends at
  ``min(cut-off - entry, t_c - 1)``; the exit is the first gap of ``>= k``
  periods between on-support periods at ``t >= 0`` (the first gap starts at
  ``t = -1``), or a run of ``>= k`` off periods at the end of follow-up; the
  benefit at entry is the code of the latest period ``t <= 0`` with a
  support unit.
* prior support (:func:`prior_sql`, its own pass over the extract at the
  *source* frequency, ``u = src_period - entry_src``): source periods with a
  support code before entry since the last break of ``reset`` periods within
  ``lookback`` periods, 0 after a break just before entry (weeks for weekly
  data, also when analysed by month: 156 and 52; months for monthly data: 36
  and 12).
* exclusions: no spell row at all, censored at entry, too short to see a
  durable exit — counted per group, never dropped silently.

Besides the profile of the period and code labels, the member pass (one
``GROUP BY`` per member, presence and prior support included) is the one scan
of the extract for monthly data on DuckDB: the units are read off the kept
members' follow-up bit strings
(:func:`~survival_invest.engines.sql_grouped.grouped_units_sql`). Spark, and
weekly data rolled up to months on either engine, run the units pass of
:func:`units_sql` (hash join of the extract with the kept members, and
aggregate); weekly data also read the extract once more for presence and
prior support. The output is the four small aggregates of
:mod:`survival_invest.stats`.
"""

from __future__ import annotations

#: Far beyond any duration (periods), standing in for "never".
NEVER = 1 << 40
#: Offset that keeps ``t`` positive when packing (t, code) into one integer.
T_OFFSET = 100_000
CODE_BASE = 1_000_000


#: The month rules as the integer ``members.rule`` (``MONTH_RULE_CODES[rule]``).
MONTH_RULE_CODES = {"any": 0, "majority": 1, "all": 2}


def status_sql(*, rollup: bool, lo: int, hi: int, members_only: bool = True) -> str:
    """Per person and analysis period: units (support weeks), wim (weeks in it), censor (0/1), code_id, dup rows.

    Only persons in ``members`` and periods in ``[lo, hi]`` are read. Whether
    the period is on support for the exit clock depends on the member's month
    rule and is decided in :func:`member_sql`.

    Parameters
    ----------
    rollup : bool
        Weekly spells rolled up to months (the week's month is its Thursday's).
    lo, hi : int
        The first and last analysis period read.
    members_only : bool
        Keep only the rows of persons in ``members`` (a semi-join before the
        rollup's grouping); a query that joins the members itself needs none.

    Returns
    -------
    str
        A SQL query text (``WITH``-able) over ``spells``, ``pmap``, ``codes`` and ``members``.
    """
    base = f"""
        SELECT s.person_id AS person_id, p.src_period AS src_period, p.period AS period, p.wim AS wim,
               c.is_support AS is_support, c.is_censor AS is_censor, c.code_id AS code_id
        FROM spells s
        JOIN pmap p ON s.period = p.raw_period
        JOIN codes c ON s.benefit = c.benefit
        WHERE p.period >= {lo} AND p.period <= {hi}
          {"AND s.person_id IN (SELECT person_id FROM members)" if members_only else ""}
    """
    if not rollup:
        return f"""
        SELECT person_id, period, 1 AS wim, is_censor AS censor, is_support AS units, code_id, 0 AS dups
        FROM ({base}) b
        """
    return f"""
        SELECT person_id, period, MIN(wim) AS wim,
               SUM(is_support) AS units,
               MAX(is_censor) AS censor,
               MIN((1 - is_support) * {CODE_BASE} * {CODE_BASE} + src_period * {CODE_BASE} + code_id) % {CODE_BASE}
                   AS code_id,
               COUNT(*) - COUNT(DISTINCT src_period) AS dups
        FROM ({base}) b
        GROUP BY person_id, period
    """


def prior_sql(*, lookback: int, reset: int) -> str:
    """One row per member with support before entry: prior_total, prior_before_break, last_prior (source periods).

    Reads the extract at its own frequency (weeks for DREAM, also when the
    analysis is by month): ``u = src_period - entry_src`` for the rows with a
    support code and ``-lookback <= u < 0``. :func:`persons_sql` turns the three
    numbers into ``prior_periods`` (the count after the last break, 0 after a
    break just before entry).

    Parameters
    ----------
    lookback, reset : int
        The prior-duration clock at the source frequency
        (:func:`survival_invest.cohort.rules.lookback_reset`).

    Returns
    -------
    str
        A SQL query text over ``spells``, ``pmap``, ``codes`` and ``members``.
    """
    return f"""
    WITH pj AS (
        SELECT m.member AS member, m.person_id AS person_id, p.src_period - m.entry_src AS u
        FROM members m
        JOIN spells s ON s.person_id = m.person_id
        JOIN pmap p ON s.period = p.raw_period
        JOIN codes c ON s.benefit = c.benefit
        WHERE c.is_support = 1 AND p.src_period >= m.entry_src - {lookback} AND p.src_period < m.entry_src
    ),
    pw AS (
        SELECT member, person_id, u,
            MAX(u) OVER (
                PARTITION BY person_id, member ORDER BY u ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_u,
            COUNT(*) OVER (
                PARTITION BY person_id, member ORDER BY u ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS n_before
        FROM pj
    )
    SELECT member,
        COUNT(*) AS prior_total,
        MAX(CASE WHEN u - COALESCE(prev_u, {-lookback - 1}) - 1 >= {reset} THEN n_before END) AS prior_before_break,
        MAX(u) AS last_prior
    FROM pw
    GROUP BY person_id, member
    """


def member_sql(*, status: str, cutoff: int, lookback: int) -> str:
    """One row per member: censoring, exit, last on-support period, benefit code, dup rows.

    The windows and the aggregate are keyed by ``(person_id, member)``
    although ``member`` alone determines the person: Spark then reuses the
    hash partitioning on ``person_id`` of the join before it and saves a
    shuffle of every joined row (a partitioning on a subset of the keys
    satisfies the clustering); DuckDB is indifferent.

    Parameters
    ----------
    status : str
        The status query (:func:`status_sql`).
    cutoff : int
        The last complete period.
    lookback : int
        Analysis periods read before entry (for the benefit at entry;
        :func:`survival_invest.cohort.rules.lookback_reset`).

    Returns
    -------
    str
        A SQL query text.
    """
    return f"""
    WITH j AS (
        SELECT m.member AS member, m.person_id AS person_id, m.k AS k, st.period - m.entry AS t,
               CASE WHEN (m.rule = 0 AND st.units > 0) OR (m.rule = 1 AND 2 * st.units >= st.wim)
                         OR (m.rule = 2 AND st.units >= st.wim) THEN 1 ELSE 0 END AS on_flag,
               st.censor AS censor, st.units AS units, st.code_id AS code_id, st.dups AS dups
        FROM members m JOIN ({status}) st ON st.person_id = m.person_id
        WHERE st.period >= m.entry - {lookback} AND st.period <= {cutoff}
    ),
    w AS (
        SELECT member, person_id, k, t, on_flag, censor, units, code_id, dups,
            MAX(CASE WHEN on_flag = 1 THEN t END) OVER (
                PARTITION BY person_id, member ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_on,
            MAX(t) OVER (
                PARTITION BY person_id, member ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_t,
            MIN(CASE WHEN censor = 1 AND t >= 0 THEN t END) OVER (PARTITION BY person_id, member) AS t_c
        FROM j
    ),
    f AS (
        SELECT member, person_id, k, t, on_flag, units, code_id, dups, prev_t, t_c,
            CASE WHEN on_flag = 1 AND t >= 0 AND t < COALESCE(t_c, {NEVER}) THEN 1 ELSE 0 END AS follow,
            GREATEST(COALESCE(prev_on, -1), -1) AS prev_f
        FROM w
    )
    SELECT member,
        MIN(t_c) AS t_c,
        SUM(dups) + SUM(CASE WHEN t = prev_t THEN 1 ELSE 0 END) AS dup_rows,
        MIN(CASE WHEN follow = 1 AND t - prev_f - 1 >= k THEN prev_f + 1 END) AS exit_mid,
        MAX(CASE WHEN follow = 1 THEN t END) AS last_on,
        MAX(CASE WHEN units > 0 AND t <= 0 THEN (t + {T_OFFSET}) * {CODE_BASE} + code_id END) AS entry_code_key
    FROM f
    GROUP BY person_id, member
    """


def persons_sql(*, cutoff: int) -> str:
    """The member table ``m_agg`` (one row per member with spell rows) and ``members`` -> outcome.

    ``m_agg`` holds member, present, t_c, dup_rows, exit_mid, last_on,
    entry_code_key and prior_periods, from
    :func:`survival_invest.engines.sql_grouped.grouped_member_steps` (DuckDB),
    :func:`survival_invest.engines.sql_spark.spark_member_steps` (Spark) or
    :func:`window_member_steps` (the reference of the tests).

    Columns: member, case_id, grp, entry, excluded reason flags, event,
    duration, followed, by_code, prior_periods, code_id. (The participants'
    counted and in-spell lengths follow from event, duration and followed by
    :func:`survival_invest.stats.counted_and_spell`, applied to the grouped
    ``participants`` aggregate: the rule is stated once, in Python.)
    """
    return f"""
    WITH a AS (
        SELECT m.member AS member, m.case_id AS case_id, m.grp AS grp, m.entry AS entry, m.k AS k,
               CASE WHEN COALESCE(g.present, 0) = 0 THEN 1 ELSE 0 END AS no_spells,
               g.t_c AS t_c, g.exit_mid AS exit_mid, COALESCE(g.last_on, -1) AS last_on,
               COALESCE(g.prior_periods, 0) AS prior_periods, g.entry_code_key AS entry_code_key,
               LEAST({cutoff} - m.entry, COALESCE(g.t_c, {NEVER}) - 1) AS obs_end
        FROM members m
        LEFT JOIN m_agg g ON g.member = m.member
    ),
    b AS (
        SELECT a.*,
            LEAST(COALESCE(exit_mid, {NEVER}),
                  CASE WHEN obs_end - last_on >= k THEN last_on + 1 ELSE {NEVER} END) AS exit_t
        FROM a
    ),
    c AS (
        SELECT b.*,
            CASE WHEN exit_t < {NEVER} THEN 1 ELSE 0 END AS event,
            CASE WHEN exit_t < {NEVER} THEN exit_t ELSE last_on END AS duration,
            obs_end + 1 AS followed
        FROM b
    )
    SELECT member, case_id, grp, entry, event, duration, followed,
        no_spells,
        CASE WHEN no_spells = 0 AND COALESCE(t_c, -1) = 0 THEN 1 ELSE 0 END AS censored_at_entry,
        CASE WHEN no_spells = 0 AND COALESCE(t_c, -1) <> 0 AND event = 0 AND duration < 0 THEN 1 ELSE 0 END AS too_short,
        CASE WHEN event = 0 AND t_c IS NOT NULL AND t_c <= {cutoff} - entry THEN 1 ELSE 0 END AS by_code,
        prior_periods,
        CASE WHEN entry_code_key IS NULL THEN -1 ELSE entry_code_key % {CODE_BASE} END AS code_id
    FROM c
    """


def window_member_steps(
    *, status: str, cutoff: int, lookback: int, src_lookback: int, src_reset: int
) -> list[tuple[str, str]]:
    """The member pass as windows: the tables to materialise, in order, ending with ``m_agg`` (the reference).

    The sequence rules run as windows over every joined row (:func:`member_sql`,
    :func:`prior_sql`) and the persons present are a ``DISTINCT`` of the
    extract; ``m_agg`` has the columns of
    :func:`survival_invest.engines.sql_grouped.grouped_member_steps` (and a row
    for every member). The engines run the per-member ``GROUP BY`` forms
    (:mod:`~survival_invest.engines.sql_grouped`, :mod:`~survival_invest.engines.sql_spark`);
    the tests compare them with this one.

    Parameters
    ----------
    status : str
        The status query (:func:`status_sql`).
    cutoff : int
        The last complete period.
    lookback : int
        Analysis periods read before entry (the benefit at entry).
    src_lookback, src_reset : int
        The prior-support clock at the source frequency.

    Returns
    -------
    list of (name, sql)
    """
    combine = f"""
        SELECT m.member AS member, CASE WHEN pr.person_id IS NULL THEN 0 ELSE 1 END AS present,
               g.t_c AS t_c, COALESCE(g.dup_rows, 0) AS dup_rows, g.exit_mid AS exit_mid, g.last_on AS last_on,
               g.entry_code_key AS entry_code_key,
               CASE WHEN q.last_prior IS NULL OR -q.last_prior - 1 >= {src_reset} THEN 0
                    ELSE q.prior_total - COALESCE(q.prior_before_break, 0) END AS prior_periods
        FROM members m
        LEFT JOIN m_win g ON g.member = m.member
        LEFT JOIN p_win q ON q.member = m.member
        LEFT JOIN present pr ON pr.person_id = m.person_id
    """
    return [
        ("present", "SELECT DISTINCT person_id FROM spells WHERE person_id IN (SELECT person_id FROM members)"),
        ("m_win", member_sql(status=status, cutoff=cutoff, lookback=lookback)),
        ("p_win", prior_sql(lookback=src_lookback, reset=src_reset)),
        ("m_agg", combine),
    ]


def units_sql(*, status: str, cutoff: int) -> str:
    """Support units per (case, group, month, t, benefit group, prior periods) over kept members' follow-up.

    Every followed period with a support unit counts (weeks on support of a rolled-up month), whatever the
    month rule: the occupancy share is weeks on support / weeks in the month.
    """
    return f"""
    SELECT p.case_id AS case_id, p.grp AS grp, st.period AS month, st.period - p.entry AS t,
           p.benefit_group AS benefit_group, p.prior_key AS prior_periods, SUM(st.units) AS units
    FROM kept p
    JOIN ({status}) st ON st.person_id = p.person_id
    WHERE st.units > 0 AND st.period >= p.entry AND st.period <= {cutoff} AND st.period - p.entry < p.followed
    GROUP BY p.case_id, p.grp, st.period, st.period - p.entry, p.benefit_group, p.prior_key
    """


def aggregate_sqls() -> dict[str, str]:
    """The small output aggregates over ``kept`` (kept members with keys) and ``outcome`` (all members)."""
    return {
        "survival": """
            SELECT case_id, grp, duration AS t, SUM(event) AS events, SUM(1 - event) AS censored
            FROM kept GROUP BY case_id, grp, duration
        """,
        "lengths": """
            SELECT case_id, grp, entry, benefit_group, prior_key AS prior_periods, 'followed' AS kind,
                   followed AS length, COUNT(*) AS n
            FROM kept GROUP BY case_id, grp, entry, benefit_group, prior_key, followed
        """,
        "participants": """
            SELECT case_id, grp, entry, benefit_group, prior_key AS prior_periods, event, duration, followed,
                   COUNT(*) AS n
            FROM kept WHERE grp = 1
            GROUP BY case_id, grp, entry, benefit_group, prior_key, event, duration, followed
        """,
        "summary": """
            SELECT case_id, grp,
                COUNT(*) AS memberships,
                SUM(no_spells) AS excluded_no_spell_data,
                SUM(censored_at_entry) AS excluded_censored_at_entry,
                SUM(too_short) AS excluded_too_short_for_durable_exit,
                SUM(keep) AS persons,
                SUM(CASE WHEN keep = 1 AND event = 1 AND duration = 0 THEN 1 ELSE 0 END) AS off_support_at_entry,
                SUM(CASE WHEN keep = 1 THEN event ELSE 0 END) AS events,
                SUM(CASE WHEN keep = 1 AND event = 0 AND by_code = 0 THEN 1 ELSE 0 END) AS censored_cut_off,
                SUM(CASE WHEN keep = 1 AND event = 0 AND by_code = 1 THEN 1 ELSE 0 END) AS censored_code
            FROM outcome GROUP BY case_id, grp
        """,
    }


def kept_sql() -> str:
    """Members kept in the cohort, with their keys for the kroner (benefit group, prior periods: participants only)."""
    return """
        SELECT o.member AS member, o.case_id AS case_id, o.grp AS grp, m.person_id AS person_id, o.entry AS entry,
               o.event AS event, o.duration AS duration, o.followed AS followed,
               CASE WHEN o.grp = 1 THEN COALESCE(c.benefit_group, '') ELSE '' END AS benefit_group,
               CASE WHEN o.grp = 1 THEN o.prior_periods ELSE -1 END AS prior_key
        FROM outcome o
        JOIN members m ON m.member = o.member
        LEFT JOIN codes c ON c.code_id = o.code_id
        WHERE o.keep = 1
    """


def outcome_sql(persons: str) -> str:
    """Add the ``keep`` flag to :func:`persons_sql`."""
    return f"""
        SELECT x.*, CASE WHEN no_spells = 0 AND censored_at_entry = 0 AND too_short = 0 THEN 1 ELSE 0 END AS keep
        FROM ({persons}) x
    """
