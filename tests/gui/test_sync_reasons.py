"""The Sync screen says in one line why a sync failed, counts down to the next try, and says
"Nothing to send" (not "Done") beside an empty bar."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import settle, visible_texts
from support import TEST_CVV, VISA

from edge_app.sync.summary import Progress
from edge_app.ui import sync_page
from edge_app.ui.sync_page import REASON_WORDS

TECHNICAL = ("Errno", "refused", "Traceback", "HTTP", "URLError", "socket")


def test_a_gateway_that_is_down_gives_one_readable_line_and_retries_with_a_countdown(
    qtbot: Any, gui_window: Any, gui_app: Any, gui_gateway: Any
) -> None:
    gui_app.capture_sale(
        amount="10.00", currency="HKD", card_number=VISA, expiry="2912", cvv=TEST_CVV
    )
    gui_gateway.stop()  # nothing listens on its port any more: connection refused
    gui_window.sync.options.update(retry_base=0.6, retry_cap=0.6, batch_attempts=2)
    page = gui_window.sync_page
    gui_window.show_page("sync")
    seen: list[str] = []
    gui_window.sync.progress.connect(
        lambda p: seen.append(page.retry.text()) if p.retry_in > 0 else None
    )
    with qtbot.waitSignal(gui_window.sync.finished, timeout=30_000) as blocker:
        page.sync_button.click()
    assert blocker.args[0].left_queued == 1  # nothing lost: the sale stays queued
    assert seen, "no retry was shown"
    assert seen[0].startswith("Trying again in ")
    assert "(try 2). The gateway cannot be reached" in seen[0]
    assert not page.retry.isVisible()  # gone once the run stopped

    settle(qtbot, gui_window)
    assert page.reason.isVisible()
    assert page.reason.text() == REASON_WORDS["unreachable"]
    assert "\n" not in page.reason.text()
    technical = [
        (name, text)
        for name, text in visible_texts(gui_window)
        if any(word in text for word in TECHNICAL)
    ]
    assert technical == []


def test_the_retry_line_counts_down_to_the_next_try(
    gui_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = gui_window.sync_page
    now = [1000.0]
    monkeypatch.setattr(sync_page.time, "monotonic", lambda: now[0])
    page._progress(
        Progress("Uploading sales", 0, 3, "HTTP 503", retry_in=12, reason="server_error", attempt=2)
    )
    assert page.retry.isVisibleTo(page)
    assert page.retry_timer.isActive()
    assert page.retry.text() == (
        "Trying again in 12 s (try 2). The gateway has a problem on its side (a server error); "
        "the records go again later."
    )
    now[0] += 5
    page.retry_timer.timeout.emit()
    assert page.retry.text().startswith("Trying again in 7 s (try 2).")
    page._progress(Progress("Uploading sales", 1, 3))  # the try passed
    assert not page.retry.isVisibleTo(page)
    assert not page.retry_timer.isActive()


def test_nothing_to_send_rather_than_done_beside_an_empty_bar(qtbot: Any, gui_window: Any) -> None:
    page = gui_window.sync_page
    gui_window.show_page("sync")
    with qtbot.waitSignal(gui_window.sync.finished, timeout=20_000):
        page.sync_button.click()
    assert page.step.text() == "Nothing to send."
    assert not page.progress.isTextVisible()
    assert page.progress.value() in (0, page.progress.minimum())
    assert page.banner.text() == "Nothing was waiting to be sent."
    assert page.banner.kind == "info"
    assert not [t for _, t in visible_texts(gui_window) if t in ("Done", "Done.", "Finished.")]
