"""Fault injection and the request log, through the Python API and the /_fake/ admin endpoints."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import ccxt
import httpx
import pytest

from tests.demo.conftest import T0_NS
from tradloopd.demo.binance import FakeBinance, point_ccxt_at
from tradloopd.demo.faults import Fault

TIME = "/api/v3/time"


@pytest.fixture
def http(fake: FakeBinance):
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        yield client


def test_429_carries_retry_after_and_hits_only_the_next_request(fake, http):
    fake.fail(TIME, status=429, retry_after_s=2)
    response = http.get(TIME)
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.json()["code"] == -1003
    assert http.get(TIME).status_code == 200


def test_faults_match_by_path_prefix_and_count_down(fake, http):
    fake.fail("/api/v3/klines", status=500, times=2)
    assert http.get(TIME).status_code == 200
    params = {"symbol": "BTCUSDT", "interval": "1m", "limit": 1}
    assert [http.get("/api/v3/klines", params=params).status_code for _ in range(3)] == [500, 500, 200]
    fake.fail("/api/", status=503, times=None)
    assert [http.get(TIME).status_code for _ in range(3)] == [503, 503, 503]
    assert fake.faults.pending() == [Fault(kind="status", path="/api/", times=None, status=503)]
    fake.clear_faults()
    assert http.get(TIME).status_code == 200


def test_dropped_connection_and_malformed_json(fake, http):
    fake.drop(TIME)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(TIME)
    fake.malform(TIME)
    response = http.get(TIME)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert http.get(TIME).json() == {"serverTime": T0_NS // 1_000_000}


def test_slow_reply_outlasts_a_short_client_timeout(fake):
    fake.delay(TIME, seconds=5)
    with httpx.Client(base_url=fake.url, timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(TIME)
    assert fake.requests(TIME)[-1].fault == "delay"


def test_ccxt_sees_each_fault_as_its_own_error(fake):
    exchange = ccxt.binance({"enableRateLimit": False})
    point_ccxt_at(exchange, fake.url)
    for inject, error in [(lambda: fake.fail(TIME, status=429, retry_after_s=1), ccxt.DDoSProtection),
                          (lambda: fake.fail(TIME, status=418), ccxt.DDoSProtection),
                          (lambda: fake.fail(TIME, status=503), ccxt.ExchangeNotAvailable),
                          (lambda: fake.fail(TIME, status=500), ccxt.OperationFailed),
                          (lambda: fake.drop(TIME), ccxt.NetworkError)]:
        inject()
        with pytest.raises(error):
            exchange.fetch_time()
    assert exchange.last_response_headers is not None
    assert exchange.fetch_time() == T0_NS // 1_000_000


def test_request_log_records_method_path_params_time_and_outcome(fake, http, clock):
    http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1s", "limit": 2})
    clock.advance(1_000_000_000)
    fake.fail(TIME, status=503)
    http.get(TIME)
    http.get("/_fake/requests")  # admin requests are not logged
    first, second = fake.requests()
    assert (first.method, first.path, first.params, first.status, first.ts_ns) == (
        "GET", "/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1s", "limit": "2"}, 200, T0_NS)
    assert (second.path, second.status, second.fault, second.ts_ns) == (TIME, 503, "status",
                                                                       T0_NS + 1_000_000_000)
    assert second.mono_ns >= first.mono_ns and second.seq == first.seq + 1
    assert fake.requests(TIME) == [second] and fake.requests(after_seq=first.seq) == [second]


def test_admin_endpoints_drive_a_venue_in_another_process(fake, http):
    assert http.post("/_fake/faults", json={"kind": "status", "path": TIME, "status": 429,
                                            "retry_after_s": 3}).status_code == 200
    assert http.get("/_fake/faults").json()["faults"][0]["status"] == 429
    assert http.get(TIME).headers["Retry-After"] == "3"
    logged = http.get("/_fake/requests", params={"path": TIME}).json()
    assert [entry["status"] for entry in logged["requests"]] == [429]
    assert http.post("/_fake/clock", json={"advance_ms": 1500}).json()["now_ms"] == T0_NS // 10**6 + 1500
    assert http.get(TIME).json()["serverTime"] == T0_NS // 10**6 + 1500
    assert http.post("/_fake/balances", json={"USDT": "25.5"}).status_code == 200
    assert fake.venue.account.free["USDT"] == Decimal("25.5")
    http.post("/_fake/faults", json={"kind": "drop", "times": None})
    assert http.delete("/_fake/faults").status_code == 200
    assert http.delete("/_fake/requests").status_code == 200
    assert http.get(TIME).status_code == 200 and len(fake.requests()) == 1


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/_fake/faults", {"kind": "explode"}, 400),
    ("POST", "/_fake/faults", {"kind": "drop", "times": 0}, 400),
    ("POST", "/_fake/clock", {"advance_ms": -5}, 400),
    ("POST", "/_fake/nothing", {}, 404),
])
def test_admin_refuses_bad_requests(http, method, path, body, status):
    response = http.request(method, path, json=body)
    assert response.status_code == status and "error" in response.json()


def test_stop_cuts_a_slow_reply_and_open_connections(clock):
    fake = FakeBinance(clock=clock).start()
    fake.delay(TIME, seconds=60)
    outcome: list[object] = []

    def slow_request() -> None:
        try:
            with httpx.Client(base_url=fake.url, timeout=30) as client:
                outcome.append(client.get(TIME).status_code)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=slow_request)
    thread.start()
    deadline = time.monotonic() + 10
    while not fake.requests(TIME) and time.monotonic() < deadline:
        time.sleep(0.005)
    fake.stop()
    thread.join(timeout=10)
    assert not thread.is_alive() and outcome, "the client was left hanging"
