"""Every exception tradloopd raises, grouped by how it is handled.

- Config and data errors are fatal at start: they name the file, line or key and what to do.
- Venue unavailable / rate limited are retried with backoff at the edge only; auth is fatal.
- Protocol errors drop that client (the daemon keeps running).
- Strategy errors halt trading and keep the daemon up.
- Invariant errors crash: the process is restarted and startup reconciles from the journal.

Expected outcomes (an order denied by the risk guard, rejected by a venue) are events, not exceptions.
"""


class TradloopError(Exception):
    """Base of every tradloopd error; its message is meant for the user, one line."""


# Fatal at start -------------------------------------------------------------------------------


class ConfigError(TradloopError):
    """A configuration file, command-line option or parameter is wrong."""


class DataError(TradloopError):
    """A market data file cannot be used: unreadable, malformed, or fails validation."""


class ParameterError(ConfigError):
    """A strategy parameter has the wrong type, is out of bounds or breaks a constraint."""


class StrategyNotFound(ConfigError):
    """No built-in strategy has that name and no file exists at that path."""


# Strategy: halt trading, keep the daemon up ----------------------------------------------------


class StrategyError(TradloopError):
    """A strategy raised, or asked for something it may not have."""


class LookAheadError(StrategyError):
    """A vectorised strategy's output at some bar changed when later bars were added."""


# Venue: retried at the edge, or fatal ----------------------------------------------------------


class VenueError(TradloopError):
    """Base of errors reported by a trading venue or its connection."""


class VenueUnavailable(VenueError):
    """The venue cannot be reached or answered with a server error; retried with backoff."""


class RateLimited(VenueUnavailable):
    """The venue asked us to slow down; retried after the advised delay."""


class VenueAuthError(VenueError):
    """Credentials are missing, wrong or lack permission; fatal."""


class InsufficientFunds(VenueError):
    """The venue refused an order for lack of balance or margin."""


class InvalidOrder(VenueError):
    """The venue refused an order as malformed (precision, minimum size, unsupported type)."""


# Protocol: drop that client --------------------------------------------------------------------


class ProtocolError(TradloopError):
    """A control-socket client sent something that is not a valid request."""


# Invariant: crash ------------------------------------------------------------------------------


class InvariantError(TradloopError):
    """Internal state broke a rule that must always hold; the process must not continue."""


class IllegalTransition(InvariantError):
    """An order event does not apply to the order's current status."""
