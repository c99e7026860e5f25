"""The one label table: every key in both languages, no empty label, numbers written per language."""

from __future__ import annotations

import string

import pytest

from survival_invest.choices import COMPARISONS, CURVES, LANGUAGES
from survival_invest.report.i18n import (
    LABELS,
    NUMBER_FORMATS,
    decimal_text,
    format_count,
    format_mkr,
    has_decimal_comma,
    label,
    row_decimals,
)
from survival_invest.report.tables import LABELS as TABLE_LABELS


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(LABELS))
def test_every_key_has_both_languages_and_no_empty_label(key: str) -> None:
    assert set(LABELS[key]) == set(LANGUAGES)
    for language in LANGUAGES:
        assert LABELS[key][language].strip(), (key, language)


@pytest.mark.parametrize("key", sorted(LABELS))
def test_a_templates_fields_are_the_same_in_every_language(key: str) -> None:
    assert len({frozenset(_fields(LABELS[key][language])) for language in LANGUAGES}) == 1, key


def test_every_comparison_and_curve_choice_has_a_label() -> None:
    for choice in (*COMPARISONS, *CURVES):
        for language in LANGUAGES:
            assert label(f"choice_{choice}", language)


def test_label_fills_fields_and_names_an_unknown_key() -> None:
    assert label("figure_horizon", "da", tau="36") == "horisont 36 mdr."
    assert label("figure_horizon", "en", tau="36") == "horizon 36 months"
    assert label("figure_horizon", "da") == "horisont {tau} mdr."  # no fields: the template itself
    with pytest.raises(KeyError, match="no report label 'nope'"):
        label("nope", "da")


def test_number_formats() -> None:
    assert set(NUMBER_FORMATS) == set(LANGUAGES)
    assert format_mkr(1234.5678, "da") == "1.234,568"
    assert format_mkr(1234.5678, "en") == "1,234.568"
    assert format_mkr(-1234567.5, "da", 1) == "-1.234.567,5"
    assert format_mkr(float("nan")) == "" and format_mkr(None) == ""
    assert decimal_text("0.25", "da") == "0,25" and decimal_text("0.25", "en") == "0.25"
    assert has_decimal_comma("da") and not has_decimal_comma("en")
    assert format_count(1234) == "1.234"


def test_row_decimals_by_label() -> None:
    assert row_decimals(label("saved_fte", "da") + " (nedre)", 3) == 1
    assert row_decimals(label("saved_fte", "en"), 3) == 1
    assert row_decimals(label("payback_year", "en"), 3) == 0
    assert row_decimals(label("net", "da"), 3) == 3


def test_the_tables_labels_are_a_view_of_the_one_table() -> None:
    for language in LANGUAGES:
        for key, text in TABLE_LABELS[language].items():
            assert text == label(key, language)


def test_a_label_key_is_in_one_of_the_two_label_modules_only() -> None:
    import ast
    from pathlib import Path

    import survival_invest.report.i18n as i18n
    from survival_invest.report.page_labels import PAGE_LABELS

    tree = ast.parse(Path(i18n.__file__).read_text(encoding="utf-8"))
    own = next(
        n.value for n in ast.walk(tree) if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "LABELS"
    )
    keys = [k.value for k in own.keys if isinstance(k, ast.Constant)]  # type: ignore[union-attr]
    assert keys and not set(keys) & set(PAGE_LABELS)  # a page label must not silently replace a table label
    assert len(keys) == len(set(keys))


def test_the_durable_exit_setting_says_what_its_number_counts() -> None:
    assert label("setting_durable_exit", "da") == "varig afgang (perioder i træk uden forsørgelse)"
    assert label("setting_durable_exit", "en") == "durable exit (consecutive periods off support)"
