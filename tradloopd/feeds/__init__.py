"""Live market data feeds: closed candles from venues, delivered as `tradloopd.messages.Bar`.

`tradloopd.feeds.ccxt_feed.CcxtFeed` polls any ccxt exchange through trio-asyncio; ccxt itself is
imported only when a feed connects. `tradloopd.feeds.ib_feed.IbFeed` polls Interactive Brokers'
historical bars within IB's pacing rules (ib_async, imported when it connects).
`tradloopd.feeds.multi.MultiFeed` runs a daemon's feeds as one.
"""
