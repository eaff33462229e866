"""The `[venue.ccxt.NAME]` section: one exchange account traded through ccxt (no ccxt import here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Positive = Annotated[float, msgspec.Meta(gt=0)]


class CcxtVenueConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                      rename="kebab"):
    """One exchange account; NAME (the table key) is how routes and logs call it.

    - `exchange`: a ccxt id (`binance`, `binanceusdm`, `bybit`, `okx`, `kraken`, ...);
      `market-type`: "spot" or "swap" (perpetuals). The pair picks the capability profile.
    - `base-url`: "" for the real exchange, else where to send every request (the demo venue).
    - `sandbox`: use the exchange's testnet (ccxt's sandbox mode).
    - `api-key-env`, `secret-env`, `password-env`: environment variables holding this account's
      credentials; empty means the ones named in `[credentials]`.
    - `rate-limit`: ccxt's client-side throttle (keep it on against a real exchange).
    - `request-timeout-s`: ccxt's timeout for one HTTP request. An order request that times out is
      unresolved: it is looked up by client order id, never sent again.
    - `retries`, `backoff-initial-s`, `backoff-max-s`: queries and cancels that fail because the
      venue is unavailable or rate limits are retried this many times, doubling the wait.
    - `reserved`: amounts of assets in the account that are not the daemon's (asset -> amount);
      spot positions are the balances minus these.
    """

    exchange: str = "binance"
    market_type: Literal["spot", "swap"] = "spot"
    base_url: str = ""
    sandbox: bool = False
    api_key_env: str = ""
    secret_env: str = ""
    password_env: str = ""
    rate_limit: bool = True
    request_timeout_s: Positive = 10.0
    retries: Annotated[int, msgspec.Meta(ge=0)] = 3
    backoff_initial_s: Positive = 0.5
    backoff_max_s: Positive = 10.0
    reserved: dict[str, Decimal] = {}

    def __post_init__(self) -> None:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff-max-s must be at least backoff-initial-s")
