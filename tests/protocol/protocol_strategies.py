"""Hypothesis strategies for every protocol message, derived from the structs' own type information.

A message type added to the protocol is covered without touching this file; only requests with
cross-field rules (`Submit`, `Cancel`) have hand-written strategies.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

from tradloopd.model import OrderType, Side, TimeInForce
from tradloopd.protocol import Cancel, Submit

INT64 = 2**63 - 1


def _submits() -> st.SearchStrategy[Submit]:
    amounts = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**9), places=4)
    kinds = st.sampled_from(OrderType)

    @st.composite
    def build(draw: st.DrawFn) -> Submit:
        kind = draw(kinds)
        tif = draw(st.sampled_from(TimeInForce))
        return Submit(
            id=draw(st.none() | st.integers(0, 2**53 - 1)),
            symbol=draw(st.sampled_from(["BTC/USDT", "AAPL", "EUR/USD", "ESZ6", "BTC/USDT:USDT"])),
            side=draw(st.sampled_from(Side)), kind=kind, quantity=draw(amounts),
            price=draw(amounts) if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
            trigger_price=draw(amounts) if kind in (OrderType.STOP, OrderType.STOP_LIMIT) else None,
            tif=tif, expire_ts=draw(st.integers(0, INT64)) if tif is TimeInForce.GTD else None,
            post_only=kind is OrderType.LIMIT and draw(st.booleans()), reduce_only=draw(st.booleans()),
            stop_loss=draw(st.none() | amounts), take_profit=draw(st.none() | amounts),
            tag=draw(st.text(max_size=64)),
        )

    return build()


def _cancels() -> st.SearchStrategy[Cancel]:
    ids = st.none() | st.integers(0, 2**53 - 1)
    return st.one_of(
        st.builds(Cancel, id=ids, client_order_id=st.from_regex(r"[!-~]{1,64}", fullmatch=True)),
        st.builds(Cancel, id=ids, all=st.just(True), symbol=st.none() | st.just("BTC/USDT")),
    )


OVERRIDES: dict[type, st.SearchStrategy[Any]] = {Submit: _submits(), Cancel: _cancels()}


def messages(cls: type) -> st.SearchStrategy[Any]:
    """Valid instances of a message class (or union)."""
    return _strategy(mi.type_info(cls))


@cache
def _struct(cls: type) -> st.SearchStrategy[Any]:
    if cls in OVERRIDES:
        return OVERRIDES[cls]
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    fields = {field.name: _strategy(field.type) for field in info.fields}
    return st.fixed_dictionaries(fields).map(lambda kwargs: cls(**kwargs))


def _strategy(t: mi.Type) -> st.SearchStrategy[Any]:
    match t:
        case mi.StructType():
            return st.deferred(lambda: _struct(t.cls))
        case mi.UnionType():
            return st.one_of([_strategy(member) for member in t.types])
        case mi.NoneType():
            return st.none()
        case mi.BoolType():
            return st.booleans()
        case mi.IntType():
            return st.integers(-INT64 if t.ge is None else t.ge, INT64 if t.le is None else t.le)
        case mi.FloatType():
            return st.floats(allow_nan=False, allow_infinity=False)
        case mi.DecimalType():
            return st.decimals(min_value=-(10**12), max_value=10**12, places=8)
        case mi.StrType() if t.pattern is not None:
            return st.from_regex(t.pattern, fullmatch=True).filter(
                lambda s: (t.min_length or 0) <= len(s) <= (t.max_length or 10**9))
        case mi.StrType():
            return st.text(min_size=t.min_length or 0, max_size=min(t.max_length or 20, 20))
        case mi.EnumType():
            return st.sampled_from(t.cls)
        case mi.LiteralType():
            return st.sampled_from(t.values)
        case mi.ListType():
            return st.lists(_strategy(t.item_type), min_size=t.min_length or 0, max_size=3)
        case mi.FrozenSetType():
            return st.frozensets(_strategy(t.item_type), min_size=t.min_length or 0, max_size=4)
        case mi.DictType():
            return st.dictionaries(_strategy(t.key_type), _strategy(t.value_type), max_size=3)
    raise NotImplementedError(f"no strategy for {t!r}: extend protocol_strategies")


def struct_classes(union: Any) -> list[type[msgspec.Struct]]:
    """Every struct class reachable from a type: the members, their fields' structs, and so on."""
    seen: dict[type, None] = {}

    def walk(t: mi.Type) -> None:
        match t:
            case mi.StructType() if t.cls not in seen:
                seen[t.cls] = None
                for field in t.fields:
                    walk(field.type)
            case mi.UnionType():
                for member in t.types:
                    walk(member)
            case mi.ListType() | mi.FrozenSetType():
                walk(t.item_type)
            case mi.DictType():
                walk(t.value_type)

    walk(mi.type_info(union))
    return list(seen)
