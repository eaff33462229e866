"""Strategies and bars for the research tests: a planted optimum, and one that records its bars.

`Planted` holds a constant fraction of equity long, f = 1 - ((level - 7) / 10)^2 - 2 (scale - 0.3)^2
in mode "long" (nothing in mode "flat"), on `rising_bars()`, whose price only grows on average:
total return increases with f, so the best parameters are exactly level=7, scale=0.3, mode=long,
and deeper drawdowns come with larger f (a real trade-off for multi-objective search).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
import numpy as np
from msgspec import Meta

from tradloopd.data.bars import BarSeries
from tradloopd.strategy import Strategy, Targets, fraction

OPTIMUM = {"level": 7, "scale": 0.3, "mode": "long"}
DAY_NS = 86_400 * 10**9


def rising_bars(n: int = 300, symbol: str = "PLANT") -> BarSeries:
    """Daily bars of a price drifting up 0.2% a day with a 5-day wave (so it has drawdowns)."""
    t = np.arange(n)
    close = np.round(100.0 * np.exp(0.002 * t + 0.03 * np.sin(t / 5.0)), 2)
    open_ = np.concatenate(([close[0]], close[:-1]))
    ts = 1_600_000_000 * 10**9 // DAY_NS * DAY_NS + t.astype(np.int64) * DAY_NS
    return BarSeries.from_arrays(symbol=symbol, ts=ts, open=open_, high=np.maximum(open_, close) + 0.01,
                                 low=np.minimum(open_, close) - 0.01, close=close, volume=np.ones(n),
                                 source="planted synthetic bars")


def target_fraction(level: int, scale: float, mode: str) -> float:
    if mode != "long":
        return 0.0
    return max(0.0, 1.0 - ((level - 7) / 10.0) ** 2 - 2.0 * (scale - 0.3) ** 2)


class PlantedParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    level: Annotated[int, Meta(ge=0, le=20, extra={"step": 1})] = 0
    scale: Annotated[float, Meta(ge=0.0, le=1.0)] = 1.0
    mode: Literal["flat", "long"] = "long"

    def __post_init__(self) -> None:
        if self.mode == "flat" and self.level > 10:
            raise ValueError("mode flat takes level <= 10")


class Planted(Strategy):
    name = "planted"
    Params = PlantedParams
    p: PlantedParams

    def signals(self, frame: Any) -> Targets:
        f = target_fraction(self.p.level, self.p.scale, self.p.mode)
        return fraction(np.full(len(frame), f))


SEEN: list[tuple[str, int]] = []
"""What `Recording` saw, in order: ("bars", last bar ts of the frame) per signals() call; tests
add their own markers."""


class RecordingParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    period: Annotated[int, Meta(ge=2, le=40, extra={"step": 1})] = 10


class Recording(Strategy):
    """Long above the SMA of `period`, flat below; records the last bar of every frame it sees."""

    name = "recording"
    Params = RecordingParams
    p: RecordingParams

    def signals(self, frame: Any) -> Targets:
        SEEN.append(("bars", int(frame.index[-1].value)))
        close = frame["close"].to_numpy()
        mean = np.convolve(close, np.ones(self.p.period) / self.p.period)[: len(close)]
        mean[: self.p.period - 1] = np.nan
        return fraction(np.where(np.isnan(mean), np.nan, (close > mean).astype(float)))
