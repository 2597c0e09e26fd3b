"""The sync engine: it sends the outbox and the card-list changes through the gateway client.

`policy` says, as pure functions, what each answer makes of a record and what a run does next;
`engine.SyncEngine` runs it (built from `core`, `uploads`, `pending`, `cardlist`); `summary` is
what a run takes and gives back; `lock` keeps one run per installation across processes.
Imports the domain, the gateway and storage; never the services, the command line or Qt.
"""
