"""A fake Interactive Brokers TWS on 127.0.0.1 that the real `ib_async` client talks to.

`python -m tradloopd.demo.tws --port 7497` runs it as a demo; tests start it in their own trio run
with `tradloopd.demo.tws.server.open_fake_tws`. See `docs/brokers.md` (Interactive Brokers).
"""
