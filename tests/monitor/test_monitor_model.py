"""The monitor's pure parts: the state folded from replies and updates, the braille chart, the order
form's checks, and how numbers are written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.monitor import canned
from tradloopd.model import OrderStatus, OrderType, Side
from tradloopd.monitor.chart import BLANK, braille_rows
from tradloopd.monitor.model import MAX_FILLS, MonitorState, drawdown_series
from tradloopd.monitor.order_form import OrderFormError, describe, parse_order
from tradloopd.monitor.tables import usage_bar
from tradloopd.monitor.text import amount, money, percent, signed
from tradloopd.protocol import Dropped, EquityPoint, Update, Welcome


def update(topic: str, data) -> Update:  # type: ignore[no-untyped-def]
    return Update(topic=topic, seq=1, data=data)


def test_rows_are_keyed_so_a_repeated_update_changes_nothing():
    state = MonitorState()
    state.apply_orders(canned.ORDERS, working_snapshot=False)
    state.apply_update(update("orders", canned.ORDERS[1]))
    state.apply_fills(canned.FILLS)
    state.apply_update(update("fills", canned.FILLS[0]))
    assert len(state.orders) == len(canned.ORDERS)
    assert len(state.fills) == len(canned.FILLS)
    assert [o.client_order_id for o in state.working_orders()] == ["paper-2", "paper-3", "paper-4"]


def test_a_working_snapshot_forgets_orders_that_ended_while_away():
    state = MonitorState()
    state.apply_orders(canned.ORDERS, working_snapshot=False)
    state.apply_orders([canned.ORDERS[2]], working_snapshot=True)
    assert [o.client_order_id for o in state.working_orders()] == ["paper-3"]
    assert "paper-1" in state.orders  # finished orders stay in the history


def test_order_filters():
    state = MonitorState()
    state.apply_orders(canned.ORDERS, working_snapshot=False)
    ids = lambda **f: [o.client_order_id for o in state.order_rows(**f)]  # noqa: E731
    assert ids(status="finished") == ["paper-1", "paper-5"]
    assert ids(status="all", symbol="eth") == ["paper-3", "paper-4"]
    assert ids(status="all", side="sell") == ["paper-3", "paper-4"]
    assert ids(status=str(OrderStatus.DENIED)) == ["paper-5"]


def test_fills_keep_the_most_recent():
    state = MonitorState()
    fills = [canned.fill(f"f{i}", "o", ts=i) for i in range(MAX_FILLS + 10)]
    state.apply_fills(fills)
    assert len(state.fills) == MAX_FILLS
    assert state.fill_rows()[0].fill_id == "f10"


def test_equity_updates_after_the_snapshot_are_not_doubled():
    state = MonitorState()
    points = canned.equity_points(5)
    state.apply_equity(points)
    state.apply_update(update("equity", points[-1]))  # already in the snapshot
    state.apply_update(update("equity", points[1]))  # older than the snapshot
    state.apply_update(update("equity", EquityPoint(ts=canned.NOW + 1, equity=Decimal(1), cash=Decimal(1))))
    assert len(state.equity) == 6


def test_dropped_counts_and_asks_for_a_resync_only_of_row_topics():
    state = MonitorState()
    assert state.apply_dropped(Dropped(topic="orders", count=3)) is True
    assert state.apply_dropped(Dropped(topic="logs", count=5)) is False
    assert state.apply_dropped(Dropped(topic="orders", count=2)) is True
    assert state.dropped == {"orders": 5, "logs": 5}


def test_disconnected_since_is_the_first_failure():
    state = MonitorState()
    welcome = Welcome(protocol=1, node_id="n", version="0", topics=[], max_line_bytes=1)
    state.attached(welcome, 100)
    state.detached(200, "gone")
    state.detached(300, "still gone")
    assert (state.link.connected, state.link.since_ns, state.link.reason) == (False, 200, "still gone")
    state.attached(welcome, 400)
    assert (state.link.connected, state.link.since_ns, state.link.attaches) == (True, 400, 2)


def test_log_level_filter():
    state = MonitorState()
    for record in canned.LOGS:
        state.apply_update(update("logs", record))
    assert [r.level for r in state.log_rows("warning")] == ["warning", "error"]
    assert len(list(state.log_rows("debug"))) == 4


def test_drawdown_series_and_current_drawdown():
    assert drawdown_series([100.0, 110.0, 99.0, 121.0]) == pytest.approx([0, 0, -0.1, 0])
    state = MonitorState()
    state.apply_status(canned.status())
    assert state.drawdown_now() == pytest.approx(100512.40 / 101020.00 - 1)


def test_braille_line_joins_columns_and_area_fills_from_the_top():
    # the left dot column at the bottom, the right one joined from the bottom to the top
    assert braille_rows([0.0, 1.0], 1, 1, low=0.0, high=1.0) == ["⣸"]
    assert braille_rows([-1.0, -1.0], 1, 1, low=-1.0, high=0.0, fill_from_top=True) == ["⣿"]
    assert braille_rows([], 3, 2, low=0, high=1) == [BLANK * 3, BLANK * 3]


def test_braille_squeezes_long_series_keeping_extremes():
    values = [0.0] * 1000
    values[500] = 1.0  # one spike among a thousand points, on a 10-column chart
    [top, _] = braille_rows(values, 10, 2, low=0.0, high=1.0)
    assert top.strip(BLANK) != ""  # the spike is still drawn


def test_parse_order_accepts_what_the_daemon_accepts():
    submit = parse_order({"symbol": " BTC/USDT ", "side": "buy", "kind": "limit", "quantity": "0.5",
                          "price": "59000", "tif": "gtc", "post_only": True, "reduce_only": False,
                          "notional": "", "tag": "manual"})
    assert (submit.symbol, submit.side, submit.kind, submit.price) == ("BTC/USDT", Side.BUY, OrderType.LIMIT,
                                                                       Decimal("59000"))
    assert describe(submit) == "BUY LIMIT 0.5 BTC/USDT @ 59000 gtc post-only"


BTC = {"symbol": "BTC/USDT", "side": "buy"}


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"side": "buy", "quantity": "1"}, "symbol", "symbol: required"),
    ({**BTC, "symbol": "BTC USDT", "quantity": "1"}, "symbol", "symbol: Expected `str` matching regex"),
    (BTC, "quantity", "quantity: give a quantity or a notional, not both"),
    ({**BTC, "quantity": "-1"}, "", "quantity must be between 1e-18 and 1e15"),
    ({**BTC, "kind": "stop", "quantity": "1"}, "", "stop order needs"),
    ({**BTC, "side": "sell", "notional": "100"}, "", "notional sizing is only for market buys"),
])
def test_parse_order_names_the_problem(fields, field, message):
    with pytest.raises(OrderFormError) as caught:
        parse_order(fields)
    assert caught.value.field == field
    assert str(caught.value).startswith(message)


def test_numbers_are_written_exactly_and_signed():
    assert money(Decimal("-1234.5")) == "−1,234.50"
    assert amount(Decimal("0.50000")) == "0.5" and amount(Decimal("59000.00")) == "59000"
    assert str(signed(Decimal("12.3"))) == "+12.30" and str(signed(Decimal("-0.001"))) == "0.00"
    assert percent(-0.0123) == "−1.23%"
    assert str(usage_bar(0.5)).startswith("██████░░░░░░") and str(usage_bar(None)) == "–"
