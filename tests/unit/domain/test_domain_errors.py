"""ValidationError and FormErrors."""

from __future__ import annotations

import pickle

import pytest

from edge_app.domain.errors import FormErrors, ValidationError


def test_validation_error_is_a_value_error_with_message_and_field() -> None:
    error = ValidationError("Amount must be greater than zero.", "amount")
    assert isinstance(error, ValueError)
    assert str(error) == "Amount must be greater than zero."
    assert error.message == "Amount must be greater than zero."
    assert error.field == "amount"
    assert ValidationError("Plain.").field is None


def test_form_errors_keep_every_field_in_order_and_lead_with_the_first() -> None:
    error = FormErrors({"currency": "Unknown currency.", "amount": "Amount is required."})
    assert isinstance(error, ValidationError)
    assert list(error.errors) == ["currency", "amount"]
    assert error.field == "currency"
    assert str(error) == "Unknown currency."


def test_form_errors_need_at_least_one_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        FormErrors({})


def test_errors_survive_pickling() -> None:
    single = pickle.loads(pickle.dumps(ValidationError("Bad.", "cvv")))  # noqa: S301
    assert (single.message, single.field) == ("Bad.", "cvv")
    blob = pickle.dumps(FormErrors({"a": "A is bad.", "b": "B is bad."}))
    form = pickle.loads(blob)  # noqa: S301
    assert form.errors == {"a": "A is bad.", "b": "B is bad."}
    assert str(form) == "A is bad."
