"""Reading import files: transactions (.jsonl, .csv) and card numbers; all rows or none.

The file formats and their one-sentence refusals live here; the rows are captured by
`capture.Capturing` inside one write transaction. May import domain and storage.
"""

from __future__ import annotations

import io
import json
import time
import uuid as uuidlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_app.domain.card import normalize_card_number
from edge_app.domain.errors import FormErrors, ValidationError
from edge_app.domain.messages import Msg
from edge_app.services.capture import Capture, CaptureContext, Capturing, CheckedSale
from storage import unsent
from storage.db import Connection
from storage.records import to_minor
from storage.staging import StagedSale

if TYPE_CHECKING:  # csv is imported by the functions that read a file: start-up stays cheap
    import csv

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
_KEYS = frozenset(IMPORT_KEYS)
MAX_IMPORT_PROBLEMS = 50
# A pause between back-to-back short write transactions (making rows visible): another process
# waiting for the lock tries again at least every 10 ms (`storage.base.WRITE_LOCK_POLL_MS`);
# without it a waiter would wait for the whole import. Staging needs none: rows are checked in
# between.
YIELD_SECONDS = 0.03
STAGE_ROWS = 10000  # staged sales per short write transaction (appended to a table of its own)
# Making rows visible holds the write lock longest (each row goes into `transactions` and its
# indexes): each such step is sized to take about this long on this computer, from the time the
# step before took, so a cashier's capture waits as little on a slow PC as on a fast one.
STEP_SECONDS = 0.08
STEP_ROWS_RANGE = (250, 8000)
PUBLISH_FIRST_ROWS = 1000  # the first step is small, to measure
LISTED_IN_MEMORY = 200_000  # a card list up to this size is checked in memory by an import
# Older capture times are typing mistakes, and a year-1 time cannot even be shown in some zones.
EARLIEST_CAPTURE = datetime(2000, 1, 1, tzinfo=UTC)
_SALE_FIELDS = ("tips", "card_number", "expiry", "cvv", "track2", "card_sn", "icc", "auth_code")


class ImportRefused(ValidationError):
    """A file was refused as a whole; `problems` names each bad line."""

    def __init__(self, summary: str, problems: list[str]) -> None:
        super().__init__(summary)
        self.problems = problems


@dataclass(frozen=True)
class Imported:
    """What an import stored: how many records, and the limit warnings met (each once)."""

    count: int
    warnings: tuple[str | Msg, ...] = ()

    def __len__(self) -> int:
        return self.count


@dataclass
class _Run:
    """One import while it reads its file."""

    import_id: str
    ctx: CaptureContext
    problems: list[str] = field(default_factory=list)
    follow_ups: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    warnings: dict[str | Msg, None] = field(default_factory=dict)  # each once, in order
    batch: list[StagedSale] = field(default_factory=list)
    given: set[str] = field(default_factory=set)  # uuids the file names
    deltas: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    staged: int = 0


