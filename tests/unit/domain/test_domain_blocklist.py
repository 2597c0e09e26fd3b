"""Block-list rules."""

from __future__ import annotations

import pytest

from edge_app.domain.blocklist import (
    ListMode,
    check_card_against_list,
    parse_list_mode,
    pending_operation,
)
from edge_app.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("blacklist", ListMode.BLACKLIST),
        (" WhiteList ", ListMode.WHITELIST),
        ("none", ListMode.NONE),
    ],
)
def test_parse_list_mode(text: str, mode: ListMode) -> None:
    assert parse_list_mode(text) is mode


@pytest.mark.parametrize("text", ["", "block", "black list"])
def test_unknown_list_mode_is_refused(text: str) -> None:
    with pytest.raises(
        ValidationError, match=r"^List mode must be blacklist, whitelist or none\.$"
    ):
        parse_list_mode(text)


def test_cards_allowed_by_the_list() -> None:
    check_card_against_list(ListMode.BLACKLIST, False)
    check_card_against_list(ListMode.WHITELIST, True)
    check_card_against_list(ListMode.NONE, True)
    check_card_against_list(ListMode.NONE, False)


def test_blacklisted_card_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        check_card_against_list(ListMode.BLACKLIST, True)
    assert info.value.message == "This card is on the store's block list; ask for another card."
    assert info.value.field == "card_number"


def test_card_missing_from_the_whitelist_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        check_card_against_list(ListMode.WHITELIST, False)
    assert info.value.message == (
        "This card is not on the store's allowed list; ask for another card."
    )
    assert info.value.field == "card_number"


@pytest.mark.parametrize(
    ("desired", "on_gateway", "operation"),
    [(True, False, "add"), (False, True, "del"), (True, True, None), (False, False, None)],
)
def test_pending_operation(desired: bool, on_gateway: bool, operation: str | None) -> None:
    assert pending_operation(desired, on_gateway) == operation


@pytest.mark.parametrize("on_gateway", [True, False])
def test_a_card_in_doubt_gets_the_local_wish_sent_again(on_gateway: bool) -> None:
    assert pending_operation(True, on_gateway, in_doubt=True) == "add"
    assert pending_operation(False, on_gateway, in_doubt=True) == "del"
