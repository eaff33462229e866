"""Live market data feeds: closed candles from venues, delivered as `tradloopd.messages.Bar`.

`tradloopd.feeds.ccxt_feed.CcxtFeed` polls any ccxt exchange through trio-asyncio; ccxt itself is
imported only when a feed connects.
"""
