"""The store's card block list: edits, file import, the masked CSV export, what the screens show.

Full card numbers never leave the encrypted database: entries and exports are masked.
May import domain and storage.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from edge_app.domain.card import normalize_card_number
from edge_app.domain.errors import ValidationError, refusal
from edge_app.services.base import AppBase
from edge_app.services.importing import read_card_numbers
from storage.repository import BlockEntry

EXPORT_PAGE = 5000


class CardList(AppBase):
    def blocklist_add(self, numbers: Sequence[str]) -> int:
        valid = _validate_numbers(numbers, "argument")
        with self.store.transaction() as conn:
            return self.store.blocklist_change(conn, valid, desired=True)

    def blocklist_del(self, numbers: Sequence[str]) -> int:
        valid = _validate_numbers(numbers, "argument")
        with self.store.transaction() as conn:
            return self.store.blocklist_change(conn, valid, desired=False)

    def blocklist_remove_entries(self, entries: Sequence[BlockEntry]) -> int:
        """Remove the cards of entries a screen shows (selected rows), by their refs."""
        with self.store.transaction() as conn:
            numbers = self.store.blocklist_numbers((e.masked, e.ref) for e in entries)
            return self.store.blocklist_change(conn, numbers, desired=False)

    def blocklist_import(self, path: Path, *, delete: bool = False) -> int:
        numbers = read_card_numbers(path)
        with self.store.transaction() as conn:
            return self.store.blocklist_change(conn, numbers, desired=not delete)

    def card_list_counts(self) -> dict[str, int]:
        """{"cards": on the list, "pending": changes to send, "failed": refused numbers}."""
        return self.store.blocklist_counts()

    def card_list_entries(
        self, *, text: str = "", offset: int = 0, limit: int = 500
    ) -> list[BlockEntry]:
        """One page of the list, masked, ordered by the masked number."""
        return self.store.blocklist_entries(text=text, offset=offset, limit=limit)

    def iter_card_list_entries(self) -> Iterator[BlockEntry]:
        """The whole list, masked, read a page at a time."""
        offset = 0
        while page := self.card_list_entries(offset=offset, limit=EXPORT_PAGE):
            yield from page
            offset += len(page)

    def blocklist_export(self, path: Path, *, force: bool = False) -> int:
        """Write the list as a CSV of masked numbers (full numbers never leave the database);
        never over a file of the installation, nor over an existing file unless `force`."""
        import csv

        from edge_app.services.outputs import check_output_path, write_output

        check_output_path(self.home, path, force=force)  # refuse before reading the list
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["masked_card_number", "on_gateway", "pending", "failed_reason"])
        count = 0
        for entry in self.iter_card_list_entries():
            count += 1
            writer.writerow(
                [
                    entry.masked,
                    "yes" if entry.on_gateway else "no",
                    entry.pending or "",
                    entry.failed_reason or "",
                ]
            )
        write_output(self.home, path, out.getvalue().encode(), force=force)
        return count


def _validate_numbers(numbers: Sequence[str], what: str) -> list[str]:
    if not numbers:
        raise refusal("list.none_given")
    valid: list[str] = []
    for index, number in enumerate(numbers, start=1):
        try:
            valid.append(normalize_card_number(number))
        except ValidationError as exc:
            if what == "argument":
                raise refusal("list.numbered", None, index=index, problem=exc.msg or exc) from None
            raise ValidationError(f"{what.capitalize()} {index}: {exc}") from None
    return valid
