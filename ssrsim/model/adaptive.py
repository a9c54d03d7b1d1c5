"""Adaptive management: every evaluation interval, shift the allocation toward what worked.

Each activity is judged by its own indicator (trust for engagement, service coverage for
services, reform uptake for training, governance for oversight, ex-combatants not armed for
DDR), as its change since the last evaluation per unit of money spent on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.schema import ModelParams
from . import mechanisms as mech
from .districts import Districts
from .forces import Forces, ReformState
from .institutions import Institutions
from .ledger import DDR, ENGAGEMENT, OVERSIGHT, SERVICES, TRAINING
from .population import DDRStage, Population


@dataclass
class Evaluation:
    """The indicators at the last evaluation, and the money spent per activity since."""

    baseline: np.ndarray
    spend: np.ndarray


def reform_share(forces: Forces, state: ReformState) -> float:
    """Share of security units in a reform state (0 with no units)."""
    return float(np.mean(forces.reform == state.value)) if forces.size else 0.0


def activity_kpis(population: Population, districts: Districts, institutions: Institutions,
                  forces: Forces) -> np.ndarray:
    """Each activity's own indicator, in allocation order."""
    pop = population
    ex = np.count_nonzero(pop.ddr != DDRStage.NONE.value)
    not_armed = (1.0 - pop.count_ddr(DDRStage.ARMED) / ex) if ex else 0.0
    kpis = np.zeros(5)
    kpis[[ENGAGEMENT, SERVICES, TRAINING, OVERSIGHT, DDR]] = (
        pop.trust.mean(), districts.population_mean(districts.service_level),
        reform_share(forces, ReformState.REFORMED), institutions.governance(), not_armed)
    return kpis


def start(kpis: np.ndarray) -> Evaluation:
    """The evaluation record at the start of a run."""
    return Evaluation(kpis, np.zeros(kpis.size))


def reallocate(params: ModelParams, institutions: Institutions, evaluation: Evaluation,
               kpis: np.ndarray) -> Evaluation:
    """Move the allocation toward measured effect per unit spent; a new evaluation record."""
    spend = evaluation.spend
    effect = np.where(spend > 0, (kpis - evaluation.baseline) / np.maximum(spend, 1e-12), 0.0)
    a = params.adaptive
    institutions.allocation = mech.reallocate(institutions.allocation, effect, a.learning_rate,
                                              a.min_share)
    return start(kpis)
