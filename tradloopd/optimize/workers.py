"""Where trials run: in this process, in worker processes, or on a Dask cluster.

Every executor takes batches of `TrialRequest`s and yields `(number, TrialResult)` as trials
finish, in whatever order; the search tells its sampler in trial-number order, so a seeded run
gives the same trials whatever the worker count.

- `InlineExecutor`: this process (`jobs=1`); the simplest to debug and to instrument.
- `ProcessExecutor`: `jobs` spawned processes. The bars are written once to `.npy` files in a
  temporary directory and memory-mapped read-only by every worker at start, so the data is shared
  by the OS page cache and never copied per trial; each worker keeps its `TrialRunner` (and its
  indicator cache) for the whole search. Workers ignore SIGINT: Ctrl-C is handled by the parent,
  which lets running chunks finish and cancels the rest.
- `DaskExecutor`: a `distributed` cluster at `address`. The bars are scattered to every worker
  once; each worker process keeps its runner between tasks, keyed by a token of this search.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tradloopd.data.bars import BarSeries
from tradloopd.errors import ConfigError
from tradloopd.optimize.trial import TrialJob, TrialResult, TrialRunner

Window = tuple[int, int]
"""A time window [start_ts, stop_ts) in int ns: the bars of every series inside it."""

_FIELDS = ("ts", "open", "high", "low", "close", "volume")
_RUNNERS_PER_WORKER = 4


@dataclass(frozen=True)
class TrialRequest:
    """Run `params` as trial `number`, on the bars inside `window` (all bars when None)."""

    number: int
    params: dict[str, Any]
    window: Window | None = None


class Executor(Protocol):
    jobs: int

    def run(self, requests: Sequence[TrialRequest]) -> Iterator[tuple[int, TrialResult]]: ...

    def close(self) -> None: ...


class WorkerState:
    """A worker's bars and its runners, one per window (the few most recent)."""

    def __init__(self, job: TrialJob, series: Sequence[BarSeries]) -> None:
        self.job = job
        self.series = list(series)
        self._runners: OrderedDict[Window | None, TrialRunner] = OrderedDict()

    def runner(self, window: Window | None) -> TrialRunner:
        runner = self._runners.get(window)
        if runner is None:
            runner = TrialRunner(self.job, window_bars(self.series, window))
            self._runners[window] = runner
            if len(self._runners) > _RUNNERS_PER_WORKER:
                self._runners.popitem(last=False)
        else:
            self._runners.move_to_end(window)
        return runner

    def run(self, requests: Sequence[TrialRequest]) -> list[tuple[int, TrialResult]]:
        return [(r.number, self.runner(r.window).run(r.params)) for r in requests]


def window_bars(series: Sequence[BarSeries], window: Window | None) -> list[BarSeries]:
    """Each series cut to the window (views, no copy); series with no bar inside are dropped."""
    if window is None:
        return list(series)
    start, stop = window
    cut = [s.slice(int(np.searchsorted(s.ts, start)), int(np.searchsorted(s.ts, stop))) for s in series]
    cut = [s for s in cut if len(s)]
    if not cut:
        raise ConfigError(f"no bars between {start} and {stop} (ns): the window is empty")
    return cut


def open_executor(job: TrialJob, series: Sequence[BarSeries], *, jobs: int = 1,
                  dask_scheduler: str | None = None) -> Executor:
    """The executor for `jobs` local workers, or the Dask cluster at `dask_scheduler`."""
    if dask_scheduler:
        return DaskExecutor(job, series, dask_scheduler)
    if jobs < 1:
        jobs = os.cpu_count() or 1
    return ProcessExecutor(job, series, jobs) if jobs > 1 else InlineExecutor(job, series)


