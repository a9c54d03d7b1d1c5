"""Run 2 with Moore radius 7: ssrsim and Mesa's Epstein example on the same seeds and counts.

validation.md §1.1: eight seeds are too few for this set's rare outbursts, so this runs
both models on many seeds (`make_figures.docking_pair`: Mesa's per-seed cop and citizen
counts given to ssrsim) and compares the time-averaged actives and jailed (after a burn-in
of 20 steps) and the runs with an outburst (more than 50 actives). From the repository root:

    .venv/bin/python docs/validation/moore7_with_mesa.py --seeds 48     # about 12 min
"""

from __future__ import annotations

import argparse

import numpy as np
from make_figures import EPSTEIN_FILE, docking_pair  # docs/validation/make_figures.py
from scipy import stats

from ssrsim import load_scenario

STEPS, BURN_IN, OUTBURST = 150, 20, 50


def main() -> None:
    """Run the seeds and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=48)
    scenario = load_scenario(EPSTEIN_FILE, policy="run2_moore")
    runs = [docking_pair(scenario, seed, "Moore", STEPS)
            for seed in range(parser.parse_args().seeds)]
    ours, theirs = (np.array([[r[i][BURN_IN:, 0].mean(), r[i][BURN_IN:, 1].mean(),
                               (r[i][BURN_IN:, 0] > OUTBURST).any()] for r in runs])
                    for i in (0, 1))
    for col, name in ((0, "actives"), (1, "jailed")):
        p = stats.mannwhitneyu(ours[:, col], theirs[:, col]).pvalue
        print(f"{name}: ssrsim {ours[:, col].mean():.2f} ± {ours[:, col].std(ddof=1):.2f} "
              f"(median {np.median(ours[:, col]):.2f}), Mesa {theirs[:, col].mean():.2f} ± "
              f"{theirs[:, col].std(ddof=1):.2f} (median {np.median(theirs[:, col]):.2f}); "
              f"Mann-Whitney p = {p:.3f}")
    print(f"runs with an outburst: ssrsim {int(ours[:, 2].sum())}, Mesa "
          f"{int(theirs[:, 2].sum())} of {len(runs)}")


if __name__ == "__main__":
    main()
