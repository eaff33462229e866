"""Our symbols as Interactive Brokers contracts: the symbol syntax, and overrides from config.

| symbol                    | contract                                                          |
|---------------------------|-------------------------------------------------------------------|
| `AAPL`, `BRK B`           | stock (STK) on SMART in USD                                       |
| `EUR/USD`                 | forex (CASH) EUR in USD on IDEALPRO                               |
| `ESZ6`                    | future (FUT) by IB local symbol: root, month code, one-digit year |
| `ESZ26`, `ES 202612`      | future by root and contract month (2026-12)                       |
| `SPX`, `NDX`, `VIX`, ...  | index (IND) on its exchange (the names in `INDICES`)              |
| `AAPL 261218C00200000`    | option (OPT), OCC style: root, YYMMDD, C/P, strike x 1000 (8 digits)|

A future's exchange comes from its root (`FUTURE_EXCHANGES`). Anything else — another currency, a
primary exchange, a future root or index not listed, a CFD — is given as an explicit contract in
the IB venue's config (its `contracts."SYMBOL"` table), which always wins over the syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

import msgspec

from tradloopd.errors import ConfigError

MONTH_CODES = "FGHJKMNQUVXZ"
FUTURE_EXCHANGES = {
    **dict.fromkeys(("ES", "MES", "NQ", "MNQ", "RTY", "M2K", "6E", "6J", "6B", "6A", "6C", "6S", "HE", "LE"),
                    "CME"),
    **dict.fromkeys(("YM", "MYM", "ZN", "ZB", "ZF", "ZT", "ZC", "ZS", "ZW", "ZL", "ZM"), "CBOT"),
    **dict.fromkeys(("CL", "MCL", "NG", "RB", "HO"), "NYMEX"),
    **dict.fromkeys(("GC", "MGC", "SI", "HG"), "COMEX"),
    "VX": "CFE",
}
INDICES = {"SPX": "CBOE", "XSP": "CBOE", "VIX": "CBOE", "OEX": "CBOE", "DJX": "CBOE", "NDX": "NASDAQ",
           "RUT": "RUSSELL", "INDU": "CME"}

_PAIR = re.compile(r"^([A-Z]{3})/([A-Z]{3})$")
_OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,5})\s+(\d{2})(\d{2})(\d{2})([CP])(\d{8})$")
_FUTURE_CODE = re.compile(rf"^([A-Z0-9]{{1,4}}?)([{MONTH_CODES}])(\d{{1,2}})$")
_FUTURE_MONTH = re.compile(r"^([A-Z0-9]{1,4}) (\d{6})$")
_STOCK = re.compile(r"^[A-Z][A-Z0-9.]{0,9}( [A-Z])?$")


class ContractSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                   rename="kebab"):
    """An IB contract as IB's fields (what `reqContractDetails` is asked); also the config override."""

    sec_type: str  # STK, CASH, FUT, IND, OPT, CFD, ...
    symbol: str
    exchange: str
    currency: str = "USD"
    primary_exchange: str = ""
    local_symbol: str = ""
    last_trade: str = ""  # YYYYMM or YYYYMMDD (lastTradeDateOrContractMonth)
    strike: Decimal | None = None
    right: str = ""  # C or P
    multiplier: str = ""
    trading_class: str = ""


def contract_for(symbol: str, overrides: Mapping[str, ContractSpec] | None = None) -> ContractSpec:
    """The contract a symbol names: the config's override if there is one, else the syntax above."""
    if overrides and symbol in overrides:
        return overrides[symbol]
    if pair := _PAIR.match(symbol):
        return ContractSpec(sec_type="CASH", symbol=pair.group(1), currency=pair.group(2),
                            exchange="IDEALPRO")
    if occ := _OCC.match(symbol):
        root, yy, mm, dd, right, strike = occ.groups()
        return ContractSpec(sec_type="OPT", symbol=root, exchange="SMART", last_trade=f"20{yy}{mm}{dd}",
                            strike=Decimal(strike) / 1000, right=right, multiplier="100")
    if (future := _future(symbol)) is not None:
        return future
    if symbol in INDICES:
        return ContractSpec(sec_type="IND", symbol=symbol, exchange=INDICES[symbol])
    if _STOCK.match(symbol):
        return ContractSpec(sec_type="STK", symbol=symbol, exchange="SMART")
    raise ConfigError(f"cannot tell which IB contract {symbol!r} is: use AAPL, EUR/USD, ESZ6, ES 202612, SPX "
                      f"or AAPL 261218C00200000, or give it in the IB venue's contracts.{symbol!r}")


def _future(symbol: str) -> ContractSpec | None:
    if (month := _FUTURE_MONTH.match(symbol)) is not None:
        root, yyyymm = month.groups()
        if root not in FUTURE_EXCHANGES:
            roots = ", ".join(sorted(FUTURE_EXCHANGES))
            raise ConfigError(f"unknown futures root {root!r} in {symbol!r}: give the contract in the IB "
                              f"venue's contracts.{symbol!r} (known roots: {roots})")
        return ContractSpec(sec_type="FUT", symbol=root, exchange=FUTURE_EXCHANGES[root], last_trade=yyyymm)
    code = _FUTURE_CODE.match(symbol)
    if code is None or code.group(1) not in FUTURE_EXCHANGES:
        return None
    root, month_code, year = code.groups()
    exchange = FUTURE_EXCHANGES[root]
    if len(year) == 2:
        return ContractSpec(sec_type="FUT", symbol=root, exchange=exchange,
                            last_trade=f"20{year}{MONTH_CODES.index(month_code) + 1:02d}")
    return ContractSpec(sec_type="FUT", symbol=root, exchange=exchange, local_symbol=symbol)


def occ_symbol(root: str, expiry: str, right: str, strike: Decimal) -> str:
    """`AAPL 261218C00200000` from the option's fields (expiry YYYYMMDD)."""
    return f"{root} {expiry[2:8]}{right[:1].upper()}{int(strike * 1000):08d}"
