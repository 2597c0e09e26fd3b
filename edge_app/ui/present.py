"""Plain-words texts for records, sync results and the status bar (no widgets here)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from edge_app.domain.transactions import HELD_DAYS
from edge_app.ui.i18n import tr

STATE_WORDS = {
    "queued": "Waiting to send",
    "uploading": "Sending",
    "pending": "Waiting for an answer",
    "held": "Held for a manager",
    "uploaded": "Accepted",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
KIND_WORDS = {"sale": "Sale", "void": "Void", "refund": "Refund"}
AGE_COLOURS = {"ok": "#1e7d32", "warn": "#b26a00", "refuse": "#b00020"}
STATE_COLOURS = {
    "failed": "#b00020",
    "held": "#b26a00",
    "pending": "#b26a00",
    "uploaded": "#1e7d32",
    "cancelled": "#6b6b6b",
}
OUTCOME_WORDS = {
    "done": "Done",
    "needs_attention": "Needs attention",
    "retry_later": "Will retry later",
    "error": "Stopped by an error",
    None: "Did not finish",
}


# The gateway's answers as `gateway/errors.py` words them, listed so that they are translated;
# `problem_words` shows any other text as the gateway gave it.
GATEWAY_ANSWER_WORDS = (
    "Declined by the gateway's risk checks.",
    "Declined by the card issuer: the card was flagged as fraud.",
    "Declined by the card issuer.",
    "Declined by the card issuer: insufficient funds.",
    "The gateway has no record of this transaction.",
    "The amount is more than the gateway allows.",
    "The currency does not match the store or the original sale.",
    "The terminal is busy at the gateway; try again later.",
    "The order is being closed at the gateway; try again later.",
    "The bank key is not active yet; try again later.",
    "The payment timed out at the bank; try again later.",
)
# First words of audit details (`storage`), shown translated in a record's history.
AUDIT_WORDS = {
    "sale": "Sale",
    "void": "Void",
    "refund": "Refund",
    "brn": "BRN",  # short: the history column is narrow below the list
    "error": "Gateway code",
}


def problem_words(record: Any) -> str:
    """What went wrong with a record, translated when it is one of the gateway's known words."""
    return tr(record.error_desc) if record.error_desc else ""


def audit_detail(detail: str | None) -> str:
    if not detail:
        return ""
    first, _, rest = detail.partition(" ")
    words = AUDIT_WORDS.get(first)
    return f"{tr(words)} {rest}" if words else detail


def state_words(state: str) -> str:
    return tr(STATE_WORDS.get(state, state))


def record_state_words(record: Any) -> str:
    """A record's state for people: a failed sale the gateway declined says "Declined"."""
    from edge_app.gateway.errors import is_decline

    if record.state.value == "failed" and is_decline(record.error_code):
        return tr("Declined")
    return state_words(record.state.value)


def kind_words(kind: str) -> str:
    return tr(KIND_WORDS.get(kind, kind))


def outcome_words(outcome: str | None) -> str:
    return tr(OUTCOME_WORDS.get(outcome, outcome or ""))


