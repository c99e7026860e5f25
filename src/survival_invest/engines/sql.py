"""The cohort rules of :func:`survival_invest.build_cohort` as SQL, for DuckDB and Spark.

One text serves both engines: it uses only what DuckDB and Spark SQL share
(CTEs, ``CASE``, ``COALESCE``, ``LEAST``, window frames ``ROWS BETWEEN
UNBOUNDED PRECEDING AND 1 PRECEDING``, ``%``), no dialect functions. The
engines register five relations and run the statements below:

``spells``   person_id, period, benefit           (the extract; Parquet/CSV, any size)
``members``  member, case_id, grp, person_id, entry, k   (from the memberships file: small)
``pmap``     raw_period, src_period, period, wim  (distinct period labels -> numbers)
``codes``    benefit, code_id, is_support, is_censor, benefit_group

Rules (identical to :mod:`survival_invest.cohort`; ``t = period - entry``):

* status per person and analysis period: weekly data rolled up to months by
  the month of the week's Thursday (``pmap``); ``units`` = weeks on support
  (or 1 when the data are at the analysis frequency); on support by
  ``month_rule``; a censor week makes a censor month; the period's code is its
  first support week's code, else its first week's.
* per member (one pass, windows partitioned by member and ordered by ``t``):
  ``t_c`` = first censor period at ``t >= 0``; follow-up ends at
  ``min(cut-off - entry, t_c - 1)``; the exit is the first gap of ``>= k``
  periods between on-support periods at ``t >= 0`` (the first gap starts at
  ``t = -1``), or a run of ``>= k`` off periods at the end of follow-up;
  prior support = units on support before entry since the last break of
  ``reset`` periods within ``lookback`` periods, 0 after a break just before
  entry; the benefit at entry is the code of the latest on-support period
  ``t <= 0``.
* exclusions: no spell row at all, censored at entry, too short to see a
  durable exit — counted per group, never dropped silently.

Two scans of the extract carry the work: the member pass (window) and the
units pass (hash join and aggregate); the output is the four small aggregates
of :mod:`survival_invest.stats`.
"""

from __future__ import annotations

#: Far beyond any duration (periods), standing in for "never".
NEVER = 1 << 40
#: Offset that keeps ``t`` positive when packing (t, code) into one integer.
T_OFFSET = 100_000
CODE_BASE = 1_000_000


def status_sql(*, rollup: bool, month_rule: str, lo: int, hi: int) -> str:
    """Per person and analysis period: on (0/1), censor (0/1), units, code_id, dup rows.

    Only persons in ``members`` and periods in ``[lo, hi]`` are read.

    Parameters
    ----------
    rollup : bool
        Weekly spells rolled up to months (the week's month is its Thursday's).
    month_rule : {"any", "majority", "all"}
        When a rolled-up month is on support: any week, at least half of its
        weeks, or all of them.
    lo, hi : int
        The first and last analysis period read.

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
          AND s.person_id IN (SELECT person_id FROM members)
    """
    if not rollup:
        return f"""
        SELECT person_id, period, is_support AS on_flag, is_censor AS censor, is_support AS units,
               code_id, 0 AS dups
        FROM ({base}) b
        """
    on = {"any": "units > 0", "majority": "2 * units >= wim", "all": "units >= wim"}[month_rule]
    return f"""
        SELECT person_id, period, CASE WHEN {on} THEN 1 ELSE 0 END AS on_flag, censor, units, code_id, dups
        FROM (
            SELECT person_id, period, MIN(wim) AS wim,
                   SUM(is_support) AS units,
                   MAX(is_censor) AS censor,
                   MIN((1 - is_support) * {CODE_BASE} * {CODE_BASE} + src_period * {CODE_BASE} + code_id) % {CODE_BASE}
                       AS code_id,
                   COUNT(*) - COUNT(DISTINCT src_period) AS dups
            FROM ({base}) b
            GROUP BY person_id, period
        ) g
    """


