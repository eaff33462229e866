"""The fake TWS's account: cash by currency, positions by contract, and the values TWS reports.

Fills change it; account updates, the account summary and position requests read it. Commissions
follow IB's published fixed-rate shape (per share / per contract with a minimum) so a test can
predict them exactly. Buying a stock or option pays its value in its currency, a forex trade
exchanges the two currencies, and a future moves no cash but its commission (the fake settles no
futures profit or loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradloopd.demo.tws.catalog import Listing

ZERO = Decimal(0)
CENT = Decimal("0.01")


def commission_usd(listing: Listing, quantity: Decimal, price: Decimal) -> Decimal:
    """IB's fixed rates: stocks 0.005/share (min 1.00, max 1% of value), forex 2.00 an order,
    futures 2.25/contract, options 0.65/contract (min 1.00)."""
    match listing.sec_type:
        case "STK":
            fee = min(max(Decimal("1.00"), Decimal("0.005") * quantity), quantity * price / 100)
        case "CASH":
            fee = Decimal("2.00")
        case "FUT":
            fee = Decimal("2.25") * quantity
        case _:
            fee = max(Decimal("1.00"), Decimal("0.65") * quantity)
    return fee.quantize(CENT)


@dataclass
class Holding:
    quantity: Decimal
    avg_cost: Decimal  # per unit, times the multiplier (IB's convention)


class Account:
    """One account's cash and positions, changed by fills."""

    def __init__(self, code: str, cash: dict[str, Decimal]) -> None:
        self.code = code
        self.cash: dict[str, Decimal] = dict(cash)
        self.holdings: dict[int, Holding] = {}
        self.listings: dict[int, Listing] = {}

    def apply_fill(self, listing: Listing, signed_qty: Decimal, price: Decimal, fee_usd: Decimal) -> None:
        self.listings[listing.con_id] = listing
        unit_cost = price * listing.multiplier_value
        holding = self.holdings.setdefault(listing.con_id, Holding(ZERO, ZERO))
        new_qty = holding.quantity + signed_qty
        if holding.quantity == 0 or (holding.quantity > 0) == (signed_qty > 0):
            holding.avg_cost = (holding.quantity * holding.avg_cost + signed_qty * unit_cost) / new_qty
        elif new_qty != 0 and (new_qty > 0) != (holding.quantity > 0):
            holding.avg_cost = unit_cost  # flipped: the rest is a new position at this price
        holding.quantity = new_qty
        if new_qty == 0:
            holding.avg_cost = ZERO
        quote = listing.currency
        if listing.sec_type != "FUT":  # futures are margined: no cash changes hands for them here
            self.cash[quote] = self.cash.get(quote, ZERO) - signed_qty * unit_cost
        if listing.sec_type == "CASH":
            self.cash[listing.symbol] = self.cash.get(listing.symbol, ZERO) + signed_qty
        self.cash["USD"] = self.cash.get("USD", ZERO) - fee_usd

    def positions(self) -> list[tuple[Listing, Holding]]:
        return [(self.listings[con_id], holding) for con_id, holding in self.holdings.items()
                if holding.quantity]

    def values(self, prices: dict[int, Decimal], rates_usd: dict[str, Decimal]) -> list[tuple[str, str, str]]:
        """(tag, value, currency) rows as TWS sends them in account updates and summaries."""
        base_cash = sum((amount * rates_usd.get(currency, ZERO) for currency, amount in self.cash.items()),
                        ZERO)
        held = sum((h.quantity * prices[c] * self.listings[c].multiplier_value * rates_usd.get(
                    self.listings[c].currency, ZERO)
                    for c, h in self.holdings.items() if h.quantity and self.listings[c].sec_type != "CASH"),
                   ZERO)
        rows = [("AccountCode", self.code, ""), ("AccountType", "INDIVIDUAL", ""), ("Currency", "USD", "USD")]
        rows += [("CashBalance", _text(amount), currency) for currency, amount in sorted(self.cash.items())]
        rows += [("CashBalance", _text(base_cash), "BASE"), ("TotalCashValue", _text(base_cash), "USD"),
                 ("NetLiquidation", _text(base_cash + held), "USD"),
                 ("GrossPositionValue", _text(held), "USD"),
                 ("AvailableFunds", _text(base_cash + held), "USD"),
                 ("BuyingPower", _text(4 * (base_cash + held)), "USD")]
        return rows


def _text(amount: Decimal) -> str:
    return format(amount.quantize(CENT), "f")
