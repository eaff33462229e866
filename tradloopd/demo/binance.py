"""A fake Binance spot REST server on 127.0.0.1 that the real ccxt client talks to.

`FakeBinance` serves the endpoints ccxt needs for markets, time, klines, tickers, account and
orders (see `tradloopd.demo.venue`), misbehaves on request (HTTP 429/418 with Retry-After, 5xx,
slow replies, dropped connections or replies, malformed JSON, injected order rejections) and
records every request. A test can also act on the account "by hand" (change balances, place,
fill or cancel orders), as a person on the exchange's website would while the daemon is down. `point_ccxt_at`
sends a ccxt exchange's REST calls to it. `python -m tradloopd.demo.binance --port 8765` runs it
as a local demo venue until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import msgspec

from tradloopd.clock import Clock
from tradloopd.demo.account import INSUFFICIENT_BALANCE, BinanceError, VenueOrder
from tradloopd.demo.admin import Admin
from tradloopd.demo.clock import VenueClock
from tradloopd.demo.faults import Fault, FaultPlan, LoggedRequest, RequestLog
from tradloopd.demo.markets import MARKETS, Market
from tradloopd.demo.venue import Json, Venue

Route = Callable[[Venue, dict[str, str]], Json]
ROUTES: dict[tuple[str, str], tuple[Route, bool]] = {
    ("GET", "/api/v3/ping"): (Venue.ping, False),
    ("GET", "/api/v3/time"): (Venue.time, False),
    ("GET", "/api/v3/exchangeInfo"): (Venue.exchange_info, False),
    ("GET", "/api/v3/klines"): (Venue.klines, False),
    ("GET", "/api/v3/uiKlines"): (Venue.klines, False),
    ("GET", "/api/v3/ticker/24hr"): (Venue.ticker_24hr, False),
    ("GET", "/api/v3/ticker/price"): (Venue.ticker_price, False),
    ("GET", "/api/v3/ticker/bookTicker"): (Venue.book_ticker, False),
    ("GET", "/api/v3/account"): (Venue.account_info, True),
    ("POST", "/api/v3/order"): (Venue.new_order, True),
    ("GET", "/api/v3/order"): (Venue.query_order, True),
    ("DELETE", "/api/v3/order"): (Venue.cancel_order, True),
    ("GET", "/api/v3/openOrders"): (Venue.open_orders, True),
    ("GET", "/api/v3/allOrders"): (Venue.all_orders, True),
    ("GET", "/api/v3/myTrades"): (Venue.my_trades, True),
}
FAULT_BODIES = {
    429: (-1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
                 "Please use WebSocket Streams for live updates to avoid polling the API."),
    418: (-1003, "Way too much request weight used; IP banned. Please use WebSocket Streams for live "
                 "updates to avoid bans."),
    401: (-2015, "Invalid API-key, IP, or permissions for action."),
}
GATEWAY_STATUSES = (502, 503, 504)
INTERNAL_ERROR = (-1001, "Internal error; unable to process your request. Please try again.")
NOT_FOUND = b"<html><body><h1>404 Not Found</h1></body></html>"
DROP = -1


@dataclass
class Reply:
    """What to send back: status, JSON (or other) body, extra headers; status DROP closes the socket."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


def point_ccxt_at(exchange: Any, base_url: str) -> None:
    """Send every REST call of a ccxt exchange (sync or async) to `base_url`, keeping the paths.

    `https://api.binance.com/api/v3` becomes `http://127.0.0.1:8765/api/v3`, and so on for every
    entry of `exchange.urls["api"]` (public, private, v1, sapi, fapi..., whatever the exchange has).
    """
    scheme, netloc, prefix, _, _ = urlsplit(base_url.rstrip("/"))
    if not scheme or not netloc:
        raise ValueError(f"base URL {base_url!r} needs a scheme and host, like http://127.0.0.1:8765")

    def rebase(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rebase(item) for key, item in value.items()}
        if isinstance(value, str) and "://" in value:
            return urlunsplit((scheme, netloc, prefix + urlsplit(value).path, "", ""))
        return value

    exchange.urls["api"] = rebase(exchange.urls["api"])


