"""The shop-close report written out: plain text, CSV (one row per line of the report) and JSON.

Each renderer reads only a `domain.report.ShopCloseReport`, so every format says the same; the
PDF and the window draw the same report with Qt (`edge_app.ui.report_view`). Cards appear
masked (BIN and last four) only. May import the domain.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from edge_app.domain.errors import ValidationError
from edge_app.domain.limits import age_words
from edge_app.domain.money import format_amount
from edge_app.domain.report import CurrencySection, Line, ShopCloseReport, Tally, age_hours

CSV_COLUMNS = ("section", "currency", "item", "count", "amount", "time", "card", "reason")
TAKEN_WORDS = {"sale": "Sales taken", "void": "Voids taken", "refund": "Refunds taken"}
CONFIRMED_WORDS = {
    "sale": "Sales confirmed by the gateway",
    "void": "Voids confirmed by the gateway",
    "refund": "Refunds confirmed by the gateway",
}
TRIGGER_WORDS = {
    "window": "window",
    "tray": "tray",
    "manual": "command line",
    "command line": "command line",
    "auto": "window (back online)",
    "shop_close": "window at shop close",
    "unattended": "schedule",
    "demo": "demo",
}


def money(amount: Decimal, currency: str) -> str:
    try:
        return format_amount(amount, currency)
    except ValidationError:
        return str(amount)


def when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts is not None else "-"


def trigger_words(trigger: str) -> str:
    return TRIGGER_WORDS.get(trigger, trigger)


def chain_words(report: ShopCloseReport) -> str:
    audit = report.audit
    if audit.verified:
        return f"verified, {audit.entries} entries; head: entry {audit.head_id} {audit.head_mac}"
    return f"NOT VERIFIED: {audit.problem}"


# -- rows: what every format lists, in order -------------------------------------------------


def section_rows(section: CurrencySection, now_ts: float) -> Iterator[tuple[str, str, Tally]]:
    """(group, item, tally) of one currency's totals."""
    for kind, tally in section.captured.items():
        yield "captured", TAKEN_WORDS[kind], tally
    for kind, tally in section.confirmed.items():
        yield "confirmed", CONFIRMED_WORDS[kind], tally
    yield (
        "declined",
        "Declined or failed",
        Tally(len(section.declined), sum((d.amount for d in section.declined), Decimal(0))),
    )
    yield (
        "held",
        "Held for a manager",
        Tally(len(section.held), sum((h.amount for h in section.held), Decimal(0))),
    )
    oldest = section.oldest_waiting_ts
    age = f" (oldest {age_words(max(now_ts - oldest, 0.0))})" if oldest is not None else ""
    waiting = "Still waiting" + age
    yield "waiting", waiting, section.waiting
    yield "cancelled", "Cancelled locally", section.cancelled


# -- text -------------------------------------------------------------------------------------


def to_text(report: ShopCloseReport) -> str:
    out = [
        f"Shop-close report - store {report.store_id} - {report.period}",
        f"Device {report.device_id}; made {when(report.generated_ts)}",
        "",
    ]
    if not report.currencies:
        out.append("Nothing was captured in this period.")
    for section in report.currencies:
        cur = section.currency
        out.append(f"== {cur} ==")
        for _, item, tally in section_rows(section, report.generated_ts):
            out.append(f"  {item:<36} {tally.count:>5}  {money(tally.amount, cur):>14}")
        out.extend(_text_lines("Declined: chase these", section.declined, cur))
        out.extend(_text_lines("Held for a manager", section.held, cur))
        out.append("")
    cards = report.card_list
    out.append(
        f"Card list: {cards.added} added, {cards.removed} removed here; sent to the gateway "
        f"{cards.sent_added} added, {cards.sent_removed} removed; {cards.failed} refused."
    )
    out.append(f"Syncs: {len(report.syncs)}")
    for run in report.syncs:
        out.append(
            f"  {when(run.started_ts)}  by {trigger_words(run.trigger):<22} {run.outcome:<16} "
            f"uploaded {run.uploaded}, failed {run.failed}, left {run.left}"
        )
    out.append(f"Differences with the gateway (open): {len(report.differences)}")
    for diff in report.differences:
        out.append(f"  #{diff.id} {diff.kind}: {diff.detail}")
    out.append(f"Audit trail: {chain_words(report)}")
    return "\n".join(out) + "\n"


