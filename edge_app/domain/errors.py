"""Refusals of bad input, phrased as one plain sentence for a person.

Messages never contain card data: callers refer to a card by its masked form only. A refusal
made with `refusal(id, field, **params)` also carries its `Msg` (see `messages.py`), so the
window can show it translated; `str()` stays the English sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from edge_app.domain.messages import Msg, msg

T = TypeVar("T")


class ValidationError(ValueError):
    """One refusal: `message` is the sentence shown to a person, `field` the input it is about.

    `msg` is the sentence by id and parameters when it was given as a `Msg` (else None).
    """

    def __init__(self, message: str | Msg, field: str | None = None) -> None:
        self.msg: Msg | None = message if isinstance(message, Msg) else None
        self.message = str(message)
        super().__init__(self.message)
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Keep pickling (e.g. across a process pool) working with the two-argument constructor.
        return (type(self), (self.msg or self.message, self.field))


def refusal(msg_id: str, field: str | None = None, **params: object) -> ValidationError:
    """A ValidationError for the sentence `messages.MESSAGES[msg_id]` with `params`."""
    return ValidationError(msg(msg_id, **params), field)


class FormErrors(ValidationError):
    """Every field's problem of one form, in the order the fields were checked.

    `message` and `field` are those of the first entry, so code that only knows
    `ValidationError` still shows a sensible sentence.
    """

    def __init__(self, errors: Mapping[str, str | Msg]) -> None:
        if not errors:
            raise ValueError("FormErrors needs at least one field error.")
        self.messages: dict[str, str | Msg] = dict(errors)
        self.errors: dict[str, str] = {name: str(text) for name, text in errors.items()}
        field, message = next(iter(self.messages.items()))
        super().__init__(message, field)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.messages,))


class FieldProblems:
    """Collects every field's problem of one form, in the order the fields are checked."""

    def __init__(self) -> None:
        self.errors: dict[str, str | Msg] = {}

    def check(self, field: str, rule: Callable[[str], T], text: str | None) -> T | None:
        """`rule(text)`, or None when there is no text or the rule refuses it (kept as
        `field`'s problem)."""
        if text is None:
            return None
        try:
            return rule(text)
        except ValidationError as exc:
            self.errors[field] = exc.msg or exc.message
            return None

    def add(self, field: str, message: str | Msg) -> None:
        self.errors[field] = message

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)
