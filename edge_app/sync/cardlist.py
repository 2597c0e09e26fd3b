"""Sending the card block list's changes in chunks of at most 1000 numbers.

May import the gateway's errors, the sync policy and storage.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from edge_app.gateway.errors import InvalidCardNumbers, PermanentError
from edge_app.sync import policy
from edge_app.sync.core import EngineCore
from edge_app.sync.summary import StopRun

CARD_BLOCK_CHUNK = 1000
CARD_STEP = "Sending card list changes"


class CardListSync(EngineCore):
    def _sync_blocklist(self) -> None:
        for op in ("del", "add"):
            after = ""
            while not self._stopping():
                chunk = self.store.blocklist_pending_chunk(op, after, CARD_BLOCK_CHUNK)
                if not chunk:
                    break
                after = chunk[-1]
                self._send_card_chunk(op, chunk)

    def _send_card_chunk(self, op: Literal["add", "del"], numbers: list[str]) -> None:
        what = "card list changes"
        while numbers:
            chunk = numbers
            # From here until an answer the gateway may or may not apply it: a local edit
            # meanwhile must not drop the row (`in_doubt`).
            self._submit(partial(self.store.blocklist_mark_sending, chunk), wait=True)
            answer = self._request(
                partial(self.gateway.card_block, op, chunk), what, lambda reason: None
            )
            if isinstance(answer, InvalidCardNumbers):
                bad = sorted(set(answer.card_numbers) & set(chunk))
                if not bad:  # it named none of ours: a refusal of the request as a whole
                    raise StopRun(policy.whole_request_refusal(what, answer), needs_person=True)
                self._submit(partial(self._mark_cards_failed, bad), wait=True)
                numbers = [n for n in chunk if n not in set(bad)]
                continue
            if isinstance(answer, PermanentError):
                raise StopRun(policy.whole_request_refusal(what, answer), needs_person=True)
            self._submit(partial(self._mark_cards_synced, op, chunk), wait=True)
            return

    def _mark_cards_failed(self, numbers: list[str]) -> None:
        self.store.blocklist_mark_failed(numbers, "The gateway says this card number is not valid.")
        with self._lock:
            self._summary.blocklist_failed += len(numbers)
            self._summary.needs_attention.append(
                f"{len(numbers)} card number(s) were refused by the gateway as not valid."
            )
        self._report(CARD_STEP, len(numbers))

    def _mark_cards_synced(self, op: str, numbers: list[str]) -> None:
        self.store.blocklist_mark_synced(op, numbers)
        with self._lock:
            self._summary.blocklist_sent += len(numbers)
        self._report(CARD_STEP, len(numbers))
