"""The status bar, always visible: online, waiting records, age of the oldest, last sync, lock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from edge_app.ui.i18n import tr
from edge_app.ui.present import AGE_COLOURS, age_text, last_sync_text, local_time, waiting_text


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.online = _label("status_online")
        self.waiting = _label("status_waiting")
        self.age = _label("status_age")
        self.age_bar = QProgressBar()
        self.age_bar.setObjectName("status_age_bar")
        self.age_bar.setFixedWidth(90)
        self.age_bar.setFixedHeight(12)
        self.age_bar.setTextVisible(False)
        self.age_bar.setRange(0, 1000)
        self.last_sync = _label("status_last_sync")
        self.lock = _label("status_lock")
        self.lock.setStyleSheet("color: #6b4500; font-weight: bold;")
        self.lock.setVisible(False)
        self.syncing = _label("status_syncing")
        self.syncing.setVisible(False)
        for widget in (
            self.online,
            self.waiting,
            self.age,
            self.age_bar,
            self.last_sync,
            self.lock,
            self.syncing,
        ):
            self.addPermanentWidget(widget)
        self.set_online(None)
        self.waiting.setText(tr("Reading the queue…"))
        self.level = "ok"

    def set_online(self, online: bool | None) -> None:
        if online is None:
            self.online.setText("● " + tr("Checking the gateway…"))
            self.online.setStyleSheet("color: #5f6368;")
        elif online:
            self.online.setText("● " + tr("Online"))
            self.online.setStyleSheet("color: #1e7d32; font-weight: bold;")
        else:
            self.online.setText("● " + tr("Offline"))
            self.online.setStyleSheet("color: #b00020; font-weight: bold;")

    def set_status(self, status: Mapping[str, Any], warn_hours: float, refuse_hours: float) -> None:
        self.waiting.setText(waiting_text(status))
        self.level = str(status.get("age_level") or "ok")
        colour = AGE_COLOURS.get(self.level, AGE_COLOURS["ok"])
        self.age.setText(age_text(status, warn_hours, refuse_hours))
        self.age.setStyleSheet(
            f"color: {colour};" + (" font-weight: bold;" if self.level != "ok" else "")
        )
        hours = status.get("oldest_unsent_age_hours") or 0.0
        share = min(1.0, float(hours) / refuse_hours) if refuse_hours else 0.0
        self.age_bar.setValue(int(share * 1000))
        self.age_bar.setStyleSheet(
            "QProgressBar { border: 1px solid #c0c0c0; border-radius: 3px; background: #f3f3f3; }"
            f"QProgressBar::chunk {{ background: {colour}; }}"
        )
        self.age_bar.setToolTip(
            tr("Age of the oldest unsent record against the {limit} h limit").format(
                limit=f"{refuse_hours:g}"
            )
        )
        self.last_sync.setText(last_sync_text(status.get("last_sync")))

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
