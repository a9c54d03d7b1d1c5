"""Run 2 with Moore radius 7: ssrsim and Mesa's Epstein example on the same seeds and counts.

validation.md §1.1: eight seeds are too few for this set's rare outbursts, so this runs
both models on many seeds (Mesa's per-seed cop and citizen counts given to ssrsim) and
compares the time-averaged actives and jailed (burn-in 20 steps) and the runs with an
outburst (more than 50 actives). From the repository root:

    .venv/bin/python docs/validation/moore7_with_mesa.py --seeds 48     # about 12 min
"""

from __future__ import annotations

import argparse

import numpy as np
from mesa.examples.advanced.epstein_civil_violence.agents import Citizen, CitizenState, Cop
from mesa.examples.advanced.epstein_civil_violence.model import (
    EpsteinCivilViolence,
    EpsteinScenario,
)
from scipy import stats

from ssrsim import SSRModel, load_scenario
from ssrsim.scenario import apply_changes

STEPS, BURN_IN, OUTBURST = 150, 20, 50


def one_seed(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean actives, mean jailed, outburst) for ssrsim and for Mesa on one seed."""
    sc = load_scenario("scenarios/epstein.yaml", policy="run2_moore")
    w, h = sc.space.width, sc.space.height
    mesa = EpsteinCivilViolence(width=w, height=h, scenario=EpsteinScenario(
        rng=seed, citizen_density=sc.population.density,
        cop_density=sc.districts[0].police / (w * h), citizen_vision=int(sc.activation.vision),
        cop_vision=int(sc.security.vision), legitimacy=sc.legitimacy.fixed_value,
        max_jail_term=sc.time.steps_for(sc.activation.max_jail_days),
        active_threshold=sc.activation.threshold,
        arrest_prob_constant=sc.activation.arrest_constant, movement=False, grid_type="Moore"))
    counts = []
    for _ in range(STEPS):
        mesa.step()
        states = [c.state for c in mesa.agents_by_type[Citizen]]
        counts.append((states.count(CitizenState.ACTIVE), states.count(CitizenState.ARRESTED)))
    theirs = np.array(counts)[BURN_IN:]
    cops, citizens = len(mesa.agents_by_type[Cop]), len(mesa.agents_by_type[Citizen])
    model = SSRModel(apply_changes(sc, {"districts.all.police": cops,
                                        "population.density": citizens / (w * h)}, source="x"),
                     rng=seed)
    for _ in range(STEPS):
        model.step()
    ours = model.timeseries()[["active", "jailed"]].to_numpy()[1:STEPS + 1][BURN_IN:]
    return tuple(np.array([t[:, 0].mean(), t[:, 1].mean(), (t[:, 0] > OUTBURST).any()])
                 for t in (ours, theirs))


def main() -> None:
    """Run the seeds and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=48)
    rows = [one_seed(seed) for seed in range(parser.parse_args().seeds)]
    ours, theirs = (np.array([r[i] for r in rows]) for i in (0, 1))
    for col, name in ((0, "actives"), (1, "jailed")):
        p = stats.mannwhitneyu(ours[:, col], theirs[:, col]).pvalue
        print(f"{name}: ssrsim {ours[:, col].mean():.2f} ± {ours[:, col].std(ddof=1):.2f} "
              f"(median {np.median(ours[:, col]):.2f}), Mesa {theirs[:, col].mean():.2f} ± "
              f"{theirs[:, col].std(ddof=1):.2f} (median {np.median(theirs[:, col]):.2f}); "
              f"Mann-Whitney p = {p:.3f}")
    print(f"runs with an outburst: ssrsim {int(ours[:, 2].sum())}, Mesa "
          f"{int(theirs[:, 2].sum())} of {len(rows)}")


if __name__ == "__main__":
    main()
