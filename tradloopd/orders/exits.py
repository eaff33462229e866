"""Exit orders attached to an entry: the stop-loss and take-profit legs a filled entry spawns.

Both the venue that runs them (the simulator) and the ledger that tracks them derive the legs from
the parent with this one function, so their ids and quantities always agree.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradloopd.messages import Order
from tradloopd.model import OrderType


def exit_orders(parent: Order, filled_qty: Decimal, ts: int) -> list[Order]:
    """The reduce-only legs for `filled_qty` of `parent`; ids are the parent's plus .sl / .tp.

    The two legs form a one-cancels-other pair: when one fills completely the other is canceled.
    """
    legs: list[Order] = []
    leg = Order(client_order_id=parent.client_order_id, symbol=parent.symbol,
                side=parent.side.opposite, quantity=filled_qty, reduce_only=True,
                parent_id=parent.client_order_id, strategy_id=parent.strategy_id, ts_init=ts)
    if parent.stop_loss is not None:
        legs.append(msgspec.structs.replace(
            leg, client_order_id=f"{parent.client_order_id}.sl", kind=OrderType.STOP,
            trigger_price=parent.stop_loss, tag="stop_loss"))
    if parent.take_profit is not None:
        legs.append(msgspec.structs.replace(
            leg, client_order_id=f"{parent.client_order_id}.tp", kind=OrderType.LIMIT,
            price=parent.take_profit, tag="take_profit"))
    return legs


def has_exits(order: Order) -> bool:
    return order.stop_loss is not None or order.take_profit is not None


def is_exit_leg(order: Order) -> bool:
    """One of the `.sl` / `.tp` legs `exit_orders` makes (not any other order with a parent)."""
    parent = order.parent_id
    return parent is not None and order.client_order_id in (f"{parent}.sl", f"{parent}.tp")
