"""Orders: validation, the status state machine, the ledger of all orders, and attached exits."""
