"""Work off the GUI thread: a task runner, the sync controller and the gateway probe.

Results always come back through a QObject living in the GUI thread, so the callbacks run there
(Qt queues a signal emitted from a worker thread to a receiver in another thread).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)

from edge_app.ui.probe import probe_gateway

PROBE_INTERVAL_MS = 15_000


class _Relay(QObject):
    """Carries one task's result or error back to the GUI thread."""

    done = Signal(object)
    error = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        forget: Callable[[_Relay], None],
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self._forget = forget
        self.done.connect(self._deliver_done)
        self.error.connect(self._deliver_error)

    @Slot(object)
    def _deliver_done(self, value: Any) -> None:
        self._forget(self)
        if self._on_done is not None:
            self._on_done(value)

    @Slot(object)
    def _deliver_error(self, exc: Any) -> None:
        self._forget(self)
        if self._on_error is not None:
            self._on_error(exc)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception as exc:  # handed to the GUI thread, which shows the sentence
            self._relay.error.emit(exc)
            return
        self._relay.done.emit(value)


class TaskRunner(QObject):
    """Runs callables on its own thread pool; callbacks run on the GUI thread."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 3) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[_Relay] = set()
        self.closed = False

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if self.closed:
            return  # shutting down: the store is about to close
        relay = _Relay(on_done, on_error, self._live.discard)
        self._live.add(relay)
        self.pool.start(_Task(fn, relay))

    def busy(self) -> bool:
        return bool(self._live)

    def wait(self, msecs: int = 10_000) -> bool:
        """Wait for running tasks and deliver their results; True when all finished."""
        finished = bool(self.pool.waitForDone(msecs))
        QCoreApplication.processEvents()
        return finished

    def shutdown(self, msecs: int = 30_000) -> bool:
        """Accept no new tasks, then wait for the running ones."""
        self.closed = True
        return self.wait(msecs)


class SyncController(QObject):
    """Runs `app.sync` in a worker and reports by signals; one run at a time."""

    started = Signal(str)  # trigger
    progress = Signal(object)  # edge_app.sync.engine.Progress
    finished = Signal(object)  # SyncSummary
    locked = Signal(str)  # another process holds the lock: who and since when
    failed = Signal(str)  # one sentence

    def __init__(self, app: Any, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._runner = runner
        self._cancel: Any = None
        self.running_since: float | None = None
        self.trigger = ""
        self.options: dict[str, Any] = {}  # extra SyncOptions (tests shorten waits)

    @property
    def running(self) -> bool:
        return self.running_since is not None

    def start(self, trigger: str = "window") -> bool:
        """Start a run unless one is running in this window; False when it did not start."""
        from edge_app.sync.engine import CancelToken

        if self.running:
            return False
        self._cancel = CancelToken()
        self.running_since = time.time()
        self.trigger = trigger
        cancel = self._cancel
        options = dict(self.options)
        app = self._app

        def work() -> Any:
            return app.sync(trigger=trigger, progress=self.progress.emit, cancel=cancel, **options)

        self._runner.submit(work, self._done, self._error)
        self.started.emit(trigger)
        return True

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()

    def _done(self, summary: Any) -> None:
        self.running_since = None
        self.finished.emit(summary)

    def _error(self, exc: BaseException) -> None:
        from edge_app.sync.lock import SyncLocked

        self.running_since = None
        if isinstance(exc, SyncLocked):
            self.locked.emit(str(exc))
        else:
            self.failed.emit(plain_error(exc))


def plain_error(exc: BaseException) -> str:
    """The one-sentence text of a refusal; an unexpected error gets a generic sentence."""
    from edge_app.domain.errors import ValidationError
    from edge_app.gateway.errors import GatewayError
    from storage.errors import StorageError

    expected = (ValidationError, StorageError, OSError, GatewayError)
    from edge_app.ui.i18n import say, tr

    if isinstance(exc, expected) and str(exc):
        return say(exc)
    return tr("Something went wrong ({kind}); see the log for details.").format(
        kind=type(exc).__name__
    )


class _Prober(QObject):
    """Lives in the probe thread: its timer fires there and the blocking connect runs there."""

    reachable = Signal(bool)

    def __init__(self, base_url: str, interval_ms: int) -> None:
        super().__init__()
        self.base_url = base_url
        self._interval = interval_ms
        self._timer: QTimer | None = None

    @Slot()
    def begin(self) -> None:
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval)
        self._timer.timeout.connect(self.probe_now)
        self._timer.start()
        self.probe_now()

    @Slot()
    def probe_now(self) -> None:
        self.reachable.emit(probe_gateway(self.base_url))

    @Slot()
    def finish(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
            self._timer = None
        QThread.currentThread().quit()


class ConnectivityMonitor(QObject):
    """Probes the gateway every 15 s in its own thread; emits `changed(online)` on transitions."""

    changed = Signal(bool)
    checked = Signal(bool)
    _stop = Signal()
    _probe = Signal()

    def __init__(
        self, base_url: str, interval_ms: int = PROBE_INTERVAL_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.online: bool | None = None
        self._thread = QThread()
        self._thread.setObjectName("gateway-probe")
        self._prober = _Prober(base_url, interval_ms)
        self._prober.moveToThread(self._thread)
        self._thread.started.connect(self._prober.begin)
        self._stop.connect(self._prober.finish)
        self._probe.connect(self._prober.probe_now)
        self._prober.reachable.connect(self._on_result)

    def start(self) -> None:
        self._thread.start()

    def probe_now(self) -> None:
        self._probe.emit()

    def set_base_url(self, base_url: str) -> None:
        self._prober.base_url = base_url  # a plain attribute read by the probe thread

    def stop(self) -> None:
        if self._thread.isRunning():
            self._stop.emit()
            self._thread.wait(5000)

    @Slot(bool)
    def _on_result(self, online: bool) -> None:
        previous = self.online
        self.online = online
        self.checked.emit(online)
        if previous is None or previous != online:
            self.changed.emit(online)


def lock_holder_elsewhere(home: Path) -> Any:
    """The sync lock holder when it is another process (the unattended run), else None."""
    from edge_app.sync.lock import is_locked

    holder = is_locked(home)
    if holder is None or holder.pid == os.getpid():
        return None
    return holder
