"""The payment rules as pure functions: money, cards, transactions and their states, offline
limits, the card list.

No I/O and no clock of its own (callers pass `today` / `now`). Imports nothing of the project:
every other layer may import it.
"""
