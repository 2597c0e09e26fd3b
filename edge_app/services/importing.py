"""Reading import files: transactions (.jsonl, .csv) and card numbers; all rows or none.

The file formats and their one-sentence refusals live here; the rows are captured by
`capture.Capturing` inside one write transaction. May import domain and storage.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge_app.domain.card import normalize_card_number
from edge_app.domain.errors import FormErrors, ValidationError
from edge_app.services.capture import Capture, CaptureContext, Capturing
from storage.db import Connection

IMPORT_KEYS = (
    "kind",
    "uuid",
    "amount",
    "currency",
    "card_number",
    "expiry",
    "cvv",
    "tips",
    "reader_mode",
    "track2",
    "card_sn",
    "icc",
    "auth_code",
    "original",
    "captured_at",
)
MAX_IMPORT_PROBLEMS = 50
# Older capture times are typing mistakes, and a year-1 time cannot even be shown in some zones.
EARLIEST_CAPTURE = datetime(2000, 1, 1, tzinfo=UTC)
_SALE_FIELDS = ("tips", "card_number", "expiry", "cvv", "track2", "card_sn", "icc", "auth_code")


class ImportRefused(ValidationError):
    """A file was refused as a whole; `problems` names each bad line."""

    def __init__(self, summary: str, problems: list[str]) -> None:
        super().__init__(summary)
        self.problems = problems


class Importing(Capturing):
    def import_transactions(self, path: Path) -> list[Capture]:
        """Store every row of a .jsonl or .csv file, or none of them."""
        rows = list(read_rows(path))
        problems: list[str] = []
        captures: list[Capture] = []
        now = self.clock()
        with self.store.transaction() as conn:
            ctx = self.capture_context(now)
            for line, row in rows:
                if isinstance(row, str):
                    problems.append(f"line {line}: {row}")
                else:
                    try:
                        captures.append(self._import_row(conn, ctx, row))
                    except FormErrors as exc:
                        problems.append(f"line {line}: " + " ".join(exc.errors.values()))
                    except ValidationError as exc:
                        problems.append(f"line {line}: {exc}")
                if len(problems) >= MAX_IMPORT_PROBLEMS:
                    break
            if problems:  # raised inside the transaction: nothing is stored
                raise ImportRefused(
                    f"{path.name} was not imported: {len(problems)} bad row(s); "
                    "nothing was stored.",
                    problems,
                )
        if not captures:
            raise ValidationError(f"{path.name} has no transactions to import.")
        return captures

    def _import_row(self, conn: Connection, ctx: CaptureContext, row: dict[str, str]) -> Capture:
        unknown = sorted(set(row) - set(IMPORT_KEYS))
        if unknown:
            raise ValidationError(f"unknown column(s) {', '.join(unknown)}.")
        kind = (row.get("kind") or "").strip().lower()
        uuid = (row.get("uuid") or "").strip() or None
        if kind == "sale":
            fields: dict[str, Any] = {name: row.get(name) or None for name in _SALE_FIELDS}
            fields.update(
                amount=row.get("amount") or "",
                currency=row.get("currency") or "",
                reader_mode=(row.get("reader_mode") or "manual").strip().lower(),
                uuid=uuid,
            )
            if row.get("captured_at"):
                fields["captured_at"] = parse_captured_at(row["captured_at"], ctx.now)
            return self.capture_sale_in(conn, ctx, fields)
        if kind == "void":
            return self.capture_void_in(conn, ctx.now, row.get("original") or "", uuid)
        if kind == "refund":
            return self.capture_refund_in(
                conn, ctx.now, row.get("original") or "", row.get("amount") or "", uuid
            )
        raise ValidationError("kind must be sale, void or refund.")


def parse_captured_at(text: str, now: datetime) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            "captured_at must be an RFC 3339 time such as 2026-11-26T14:05:00+08:00."
        ) from None
    if value.tzinfo is None:
        raise ValidationError("captured_at must include a UTC offset, such as +08:00.")
    if value > now:
        raise ValidationError("captured_at is in the future.")
    if value < EARLIEST_CAPTURE:
        raise ValidationError("captured_at must be in the year 2000 or later.")
    return value


def read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f"File {path} does not exist.") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name} is not a UTF-8 text file.") from None
    except OSError as exc:
        raise ValidationError(f"{path.name} cannot be read ({exc.strerror}).") from None


def read_card_numbers(path: Path) -> list[str]:
    """One card number per line, or a CSV whose first column is the number; a header is skipped."""
    text = read_text(path)
    numbers: list[str] = []
    problems: list[str] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip():
            continue
        cell = row[0].strip()
        if line_no == 1 and any(ch.isalpha() for ch in cell):
            continue  # a header such as "card_number"
        try:
            numbers.append(normalize_card_number(cell))
        except ValidationError as exc:
            problems.append(f"line {line_no}: {exc}")
    if problems:
        raise ImportRefused(
            f"{path.name} was not imported: {len(problems)} invalid card number(s); "
            "nothing was changed.",
            problems[:MAX_IMPORT_PROBLEMS],
        )
    if not numbers:
        raise ValidationError(f"{path.name} has no card numbers.")
    return numbers


def read_rows(path: Path) -> Iterable[tuple[int, dict[str, str] | str]]:
    """(line number, row) pairs; a row that cannot be parsed comes as its problem sentence."""
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _jsonl_rows(text)
    if suffix == ".csv":
        return _csv_rows(text, path.name)
    raise ValidationError(f"{path.name}: use a .jsonl or .csv file.")


def _jsonl_rows(text: str) -> Iterable[tuple[int, dict[str, str] | str]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            yield line_no, "not valid JSON."
            continue
        except RecursionError:
            yield line_no, "nested too deeply to be a transaction."
            continue
        if not isinstance(doc, dict):
            yield line_no, "must be a JSON object."
            continue
        yield line_no, {str(k): "" if v is None else str(v) for k, v in doc.items()}


def _csv_rows(text: str, name: str) -> Iterable[tuple[int, dict[str, str] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "kind" not in reader.fieldnames:
        raise ValidationError(f"{name} needs a header row with at least a 'kind' column.")
    unknown = sorted(set(reader.fieldnames) - set(IMPORT_KEYS))
    if unknown:
        raise ValidationError(f"{name} has unknown column(s): {', '.join(unknown)}.")
    return _csv_records(reader)


def _csv_records(reader: csv.DictReader[str]) -> Iterable[tuple[int, dict[str, str] | str]]:
    for row in reader:
        if None in row:
            yield reader.line_num, "has more cells than the header."
            continue
        yield reader.line_num, {k: (v or "") for k, v in row.items()}
