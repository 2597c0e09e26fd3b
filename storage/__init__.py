"""The encrypted queue on disk: SQLCipher (`db`: opening, pragmas, migrations, error sorting),
the database key (`keys`), owner-only files (`files`), the `Store` and its queries
(`repository`), and the outbox operations of the sync engine (`outbox`).

Imports the domain only (and the SQLCipher driver and `cryptography`).
"""
