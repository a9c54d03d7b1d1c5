"""The simulation model: `SSRModel` and its agents."""

from .agents import NGO, CMOUnit, ReformState, SecurityForceUnit
from .model import SSRModel
from .population import Civilian, CivilianState, DDRStage

__all__ = ["NGO", "CMOUnit", "Civilian", "CivilianState", "DDRStage", "ReformState",
           "SSRModel", "SecurityForceUnit"]
