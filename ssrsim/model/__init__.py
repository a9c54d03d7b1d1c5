"""The simulation model: `SSRModel`, its agents and its plain state."""

from .agents import NGO, Civilian, CMOUnit, SecurityForceUnit
from .forces import ReformState
from .model import SSRModel
from .population import CivilianState, DDRStage

__all__ = ["NGO", "CMOUnit", "Civilian", "CivilianState", "DDRStage", "ReformState",
           "SSRModel", "SecurityForceUnit"]
