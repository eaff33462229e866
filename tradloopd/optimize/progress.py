"""Progress of a search or walk-forward: events for callers, and the terminal progress bar."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradloopd.optimize.results import TrialRecord


@dataclass(frozen=True)
class Progress:
    """One step: a trial finished (`kind="trial"`), or a walk-forward window started its
    in-sample search (`"window"`) or its out-of-sample run (`"oos"`)."""

    kind: str
    done: int
    total: int
    best: float | None = None
    window: int | None = None
    record: TrialRecord | None = None


ProgressCallback = Callable[[Progress], None]


@contextlib.contextmanager
def progress_bar(label: str, *, enabled: bool = True) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr (trials done/total, best so far, elapsed, ETA) fed by events."""
    if not enabled:
        yield lambda event: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), TextColumn("ETA"),
               TimeRemainingColumn())
    with RichProgress(*columns, console=Console(file=sys.stderr), transient=False) as bar:
        task = bar.add_task(label, total=None, best="-")

        def update(event: Progress) -> None:
            best = "-" if event.best is None else f"{event.best:.4g}"
            description = label if event.window is None else f"{label} window {event.window + 1}"
            if event.kind != "trial":
                description += " (out of sample)" if event.kind == "oos" else ""
            bar.update(task, completed=event.done, total=event.total, best=best, description=description)

        yield update
