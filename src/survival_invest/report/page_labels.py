"""The page's texts: section headings, captions, alt texts, the risk table and the PDF's header, both languages.

Part of the report's one label table (:data:`survival_invest.report.i18n.LABELS`
merges them); read them through :func:`survival_invest.report.i18n.label`.
Kept apart so that each module stays short. Here: the texts *around* the
tables and figures (headings, captions and notes under the tables, alt texts,
the risk table, the portfolio interval's rule, the run's warnings heading, the
PDF's running header, page numbers and missing-PDF warning). In
:mod:`survival_invest.report.i18n`: the words *in* them (row, kind and measure
names, sheet names, settings, figures, summary sentences). A key is in one of
the two only.
"""

from __future__ import annotations

from collections.abc import Mapping

from survival_invest.choices import Language

__all__ = ["PAGE_LABELS"]

#: key -> language -> text (templates with ``{fields}``, filled by :func:`~survival_invest.report.i18n.label`).
PAGE_LABELS: Mapping[str, Mapping[Language, str]] = {
    "development_budget": {"da": "budget til dato (stiplet)", "en": "budget to date (dashed)"},
    "development_caption": {
        "da": "Realiseret besparelse til datagrænsen, alle år, for hver opgørelsesmåned (fuld linje) og budgettet til "
        "dato (stiplet: et års budget fordelt ligeligt på årets måneder frem til datagrænsen). Vist til og med "
        "rapportens opgørelsesmåned. Besparelser vises her som positive beløb (i tabellerne negative).",
        "en": "Realised savings to the data cut-off, all years, at each as-of month (solid line) and the budget to date "
        "(dashed: a year's budget spread evenly over its months up to the cut-off). Shown up to the report's as-of "
        "month. Savings are shown as positive amounts here (negative in the tables).",
    },
    "alt_development": {
        "da": "Linjediagram: realiseret besparelse og budget til dato pr. sag og opgørelsesmåned ({months}).",
        "en": "Line chart: realised savings and budget to date per case and as-of month ({months}).",
    },
    "alt_case": {
        "da": "Overlevelseskurver for sag {id}: andel på forsørgelse efter måneder siden start for sammenligning og "
        "indsats, med 95 %-bånd og arealet mellem kurverne til {tau} mdr. Tallene står i tabellerne nedenfor.",
        "en": "Survival curves of case {id}: share on support by months since entry for comparison and intervention, "
        "with 95 % bands and the area between the curves to {tau} months. The figures are in the tables below.",
    },
    # the page's sections and tables (report.layout, report.summary)
    "heading_summary": {"da": "Sammenfatning", "en": "Summary"},
    "heading_portfolio_all": {
        "da": "Porteføljen: budget, realiseret og forventet",
        "en": "Portfolio: budget, realised and forecast",
    },
    "heading_warnings": {"da": "Advarsler fra kørslen", "en": "Warnings from the run"},
    "warnings_note": {
        "da": "Som de står i kørslens log og run.json (tekniske beskeder på engelsk).",
        "en": "As they stand in the run's log and run.json.",
    },
    "heading_key_figures": {"da": "Nøgletal for porteføljen", "en": "Key figures of the portfolio"},
    "heading_cases": {"da": "Sagerne", "en": "The cases"},
    "measure": {"da": "Post", "en": "Item"},
    "kind": {"da": "Opgørelse", "en": "Figure"},
    "year": {"da": "År", "en": "Year"},
    "interval": {"da": "({lower}; {upper})", "en": "({lower}, {upper})"},
    "caption_portfolio_all": {
        "da": "{unit}; investering positiv, besparelser negative, besparelse i alt = investering + besparelse "
        "(negativ: besparelsen er større end investeringen). Realiseret: til datagrænsen (et igangværende år er "
        "år-til-dato). Forventet: hele året. I parentes: 95 %-interval. {rule}",
        "en": "{unit}; investment positive, savings negative, net = investment + savings (negative: savings exceed "
        "the investment). Realised: to the data cut-off (a year in progress is year-to-date). Forecast: the whole "
        "year. In brackets: 95 % interval. {rule}",
    },
    "rule_independent": {
        "da": "Porteføljens interval lægger sagernes usikkerhed sammen som uafhængig (ingen person er med i to sager).",
        "en": "The portfolio's interval adds the cases' uncertainty as independent (no person is in two cases).",
    },
    "rule_joint": {
        "da": "Nogle personer er med i flere sager; porteføljens interval tager højde for det (usikkerheden lagt "
        "sammen pr. person på tværs af sagerne).",
        "en": "Some persons are in several cases; the portfolio's interval allows for it (the uncertainty added up "
        "per person across the cases).",
    },
    "rule_shared": {
        "da": "Nogle personer er med i flere sager; porteføljens interval lægger derfor sagernes intervaller sammen "
        "(forsigtigt: aldrig for smalt).",
        "en": "Some persons are in several cases, so the portfolio's interval adds the cases' intervals "
        "(conservative: never too narrow).",
    },
    "portfolio_left_out": {
        "da": "{kind} {year} omfatter ikke {cases}: undertrykt, uden kurveopgørelse eller endnu ikke opgjort.",
        "en": "{kind} {year} leaves out {cases}: suppressed, not curve-based or not yet measured.",
    },
    "caption_key_figures": {
        "da": "Besparelse pr. investeret krone = besparelse på forsørgelse i alt ÷ investering i alt (alle år). "
        "Første år med positivt akkumuleret resultat: det første år, hvor den akkumulerede besparelse er mindst lige "
        "så stor som den akkumulerede investering.",
        "en": "Savings per krone invested = total savings ÷ total investment (all years). First year with positive "
        "cumulative result: the first year in which cumulative savings are at least the cumulative investment.",
    },
    "caption_case_all": {
        "da": "{unit}; investering positiv, besparelser negative, besparelse i alt = investering + besparelse. "
        "Realiseret: opgjort til datagrænsen (et igangværende år er år-til-dato). Forventet: kurvebaseret skøn for "
        "hele året (faktisk tilgang til datagrænsen, planlagt tilgang derefter). Sparede fuldtidspersoner i personer. "
        "I parentes: 95 %-interval.",
        "en": "{unit}; investment positive, savings negative, net = investment + savings. Realised: to the data "
        "cut-off (a year in progress is year-to-date). Forecast: curve-based estimate of the whole year (actual "
        "inflow to the cut-off, planned inflow after). Saved full-time persons in persons. In brackets: 95 % interval.",
    },
    "caption_case_short": {
        "da": "{unit}. I parentes: 95 %-interval. Læsevejledning: afsnittet Sagerne.",
        "en": "{unit}. In brackets: 95 % interval. How to read it: the section The cases.",
    },
    # the risk table under a case's figure (report.risk)
    "risk_heading": {"da": "Antal i risiko, afgange og censurerede", "en": "Numbers at risk, events and censored"},
    "risk_group": {"da": "Gruppe", "en": "Group"},
    "risk_month": {"da": "Måned {t}", "en": "Month {t}"},
    "risk_at_risk": {"da": "I risiko", "en": "At risk"},
    "risk_events": {"da": "Afgange hidtil", "en": "Events so far"},
    "risk_censored": {"da": "Censurerede hidtil", "en": "Censored so far"},
    "risk_caption": {
        "da": "Måneder siden start. I risiko: stadig fulgt; afgange og censurerede: før måneden. <{min_persons} : "
        "tallet, eller forskellen til nabotallet, bygger på færre end {min_persons} personer.",
        "en": "Months since entry. At risk: still followed; events and censored: before the month. <{min_persons} : "
        "the count, or its difference from the next one, rests on fewer than {min_persons} persons.",
    },
    # the PDF's running header and footer (report.layout)
    "pdf_header": {
        "da": "Opgørelsesmåned {as_of} · datagrænse {cutoff} · {price}",
        "en": "As-of {as_of} · data cut-off {cutoff} · {price}",
    },
    "pdf_page": {"da": "Side", "en": "Page"},
    "pdf_of": {"da": "af", "en": "of"},
    "pdf_missing": {
        "da": "PDF ikke skrevet: {reason}. HTML-rapporten er skrevet.",
        "en": "PDF not written: {reason}. The HTML report is written.",
    },
}