class Importing(Capturing):
    _now_texts: tuple[datetime, str, float] | None = None  # an import's now, as stored

    def import_transactions(self, path: Path) -> Imported:
        """Store every row of a .jsonl or .csv file, or none of them.

        The file is read as a stream. Sales are checked row by row and staged in short write
        transactions (`storage.staging`), so captures and syncs go on meanwhile; voids and
        refunds are kept aside. When every row passed, the import is decided and its sales
        become visible in short steps (a crash midway: the next open finishes them); a file
        with voids or refunds is made visible in one transaction with them (they may name its
        sales). A bad row anywhere: the staged rows are dropped and nothing is stored.
        """
        run = _Run(uuidlib.uuid4().hex, self.capture_context(self.clock()))
        # The import's view of the card list: read once (the list changes rarely; a change
        # during the import applies from the next capture on).
        run.ctx.listed = self.store.blocklist_listed_set(LISTED_IN_MEMORY)
        self.store.begin_import(run.import_id)
        try:
            for line, row in read_rows(path):
                self._take(run, line, row)
                if len(run.problems) >= MAX_IMPORT_PROBLEMS:
                    break
            self._stage(run)
            if run.problems:
                raise ImportRefused(
                    f"{path.name} was not imported: {len(run.problems)} bad row(s); "
                    "nothing was stored.",
                    run.problems[:MAX_IMPORT_PROBLEMS],
                )
            if not run.staged and not run.follow_ups:
                raise ValidationError(f"{path.name} has no transactions to import.")
            count = self._publish(path, run)
        except BaseException:
            if not self.store.import_decided(run.import_id):
                self.store.drop_staged(run.import_id)
            raise  # (a decided import that failed midway is finished by the next open)
        self.store.drop_staged(run.import_id)  # the staged copies (a no-op when dropped)
        return Imported(count, tuple(run.warnings))

    def _take(self, run: _Run, line: int, row: dict[str, str] | str) -> None:
        """One row of the file: a problem, a follow-up kept aside, or a checked sale."""
        if isinstance(row, str):
            run.problems.append(f"line {line}: {row}")
            return
        if (row.get("kind") or "").strip().lower() in ("void", "refund"):
            run.follow_ups.append((line, row))
            return
        try:
            sale, checked = self._stage_row(run.ctx, row, run.given)
        except FormErrors as exc:
            run.problems.append(f"line {line}: " + " ".join(exc.errors.values()))
        except ValidationError as exc:
            run.problems.append(f"line {line}: {exc}")
        else:
            run.batch.append(sale)
            run.warnings.update(dict.fromkeys(checked.warnings))
            unsent.accumulate(run.deltas, sale[2], "sale", sale[4], 1)
            if len(run.batch) >= STAGE_ROWS:
                self._stage(run)

    def _stage_row(
        self, ctx: CaptureContext, row: dict[str, str], given: set[str]
    ) -> tuple[StagedSale, CheckedSale]:
        unknown = sorted(row.keys() - _KEYS)
        if unknown:
            raise ValidationError(f"unknown column(s) {', '.join(unknown)}.")
        kind = (row.get("kind") or "").strip().lower()
        if kind != "sale":
            raise ValidationError("kind must be sale, void or refund.")
        uuid = (row.get("uuid") or "").strip() or None
        checked = self.check_sale(ctx, _sale_fields(row, uuid, ctx.now))
        sale = checked.sale
        if uuid is not None:
            if sale.uuid in given:
                raise ValidationError(f"uuid {sale.uuid} is given twice in the file.", "uuid")
            given.add(sale.uuid)
        at = checked.captured_at
        if at is ctx.now:  # a row without captured_at: its texts made once per import
            if self._now_texts is None or self._now_texts[0] is not at:
                self._now_texts = (at, at.isoformat(), at.timestamp())
            _, at_text, at_ts = self._now_texts
        else:
            at_text, at_ts = at.isoformat(), at.timestamp()
        return (
            sale.uuid,
            str(sale.amount),
            sale.currency,
            str(sale.tips) if sale.tips is not None else None,
            to_minor(checked.exposure, sale.currency),
            sale.card.masked,
            None,  # the card data is in the stored ITEM (the last column)
            sale.auth_code,
            at_text,
            at_ts,
            self.config.device_id,
            self.upload_item_of(checked),
        ), checked

    def _stage(self, run: _Run) -> None:
        """Write the batch of checked sales as staged rows (their given uuids checked new
        first); after a problem the rows are only counted: the import is refused anyway."""
        named = [row[0] for row in run.batch if row[0] in run.given]
        for uuid in sorted(self.store.known_uuids(named)) if named else ():
            run.problems.append(f"uuid {uuid}: A transaction with uuid {uuid} is already stored.")
        if run.batch and not run.problems:
            # No pause here: the next batch's checks (well over 100 ms) leave the lock free.
            self.store.stage_sales(run.import_id, run.batch)
        run.staged += len(run.batch)
        run.batch.clear()

    def _publish(self, path: Path, run: _Run) -> int:
        """The staged sales become visible: in short steps once decided (sales only), or with
        the voids and refunds in one transaction."""
        import_id, staged = run.import_id, run.staged
        time.sleep(YIELD_SECONDS)  # the last staging transaction was just before
        if not run.follow_ups:
            try:
                self.store.decide_import(
                    import_id, f"{staged} sale(s) imported from a file", sorted(run.given)
                )
            except ValueError:
                raise ValidationError(
                    f"{path.name} was not imported: a transaction with one of its uuids was "
                    "stored while it was read; nothing was stored."
                ) from None
            rows = PUBLISH_FIRST_ROWS
            while True:
                start = time.monotonic()
                if self.store.publish_step(import_id, rows):
                    return staged
                rows = next_step_rows(rows, time.monotonic() - start)
                time.sleep(YIELD_SECONDS)  # a writer waiting in SQLite's busy loop gets its turn
        problems: list[str] = []
        with self.store.transaction() as conn:
            try:
                moved = self.store.publish_import(
                    conn, import_id, run.deltas, f"{staged} sale(s) imported from a file"
                )
            except ValueError:
                raise ValidationError(
                    f"{path.name} was not imported: a transaction with one of its uuids was "
                    "stored while it was read; nothing was stored."
                ) from None
            for line, row in run.follow_ups:
                try:
                    self._import_row(conn, run.ctx, row)
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
        return moved + len(run.follow_ups)

    def _import_row(self, conn: Connection, ctx: CaptureContext, row: dict[str, str]) -> Capture:
        unknown = sorted(row.keys() - _KEYS)
        if unknown:
            raise ValidationError(f"unknown column(s) {', '.join(unknown)}.")
        kind = (row.get("kind") or "").strip().lower()
        uuid = (row.get("uuid") or "").strip() or None
        if kind == "sale":
            return self.capture_sale_in(conn, ctx, _sale_fields(row, uuid, ctx.now))
        if kind == "void":
            return self.capture_void_in(conn, ctx.now, row.get("original") or "", uuid)
        if kind == "refund":
            return self.capture_refund_in(
                conn, ctx.now, row.get("original") or "", row.get("amount") or "", uuid
            )
        raise ValidationError("kind must be sale, void or refund.")


