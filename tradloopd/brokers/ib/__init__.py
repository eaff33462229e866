"""Interactive Brokers: `ib_async` (under trio-asyncio) behind the broker protocol; see docs/brokers.md.

`broker.IbBroker` is the broker; `config.IbVenueConfig` its settings and `contracts` the symbol
syntax (neither imports `ib_async`, so reading a config stays fast).
"""
