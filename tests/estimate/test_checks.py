"""Input validation of the estimators: every bad input names argument, position and value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import InputError


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"durations": [1, -2, 3], "events": [1, 1, 1]}, r"durations must be non-negative; position 1 holds -2"),
        (
            {"durations": [1.0, np.nan, 3.0], "events": [1, 1, 1]},
            r"durations must be finite numbers; position 1 holds nan",
        ),
        (
            {"durations": [1.0, 2.0, np.inf], "events": [1, 1, 1]},
            r"durations must be finite numbers; position 2 holds inf",
        ),
        ({"durations": [1, 2, 3], "events": [1, 2, 0]}, r"events must be 0 or 1; position 1 holds 2"),
        ({"durations": [1, 2, 3], "events": [1, 0.5, 0]}, r"events must be 0 or 1; position 1 holds 0.5"),
        ({"durations": [1, 2, 3], "events": [1, 0, np.nan]}, r"events must be 0 or 1; position 2 holds nan"),
        ({"durations": [1, 2, 3], "events": [1, 0]}, r"events has length 2 but durations has length 3"),
        ({"durations": [], "events": []}, r"durations is empty"),
        (
            {"durations": [1, 2, 3], "events": [1, 1, 1], "entry": [0, 3, 1]},
            r"entry must not be after the duration; position 1 has entry 3.0 > duration 2",
        ),
        (
            {"durations": [1, 2, 3], "events": [1, 1, 1], "entry": [0, 2, 1]},
            r"event cannot happen at the entry time.*position 1",
        ),
        ({"durations": [1, 2, 3], "events": [1, 1, 1], "entry": [0, 1]}, r"entry has length 2"),
        (
            {"durations": [1, 2, 3], "events": [1, 1, 1], "weights": [1, -0.5, 1]},
            r"weights must be non-negative; position 1 holds -0.5",
        ),
        (
            {"durations": [1, 2, 3], "events": [1, 1, 1], "weights": [1, np.nan, 1]},
            r"weights must be finite numbers; position 1 holds nan",
        ),
        ({"durations": [1, 2, 3], "events": [1, 1, 1], "weights": [1, 1]}, r"weights has length 2"),
        ({"durations": ["1", "x", "3"], "events": [1, 1, 1]}, r"durations must be numeric; position 1 holds 'x'"),
        ({"durations": [[1, 2]], "events": [1]}, r"durations must be one-dimensional"),
        (
            {"durations": [1, 2, 3], "events": [1, 1, 1], "alpha": 1.5},
            r"'alpha' parameter of kaplan_meier must be in \(0, 1\). Got 1.5",
        ),
        (
            {"durations": [1, 2, 3], "events": [1, 1, 1], "ci": "logit"},
            r"'ci' parameter of kaplan_meier must be one of",
        ),
    ],
)
def test_bad_input_names_argument_position_and_value(kwargs: dict, pattern: str) -> None:
    durations = kwargs.pop("durations")
    events = kwargs.pop("events")
    with pytest.raises(InputError, match=pattern):
        si.kaplan_meier(durations, events, **kwargs)


def test_input_error_is_a_value_error_and_a_package_error() -> None:
    with pytest.raises(ValueError, match="must be non-negative"):
        si.kaplan_meier([-1], [1])
    with pytest.raises(si.SurvivalInvestError):
        si.kaplan_meier([-1], [1])


def test_pandas_nullable_missing_duration_is_reported() -> None:
    d = pd.Series([1, None, 3], dtype="Int64")
    with pytest.raises(InputError, match="durations must be finite numbers; position 1 holds nan"):
        si.kaplan_meier(d, [1, 1, 1])


def test_groups_errors() -> None:
    with pytest.raises(InputError, match="groups has length 2 but durations has length 3"):
        si.kaplan_meier_by([1, 2, 3], [1, 1, 1], ["a", "b"])
    with pytest.raises(InputError, match="groups must not be missing; position 1"):
        si.kaplan_meier_by([1, 2, 3], [1, 1, 1], np.array(["a", None, "b"], dtype=object))


def test_tau_errors() -> None:
    km = si.kaplan_meier([1, 2, 3], [1, 1, 1])
    with pytest.raises(InputError, match=r"'tau' parameter of rmst must be finite and >= 0; position 0 holds -1.0"):
        km.rmst(-1)
    with pytest.raises(InputError, match=r"'tau' parameter of area_between must be a single number"):
        si.area_between(km, km, [1, 2])
    with pytest.raises(InputError, match="comparison must be a SurvivalCurve"):
        si.area_between("x", km, 2)  # type: ignore[arg-type]  # a wrong type on purpose


def test_censored_subject_may_enter_at_its_own_duration() -> None:
    # entry == duration with censoring contributes nothing, and is not an error
    km = si.kaplan_meier([2, 3, 5], [1, 0, 1], entry=[0, 3, 0])
    ref = si.kaplan_meier([2, 5], [1, 1])
    np.testing.assert_allclose(km.survival_at([1, 2, 4, 5]), ref.survival_at([1, 2, 4, 5]))


def test_validation_does_not_change_global_numpy_state() -> None:
    before = np.geterr()
    _ = si.kaplan_meier([0, 1, 1, 2], [1, 1, 1, 1]).table
    assert np.geterr() == before
