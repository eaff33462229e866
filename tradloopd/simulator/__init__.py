"""The order simulator: the paper venue used by replay and by paper trading."""

from tradloopd.simulator.venue import Simulator, SimulatorConfig

__all__ = ["Simulator", "SimulatorConfig"]
