"""tradloopd: one engine for backtests, paper trading and live trading."""

__version__ = "0.1.0"
