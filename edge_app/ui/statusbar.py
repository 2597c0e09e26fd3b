"""The status bar, always visible: what waits, what needs a manager (a click opens the
record), the age of the oldest waiting record, the last sync, the unattended run's lock; and
the gateway's state, which the window shows in its side panel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QProgressBar, QStatusBar, QToolButton, QWidget

from edge_app.ui.i18n import tr
from edge_app.ui.present import (
    AGE_COLOURS,
    age_text,
    age_tooltip,
    attention_item_text,
    attention_text,
    last_sync_text,
    local_time,
    online_text,
    waiting_text,
)


class StatusBar(QStatusBar):
    """`open_record(uuid)`: a record that needs attention was picked from the list;
    `open_page(name)`: its card-list entry was."""

    open_record = Signal(str)
    open_page = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.online = _label("status_online")
        self.waiting = _label("status_waiting")
        self.attention = QToolButton()
        self.attention.setObjectName("status_attention")
        self.attention.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.attention.setStyleSheet(
            "QToolButton { color: #b00020; font-weight: bold; border: none; padding: 0 6px; }"
            "QToolButton::menu-indicator { image: none; }"
        )
        self.attention.setMenu(QMenu(self.attention))
        self.attention.setVisible(False)
        self.age = _label("status_age")
        self.age_bar = QProgressBar()
        self.age_bar.setObjectName("status_age_bar")
        self.age_bar.setFixedWidth(60)
        self.age_bar.setFixedHeight(12)
        self.age_bar.setTextVisible(False)
        self.age_bar.setRange(0, 1000)
        self.last_sync = _label("status_last_sync")
        self.lock = _label("status_lock")
        self.lock.setStyleSheet("color: #6b4500; font-weight: bold;")
        self.lock.setVisible(False)
        self.syncing = _label("status_syncing")
        self.syncing.setVisible(False)
        # `online` and `last_sync` are not in the bar: the window shows them in its side panel,
        # where they have room (the bar must fit a 1024 px wide screen)
        for widget in (
            self.waiting,
            self.attention,
            self.age,
            self.age_bar,
            self.lock,
            self.syncing,
        ):
            self.addPermanentWidget(widget)
        self._online: bool | None = None
        self.set_online(None)
        self.waiting.setText(tr("Reading the queue…"))
        self.level = "ok"

    def set_online(self, online: bool | None, last_sync: Mapping[str, Any] | None = None) -> None:
        self._online = online
        text, colour = online_text(online, last_sync)
        self.online.setText("● " + text)
        self.online.setStyleSheet(
            f"QLabel {{ background: {colour}; color: #ffffff; border-radius: 4px; "
            "padding: 3px 8px; margin: 0 14px 10px 14px; font-weight: bold; }"
        )

    def set_status(self, status: Mapping[str, Any], warn_hours: float, refuse_hours: float) -> None:
        self.set_online(self._online, status.get("last_sync"))
        self.waiting.setText(waiting_text(status))
        self._set_attention(status)
        self.level = str(status.get("age_level") or "ok")
        waiting = status.get("oldest_waiting_seconds") is not None
        colour = AGE_COLOURS.get(self.level, AGE_COLOURS["ok"])
        if not waiting:
            # green only when nothing waits AND nothing needs a person
            colour = "#5f6368" if status.get("needs_attention") else AGE_COLOURS["ok"]
        self.age.setText(age_text(status))
        self.age.setToolTip(age_tooltip(status, warn_hours, refuse_hours))
        self.age.setStyleSheet(
            f"color: {colour};" + (" font-weight: bold;" if self.level != "ok" else "")
        )
        hours = (status.get("oldest_waiting_seconds") or 0) / 3600
        share = min(1.0, float(hours) / refuse_hours) if refuse_hours else 0.0
        self.age_bar.setVisible(waiting)
        self.age_bar.setValue(int(share * 1000))
        self.age_bar.setStyleSheet(
            "QProgressBar { border: 1px solid #c0c0c0; border-radius: 3px; background: #f3f3f3; }"
            f"QProgressBar::chunk {{ background: {colour}; }}"
        )
        self.age_bar.setToolTip(self.age.toolTip())
        self.last_sync.setText(last_sync_text(status.get("last_sync")))

    def _set_attention(self, status: Mapping[str, Any]) -> None:
        """The count of records that need a person, with a menu of them: a pick opens one."""
        text = attention_text(status)
        self.attention.setVisible(bool(text))
        self.attention.setText(text)
        fill_attention_menu(
            self.attention.menu(), status, self.open_record.emit, self.open_page.emit
        )
        self.attention.setToolTip(tr("Records a manager must look at; pick one to open it."))

    def set_lock(self, holder: Any) -> None:
        """`holder` is the other process's LockHolder, or None."""
        if holder is None:
            self.lock.setVisible(False)
            self.lock.setText("")
            return
        self.lock.setText(
            tr("Unattended sync running since {time}").format(
                time=local_time(holder.since, "%H:%M")
            )
        )
        self.lock.setVisible(True)

    def set_syncing(self, text: str | None) -> None:
        self.syncing.setVisible(bool(text))
        self.syncing.setText(text or "")


def _label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setContentsMargins(6, 0, 6, 0)
    return label


def fill_attention_menu(
    menu: QMenu,
    status: Mapping[str, Any],
    open_record: Callable[[str], Any],
    open_page: Callable[[str], Any],
) -> None:
    """One entry per record that needs a person (amount, masked card, time): a pick opens it.
    Used by the status bar and the tray."""
    menu.clear()
    for item in status.get("attention", []):
        action = QAction(attention_item_text(item), menu)
        action.setToolTip(str(item.get("reason") or ""))
        uuid = str(item["uuid"])
        action.triggered.connect(lambda _=False, u=uuid: open_record(u))
        menu.addAction(action)
    refused = int(status.get("blocklist", {}).get("failed", 0))
    if refused:
        cards = QAction(
            tr("{n} card-list change(s) refused by the gateway").format(n=refused), menu
        )
        cards.triggered.connect(lambda _=False: open_page("blocklist"))
        menu.addAction(cards)
    differences = int(status.get("gateway_differences", 0))
    if differences:
        found = QAction(tr("{n} difference(s) with the gateway").format(n=differences), menu)
        found.triggered.connect(lambda _=False: open_page("report"))
        menu.addAction(found)
    extra = (
        int(status.get("needs_attention", 0))
        - len(status.get("attention", []))
        - refused
        - differences
    )
    if extra > 0:
        more = QAction(tr("… and {n} more on the Transactions screen").format(n=extra), menu)
        more.setEnabled(False)
        menu.addAction(more)
