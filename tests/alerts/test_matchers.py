"""Label matchers: equality or anchored regex; a missing label is the empty string."""

from __future__ import annotations

import pytest

from alerts.matchers import LabelMatchers, check_label_name, check_matchers, is_regex


@pytest.mark.parametrize(
    ("value", "regex"),
    [("billing", False), ("billing|refunds", True), ("a.b", True), ("bill-ing_2", False),
     ("x*", True), ("(a)", True), ("[ab]", True), ("a\\b", True), ("", False)],
)  # fmt: skip
def test_a_value_with_a_metacharacter_is_a_regex(value: str, regex: bool) -> None:
    assert is_regex(value) is regex


MATCHES = [
    ({"queue": "billing"}, {"queue": "billing"}, True),
    ({"queue": "billing"}, {"queue": "billing2"}, False),
    ({"queue": "bill.*"}, {"queue": "billing"}, True),
    ({"queue": "bill"}, {"queue": "billing"}, False),  # equality, not a prefix
    ({"queue": "bill|ref"}, {"queue": "refunds"}, False),  # anchored: fullmatch
    ({"queue": "billing|refunds"}, {"queue": "refunds"}, True),
    ({"queue": ""}, {}, True),  # missing = empty
    ({"queue": ".*"}, {}, True),
    ({"queue": ".+"}, {}, False),
    ({"queue": "billing", "severity": "critical"}, {"queue": "billing"}, False),  # all of them
    ({"queue": "billing", "severity": "crit.*"},
     {"queue": "billing", "severity": "critical"}, True),
    ({}, {"queue": "anything"}, True),  # empty matches everything
]  # fmt: skip


@pytest.mark.parametrize(("matchers", "labels", "want"), MATCHES)
def test_matches(matchers: dict[str, str], labels: dict[str, str], want: bool) -> None:
    assert LabelMatchers.of(matchers).matches(labels) is want


def test_matchers_compile_in_label_order() -> None:
    compiled = LabelMatchers.of({"queue": "b.*", "alertname": "X"})
    assert [(m.name, m.pattern is not None) for m in compiled.items] == [
        ("alertname", False),
        ("queue", True),
    ]


@pytest.mark.parametrize("name", ["queue", "_x", "Queue_2"])
def test_valid_label_names(name: str) -> None:
    assert check_label_name(name) == name


@pytest.mark.parametrize("name", ["2queue", "que-ue", "", "a.b", "é"])
def test_invalid_label_names(name: str) -> None:
    with pytest.raises(ValueError, match=r"invalid label name .*: expected \[A-Za-z_\]"):
        check_label_name(name)


@pytest.mark.parametrize(
    ("matchers", "message"),
    [
        ({"queue": "(billing"}, "label 'queue': invalid regex '(billing'"),
        ({"bad-name": "x"}, "invalid label name 'bad-name'"),
    ],
)
def test_check_matchers_names_the_problem(matchers: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        check_matchers(matchers)


def test_check_matchers_returns_good_ones() -> None:
    good = {"queue": "billing|refunds", "severity": "critical"}
    assert check_matchers(good) is good
