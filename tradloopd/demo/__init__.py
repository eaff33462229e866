"""A local demo venue: a fake Binance spot REST server with synthetic, deterministic market data.

Run it with `python -m tradloopd.demo.binance --port 8765`; the test suite starts it in-process
(`tradloopd.demo.binance.FakeBinance`). Nothing here is imported by the trading engine.
"""