def member_sql(*, status: str, cutoff: int, lookback: int, reset: int) -> str:
    """One row per member: censoring, exit, last on-support period, prior units, benefit code, dup rows.

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
    lookback, reset : int
        The prior-duration clock (:func:`survival_invest.cohort.rules.lookback_reset`).

    Returns
    -------
    str
        A SQL query text.
    """
    return f"""
    WITH j AS (
        SELECT m.member AS member, m.person_id AS person_id, m.k AS k, st.period - m.entry AS t, st.on_flag AS on_flag, st.censor AS censor,
               st.units AS units, st.code_id AS code_id, st.dups AS dups
        FROM members m JOIN ({status}) st ON st.person_id = m.person_id
        WHERE st.period >= m.entry - {lookback} AND st.period <= {cutoff}
    ),
    w AS (
        SELECT member, person_id, k, t, on_flag, censor, units, code_id, dups,
            MAX(CASE WHEN on_flag = 1 THEN t END) OVER (
                PARTITION BY person_id, member ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_on,
            SUM(CASE WHEN on_flag = 1 AND t < 0 THEN units ELSE 0 END) OVER (
                PARTITION BY person_id, member ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior_before,
            MAX(t) OVER (
                PARTITION BY person_id, member ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_t,
            MIN(CASE WHEN censor = 1 AND t >= 0 THEN t END) OVER (PARTITION BY person_id, member) AS t_c
        FROM j
    ),
    f AS (
        SELECT member, person_id, k, t, on_flag, units, code_id, dups, prev_t, t_c,
            CASE WHEN on_flag = 1 AND t >= 0 AND t < COALESCE(t_c, {NEVER}) THEN 1 ELSE 0 END AS follow,
            GREATEST(COALESCE(prev_on, -1), -1) AS prev_f,
            CASE WHEN on_flag = 1 AND t < 0 AND t - COALESCE(prev_on, {-lookback - 1}) - 1 >= {reset}
                 THEN 1 ELSE 0 END AS brk,
            prior_before
        FROM w
    )
    SELECT member,
        MIN(t_c) AS t_c,
        SUM(dups) + SUM(CASE WHEN t = prev_t THEN 1 ELSE 0 END) AS dup_rows,
        MIN(CASE WHEN follow = 1 AND t - prev_f - 1 >= k THEN prev_f + 1 END) AS exit_mid,
        MAX(CASE WHEN follow = 1 THEN t END) AS last_on,
        SUM(CASE WHEN on_flag = 1 AND t < 0 THEN units ELSE 0 END) AS prior_total,
        MAX(CASE WHEN brk = 1 THEN prior_before END) AS prior_before_break,
        MAX(CASE WHEN on_flag = 1 AND t < 0 THEN t END) AS last_prior,
        MAX(CASE WHEN on_flag = 1 AND t <= 0 THEN (t + {T_OFFSET}) * {CODE_BASE} + code_id END) AS entry_code_key
    FROM f
    GROUP BY person_id, member
    """


def persons_sql(*, cutoff: int, reset: int) -> str:
    """Member table ``m_agg`` (from :func:`member_sql`) + ``members`` + ``present`` -> per-member outcome.

    Columns: member, case_id, grp, entry, excluded reason flags, event,
    duration, followed, by_code, prior_periods, code_id. (The participants'
    counted and in-spell lengths follow from event, duration and followed by
    :func:`survival_invest.stats.counted_and_spell`, applied to the grouped
    ``participants`` aggregate: the rule is stated once, in Python.)
    """
    return f"""
    WITH a AS (
        SELECT m.member AS member, m.case_id AS case_id, m.grp AS grp, m.entry AS entry, m.k AS k,
               CASE WHEN pr.person_id IS NULL THEN 1 ELSE 0 END AS no_spells,
               g.t_c AS t_c, g.exit_mid AS exit_mid, COALESCE(g.last_on, -1) AS last_on,
               COALESCE(g.prior_total, 0) AS prior_total, g.prior_before_break AS prior_before_break,
               g.last_prior AS last_prior, g.entry_code_key AS entry_code_key,
               LEAST({cutoff} - m.entry, COALESCE(g.t_c, {NEVER}) - 1) AS obs_end
        FROM members m
        LEFT JOIN m_agg g ON g.member = m.member
        LEFT JOIN present pr ON pr.person_id = m.person_id
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
        CASE WHEN last_prior IS NULL OR -last_prior - 1 >= {reset} THEN 0
             ELSE prior_total - COALESCE(prior_before_break, 0) END AS prior_periods,
        CASE WHEN entry_code_key IS NULL THEN -1 ELSE entry_code_key % {CODE_BASE} END AS code_id
    FROM c
    """


def units_sql(*, status: str, cutoff: int) -> str:
    """Support units per (case, group, month, t, benefit group, prior periods) over kept members' follow-up."""
    return f"""
    SELECT p.case_id AS case_id, p.grp AS grp, st.period AS month, st.period - p.entry AS t,
           p.benefit_group AS benefit_group, p.prior_key AS prior_periods, SUM(st.units) AS units
    FROM kept p
    JOIN ({status}) st ON st.person_id = p.person_id
    WHERE st.on_flag = 1 AND st.period >= p.entry AND st.period <= {cutoff} AND st.period - p.entry < p.followed
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
