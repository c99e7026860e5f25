"""Every Danish and English word of the report, and how numbers are written, in one table.

The HTML page, the Excel sheets, the case figures, the development plot and
the case, portfolio and targets tables take their labels from :data:`LABELS`
through :func:`label`, and their numbers from :func:`format_mkr`,
:func:`decimal_text` and :func:`format_count`. A new language is a new column
here (and a new value of :data:`survival_invest.choices.Language`), nothing
else.

Labels with fields are :meth:`str.format` templates (``"horisont {tau} mdr."``);
:func:`label` fills them.

Which labels live where: this module holds the words *in* the tables, sheets
and figures (row, kind and measure names, sheet names, the metadata table, the
settings line and its choices, the case figure, the horizon and tail texts, the
development plot's axes, the summary's sentences, the destinations);
:data:`survival_invest.report.page_labels.PAGE_LABELS` holds the page's own
texts *around* them (section headings, captions and notes, alt texts, the
risk table, the portfolio interval's rule, the PDF's header, footer and
warning). :data:`LABELS` merges both, and a key is in one of them only
(``tests/report/test_i18n.py``); read every label through :func:`label`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from survival_invest.choices import LANGUAGES, Language
from survival_invest.report.page_labels import PAGE_LABELS

__all__ = [
    "LABELS",
    "NUMBER_FORMATS",
    "NumberFormat",
    "decimal_text",
    "format_count",
    "format_mkr",
    "has_decimal_comma",
    "label",
    "row_decimals",
]

#: key -> language -> text. Keys are stable names used by the code; texts are what readers see.
#: The page's section, caption, risk-table and PDF texts live in :data:`survival_invest.report.page_labels.PAGE_LABELS`
#: and are part of this one table.
LABELS: Mapping[str, Mapping[Language, str]] = {
    # rows of the case, portfolio and targets tables (report.tables)
    "investment": {"da": "Investering i indsats", "en": "Investment in effort"},
    "savings": {"da": "Besparelse på forsørgelse", "en": "Savings on public support"},
    "net": {"da": "Besparelse i alt", "en": "Net result"},
    "saved_fte": {"da": "Sparede fuldtidspersoner", "en": "Saved full-time persons"},
    "refusion_part": {"da": "heraf refusionsomlægning", "en": "of which refusion reform"},
    "budget": {"da": "Budget", "en": "Budget"},
    "realised": {"da": "Realiseret", "en": "Realised"},
    "forecast": {"da": "Forventet", "en": "Forecast"},
    "total": {"da": "I alt", "en": "Total"},
    "savings_per_krone": {"da": "Besparelse pr. investeret krone", "en": "Savings per krone invested"},
    "payback_year": {
        "da": "Første år med positivt akkumuleret resultat",
        "en": "First year with positive cumulative result",
    },
    "payback_not_reached": {"da": "ikke nået inden {year}", "en": "not reached by {year}"},
    "reduction_target": {"da": "Reduktionsmål", "en": "Reduction target"},
    "delivered": {"da": "Initiativer i alt", "en": "Initiatives in total"},
    "outstanding": {"da": "Udestående", "en": "Outstanding"},
    "target_carried": {"da": "Reduktionsmål inkl. overført manko", "en": "Target incl. carried-forward shortfall"},
    "outstanding_carried": {
        "da": "Udestående inkl. overført manko",
        "en": "Outstanding incl. carried-forward shortfall",
    },
    "limit_lower": {"da": "nedre", "en": "lower"},
    "limit_upper": {"da": "øvre", "en": "upper"},
    "portfolio_forecast": {"da": "Porteføljens forventede besparelse", "en": "Portfolio forecast savings"},
    # sheet names of the workbook and headings of the page
    "case": {"da": "Sag", "en": "Case"},
    "sheet_targets": {"da": "Reduktionsmål", "en": "Reduction targets"},
    "sheet_portfolio": {"da": "Portefølje", "en": "Portfolio"},
    "sheet_results": {"da": "Resultater", "en": "Results"},
    "title": {"da": "Opfølgning på investeringscases {as_of}", "en": "Follow-up of investment cases {as_of}"},
    "heading_portfolio": {"da": "Porteføljen (budget)", "en": "Portfolio (budget)"},
    "heading_targets": {"da": "Reduktionsmål", "en": "Reduction targets"},
    "heading_development": {
        "da": "Udvikling i realiserede besparelser",
        "en": "Development of realised savings",
    },
    # the page's metadata table
    "as_of_month": {"da": "Opgørelsesmåned", "en": "As-of month"},
    "data_cutoff": {"da": "Datagrænse", "en": "Data cut-off"},
    "data_cutoff_value": {"da": "{cutoff} ({lag} mdr. forsinkelse)", "en": "{cutoff} (lag {lag} months)"},
    "price_level": {"da": "Prisniveau", "en": "Price level"},
    "price_level_value": {"da": "{year} p/l", "en": "{year} p/l"},
    "min_persons": {"da": "Mindste antal personer", "en": "Minimum persons"},
    "version": {"da": "Version", "en": "Version"},
    # captions of the page's tables
    "unit": {"da": "mio. kr., {price}", "en": "DKK million, {price}"},
    "caption_portfolio": {
        "da": "{unit}. Besparelser vist som positive beløb; resultat = besparelse − investering.",
        "en": "{unit}. Savings shown as positive amounts; net = savings − investment.",
    },
    "caption_targets": {
        "da": "{unit}. Reduktioner er negative beløb. Udestående = mål − leveret: negativ = mangler endnu, "
        "positiv = målet er mere end nået. I de to sidste rækker lægges et års manko til næste års mål.",
        "en": "{unit}. Reductions are negative amounts. Outstanding = target − delivered: negative = "
        "still missing, positive = target exceeded. The last two rows add a year's shortfall to the next year's target.",
    },
    "caption_case": {
        "da": "{unit}; investering positiv, besparelser negative, besparelse i alt = investering + besparelse. "
        "Realiseret: opgjort til datagrænsen (et igangværende år er år-til-dato). Forventet: kurvebaseret skøn for hele "
        "året (faktisk tilgang til datagrænsen, planlagt tilgang derefter). Sparede fuldtidspersoner i personer. "
        "Nedre/øvre: 95 %-grænser for den viste (fortegnsbærende) værdi.",
        "en": "{unit}; investment positive, savings negative, net = investment + savings. Realised: to the data cut-off "
        "(a year in progress is year-to-date). Forecast: curve-based estimate of the whole year (actual inflow to the "
        "cut-off, planned inflow after). Saved full-time persons in persons. Lower/upper: 95 % limits of the signed value.",
    },
    # a case's settings line on the page
    "setting_comparison": {"da": "sammenligning", "en": "comparison"},
    "setting_curve": {"da": "kurve", "en": "curve"},
    "setting_durable_exit": {  # the settings line said "varig afgang, perioder: 1", which a reader cannot decode
        "da": "varig afgang (perioder i træk uden forsørgelse)",
        "en": "durable exit (consecutive periods off support)",
    },
    "setting_horizon": {"da": "horisont, mdr.", "en": "horizon, months"},
    "setting_month_rule": {"da": "måned på forsørgelse (ugedata)", "en": "month on support (weekly data)"},
    "setting_participants": {"da": "deltagere", "en": "participants"},
    "setting_comparison_persons": {"da": "sammenligningspersoner", "en": "comparison persons"},
    "setting_uncertainty": {"da": "usikkerhed", "en": "uncertainty"},
    "uncertainty_delta": {"da": "delta-metode, 95 %", "en": "delta method, 95 %"},
    "setting_follow_up": {"da": "opfølgning", "en": "follow-up"},
    "setting_realised_basis": {"da": "realiseret besparelse i kr.", "en": "realised savings in kroner"},
    "basis_payments": {
        "da": "betalingsfilen: deltagernes udbetaling − refusion mod sammenligningsgruppens pr. varighed",
        "en": "the payment file: participants' payments − refusion against the comparison group's by duration",
    },
    "basis_cost_per_fte": {
        "da": "sparede måneder × omkostning pr. fuldtidsperson (efter refusion)",
        "en": "saved months × cost per full-time person (net of refusion)",
    },
    "follow_up_count": {
        "da": "optælling af placeringer × besparelse pr. placering (ingen kurver)",
        "en": "placements counted × saving per placement (no curves)",
    },
    # the case settings' choices (values of survival_invest.choices.Comparison and .Curve)
    "choice_non_participants": {"da": "ikke-deltagere i målgruppen", "en": "non-participants of the target group"},
    "choice_target_all": {
        "da": "hele målgruppen (inkl. deltagere)",
        "en": "the whole target group (participants included)",
    },
    "choice_matched": {
        "da": "matchede ikke-deltagere (samme måned, ydelse og varighed)",
        "en": "matched non-participants (same month, benefit and duration band)",
    },
    "choice_first_exit": {"da": "første afgang fra forsørgelse", "en": "first exit from support"},
    "choice_occupancy": {"da": "andel på forsørgelse (tilbagefald tæller)", "en": "share on support (returns count)"},
    "choice_any": {"da": "mindst én uge", "en": "any week"},
    "choice_majority": {"da": "mindst halvdelen af ugerne", "en": "at least half of the weeks"},
    "choice_all": {"da": "alle uger", "en": "all weeks"},
    # the case figure (report.plots)
    "curve_comparison": {"da": "Sammenligning", "en": "Comparison"},
    "curve_intervention": {"da": "Indsats", "en": "Intervention"},
    "figure_band": {"da": "95 % log-log-bånd ({curve})", "en": "95 % log-log band ({curve})"},
    "figure_area": {
        "da": "areal til {tau} mdr.: {value} mdr. pr. deltager [{lower}; {upper}]",
        "en": "area to {tau} months: {value} months per participant [{lower}, {upper}]",
    },
    "figure_cutoff": {
        "da": "datagrænse {cutoff} (længste opfølgning)",
        "en": "data cut-off {cutoff} (longest follow-up)",
    },
    "figure_horizon": {"da": "horisont {tau} mdr.", "en": "horizon {tau} months"},
    # the horizon of the curve-based figures (economics.horizon, report.horizon)
    "setting_horizon_to": {"da": "horisont", "en": "horizon"},
    "horizon_plain": {"da": "til {tau} mdr.", "en": "to {tau} months"},
    "horizon_last_observed": {"da": "til {tau} mdr. (sidst observeret)", "en": "to {tau} months (last observed)"},
    "horizon_extrapolated": {
        "da": "til {tau} mdr. (fra {start} mdr.: {tail}, ekstrapoleret)",
        "en": "to {tau} months (from {start} months: {tail}, extrapolated)",
    },
    "tail_flat": {"da": "flad hale", "en": "flat tail"},
    "tail_exponential": {"da": "eksponentiel hale", "en": "exponential tail"},
    "tail_weibull": {"da": "Weibull-hale", "en": "Weibull tail"},
    "tail_loglogistic": {"da": "log-logistisk hale", "en": "log-logistic tail"},
    "figure_area_to": {
        "da": "areal {horizon}: {value} mdr. pr. deltager [{lower}; {upper}]",
        "en": "area {horizon}: {value} months per participant [{lower}, {upper}]",
    },
    "figure_horizon_to": {"da": "horisont {horizon}", "en": "horizon {horizon}"},
    "figure_tail": {"da": "{curve}: ekstrapoleret ({tail})", "en": "{curve}: extrapolated ({tail})"},
    "figure_tail_hidden": {
        "da": "{curve}: ekstrapoleret del ikke vist (for få i risiko ved sidste observation)",
        "en": "{curve}: extrapolated part not drawn (too few at risk at the last observation)",
    },
    "extrapolated_part": {"da": "heraf ekstrapoleret (hale)", "en": "of which extrapolated (tail)"},
    "figure_x": {"da": "Måneder siden start", "en": "Months since entry"},
    "figure_y": {"da": "Andel på offentlig forsørgelse", "en": "Share on public support"},
    "figure_note": {
        "da": "kurver vises, mens mindst {min_persons} personer er i risiko; 95 % log-log-bånd",
        "en": "curves shown while at least {min_persons} persons are at risk; 95 % log-log bands",
    },
    "figure_at_risk": {"da": "Antal i risiko", "en": "Number at risk"},
    # the development plot
    "development_y": {"da": "Realiseret besparelse, mio. kr.", "en": "Realised savings, DKK million"},
    "development_not_shown": {
        "da": "Ikke vist (skøn undertrykt, for få personer): sag {cases}",
        "en": "Not shown (estimates suppressed, too few persons): case {cases}",
    },
    # the summary paragraph (report.summary); amounts in mio. kr., savings as positive amounts
    "summary_realised": {
        "da": "Til datagrænsen {cutoff} er der realiseret besparelser på forsørgelse for {value} mio. kr. "
        "(95 %-interval {lower} til {upper}) mod et budget til dato på {budget} mio. kr. for de samme sager.",
        "en": "To the data cut-off {cutoff}, realised savings on public support are DKK {value} million "
        "(95 % interval {lower} to {upper}) against a budget to date of DKK {budget} million for the same cases.",
    },
    "summary_net": {  # signed as the sentences around it: positive = saved (negative: the investment is larger)
        "da": "Fratrukket den realiserede investering er nettobesparelsen {value} mio. kr. (95 %-interval {lower} "
        "til {upper}) mod et budget til dato på {budget} mio. kr. (negativ: investeringen er større end besparelsen).",
        "en": "Net of the realised investment, the net savings are DKK {value} million (95 % interval {lower} to "
        "{upper}) against a budget to date of DKK {budget} million (negative: the investment exceeds the savings).",
    },
    "summary_no_investment": {
        "da": "Den realiserede investering kendes ikke (intet økonomiudtræk), så resultatet efter investering er "
        "ikke opgjort.",
        "en": "The realised investment is not known (no finance extract), so the result net of investment is not "
        "stated.",
    },
    "summary_forecast": {
        "da": "For hele {year} forventes besparelser for {value} mio. kr. (95 %-interval {lower} til {upper}) mod et "
        "budget på {budget} mio. kr.",
        "en": "For the whole of {year}, savings of DKK {value} million are forecast (95 % interval {lower} to "
        "{upper}) against a budget of DKK {budget} million.",
    },
    "summary_behind": {
        "da": "Under budgettet til dato med mere end usikkerheden: {cases}.",
        "en": "Below the budget to date by more than their interval: {cases}.",
    },
    "summary_none_behind": {
        "da": "Ingen sag ligger under budgettet til dato med mere end usikkerheden.",
        "en": "No case is below its budget to date by more than its interval.",
    },
    "summary_suppressed": {
        "da": "Undertrykt (for få personer): {cases}.",
        "en": "Suppressed (too few persons): {cases}.",
    },
    "summary_not_measured": {
        "da": "Uden realiseret opgørelse endnu: {cases}.",
        "en": "No realised figure yet: {cases}.",
    },
    "summary_case": {"da": "sag {id} ({name})", "en": "case {id} ({name})"},
    # issue 16: the adjusted comparison and the destinations (report.destinations, report.pages)
    "choice_adjusted": {
        "da": "ikke-deltagere i målgruppen, justeret for baggrund ({method}, {estimand})",
        "en": "non-participants of the target group, adjusted for covariates ({method}, {estimand})",
    },
    "uncertainty_adjusted": {
        "da": "influensfunktion for de justerede kurver (inkl. propensity- og udfaldsmodel)",
        "en": "influence function of the adjusted curves (propensity and outcome models included)",
    },
    "destinations_heading": {"da": "Hvor gik de hen?", "en": "Where did they go?"},
    "destinations_caption": {
        "da": "Andel efter afgangsårsag {months} måneder efter start (Aalen-Johansen)",
        "en": "Share by destination {months} months after entry (Aalen-Johansen)",
    },
    "destinations_suppressed": {"da": "færre end {n} personer", "en": "fewer than {n} persons"},
    "destinations_months": {"da": "Måneder siden start", "en": "Months since entry"},
    "destinations_share": {"da": "Andel afgået, efter årsag", "en": "Share left support, by destination"},
    "destinations_group": {"da": "Gruppe", "en": "Group"},
    "destinations_month": {"da": "Måned", "en": "Month"},
    "destination_job": {"da": "job", "en": "job"},
    "destination_education": {"da": "uddannelse (SU)", "en": "education (SU)"},
    "destination_flex_job": {"da": "fleksjob", "en": "flex job"},
    "destination_other": {"da": "anden selvforsørgelse", "en": "other self-support"},
    "destination_on_support": {"da": "stadig på forsørgelse", "en": "still on support"},
    "months_in_job": {"da": "Ekstra måneder i job", "en": "Extra months in job"},
    "months_in_education": {"da": "Ekstra måneder i uddannelse", "en": "Extra months in education"},
    "months_in_flex_job": {"da": "Ekstra måneder i fleksjob", "en": "Extra months in flex job"},
    "months_in_other": {"da": "Ekstra måneder i anden selvforsørgelse", "en": "Extra months in other self-support"},
    # an adjusted case's figure (report.adjusted)
    "curve_comparison_adjusted": {"da": "Sammenligning, justeret ({method})", "en": "Comparison, adjusted ({method})"},
    "curve_intervention_adjusted": {"da": "Indsats, justeret ({method})", "en": "Intervention, adjusted ({method})"},
    "figure_area_adjusted": {
        "da": "justeret areal ({method}, {estimand}) {horizon}: {value} mdr. pr. deltager [{lower}; {upper}]",
        "en": "adjusted area ({method}, {estimand}) {horizon}: {value} months per participant [{lower}, {upper}]",
    },
    "figure_band_wald": {"da": "95 % Wald-bånd: {curve}", "en": "95 % Wald band: {curve}"},
    "figure_note_adjusted": {
        "da": "kurver vises, mens mindst {min_persons} personer er i risiko; 95 % Wald-bånd (justerede kurver)",
        "en": "curves shown while at least {min_persons} persons are at risk; 95 % Wald bands (adjusted curves)",
    },
    "risk_observed": {"da": "{curve} (observeret, ujusteret)", "en": "{curve} (observed, unadjusted)"},
    **PAGE_LABELS,
}


@dataclass(frozen=True)
class NumberFormat:
    """How a language writes numbers: its decimal mark and its thousands separator."""

    decimal: str
    thousands: str


#: Danish: decimal comma and thousands point (1.234,568); English: 1,234.568.
NUMBER_FORMATS: Mapping[Language, NumberFormat] = {
    "da": NumberFormat(decimal=",", thousands="."),
    "en": NumberFormat(decimal=".", thousands=","),
}

#: Table rows whose label contains one of these words get this many decimals (either language).
_ROW_DECIMALS: Mapping[str, int] = {"fuldtidspersoner": 1, "full-time": 1, "første år": 0, "first year": 0}


def label(key: str, language: Language, **fields: object) -> str:
    """The text of ``key`` in ``language``, its ``{fields}`` filled when given.

    Parameters
    ----------
    key : str
        A key of :data:`LABELS`.
    language : {"da", "en"}
        The report's language.
    **fields
        Values for the template's ``{name}`` fields (:meth:`str.format`).

    Returns
    -------
    str

    Raises
    ------
    KeyError
        ``key`` is not in :data:`LABELS` or ``language`` not in :data:`~survival_invest.choices.LANGUAGES`.
    """
    try:
        text = LABELS[key][language]
    except KeyError:
        raise KeyError(f"no report label {key!r} in language {language!r} (languages: {LANGUAGES})") from None
    return text.format(**fields) if fields else text


def has_decimal_comma(language: Language) -> bool:
    """Whether ``language`` writes a decimal comma (then plots re-format their tick labels)."""
    return NUMBER_FORMATS[language].decimal == ","


def decimal_text(text: str, language: Language) -> str:
    """A number already formatted with a decimal point (``f"{x:.2f}"``), with the language's decimal mark."""
    return text.replace(".", NUMBER_FORMATS[language].decimal)


def format_mkr(value: float | None, language: Language = "da", decimals: int = 3) -> str:
    """Show an amount in mio. kr. with ``decimals`` decimals and the language's marks; NaN or None -> ``""``.

    ``format_mkr(1234.5678, "da") == "1.234,568"``, ``format_mkr(1234.5678, "en") == "1,234.568"``.

    Parameters
    ----------
    value : float or None
        The amount (rounded here, for display only).
    language : {"da", "en"}
        Whose decimal mark and thousands separator (:data:`NUMBER_FORMATS`).
    decimals : int
        Decimals shown.

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    fmt = NUMBER_FORMATS[language]
    return f"{value:,.{decimals}f}".translate(str.maketrans(",.", fmt.thousands + fmt.decimal))


def format_count(n: float) -> str:
    """A head count with a thousands point (``1.234``), as the case figure's at-risk rows show it in either language."""
    return f"{n:,.0f}".replace(",", ".")


def row_decimals(row_label: str, decimals: int) -> int:
    """Decimals of a table row: 1 for full-time persons, 0 for a year, else ``decimals`` (matched on the label)."""
    low = row_label.lower()
    for word, n in _ROW_DECIMALS.items():
        if word in low:
            return n
    return decimals
