"""The demo venue's remote control under `/_fake/`: faults, the request log, the clock, balances and
orders placed, filled or cancelled by hand.

For tests and scripts that drive a venue running in another process; in-process code uses the same
objects directly. Admin requests are neither logged nor subject to faults.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import msgspec

from tradloopd.clock import Clock
from tradloopd.demo.account import BinanceError, VenueOrder
from tradloopd.demo.clock import VenueClock
from tradloopd.demo.faults import Fault, FaultPlan, RequestLog
from tradloopd.demo.venue import Venue


class ClockChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /_fake/clock`: freeze (at an instant), advance, shift or resume the venue clock."""

    freeze: bool = False
    freeze_at_ms: int | None = None
    advance_ms: int = 0
    resume: bool = False


class HandFill(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /_fake/orders/fill`: fill an open order now (all of it unless `quantity`)."""

    client_order_id: str
    quantity: str | None = None
    price: str | None = None


class HandCancel(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    client_order_id: str


class Liquidity(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /_fake/liquidity`: at most `quantity` per order per one-second candle (null: all)."""

    symbol: str
    quantity: str | None = None


class AdminError(Exception):
    def __init__(self, http_status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status


class Admin:
    """Answers `/_fake/...` requests: (method, path, query, JSON body) in, (status, JSON) out."""

    def __init__(self, *, venue: Venue, clock: Clock, faults: FaultPlan, log: RequestLog) -> None:
        self._venue = venue
        self._clock = clock
        self._faults = faults
        self._log = log

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, object]:
        try:
            return 200, self._route(method, path, query, body)
        except AdminError as exc:
            return exc.http_status, {"error": str(exc)}
        except BinanceError as exc:
            return exc.http_status, {"error": exc.msg, "code": exc.code}
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, InvalidOperation) as exc:
            return 400, {"error": str(exc)}

    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> object:
        match method, path:
            case "GET", "/_fake/requests":
                entries = self._log.entries(query.get("path"), after_seq=int(query.get("after", "0")))
                return {"requests": entries, "last_seq": self._log.last_seq}
            case "DELETE", "/_fake/requests":
                self._log.clear()
                return {}
            case "GET", "/_fake/faults":
                return {"faults": self._faults.pending()}
            case "POST", "/_fake/faults":
                self._faults.inject(msgspec.json.decode(body, type=Fault))
                return {"faults": self._faults.pending()}
            case "DELETE", "/_fake/faults":
                self._faults.clear()
                return {}
            case "GET", "/_fake/clock":
                return self._clock_state()
            case "POST", "/_fake/clock":
                self._change_clock(msgspec.json.decode(body, type=ClockChange))
                return self._clock_state()
            case "POST", "/_fake/balances":
                balances = msgspec.json.decode(body, type=dict[str, str])
                self._venue.set_balances({asset: Decimal(amount) for asset, amount in balances.items()})
                return {}
            case "POST", "/_fake/liquidity":
                change = msgspec.json.decode(body, type=Liquidity)
                quantity = None if change.quantity is None else Decimal(change.quantity)
                self._venue.set_liquidity(change.symbol.replace("/", ""), quantity)
                return {}
            case "POST", "/_fake/orders":
                return self._order(self._venue.place_by_hand(msgspec.json.decode(body, type=dict[str, str])))
            case "POST", "/_fake/orders/fill":
                fill = msgspec.json.decode(body, type=HandFill)
                return self._order(self._venue.fill_by_hand(
                    fill.client_order_id, None if fill.quantity is None else Decimal(fill.quantity),
                    None if fill.price is None else Decimal(fill.price)))
            case "POST", "/_fake/orders/cancel":
                cancel = msgspec.json.decode(body, type=HandCancel)
                return self._order(self._venue.cancel_by_hand(cancel.client_order_id))
            case _:
                raise AdminError(404, f"no admin endpoint {method} {path}")

    def _clock_state(self) -> dict[str, object]:
        frozen = isinstance(self._clock, VenueClock) and self._clock.frozen
        offset = self._clock.offset_ns // 1_000_000 if isinstance(self._clock, VenueClock) else 0
        return {"now_ms": self._clock.now_ns() // 1_000_000, "frozen": frozen, "offset_ms": offset}

    def _change_clock(self, change: ClockChange) -> None:
        clock = self._clock
        if not isinstance(clock, VenueClock):
            raise AdminError(409, "this venue runs on a clock that cannot be changed")
        if change.freeze or change.freeze_at_ms is not None:
            clock.freeze()
        if change.freeze_at_ms is not None:
            clock.set(change.freeze_at_ms * 1_000_000)
        if change.advance_ms:
            clock.advance(change.advance_ms * 1_000_000)
        if change.resume:
            clock.resume()

    @staticmethod
    def _order(order: VenueOrder) -> dict[str, object]:
        return {"order_id": order.order_id, "client_order_id": order.client_order_id,
                "status": order.status, "executed_qty": str(order.executed_qty)}