def next_step_rows(rows: int, seconds: float) -> int:
    """How many rows the next step makes visible, after `rows` took `seconds`: as many as fit
    in `STEP_SECONDS` at that speed, within `STEP_ROWS_RANGE`."""
    low, high = STEP_ROWS_RANGE
    fitting = rows * STEP_SECONDS / max(seconds, 1e-6)
    return int(min(high, max(low, fitting)))


def _sale_fields(row: dict[str, str], uuid: str | None, now: datetime) -> dict[str, Any]:
    """A file row of a sale as the capture's fields (empty cells are absent values)."""
    fields: dict[str, Any] = {name: row.get(name) or None for name in _SALE_FIELDS}
    fields.update(
        amount=row.get("amount") or "",
        currency=row.get("currency") or "",
        reader_mode=(row.get("reader_mode") or "manual").strip().lower(),
        uuid=uuid,
    )
    if row.get("captured_at"):
        fields["captured_at"] = parse_captured_at(row["captured_at"], now)
    return fields


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
    import csv

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


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line number, row) pairs read as a stream; a row that cannot be parsed comes as its
    problem sentence. A file that cannot be read raises ValidationError, also midway."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise ValidationError(f"{path.name}: use a .jsonl or .csv file.")
    try:
        with path.open(encoding="utf-8-sig", newline="" if suffix == ".csv" else None) as handle:
            if suffix == ".jsonl":
                yield from _jsonl_rows(handle)
            else:
                yield from _csv_rows(handle, path.name)
    except FileNotFoundError:
        raise ValidationError(f"File {path} does not exist.") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name} is not a UTF-8 text file.") from None
    except OSError as exc:
        raise ValidationError(f"{path.name} cannot be read ({exc.strerror}).") from None


def _jsonl_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str] | str]]:
    for line_no, line in enumerate(lines, start=1):
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


def _csv_rows(handle: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, str] | str]]:
    import csv

    reader = csv.DictReader(handle)
    if not reader.fieldnames or "kind" not in reader.fieldnames:
        raise ValidationError(f"{name} needs a header row with at least a 'kind' column.")
    unknown = sorted(set(reader.fieldnames) - set(IMPORT_KEYS))
    if unknown:
        raise ValidationError(f"{name} has unknown column(s): {', '.join(unknown)}.")
    return _csv_records(reader)


def _csv_records(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str] | str]]:
    for row in reader:
        if None in row:
            yield reader.line_num, "has more cells than the header."
            continue
        yield reader.line_num, {k: (v or "") for k, v in row.items()}