def local_time(ts: float | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not ts:
        return ""
    return time.strftime(fmt, time.localtime(ts))


def money(amount: Any, currency: str | None) -> str:
    if amount is None:
        return ""
    from edge_app.domain.money import format_amount

    if currency:
        return f"{currency} {format_amount(amount, currency)}"
    return str(amount)


def gateway_answer(record: Any) -> str:
    """What the gateway said about a record, in words for a store manager."""
    state = record.state.value
    if state == "queued":
        text = tr("Not sent yet; it goes with the next sync.")
        if record.error_desc:
            text += " " + tr("Last try: {problem}").format(problem=problem_words(record))
        if record.next_attempt_ts and record.next_attempt_ts > time.time():
            text += " " + tr("Next try after {time}.").format(
                time=local_time(record.next_attempt_ts)
            )
        return text
    if state == "uploading":
        return tr("Being sent to the gateway now.")
    if state == "pending":
        return tr(
            "The gateway has it but has not given a final answer yet; the next sync asks again."
        )
    if state == "uploaded":
        text = tr("Accepted by the gateway (reference {brn}).").format(brn=record.brn or "-")
        if record.duplicate:
            text += " " + tr("It had already arrived earlier, so it was not charged twice.")
        return text
    if state == "held":
        problem = problem_words(record) or tr("no reason given")
        text = tr("Not accepted by the gateway: {problem}").format(problem=problem)
        if record.error_code:
            text += " " + tr("(gateway code {code})").format(code=record.error_code)
        return (
            text
            + " "
            + tr(
                "Its card data is kept, encrypted: a manager can send it again with Retry once "
                "the cause is fixed, or give it up. It is given up by itself after {days} days."
            ).format(days=HELD_DAYS)
        )
    if state == "failed":
        return _failed_answer(record)
    if state == "cancelled":
        return tr("Cancelled on this PC; nothing was sent to the gateway.")
    return str(state)


def _failed_answer(record: Any) -> str:
    from edge_app.gateway.errors import is_decline

    problem = problem_words(record) or tr("no reason given")
    declined = is_decline(record.error_code)
    text = (tr("Declined: {problem}") if declined else tr("Refused: {problem}")).format(
        problem=problem
    )
    if declined and record.error_desc and record.error_desc.lower().startswith("declined"):
        text = problem  # "Declined by the card issuer.", not "Declined: Declined by ..."
    if record.error_code:
        text += " " + tr("(gateway code {code})").format(code=record.error_code)
    if record.kind.value == "sale":
        # its card data was erased with the final answer: it cannot be sent again
        return text + " " + tr("The money was not collected: ask the customer for another payment.")
    return text + " " + tr("A manager can send it again with Retry once the problem is fixed.")


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The lines of a sync result (SyncSummary.to_json() or a stored run summary)."""
    lines = [
        tr("Result: {outcome}").format(outcome=outcome_words(summary.get("outcome"))),
        tr(
            "Accepted: {n}, already there: {d}, declined or failed: {f}, held for a manager: "
            "{h}, still waiting for an answer: {p}"
        ).format(
            n=summary.get("uploaded", 0),
            d=summary.get("duplicates", 0),
            f=summary.get("failed", 0),
            h=summary.get("held", 0),
            p=summary.get("pending", 0),
        ),
        tr("Still queued: {q}; card list changes sent: {b}, left: {bl}").format(
            q=summary.get("left_queued", 0),
            b=summary.get("blocklist_sent", 0),
            bl=summary.get("blocklist_left", 0),
        ),
    ]
    if summary.get("cancelled"):
        lines.append(tr("The sync was cancelled; the rest stays queued."))
    return lines


def age_words(seconds: float) -> str:
    """ "3 h 20 min", "12 min", "2 days 5 h"; never "0.0 h"."""
    from edge_app.domain.limits import age_parts

    days, hours, minutes = age_parts(seconds)
    if days:
        return tr("{days} days {hours} h").format(days=days, hours=hours)
    if hours:
        return tr("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    if minutes:
        return tr("{minutes} min").format(minutes=minutes)
    return tr("just now")


def age_text(status: Mapping[str, Any]) -> str:
    seconds = status.get("oldest_waiting_seconds")
    if seconds is None:
        return tr("Nothing waiting")
    return tr("Oldest waiting: {age}").format(age=age_words(seconds))


def age_tooltip(status: Mapping[str, Any], warn_hours: float, refuse_hours: float) -> str:
    level = status.get("age_level", "ok")
    if level == "refuse":
        return tr("Over {limit} h: new sales are refused until a sync.").format(
            limit=f"{refuse_hours:g}"
        )
    if level == "warn":
        return tr("Over {warn} h: sync now; sales stop at {limit} h.").format(
            warn=f"{warn_hours:g}", limit=f"{refuse_hours:g}"
        )
    return tr("Sync within {warn} h; new sales stop at {limit} h.").format(
        warn=f"{warn_hours:g}", limit=f"{refuse_hours:g}"
    )


def waiting_text(status: Mapping[str, Any]) -> str:
    """Everything that goes out with the next sync: sales and refunds per currency, voids and
    card-list changes ("5 waiting: sales HKD 58.00 · refunds −HKD 100.00 · 1 void")."""
    waiting = status.get("waiting") or {}
    records = int(waiting.get("records", 0))
    changes = int(waiting.get("card_list_changes", 0))
    if not records and not changes:
        return tr("Nothing to send")
    parts = []
    if waiting.get("sales"):
        parts.append(tr("sales {amounts}").format(amounts=_amounts(waiting["sales"])))
    if waiting.get("refunds"):
        parts.append(tr("refunds {amounts}").format(amounts=_amounts(waiting["refunds"], "−")))
    if waiting.get("voids"):
        parts.append(tr("{n} void(s)").format(n=waiting["voids"]))
    if changes:
        parts.append(tr("{n} card-list change(s)").format(n=changes))
    head = tr("{n} waiting").format(n=records) if records else tr("Waiting")
    return head + ": " + " · ".join(parts)


def _amounts(totals: Mapping[str, str], sign: str = "") -> str:
    return ", ".join(f"{sign}{cur} {amount}" for cur, amount in totals.items())


def attention_text(status: Mapping[str, Any]) -> str:
    n = int(status.get("needs_attention", 0))
    if not n:
        return ""
    return "⚠ " + (tr("1 needs a manager") if n == 1 else tr("{n} need a manager").format(n=n))


def attention_item_text(item: Mapping[str, Any]) -> str:
    """One record that needs a person: what, amount, masked card, time, why."""
    what = tr("Declined") if item.get("declined") else state_words(str(item.get("state")))
    parts = [what, kind_words(str(item.get("kind")))]
    if item.get("amount"):
        parts.append(f"{item.get('currency')} {item['amount']}")
    if item.get("masked_card"):
        parts.append(str(item["masked_card"]))
    with contextlib.suppress(KeyError, ValueError):
        parts.append(
            datetime.fromisoformat(str(item["captured_at"])).astimezone().strftime("%m-%d %H:%M")
        )
    return " · ".join(parts)


def online_text(online: bool | None, last_sync: Mapping[str, Any] | None) -> tuple[str, str]:
    """The connection word and its colour. Reachable is not enough: after a sync whose requests
    all failed the gateway is "answering with errors", not "Online"."""
    if online is None:
        return tr("Checking the gateway…"), "#5f6368"
    if not online:
        return tr("Offline"), "#b00020"
    if last_sync and last_sync.get("outcome") in ("error", "retry_later"):
        return tr("Reachable, but sync fails"), "#b26a00"
    return tr("Online"), "#1e7d32"


def last_sync_text(run: Mapping[str, Any] | None) -> str:
    if not run:
        return tr("Never synced")
    ts = run.get("finished_ts") or run.get("started_ts")
    today = local_time(ts, "%Y-%m-%d") == local_time(time.time(), "%Y-%m-%d")
    when = local_time(ts, "%H:%M" if today else "%m-%d %H:%M")
    return tr("Last sync {when}: {outcome}").format(
        when=when, outcome=outcome_words(run.get("outcome"))
    )


def captured_time(record: Any) -> str:
    try:
        return datetime.fromisoformat(record.captured_at).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return local_time(record.captured_ts)
