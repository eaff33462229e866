"""The order catalogue from `tradloopctl submit`: the options build the request, the request
round-trips the protocol, and a manual algorithm sent through the node's risk guard is worked."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
import trio
import trio.testing

from tradloopd.clock import SimClock
from tradloopd.ctl_cli import _parser, main
from tradloopd.messages import (
    AlgoFilled,
    AtrTrail,
    Bar,
    BreakEven,
    Combo,
    Iceberg,
    OrderPlaced,
    Pov,
    ProfitTarget,
    Scale,
    SubmitOrder,
    TimedExit,
    Trail,
    Twap,
    Vwap,
)
from tradloopd.model import Instrument, OrderStatus, OrderType, TimeInForce, VolumeProfile
from tradloopd.node import Node, NodeSettings, build, control_request
from tradloopd.protocol import Submit, decode_client_message, encode_line
from tradloopd.risk.guard import RiskLimits
from tradloopd.simulator import SimulatorConfig
from tradloopd.store.journal import Journal

D = Decimal
MINUTE = 60 * 10**9


def built(*options: str) -> Submit:
    args = _parser().parse_args(["--socket", "x", "submit", "AAPL", "buy", "10", *options])
    return args.build(args)


@pytest.mark.parametrize(("options", "fields"), [
    (["--twap", "600/10"], {"algo": Twap(duration_ns=600 * 10**9, slices=10)}),
    (["--vwap", "300", "--profile", "back", "--max-participation", "0.1"],
     {"algo": Vwap(duration_ns=300 * 10**9, profile=VolumeProfile.BACK, max_participation=D("0.1"))}),
    (["--limit", "99", "--iceberg", "2"], {"kind": OrderType.LIMIT, "algo": Iceberg(display_qty=D(2))}),
    (["--pov", "0.05", "--until", "2024-01-01T00:00:00"], {"algo": Pov(participation=D("0.05"),
                                                                     end_ts=1_704_067_200 * 10**9)}),
    (["--limit", "99", "--scale=-1/3"], {"algo": Scale(step=D(-1), levels=3)}),
    (["--stop", "95", "--atr-trail", "2.5/14"], {"algo": AtrTrail(multiple=D("2.5"), period=14)}),
    (["--profit-target", "2%"], {"algo": ProfitTarget(percent=D(2))}),
    (["--stop", "95", "--break-even", "104", "--break-even-offset", "0.1"],
     {"algo": BreakEven(threshold=D(104), offset=D("0.1"))}),
    (["--exit-after", "5"], {"algo": TimedExit(bars=5)}),
    (["--trail", "1.5%", "--activation", "120"],
     {"kind": OrderType.STOP, "trigger_price": None, "trail": Trail(percent=D("1.5"), activation=D(120))}),
    (["--stop", "98", "--limit", "98.5", "--if-touched"],
     {"kind": OrderType.STOP_LIMIT, "if_touched": True, "trigger_price": D(98)}),
    (["--tif", "ioc", "--combo", "pair/2"], {"tif": TimeInForce.IOC, "combo": Combo(group="pair", legs=2)}),
    (["--limit", "99", "--oca", "g1", "--oto-parent", "manual-7"],
     {"oca_group": "g1", "oto_parent": "manual-7"}),
])
def test_each_catalogue_option_builds_its_part_of_the_order(options, fields):
    request = built(*options)
    order = request.to_order("manual-1")
    for name, value in fields.items():
        assert getattr(order, name) == value
    assert decode_client_message(encode_line(request)) == request  # protocol version 1 carries it


def test_a_request_that_cannot_work_is_refused_before_connecting(capsys):
    assert main(["--socket", "x", "submit", "AAPL", "buy", "10", "--iceberg", "2"]) == 2
    assert "an iceberg is a limit order" in capsys.readouterr().err
    assert main(["--socket", "x", "submit", "AAPL", "buy", "10", "--combo", "pair/2"]) == 2
    assert "multi-leg orders are IOC or FOK" in capsys.readouterr().err


def test_an_old_client_request_without_the_new_fields_still_decodes():
    line = b'{"type":"submit","id":1,"symbol":"AAPL","side":"buy","quantity":"1"}\n'
    request = decode_client_message(line)
    assert isinstance(request, Submit) and request.algo is None and request.trail is None


def test_the_algorithm_is_spelled_in_the_protocols_own_lowercase_tags():
    line = (b'{"type":"submit","id":2,"symbol":"AAPL","side":"sell","quantity":"5","kind":"limit",'
            b'"price":"101","algo":{"type":"scale","step":"0.5","levels":3}}\n')
    request = decode_client_message(line)
    assert isinstance(request, Submit)
    assert request.to_order("manual-2").algo == Scale(step=D("0.5"), levels=3)


class Bars:
    """A feed of hand-made one-minute bars on a simulated clock, after a start signal."""

    def __init__(self, clock: SimClock, prices: list[float], settle) -> None:  # type: ignore[no-untyped-def]
        self.clock, self.prices, self.settle = clock, prices, settle

    async def run(self, send, *, task_status=trio.TASK_STATUS_IGNORED):  # type: ignore[no-untyped-def]
        async with send:
            task_status.started()
            for k, price in enumerate(self.prices):
                self.clock.set((k + 1) * MINUTE)
                await send.send(Bar(symbol="AAPL", ts_open=k * MINUTE, ts_event=(k + 1) * MINUTE, open=price,
                                    high=price, low=price, close=price, volume=1e6))
                await self.settle()


async def test_a_manual_twap_goes_through_the_risk_guard_once_and_is_worked_by_the_paper_venue(tmp_path):
    clock = SimClock()
    settings = NodeSettings(node_id="n", state_dir=tmp_path, cash=D(100_000), simulator=SimulatorConfig(),
                            risk=RiskLimits(max_order_qty=D(10)),
                            instruments={"AAPL": Instrument(symbol="AAPL", price_increment=D("0.01"),
                                                            size_increment=D(1))})
    wiring = build(settings, [], clock, publish=lambda messages, equity: None)
    node: Node

    async def settle() -> None:
        while True:
            await trio.testing.wait_all_tasks_blocked()
            if node.is_idle():
                return
            await trio.sleep(0.0005)

    async def submit_first(*, task_status=trio.TASK_STATUS_IGNORED) -> None:  # type: ignore[no-untyped-def]
        order = built("--twap", "180/3").to_order("n-m-1", strategy_id="operator", ts_init=0)
        assert await control_request(wiring, SubmitOrder(order=order, ts_event=0)) is None
        await settle()
        task_status.started()

    node = Node(settings, wiring, Bars(clock, [100.0, 101.0, 102.0, 103.0], settle), [submit_first])
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        await node.feed_done.wait()
        await settle()
        nursery.cancel_scope.cancel()
    journal = Journal(tmp_path / "journal.sqlite", initial_cash=D(1))
    logged = [m for _, m in journal.read()]
    journal.close()
    submits = [m for m in logged if isinstance(m, SubmitOrder)]
    assert len(submits) == 1  # the parent passed the guard once; its children went straight on
    assert [m.order.quantity for m in logged if isinstance(m, OrderPlaced)] == [D(3), D(3), D(4)]
    assert [m.price for m in logged if isinstance(m, AlgoFilled)] == [D(100), D(101), D(102)]
    assert wiring.risk.account.orders.get("n-m-1").status is OrderStatus.FILLED
    assert wiring.risk.account.position("AAPL") == 10
    order = submits[0].order
    assert msgspec.json.decode(msgspec.json.encode(order), type=type(order)) == order
