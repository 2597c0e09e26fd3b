"""Card block-list rules: the store's list mode and what a capture or a sync does with it."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from edge_app.domain.errors import ValidationError, refusal


class ListMode(StrEnum):
    """How the store's card list is used (configured on the gateway; stated in the settings)."""

    BLACKLIST = "blacklist"
    WHITELIST = "whitelist"
    NONE = "none"


def parse_list_mode(text: str) -> ListMode:
    value = text.strip().lower()
    try:
        return ListMode(value)
    except ValueError:
        raise ValidationError(
            "List mode must be blacklist, whitelist or none.", "list_mode"
        ) from None


def check_card_against_list(mode: ListMode, listed: bool) -> None:
    """Refuse a card the store's list does not let through."""
    if mode is ListMode.BLACKLIST and listed:
        raise refusal("list.blocked", "card_number")
    if mode is ListMode.WHITELIST and not listed:
        raise refusal("list.not_allowed", "card_number")


def pending_operation(
    desired: bool, on_gateway: bool, in_doubt: bool = False
) -> Literal["add", "del"] | None:
    """What a sync must send for one card number so the gateway's list matches the local one.

    `in_doubt`: a request about this card went out without a known answer, so the gateway may
    hold it or not; the local wish is sent again (add and del are set operations, safe to
    repeat).
    """
    if in_doubt:
        return "add" if desired else "del"
    if desired and not on_gateway:
        return "add"
    if on_gateway and not desired:
        return "del"
    return None
