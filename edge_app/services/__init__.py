"""The one facade the command line and the window call: `App`.

An `App` is an open installation. Its parts live in modules by what they serve - setting up and
opening it and its secrets (`installation`), capturing and a manager's decisions (`capture`),
import files (`importing`), the card list (`cardlist`), sync runs (`syncing`), status
(`status`), who the audit trail names (`auditing`), the shop-close report and reconciliation
(`shop_close`, written out by `report_formats` and `report_files`) - and `App` joins them. The
window and the command line read and change the queue only through these methods (the window's
list screens page through `open_reader()`).

This package may import config, domain and storage; the gateway and the sync engine only inside
the methods that use them. It never imports Qt.
"""

from __future__ import annotations

from edge_app.services.auditing import Auditing
from edge_app.services.capture import Capture
from edge_app.services.cardlist import CardList
from edge_app.services.importing import IMPORT_KEYS, Importing, ImportRefused
from edge_app.services.installation import (
    SECRET_CLIENT,
    SECRET_PASSWORD,
    SECRET_SIGNING,
    SECRET_TOKEN,
    InitSettings,
)
from edge_app.services.shop_close import ShopClose
from edge_app.services.status import Reporting
from edge_app.services.syncing import SyncRuns
from edge_app.services.system import local_now, local_time_zone, system_description, today


class App(SyncRuns, Importing, CardList, Reporting, Auditing, ShopClose):
    """An open installation: its config, its key source and its encrypted store."""


__all__ = [
    "IMPORT_KEYS",
    "SECRET_CLIENT",
    "SECRET_PASSWORD",
    "SECRET_SIGNING",
    "SECRET_TOKEN",
    "App",
    "Capture",
    "ImportRefused",
    "InitSettings",
    "local_now",
    "local_time_zone",
    "system_description",
    "today",
]
