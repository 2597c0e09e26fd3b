"""Edge Uploader: the offline store-and-forward client for the card payment gateway.

Layers, imports pointing down only (docs/architecture.md draws the map; tests check it):
`ui` (the only Qt) and `cli` over `services` (the `App` facade) over `sync` over `gateway` and
`storage` over `domain`; `sandbox` stands alone, an independent implementation of the contract.
"""

__version__ = "0.1.0"
