"""Brokers: one protocol for every venue (paper, CCXT exchanges, Interactive Brokers), routing."""
