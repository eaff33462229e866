"""The equity and drawdown chart, drawn with Unicode braille dots (2x4 per cell) so it fits a terminal.

`braille_rows` is the pure plotting function (tested on its own); `EquityChart` is the widget that lays
out the two panes, their labels and colours. Long series are squeezed to the width by keeping each
column's lowest and highest value, so a spike or a drawdown never disappears from the picture.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from tradloopd.monitor.model import drawdown_series
from tradloopd.monitor.text import money, percent

# Dot bit of column dx (0-1) and row dy (0-3) inside one braille cell.
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
BLANK = chr(0x2800)
AXIS_WIDTH = 11


def braille_rows(values: list[float], width: int, height: int, *, low: float, high: float,
                 fill_from_top: bool = False) -> list[str]:
    """`height` strings of `width` braille cells plotting `values` between `low` and `high`.

    A line joins consecutive columns; with `fill_from_top` each column is filled from the top edge
    down to its lowest value (an area, for the drawdown).
    """
    if width <= 0 or height <= 0:
        return []
    grid = [[0] * width for _ in range(height)]
    dots_high = height * 4
    span = high - low

    def row_of(value: float) -> int:
        if span <= 0:
            return dots_high // 2
        fraction = min(1.0, max(0.0, (value - low) / span))
        return dots_high - 1 - round(fraction * (dots_high - 1))

    previous: int | None = None
    for x, (lowest, highest, last) in enumerate(_columns(values, width * 2)):
        top, bottom = row_of(highest), row_of(lowest)
        if fill_from_top:
            top = 0
        elif previous is not None:
            top, bottom = min(top, previous), max(bottom, previous)
        for y in range(top, bottom + 1):
            grid[y // 4][x // 2] |= _DOTS[y % 4][x % 2]
        previous = row_of(last)
    return ["".join(chr(0x2800 + bits) for bits in row) for row in grid]


def _columns(values: list[float], columns: int) -> list[tuple[float, float, float]]:
    """(lowest, highest, last) of each of at most `columns` consecutive slices of `values`."""
    count = len(values)
    if count <= columns:
        return [(v, v, v) for v in values]
    out = []
    for column in range(columns):
        chunk = values[column * count // columns:(column + 1) * count // columns]
        out.append((min(chunk), max(chunk), chunk[-1]))
    return out


class EquityChart(Widget):
    """Equity (top two thirds) and drawdown from the running peak (bottom third), live."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chart--equity", "chart--drawdown", "chart--axis", "chart--title"}
    DEFAULT_CSS = """
    EquityChart { height: 12; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._values: list[float] = []

    def plot(self, values: list[float]) -> None:
        self._values = values
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        values = self._values
        title = self.get_component_rich_style("chart--title")
        axis = self.get_component_rich_style("chart--axis")
        if len(values) < 2 or width <= AXIS_WIDTH + 2 or height < 4:
            return Text("equity: waiting for marks…", style=axis)
        plot_width = width - AXIS_WIDTH
        rows = height - 1
        equity_rows = max(2, rows * 2 // 3)
        drawdown_rows = rows - equity_rows
        drawdowns = drawdown_series(values)
        low, high = min(values), max(values)
        deepest = min(drawdowns)
        out = Text(no_wrap=True, overflow="crop")
        out.append(f"equity {money(values[-1])}", style=title)
        out.append(f"  drawdown {percent(drawdowns[-1])}", style=title)
        out.append(f" (max {percent(deepest)}, {len(values):,} marks)", style=axis)
        equity_style = self.get_component_rich_style("chart--equity")
        labels = _labels(money(high), money(low), equity_rows)
        for label, line in zip(labels, braille_rows(values, plot_width, equity_rows, low=low, high=high),
                               strict=True):
            out.append("\n")
            out.append(label.rjust(AXIS_WIDTH - 1) + " ", style=axis)
            out.append(line, style=equity_style)
        if drawdown_rows > 0:
            drawdown_style = self.get_component_rich_style("chart--drawdown")
            labels = _labels("0%", percent(deepest), drawdown_rows)
            lines = braille_rows(drawdowns, plot_width, drawdown_rows, low=min(deepest, -1e-12), high=0.0,
                                 fill_from_top=True)
            for label, line in zip(labels, lines, strict=True):
                out.append("\n")
                out.append(label.rjust(AXIS_WIDTH - 1) + " ", style=axis)
                out.append(line, style=drawdown_style)
        return out


def _labels(top: str, bottom: str, rows: int) -> list[str]:
    if rows == 1:
        return [top]
    return [top] + [""] * (rows - 2) + [bottom]

