"""The gateway contract from the client's side: `adapter` is the ONE module that knows paths and
body shapes, `errors` the typed errors and the error-code table, `retry` the backoff rules as
pure functions, `client` the httpx client.

Imports the domain only; it never retries on its own (the sync engine owns the loop).
"""