class FakeBinance:
    """The fake venue: bound on construction, serving in a thread between `start` and `stop`.

    `clock` is any `Clock` (default: a running `VenueClock`); give tests a frozen `VenueClock` and
    share it with the code under test. `fee_asset` ("BNB") pays commissions in that token, as
    Binance's "use BNB for fees" does; otherwise they are taken from the asset received. Faults are
    armed with `fail`, `delay`, `drop`, `malform`, `reject` and `drop_reply` (or `faults.inject`),
    requests read back with `requests`; `set_balances`, `place_order`, `fill_order`,
    `cancel_order` and `set_liquidity` act on the account by hand.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None,
                 markets: tuple[Market, ...] = MARKETS, balances: dict[str, Decimal] | None = None,
                 api_keys: dict[str, str] | None = None, fee_asset: str | None = None,
                 log_capacity: int = 10_000) -> None:
        self.clock = clock if clock is not None else VenueClock()
        self.venue = Venue(self.clock, markets=markets, balances=balances, api_keys=api_keys,
                           fee_asset=fee_asset)
        self.faults = FaultPlan()
        self.log = RequestLog(log_capacity)
        self.admin = Admin(venue=self.venue, clock=self.clock, faults=self.faults, log=self.log)
        self.internal_errors: list[str] = []
        self.stopping = threading.Event()
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def start(self) -> FakeBinance:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="fake-binance", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and wait for the handler threads; idempotent."""
        self.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> FakeBinance:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Faults and the log -------------------------------------------------------------------------

    def fail(self, path: str = "", *, status: int = 503, times: int | None = 1,
             retry_after_s: float | None = None) -> Fault:
        """Answer the next `times` requests under `path` with HTTP `status` instead."""
        return self._inject(Fault(kind="status", path=path, times=times, status=status,
                                  retry_after_s=retry_after_s))

    def delay(self, path: str = "", *, seconds: float, times: int | None = 1) -> Fault:
        return self._inject(Fault(kind="delay", path=path, times=times, delay_s=seconds))

    def drop(self, path: str = "", *, times: int | None = 1) -> Fault:
        """Close the connection of the next `times` requests under `path` without answering."""
        return self._inject(Fault(kind="drop", path=path, times=times))

    def malform(self, path: str = "", *, times: int | None = 1) -> Fault:
        return self._inject(Fault(kind="malformed", path=path, times=times))

    def reject(self, path: str = "/api/v3/order", *, code: int = -2010, msg: str = INSUFFICIENT_BALANCE,
               times: int | None = 1) -> Fault:
        """Refuse the next `times` requests under `path` with Binance's error `code` and `msg`."""
        return self._inject(Fault(kind="reject", path=path, times=times, code=code, msg=msg))

    def drop_reply(self, path: str = "/api/v3/order", *, times: int | None = 1) -> Fault:
        """Handle the next `times` requests under `path`, then close the connection unanswered."""
        return self._inject(Fault(kind="drop_reply", path=path, times=times))

    # The account by hand ------------------------------------------------------------------------

    def set_balances(self, balances: dict[str, Decimal | str]) -> None:
        """Set free balances, as a deposit, a withdrawal or a trade outside the daemon would."""
        self.venue.set_balances({asset: Decimal(amount) for asset, amount in balances.items()})

    def place_order(self, symbol: str, side: str, type: str, quantity: Decimal | str, *,
                    price: Decimal | str | None = None, client_order_id: str = "",
                    time_in_force: str = "GTC") -> VenueOrder:
        """Place an order by hand (`symbol` as ccxt writes it, `side`/`type` as Binance does)."""
        params = {"symbol": symbol.replace("/", ""), "side": side, "type": type, "quantity": str(quantity)}
        if price is not None:
            params |= {"price": str(price), "timeInForce": time_in_force}
        if client_order_id:
            params["newClientOrderId"] = client_order_id
        return self.venue.place_by_hand(params)

    def fill_order(self, client_order_id: str, quantity: Decimal | str | None = None,
                   price: Decimal | str | None = None) -> VenueOrder:
        """Fill an open order now, in full or `quantity` of it, at `price` (default: its limit)."""
        return self.venue.fill_by_hand(client_order_id, None if quantity is None else Decimal(quantity),
                                       None if price is None else Decimal(price))

    def cancel_order(self, client_order_id: str) -> VenueOrder:
        return self.venue.cancel_by_hand(client_order_id)

    def set_liquidity(self, symbol: str, quantity: Decimal | str | None) -> None:
        """Fill resting orders of `symbol` by at most `quantity` per one-second candle (None: all)."""
        self.venue.set_liquidity(symbol.replace("/", ""), None if quantity is None else Decimal(quantity))

    def clear_faults(self) -> None:
        self.faults.clear()

    def requests(self, path: str | None = None, *, after_seq: int = 0) -> list[LoggedRequest]:
        return self.log.entries(path, after_seq=after_seq)

    def _inject(self, fault: Fault) -> Fault:
        self.faults.inject(fault)
        return fault

    # Serving ------------------------------------------------------------------------------------

    def respond(self, method: str, path: str, params: dict[str, str], payload: str,
                api_key: str | None) -> Reply:
        """The reply to one venue request, after faults; logs the request."""
        ts_ns, mono_ns = self.clock.now_ns(), time.monotonic_ns()
        fault = self.faults.take(path)
        reply = self._fault_reply(fault) if fault is not None and fault.kind in ("status", "drop", "reject") \
            else self._route(method, path, params, payload, api_key)
        if fault is not None and fault.kind == "malformed" and reply.status == 200:
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        self.log.record(method=method, path=path, params=params, ts_ns=ts_ns, mono_ns=mono_ns,
                        status=max(reply.status, 0), fault=fault.kind if fault else "")
        if fault is not None and fault.kind == "delay":
            self.stopping.wait(fault.delay_s)
        if fault is not None and fault.kind == "drop_reply":
            return Reply(DROP)
        return reply

    def _route(self, method: str, path: str, params: dict[str, str], payload: str,
               api_key: str | None) -> Reply:
        route = ROUTES.get((method, path))
        if route is None:
            return Reply(404, NOT_FOUND, content_type="text/html")
        handler, signed = route
        try:
            if signed:
                self.venue.check_signature(api_key, params, payload)
            return Reply(200, msgspec.json.encode(handler(self.venue, params)))
        except BinanceError as exc:
            return Reply(exc.http_status, msgspec.json.encode({"code": exc.code, "msg": exc.msg}))
        except Exception:
            self.internal_errors.append(traceback.format_exc())
            print(self.internal_errors[-1], file=sys.stderr)
            return _error_reply(500, *INTERNAL_ERROR)

    @staticmethod
    def _fault_reply(fault: Fault) -> Reply:
        if fault.kind == "drop":
            return Reply(DROP)
        if fault.kind == "reject":
            return _error_reply(400, fault.code, fault.msg)
        if fault.status in GATEWAY_STATUSES:
            page = f"<html><body><h1>{fault.status} Service Unavailable</h1></body></html>"
            reply = Reply(fault.status, page.encode(), content_type="text/html")
        else:
            reply = _error_reply(fault.status, *FAULT_BODIES.get(fault.status, INTERNAL_ERROR))
        if fault.retry_after_s is not None:
            reply.headers["Retry-After"] = f"{fault.retry_after_s:g}"
        return reply