def _text_lines(title: str, lines: tuple[Line, ...], currency: str) -> list[str]:
    if not lines:
        return []
    out = [f"  {title}:"]
    for line in lines:
        out.append(
            f"    {when(line.captured_ts)}  {line.kind:<6} {line.masked_card:<19} "
            f"{money(line.amount, currency):>12}  {line.reason}"
        )
    return out


# -- CSV --------------------------------------------------------------------------------------


def csv_rows(report: ShopCloseReport) -> Iterator[tuple[str, ...]]:
    yield ("report", "", "store", "", "", "", "", report.store_id)
    yield ("report", "", "period", "", "", report.period, "", "")
    yield ("report", "", "generated", "", "", when(report.generated_ts), "", "")
    for section in report.currencies:
        cur = section.currency
        for group, item, tally in section_rows(section, report.generated_ts):
            yield (group, cur, item, str(tally.count), money(tally.amount, cur), "", "", "")
        for name, lines in (("declined_record", section.declined), ("held_record", section.held)):
            for line in lines:
                yield (
                    name,
                    cur,
                    line.kind,
                    "1",
                    money(line.amount, cur),
                    when(line.captured_ts),
                    line.masked_card,
                    line.reason,
                )
    cards = report.card_list
    for item, count in (
        ("added", cards.added),
        ("removed", cards.removed),
        ("sent_added", cards.sent_added),
        ("sent_removed", cards.sent_removed),
        ("refused", cards.failed),
    ):
        yield ("card_list", "", item, str(count), "", "", "", "")
    for run in report.syncs:
        yield (
            "sync",
            "",
            trigger_words(run.trigger),
            str(run.uploaded),
            "",
            when(run.started_ts),
            "",
            f"{run.outcome}; failed {run.failed}, left {run.left}",
        )
    for diff in report.differences:
        yield ("difference", "", diff.kind, "1", "", when(diff.found_ts), "", diff.detail)
    audit = report.audit
    yield (
        "audit",
        "",
        "verified" if audit.verified else "NOT VERIFIED",
        str(audit.entries),
        "",
        "",
        str(audit.head_id),
        audit.head_mac if audit.verified else audit.problem or "",
    )


def to_csv(report: ShopCloseReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(report))
    return buffer.getvalue()


# -- JSON -------------------------------------------------------------------------------------


def _tally(tally: Tally, currency: str) -> dict[str, Any]:
    return {"count": tally.count, "amount": money(tally.amount, currency)}


def _lines(lines: tuple[Line, ...], currency: str) -> list[dict[str, Any]]:
    return [
        {
            "uuid": line.uuid,
            "kind": line.kind,
            "amount": money(line.amount, currency),
            "card": line.masked_card,
            "time": datetime.fromtimestamp(line.captured_ts).astimezone().isoformat(),
            "reason": line.reason,
        }
        for line in lines
    ]


def to_json(report: ShopCloseReport) -> dict[str, Any]:
    currencies = {}
    for s in report.currencies:
        cur = s.currency
        currencies[cur] = {
            "captured": {k: _tally(t, cur) for k, t in s.captured.items()},
            "confirmed": {k: _tally(t, cur) for k, t in s.confirmed.items()},
            "declined": _lines(s.declined, cur),
            "held": _lines(s.held, cur),
            "waiting": _tally(s.waiting, cur),
            "oldest_waiting_hours": age_hours(s.oldest_waiting_ts, report.generated_ts),
            "cancelled": _tally(s.cancelled, cur),
        }
    return {
        "store_id": report.store_id,
        "device_id": report.device_id,
        "from": report.first_day.isoformat(),
        "to": report.last_day.isoformat(),
        "generated": datetime.fromtimestamp(report.generated_ts).astimezone().isoformat(),
        "currencies": currencies,
        "card_list": vars(report.card_list),
        "syncs": [{**vars(run), "started_by": trigger_words(run.trigger)} for run in report.syncs],
        "differences": [vars(d) for d in report.differences],
        "audit": vars(report.audit),
        "needs_attention": report.needs_attention,
    }
