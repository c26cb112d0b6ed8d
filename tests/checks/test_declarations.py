"""The shipped rubric, the schema every rubric is validated against, declares what the checks take."""

from __future__ import annotations

from grader.checks import ALL_CHECKS, declared_params
from grader.rubric import declared_params as rubric_schema


def test_the_shipped_rubric_names_every_check_in_report_order() -> None:
    assert list(rubric_schema()) == [c.name for c in ALL_CHECKS]


def test_each_check_takes_exactly_the_parameters_and_types_of_the_shipped_rubric() -> None:
    schema, declared = rubric_schema(), declared_params()
    for name, params in declared.items():
        assert dict(schema[name]) == dict(params), name