def _error_reply(status: int, code: int, msg: str) -> Reply:
    return Reply(status, msgspec.json.encode({"code": code, "msg": msg}))


class _Server(ThreadingHTTPServer):
    """Threaded HTTP/1.1 server that keeps track of its connections so `stop` can cut them."""

    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 fake: FakeBinance) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(sock)
        return sock, address

    def close_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().close_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.server.fake
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        if url.path.startswith("/_fake/"):
            status, payload = fake.admin.handle(method, url.path, query, body)
            self._send(Reply(status, msgspec.json.encode(payload)))
            return
        text = body.decode("utf-8", "replace")
        params = query | dict(parse_qsl(text, keep_blank_values=True))
        reply = fake.respond(method, url.path, params, url.query + text, self.headers.get("X-MBX-APIKEY"))
        if reply.status == DROP:
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


# Command line -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    clock = VenueClock(offset_ns=int(args.offset_s * 1e9))
    if args.freeze_at is not None:
        clock.freeze(_parse_instant(args.freeze_at))
    balances = dict(_parse_balance(item) for item in args.balance) or None
    fake = FakeBinance(host=args.host, port=args.port, clock=clock, balances=balances,
                       fee_asset=args.fee_asset or None)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    fake.start()
    print(f"fake Binance spot venue listening on {fake.url} (Ctrl-C to stop)", flush=True)
    print(f"  ccxt: point_ccxt_at(exchange, {fake.url!r}); markets: "
          + ", ".join(market.symbol for market in MARKETS), flush=True)
    while not stop.wait(0.5):
        pass
    fake.stop()
    print("fake Binance venue stopped", flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tradloopd.demo.binance",
        description="Run a fake Binance spot REST venue with synthetic market data on this machine.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind, 0 for any free one")
    parser.add_argument("--offset-s", type=float, default=0.0,
                        help="shift the venue clock by this many seconds from the wall clock")
    parser.add_argument("--freeze-at", metavar="TIME",
                        help="freeze the venue clock at this UTC time (ISO 8601 or epoch ms); "
                             "move it with POST /_fake/clock")
    parser.add_argument("--balance", action="append", default=[], metavar="ASSET=AMOUNT",
                        help="starting balance of the demo account, repeatable "
                             "(default USDT=100000 BTC=1 ETH=10 BNB=10)")
    parser.add_argument("--fee-asset", metavar="ASSET", default="",
                        help="pay commissions in this token (like Binance's BNB fees) instead of "
                             "the asset received")
    return parser


def _parse_instant(text: str) -> int:
    if text.isdigit():
        return int(text) * 1_000_000
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise SystemExit(f"--freeze-at {text!r}: give a UTC offset, like 2024-01-01T00:00:00Z")
    return int(instant.timestamp() * 1e9)


def _parse_balance(text: str) -> tuple[str, Decimal]:
    asset, _, amount = text.partition("=")
    try:
        return asset.upper(), Decimal(amount)
    except ArithmeticError:
        raise SystemExit(f"--balance {text!r}: write ASSET=AMOUNT, like USDT=100000") from None


if __name__ == "__main__":
    raise SystemExit(main())
