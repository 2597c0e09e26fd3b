"""The state every part of the facade shares: the home, its config, key source and store.

May import config, domain and storage. The gateway and the sync engine are imported inside the
methods that need them (start-up of the core commands stays cheap); Qt never.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge_app.config import AppConfig, save_config
from edge_app.domain.blocklist import ListMode, parse_list_mode
from edge_app.domain.limits import DEFAULT_LIMITS, OfflineLimits, limits_from_json
from edge_app.services.system import Clock, local_now
from storage.keys import KeySource
from storage.repository import Store


class AppBase:
    """An open installation: its config, its key source and its encrypted store."""

    def __init__(self, home: Path, config: AppConfig, store: Store, key_source: KeySource) -> None:
        self.home = home
        self.config = config
        self.store = store
        self.key_source = key_source
        self.clock: Clock = local_now
        self._limits: tuple[AppConfig, OfflineLimits] | None = None
        self._readers: list[Store] = []
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once `close()` ran: its store and every reader it opened are closed."""
        return self._closed

    def close(self) -> None:
        self._closed = True
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        self.store.close()

    def update_config(self, **changes: Any) -> AppConfig:
        """Change settings (validated first; config.json is replaced atomically)."""
        new = self.config.with_changes(**changes)
        changed = sorted(k for k, v in changes.items() if getattr(self.config, k) != v)
        save_config(self.home, new)
        self.config = new
        if changed:
            self.store.record_event("settings", "changed: " + ", ".join(changed))
        return new

    @property
    def limits(self) -> OfflineLimits:
        # Parsed once per config (AppConfig is frozen): every capture reads the limits.
        config = self.config
        if self._limits is None or self._limits[0] is not config:
            parsed = limits_from_json(config.limits) if config.limits else DEFAULT_LIMITS
            self._limits = (config, parsed)
        return self._limits[1]

    @property
    def list_mode(self) -> ListMode:
        return parse_list_mode(self.config.list_mode)
