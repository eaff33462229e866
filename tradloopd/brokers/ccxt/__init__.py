"""The CCXT broker: crypto exchange accounts through `ccxt.async_support`, confined to this package."""
