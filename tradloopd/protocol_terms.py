"""Field types of the control protocol, and the order-catalogue terms a manual `Submit` carries
(trailing, multi-leg, algorithms), each mirroring the engine's spec of the same name
(`tradloopd.messages`); `tradloopd.protocol` holds the messages themselves."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from tradloopd.messages import AtrTrail, BreakEven, Iceberg, Pov, ProfitTarget, Scale, TimedExit, Twap, Vwap
from tradloopd.model import VolumeProfile

RequestId = Annotated[int, Meta(ge=0, le=2**53 - 1)]  # safe as a JavaScript number
Symbol = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$")]
ClientOrderId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[!-~]+$")]
Reason = Annotated[str, Meta(min_length=1, max_length=200)]
OrderTag = Annotated[str, Meta(max_length=64)]
Limit = Annotated[int, Meta(ge=1, le=10_000)]
Timestamp = Annotated[int, Meta(ge=0)]


class Trailing(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A trailing stop: `amount` (price units) or `percent` behind the best price, from `activation`."""

    amount: Decimal | None = None
    percent: Decimal | None = None
    activation: Decimal | None = None


class MultiLeg(msgspec.Struct, frozen=True, kw_only=True):
    """This order is a leg of multi-leg `group` of `legs` orders: all fill, or none."""

    group: ClientOrderId
    legs: Annotated[int, Meta(ge=2, le=100)]


class _Algo(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", omit_defaults=True):
    """An algorithm for a manual order: the fields of the engine's spec of the same name."""


class TwapAlgo(_Algo, frozen=True, kw_only=True, tag="twap"):
    duration_ns: Annotated[int, Meta(ge=1)]
    slices: Annotated[int, Meta(ge=1, le=100_000)]


class VwapAlgo(_Algo, frozen=True, kw_only=True, tag="vwap"):
    duration_ns: Annotated[int, Meta(ge=1)]
    profile: VolumeProfile = VolumeProfile.U
    max_participation: Decimal | None = None


class IcebergAlgo(_Algo, frozen=True, kw_only=True, tag="iceberg"):
    display_qty: Decimal


class PovAlgo(_Algo, frozen=True, kw_only=True, tag="pov"):
    participation: Decimal
    end_ts: Timestamp | None = None


class ScaleAlgo(_Algo, frozen=True, kw_only=True, tag="scale"):
    step: Decimal
    levels: Annotated[int, Meta(ge=2, le=100)]


class AtrTrailAlgo(_Algo, frozen=True, kw_only=True, tag="atr_trail"):
    multiple: Decimal
    period: Annotated[int, Meta(ge=1, le=1000)] = 14


class ProfitTargetAlgo(_Algo, frozen=True, kw_only=True, tag="profit_target"):
    offset: Decimal | None = None
    percent: Decimal | None = None


class BreakEvenAlgo(_Algo, frozen=True, kw_only=True, tag="break_even"):
    threshold: Decimal
    offset: Decimal = Decimal(0)


class TimedExitAlgo(_Algo, frozen=True, kw_only=True, tag="timed_exit"):
    bars: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None
    at_ts: Timestamp | None = None


AlgoTerms = (TwapAlgo | VwapAlgo | IcebergAlgo | PovAlgo | ScaleAlgo | AtrTrailAlgo | ProfitTargetAlgo
             | BreakEvenAlgo | TimedExitAlgo)
ENGINE_ALGO: dict[type, type] = {TwapAlgo: Twap, VwapAlgo: Vwap, IcebergAlgo: Iceberg, PovAlgo: Pov,
                                  ScaleAlgo: Scale, AtrTrailAlgo: AtrTrail, ProfitTargetAlgo: ProfitTarget,
                                  BreakEvenAlgo: BreakEven, TimedExitAlgo: TimedExit}
