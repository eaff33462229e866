"""Worker processes and a Dask cluster give the same trials as one process, seed for seed."""

from __future__ import annotations

import pytest
from planted_strategies import Planted, rising_bars

from tradloopd.optimize import optimize
from tradloopd.optimize.workers import standard_asyncio

pytestmark = [
    # distributed's local cluster warns about ports and closing comms on some machines
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning"),
    pytest.mark.filterwarnings("ignore:Creating scratch directories is taking a surprisingly long time"),
]

SPACE = {"level": "0:20:1", "scale": "0:1:0.1", "mode": "flat,long"}


def search(method: str, **kwargs: object):
    return optimize(Planted, [rising_bars()], space=SPACE, method=method, objective="total_return",
                    **kwargs)  # type: ignore[arg-type]


def same(a, b) -> None:
    left, right = a.trials.drop(columns="duration_s"), b.trials.drop(columns="duration_s")
    assert left.equals(right)
    assert a.best_params == b.best_params


@pytest.mark.parametrize(("method", "trials"), [("random", 40), ("tpe", 24)])
def test_two_worker_processes_reproduce_one_process(method: str, trials: int) -> None:
    one = search(method, n_trials=trials, seed=11)
    two = search(method, n_trials=trials, seed=11, jobs=2)
    assert two.info["jobs"] == 2
    same(one, two)


def test_a_sweep_on_a_local_dask_cluster() -> None:
    import trio_asyncio  # noqa: F401 - as in the CLI, where the config imports the CCXT adapter
    from distributed import LocalCluster

    with standard_asyncio(), LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                          dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        on_dask = search("nsga2", n_trials=24, seed=4, batch_size=12, dask_scheduler=address)
    assert on_dask.info["jobs"] == 2
    same(search("nsga2", n_trials=24, seed=4, batch_size=12), on_dask)
