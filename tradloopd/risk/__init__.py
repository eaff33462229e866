"""Risk: the pre-trade guard, and (later) sizing, VaR and correlation tools."""
