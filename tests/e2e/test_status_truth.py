"""What `status`, `status --json` and `attention` say about a store day: everything that waits is
counted, and a decline or a held record needs a person until a manager has seen it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import MASTERCARD, VISA

from edge_app.sync.engine import EXIT_NEEDS_PERSON

FAST = {"query_interval": 0.1, "pending_wait": 3.0}
AMEX = "378282246310005"


def sale(app: Any, amount: str, card: str = VISA, currency: str = "HKD") -> str:
    return str(
        app.capture_sale(amount=amount, currency=currency, card_number=card, expiry="2912").uuid
    )


def store_day(app: Any, gateway: Any) -> dict[str, str]:
    """Two sales accepted and one declined; then, offline, new sales, a refund, a void and three
    card-list changes that all wait."""
    gateway.set_options(decline_cards=frozenset({MASTERCARD}))
    refunded, voided = sale(app, "200.00"), sale(app, "30.00")
    declined = sale(app, "20.00", MASTERCARD)
    assert app.sync(**FAST).exit_code == EXIT_NEEDS_PERSON
    sale(app, "10.00")
    sale(app, "48.00", AMEX)
    sale(app, "5.00", currency="USD")
    app.capture_refund(refunded, "100.00")
    app.capture_void(voided)
    app.blocklist_add(["4000056655665556", "5200828282828210", "4012888888881881"])
    return {"declined": declined}


def test_status_counts_every_kind_that_waits_and_the_decline_until_a_manager_saw_it(
    online_app: Any, gateway: Any
) -> None:
    ids = store_day(online_app, gateway)
    status = online_app.status()
    assert status["waiting"] == {
        "sales": {"HKD": "58.00", "USD": "5.00"},
        "refunds": {"HKD": "100.00"},
        "voids": 1,
        "card_list_changes": 3,
        "sale_count": 3,
        "refund_count": 1,
        "records": 5,
    }
    assert status["needs_attention"] == 1
    [item] = status["attention"]
    assert item["uuid"] == ids["declined"]
    assert (item["state"], item["declined"], item["amount"], item["currency"]) == (
        "failed",
        True,
        "20.00",
        "HKD",
    )
    assert item["masked_card"] == "555555******4444"
    assert isinstance(status["oldest_waiting_seconds"], int)
    assert 0 <= status["oldest_waiting_seconds"] < 600
    assert online_app.mark_seen([ids["declined"]]) == 1
    assert online_app.status()["needs_attention"] == 0
    assert online_app.mark_seen([ids["declined"]]) == 0  # once
    trail = [row[1] for row in online_app.store.audit_trail(ids["declined"])]
    assert trail[-1] == "seen"


def test_status_text_shows_waiting_last_sync_and_attention_and_attention_marks_seen(
    online_app: Any, gateway: Any, home: Path, cli_in_process: Any
) -> None:
    ids = store_day(online_app, gateway)
    text = cli_in_process(home, "status")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert (
        "Waiting to send: 3 sale(s) HKD 58.00, USD 5.00, 1 refund(s) -HKD 100.00, 1 void(s), "
        "3 card list change(s)"
    ) in lines
    assert any(line.startswith("Oldest waiting: ") for line in lines)
    assert any(line.startswith("Last sync: ") and "needs_attention" in line for line in lines)
    assert "Needs attention: 1" in lines
    [declined] = [line for line in lines if line.startswith("  Declined sale HKD 20.00")]
    assert "555555******4444" in declined and ids["declined"] in declined
    assert MASTERCARD not in text.stdout
    listed = json.loads(cli_in_process(home, "attention", "--json").stdout)
    assert listed["needs_attention"] == 1
    marked = cli_in_process(home, "attention", "--all-seen")
    assert (marked.returncode, marked.stdout.strip()) == (0, "Marked 1 failed record(s) as seen.")
    after = json.loads(cli_in_process(home, "status", "--json").stdout)
    assert (after["needs_attention"], after["attention"]) == (0, [])


def hold_one(app: Any, gateway: Any) -> str:
    """A sale the gateway refuses for its content while the others of its batch pass: held."""
    gateway.set_options(refuse_cards=frozenset({MASTERCARD}))
    for _ in range(3):
        sale(app, "1.00")
    held = sale(app, "12.00", MASTERCARD)
    app.sync(**FAST)
    assert app.store.get(held).state.value == "held"
    return held


def test_a_held_record_needs_attention_until_give_up(online_app: Any, gateway: Any) -> None:
    held = hold_one(online_app, gateway)
    status = online_app.status()
    assert status["needs_attention"] == 1
    assert status["attention"][0]["state"] == "held"
    assert status["waiting"]["records"] == 0  # it waits for a manager, not for the next sync
    assert online_app.mark_seen([held]) == 0  # seeing it is not enough: it needs a decision
    assert online_app.status()["needs_attention"] == 1
    online_app.give_up_held(held)
    assert online_app.store.get(held).state.value == "failed"
    assert online_app.status()["needs_attention"] == 0  # the manager decided it


def test_a_record_sent_again_by_a_manager_needs_attention_again_if_it_is_declined(
    online_app: Any, gateway: Any
) -> None:
    held = hold_one(online_app, gateway)
    online_app.retry_failed(held)
    assert online_app.status()["needs_attention"] == 0
    assert online_app.status()["waiting"]["sale_count"] == 1
    gateway.set_options(refuse_cards=frozenset(), decline_cards=frozenset({MASTERCARD}))
    online_app.sync(**FAST)
    assert online_app.store.get(held).state.value == "failed"
    [item] = online_app.status()["attention"]
    assert (item["uuid"], item["declined"]) == (held, True)


def test_differences_reconcile_found_need_attention_until_a_manager_resolves_them(
    online_app: Any, gateway: Any, home: Path, cli_in_process: Any
) -> None:
    uploaded = [sale(online_app, "10.00"), sale(online_app, "11.00")]
    online_app.sync(**FAST)
    gateway.set_options(disagree={uploaded[0]: "amount"})
    assert cli_in_process(home, "reconcile").returncode == 3
    status = online_app.status()
    assert (status["gateway_differences"], status["needs_attention"]) == (1, 1)
    listed = cli_in_process(home, "attention")
    [line] = [x for x in listed.stdout.splitlines() if x.startswith("  Difference ")]
    assert uploaded[0] in line
    number = line.split()[1]
    refused = cli_in_process(home, "attention", "--resolve", number)  # no note: refused
    assert refused.returncode == 2 and "what was done" in refused.stderr
    done = cli_in_process(home, "attention", "--resolve", number, "--note", "amount fixed")
    assert (done.returncode, done.stdout.strip()) == (0, f"Difference {number} resolved.")
    assert online_app.status()["needs_attention"] == 0
