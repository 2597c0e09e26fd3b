"""Refusals of bad input, phrased as one plain sentence for a person.

Messages never contain card data: callers refer to a card by its masked form only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class ValidationError(ValueError):
    """One refusal: `message` is the sentence shown to a person, `field` the input it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Keep pickling (e.g. across a process pool) working with the two-argument constructor.
        return (type(self), (self.message, self.field))


class FormErrors(ValidationError):
    """Every field's problem of one form, in the order the fields were checked.

    `message` and `field` are those of the first entry, so code that only knows
    `ValidationError` still shows a sensible sentence.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        if not errors:
            raise ValueError("FormErrors needs at least one field error.")
        self.errors: dict[str, str] = dict(errors)
        field, message = next(iter(self.errors.items()))
        super().__init__(message, field)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.errors,))


class FieldProblems:
    """Collects every field's problem of one form, in the order the fields are checked."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, field: str, rule: Callable[[str], T], text: str | None) -> T | None:
        """`rule(text)`, or None when there is no text or the rule refuses it (kept as
        `field`'s problem)."""
        if text is None:
            return None
        try:
            return rule(text)
        except ValidationError as exc:
            self.errors[field] = exc.message
            return None

    def add(self, field: str, message: str) -> None:
        self.errors[field] = message

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)
