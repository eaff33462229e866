"""The order emulator: algorithms, contingent groups and missing order kinds, worked locally through
the simple orders a venue supports (see `core.py`)."""

from tradloopd.orders.emulator.core import Emulator
from tradloopd.orders.emulator.steps import PAPER, Cancel, Emit, Kind, Kinds, Natives, Place, Release, Step

__all__ = ["PAPER", "Cancel", "Emit", "Emulator", "Kind", "Kinds", "Natives", "Place", "Release", "Step"]
