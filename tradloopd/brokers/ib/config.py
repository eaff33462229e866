"""The settings of one Interactive Brokers venue (a TWS or IB Gateway session); no ib_async import.

TWS and IB Gateway need no credentials from us: the login happens in TWS. The account id may be
written here or, to keep it out of the file, named by an environment variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import msgspec

from tradloopd.brokers.ib.contracts import ContractSpec
from tradloopd.errors import ConfigError

# ib_async's own throttle default; IB disconnects clients that send more than 50 messages a second.
DEFAULT_MESSAGES_PER_S = 45


class IbVenueConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                    rename="kebab"):
    """Where TWS / IB Gateway listens, who we are to it, and how patient to be.

    - `host`, `port`: TWS paper 7497, TWS live 7496, IB Gateway paper 4002, live 4001.
    - `client-id`: the API client id; each connection to one TWS needs its own. Orders are tied to
      it: only the same client id sees (and can cancel) them after a reconnect or restart.
    - `account`, `account-env`: the account to trade (or the variable holding it); empty when the
      login manages exactly one account.
    - `contracts`: symbol -> explicit IB contract, for what the symbol syntax cannot say.
    - `outside-rth`: let orders work outside regular trading hours.
    - timeouts: connecting (with IB's startup sync), one request, an order's acknowledgement (after
      which the order is unresolved and looked up, never resent), and how long to keep
      reconnecting (with back-off from `reconnect-initial-s` doubling to `reconnect-max-s`).
    - `max-messages-per-s`: the pacing throttle (IB allows 50 messages a second).
    """

    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 7497  # TWS paper; live 7496, Gateway 4002/4001
    client_id: Annotated[int, msgspec.Meta(ge=0)] = 1  # unique per connection to the same TWS
    account: str = ""  # "" with account-env unset: the only account the login manages
    account_env: str = ""  # name of an environment variable holding the account id
    contracts: dict[str, ContractSpec] = {}  # symbol -> explicit contract, overriding the syntax
    outside_rth: bool = False  # let orders work outside regular trading hours
    connect_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0  # connect and startup sync
    request_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 15.0  # one request (orders, executions)
    ack_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 5.0  # wait for IB to acknowledge an order
    reconnect_timeout_s: Annotated[float, msgspec.Meta(ge=0)] = 60.0  # give up (VenueUnavailable) after
    reconnect_initial_s: Annotated[float, msgspec.Meta(gt=0)] = 0.5  # first back-off between attempts
    reconnect_max_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0  # longest back-off between attempts
    max_messages_per_s: Annotated[int, msgspec.Meta(ge=1, le=50)] = DEFAULT_MESSAGES_PER_S

    def __post_init__(self) -> None:
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect-max-s must be at least reconnect-initial-s")

    def account_id(self, environ: Mapping[str, str], source: str = "config") -> str:
        """The configured account: `account`, else the variable `account-env` names, else ""."""
        if self.account or not self.account_env:
            return self.account
        value = environ.get(self.account_env, "")
        if not value:
            raise ConfigError(f"{source}: account-env names ${self.account_env}, which is not set "
                              "in the environment")
        return value