def chunks(requests: Sequence[TrialRequest], workers: int) -> list[Sequence[TrialRequest]]:
    """Requests in tasks big enough to amortise the hop, small enough to balance and report."""
    size = max(1, min(8, len(requests) // (workers * 4)))
    return [requests[i:i + size] for i in range(0, len(requests), size)]


class InlineExecutor:
    jobs = 1

    def __init__(self, job: TrialJob, series: Sequence[BarSeries]) -> None:
        self.state = WorkerState(job, series)

    def run(self, requests: Sequence[TrialRequest]) -> Iterator[tuple[int, TrialResult]]:
        for request in requests:
            yield from self.state.run([request])

    def close(self) -> None:
        pass


# Worker processes -------------------------------------------------------------------------------

_PROCESS_STATE: dict[str, WorkerState] = {}  # this worker process's state, set once at start


def _init_process(job: TrialJob, directory: str, metas: list[dict[str, Any]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    series = [_mapped_series(Path(directory), i, meta) for i, meta in enumerate(metas)]
    _PROCESS_STATE["state"] = WorkerState(job, series)


def _run_in_process(requests: Sequence[TrialRequest]) -> list[tuple[int, TrialResult]]:
    return _PROCESS_STATE["state"].run(requests)


def _mapped_series(directory: Path, index: int, meta: dict[str, Any]) -> BarSeries:
    arrays = {name: np.load(directory / f"{index}-{name}.npy", mmap_mode="r") for name in _FIELDS}
    return BarSeries(**arrays, **meta)


class ProcessExecutor:
    """`jobs` spawned worker processes sharing the bars through memory-mapped files."""

    def __init__(self, job: TrialJob, series: Sequence[BarSeries], jobs: int) -> None:
        import multiprocessing

        _require_picklable(job)
        self.jobs = jobs
        self._dir = tempfile.TemporaryDirectory(prefix="tradloopd-bars-")
        metas = [_write_series(Path(self._dir.name), i, s) for i, s in enumerate(series)]
        self._pool = ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_process,
            initargs=(job, self._dir.name, metas))

    def run(self, requests: Sequence[TrialRequest]) -> Iterator[tuple[int, TrialResult]]:
        futures = [self._pool.submit(_run_in_process, chunk) for chunk in chunks(requests, self.jobs)]
        try:
            for future in as_completed(futures):
                yield from future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._dir.cleanup()


def _write_series(directory: Path, index: int, series: BarSeries) -> dict[str, Any]:
    for name in _FIELDS:
        np.save(directory / f"{index}-{name}.npy", getattr(series, name))
    return {"symbol": series.symbol, "timeframe_ns": series.timeframe_ns, "source": series.source,
            "price_decimals": series.price_decimals}


def _require_picklable(job: TrialJob) -> None:
    try:
        pickle.dumps(job)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ConfigError(
            "running trials in worker processes needs an importable strategy class and objective or "
            f"constraint functions defined at module level (not lambdas): {exc}") from None


# Dask --------------------------------------------------------------------------------------------

_DASK_STATES: dict[str, WorkerState] = {}


@contextlib.contextmanager
def standard_asyncio() -> Iterator[None]:
    """Plain asyncio event loops for the Dask loop threads started inside this block.

    trio-asyncio (imported by the CCXT and IB adapters, so by the CLI's config) replaces
    `asyncio.new_event_loop` so that new threads get its own loop, on which a Dask client fails
    at the first result. Dask starts its loop thread and waits for it while the client (or a local
    cluster) is built, so restoring asyncio's loop class for that moment is enough."""
    import asyncio.events

    patched = asyncio.events.new_event_loop
    asyncio.events.new_event_loop = asyncio.SelectorEventLoop
    try:
        yield
    finally:
        asyncio.events.new_event_loop = patched


def _run_on_dask(token: str, job: TrialJob, series: list[BarSeries],
                 requests: Sequence[TrialRequest]) -> list[tuple[int, TrialResult]]:
    state = _DASK_STATES.get(token)
    if state is None:
        state = _DASK_STATES[token] = WorkerState(job, series)
    return state.run(requests)


def _forget_on_dask(token: str) -> None:
    _DASK_STATES.pop(token, None)


class DaskExecutor:
    """Trials as tasks on a `distributed` cluster; the bars are scattered to each worker once."""

    def __init__(self, job: TrialJob, series: Sequence[BarSeries], address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError("--dask-scheduler needs the dask extra: "
                              "pip install 'tradloopd[dask]'") from None
        try:
            with standard_asyncio():
                self.client = Client(address, set_as_default=False, timeout="20s")
        except OSError as exc:
            raise ConfigError(f"--dask-scheduler {address}: cannot connect ({exc})") from None
        self.token = uuid.uuid4().hex
        self.job = job
        self.jobs = max(1, sum(self.client.nthreads().values()))
        self.series = self.client.scatter(list(series), broadcast=True, hash=False)

    def run(self, requests: Sequence[TrialRequest]) -> Iterator[tuple[int, TrialResult]]:
        from distributed import as_completed as dask_completed

        futures: list[Future[Any]] = [
            self.client.submit(_run_on_dask, self.token, self.job, self.series, list(chunk), pure=False)
            for chunk in chunks(requests, self.jobs)
        ]
        try:
            with self.client.as_current():  # as_completed finds the client of this search
                completed = dask_completed(futures)
            for future in completed:
                yield from future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.run(_forget_on_dask, self.token)
        self.client.close()
