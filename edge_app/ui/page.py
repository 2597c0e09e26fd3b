"""What the screens share: their own read-only connection to the queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.repository import Store


class PageReader:
    """A screen's own read-only connection to the queue (`App.open_reader`), opened on first use.

    Its reads never wait for the sync's writer (WAL), so the GUI thread can page through the
    queue while a sync or another program commits. `App.close` closes it; from then on `store()`
    is None and the screen shows nothing instead of reading a closed connection.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._store: Store | None = None

    def store(self) -> Store | None:
        if self._app.closed:
            self._store = None
            return None
        if self._store is None:
            self._store = self._app.open_reader()
        return self._store
