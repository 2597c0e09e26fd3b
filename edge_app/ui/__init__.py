"""The PySide6 window: the only place that imports Qt.

`app` opens the installation (or the first-run `wizard`) and the `main_window` with its pages
(`sale_page`, `transactions_page`, `blocklist_page`, `sync_page`, `settings_page`, built on
`page.Page`), the `statusbar`, `workers` (work off the GUI thread, results back as signals),
`roles` (the manager PIN), `present` (states and errors in staff words) and `i18n`. It calls
only the `edge_app.services` facade; list screens page through their own read-only reader.
"""
