"""The window's read-only reader: it sees every commit, cannot write, and closes with the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import capture_sales, init_app

from storage.errors import StorageBug, StorageError


def test_a_reader_sees_commits_cannot_write_and_closes_with_the_installation(
    home: Path, db_key: str
) -> None:
    app = init_app(home)
    try:
        reader = app.open_reader()
        assert reader.count_transactions() == 0
        uuids = capture_sales(app, 3)
        assert reader.count_transactions() == app.transaction_count() == 3
        assert reader.get(uuids[0]) == app.transaction(uuids[0])
        with pytest.raises(StorageError):
            reader.set_setting("name", "value")  # query_only
        assert not app.closed
    finally:
        app.close()
    assert app.closed
    with pytest.raises(StorageBug):  # a closed connection: using it is a bug, not bad input
        reader.count_transactions()
