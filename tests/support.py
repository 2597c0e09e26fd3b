"""Helpers and test card data shared by the suites (imported as `support`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEST_KEY = "ab" * 32
# Test cards (valid Luhn, never real): searched for in files and logs by the card-data tests.
VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
DECLINED_CARD = "4000000000000002"
TEST_CVV = "737"


def init_app(
    home: Path, *, base_url: str = "http://127.0.0.1:8765", list_mode: str = "blacklist"
) -> Any:
    from edge_app.services import App, InitSettings

    return App.init(
        home,
        InitSettings(
            store_id="store-1",
            environment="sandbox",
            username="cashier@example.com",
            base_url=base_url,
            list_mode=list_mode,
        ),
    )


def capture_sales(app: Any, count: int, card: str = VISA, amount: str = "10.00") -> list[str]:
    """Queue `count` HKD sales on `card`; their uuids."""
    return [
        app.capture_sale(
            amount=amount, currency="HKD", card_number=card, expiry="2912", cvv=TEST_CVV
        ).uuid
        for _ in range(count)
    ]


def listed_cards(app: Any) -> set[str]:
    """The store's card list as masked numbers (full numbers never leave the database)."""
    return {entry.masked for entry in app.iter_card_list_entries() if entry.desired}


def masked(numbers: Any) -> set[str]:
    from edge_app.domain.card import mask_card_number

    return {mask_card_number(n) for n in numbers}


def files_containing(root: Path, needles: list[str]) -> list[str]:
    """Every file under root holding any needle as plain bytes (or UTF-16, as some tools write)."""
    hits = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for needle in needles:
            if needle.encode() in data or needle.encode("utf-16-le") in data:
                hits.append(f"{path.relative_to(root)} holds {needle[:4]}…")
    return hits
