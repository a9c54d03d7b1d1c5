"""Where an option loses: scenario discovery with PRIM over a batch's design points or draws.

`compare` says whether an option beats the baseline on average; this module says where in
the parameter space it does not. For each option and measure it takes, at each design point
(or posterior draw, a "plausible world"), the paired difference from the baseline averaged
over the replicates, marks the points where the option is worse (on the measure's worse
side), and runs PRIM (Friedman & Fisher 1999), as the EMA Workbench implements it
(Kwakkel 2017), over the design's parameters to find the box where the losses concentrate:
scenario discovery (Bryant & Lempert 2010).

The box is chosen on PRIM's peeling trajectory by one stated rule: of the boxes in which the
option loses at at least `DENSITY` of the points (density), the one holding the largest share
of all its losses (coverage), once each restriction whose quasi-p-value is above
`SIGNIFICANCE` (one chance could give) has been dropped where the box stays that dense, and
only if every restriction left is significant. When no box qualifies, the losses are said to
be spread out. Where the option loses nearly everywhere, the same rule is applied to its few
wins: the box where it still wins, if there is one, is what a planner needs. Too few points,
too few losses, no loss or only losses are said in words instead of a box.
docs/discovery.md describes the method.

ema_workbench is an optional dependency (`pip install 'ssrsim[discovery]'`), imported only
when a box is sought: its import takes a few seconds and loads statsmodels and seaborn.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from ..results_format import MeasureInfo
from .brief_text import lower, short_label
from .results import DRAW, Results, ResultsError
from .tables import markdown_table

MIN_POINTS = 20
"""Fewest design points (or draws) over which a box is sought; fewer are said in words."""

MIN_LOSSES = 3
"""Fewest points where the option loses for PRIM to look for a box."""

MIN_BOX_POINTS = 3
"""Fewest points a box may hold: PRIM's smallest mass (its default, 5% of the points, would
keep a box of 3 losses among 100 points from ever reaching the density asked for)."""

DENSITY = 0.8
"""A box is reported when the option loses in at least this share of the points inside it."""

SIGNIFICANCE = 0.05
"""A limit whose quasi-p-value is above this is dropped if the box stays dense; a box that
must keep one is not reported (chance could have made it)."""

PEEL_ALPHA = 0.1
"""Share of the points in the box PRIM peels off at each step.

Friedman & Fisher (1999) advise 0.05 to 0.1; ema_workbench's default is 0.05. On a design of a
few dozen points a 5% peel takes off one or two points, so one stray loss at an edge stalls the
peeling: with 1 in 10 points' outcome flipped at random, a known region was found in 0 of 20
layouts of 40 points at 0.05 and 11 of 20 at 0.1 (docs/discovery.md)."""

DEFAULT_MEASURES = 3
"""How many of the headline measures with a better direction are examined by default."""

INSTALL = "pip install 'ssrsim[discovery]'"
"""How to install what scenario discovery needs."""

EMA_LOGGER = "EMA"
"""The logger ema_workbench logs through (its progress at INFO, with wrong counts)."""


class DiscoveryUnavailable(ImportError):
    """ema_workbench is not installed."""

    def __init__(self) -> None:
        super().__init__(f"scenario discovery needs ema_workbench: {INSTALL}")


class Status(StrEnum):
    """What was found about where an option loses."""

    BOX = "box"
    SPREAD = "spread"
    EVERYWHERE = "everywhere"
    WINS_BOX = "wins in a box"
    SAME = "same"
    NEVER = "never"
    ALWAYS = "always"
    TOO_FEW_POINTS = "too few points"
    TOO_FEW_LOSSES = "too few losses"


STATUS_WORDS = {
    Status.BOX: "a box",
    Status.SPREAD: "spread out: no region found",
    Status.EVERYWHERE: "nearly everywhere: no region stands out",
    Status.WINS_BOX: "nearly everywhere; wins only in a box",
    Status.SAME: "no difference",
    Status.NEVER: "never loses",
    Status.ALWAYS: "loses everywhere",
    Status.TOO_FEW_POINTS: f"too few points to tell (fewer than {MIN_POINTS})",
    Status.TOO_FEW_LOSSES: f"too few losses to tell (fewer than {MIN_LOSSES})",
}
"""Each status in a few words, for a table's "where it loses" column."""


@dataclass(frozen=True)
class Limit:
    """A box's restriction of one parameter.

    A number has `low` and/or `high` (None: not restricted on that side); a categorical
    parameter has the `categories` the box keeps. `integer` marks a parameter whose design
    values are all whole numbers, told as "at least 3" rather than "above 2.5". `qp` is the
    quasi-p-value of its least significant restricted side (NaN if unknown).
    """

    parameter: str
    low: float | None = None
    high: float | None = None
    categories: tuple[str, ...] = ()
    integer: bool = False
    qp: float = math.nan

    @property
    def words(self) -> str:
        """The restriction in words: `budget.per_week is below 8`."""
        name = self.parameter
        if self.categories:
            return f"{name} is one of {', '.join(self.categories)}"
        low, high = self.low, self.high
        if self.integer:
            low = None if low is None else math.ceil(low - 1e-9)
            high = None if high is None else math.floor(high + 1e-9)
        if low is not None and high is not None:
            if not self.integer:
                return f"{name} is between {number(low)} and {number(high)}"
            return f"{name} is {number(low)}" if low == high else \
                f"{name} is from {number(low)} to {number(high)}"
        if low is not None:
            return f"{name} is {'at least' if self.integer else 'above'} {number(low)}"
        if high is not None:
            return f"{name} is {'at most' if self.integer else 'below'} {number(high)}"
        return f"{name} is anything"


@dataclass(frozen=True)
class Region:
    """Where one option loses to the baseline on one measure, over a batch's points.

    `points` design points or draws were compared (`worlds`: posterior draws, told as
    plausible worlds); the option beat the baseline at `wins` of them and lost at `losses`.
    With `status` BOX, `limits` are the box's restricted parameters, `box_points` the points
    inside it and `box_hits` its losses; `coverage` is the share of all losses inside the
    box and `density` the share of the box's points that are losses; `dense_at` is the
    density a box needed. With `status` WINS_BOX (it loses nearly everywhere) the box and
    its numbers are those of its wins instead (`box_of`).
    """

    option: str
    baseline: str
    measure: str
    label: str
    worlds: bool
    points: int
    wins: int
    losses: int
    status: Status
    limits: tuple[Limit, ...] = ()
    box_points: int = 0
    box_hits: int = 0
    coverage: float = math.nan
    density: float = math.nan
    dense_at: float = DENSITY

    @property
    def share_better(self) -> float:
        """Share of the points where the option beats the baseline."""
        return self.wins / self.points if self.points else math.nan

    @property
    def ties(self) -> int:
        """Points where the option and the baseline do not differ."""
        return self.points - self.wins - self.losses

    @property
    def box_of(self) -> str:
        """What the box gathers: `losses`, `wins`, or nothing without a box."""
        return {Status.BOX: "losses", Status.WINS_BOX: "wins"}.get(self.status, "")

    @property
    def unit(self) -> str:
        """What a point is called: plausible worlds (draws) or design points."""
        return "plausible worlds" if self.worlds else "design points"

    @property
    def sentence(self) -> str:
        """What was found, in one sentence of plain words."""
        return sentence(self)


def sentence(region: Region, mark: str = "") -> str:
    """A region in words; option and baseline names wrapped in `mark` (`**` for bold)."""
    r = region
    option, baseline, unit = f"{mark}{r.option}{mark}", f"{mark}{r.baseline}{mark}", r.unit
    on = f"on {r.label}"
    tied = f"; {r.ties} tie{'s' * (r.ties != 1)}" if r.ties else ""
    beats = (f"{option} beats {baseline} {on} in {percent(r.wins, r.points)} of {unit} "
             f"(of {r.points}{tied})")
    if r.status == Status.TOO_FEW_POINTS:
        return (f"{beats}; {r.points} {unit} are too few to tell where it loses (scenario "
                f"discovery needs at least {MIN_POINTS}).")
    if r.status == Status.SAME:
        return f"{option} does not differ from {baseline} {on} in any of the {r.points} {unit}."
    if r.status == Status.NEVER:
        rest = f", and ties in the other {r.ties}" if r.ties else ""
        return f"{option} never loses to {baseline} {on}: it beats it in {r.wins} of the " \
               f"{r.points} {unit}{rest}."
    if r.status == Status.ALWAYS:
        return f"{option} loses to {baseline} {on} in every one of the {r.points} {unit}."
    loses = f"it loses in {r.losses} of them"
    if r.status == Status.TOO_FEW_LOSSES:
        return (f"{beats}; {loses}, too few to tell where (at least {MIN_LOSSES} are "
                f"needed).")
    if r.status == Status.EVERYWHERE:
        return (f"{beats}; {loses}, across the whole range of the parameters: no region "
                f"stands out.")
    if r.status == Status.WINS_BOX:
        box = join(limit.words for limit in r.limits)
        where = "it still wins mostly when" if r.coverage >= 0.5 else \
            "some of its wins gather where"
        return (f"{beats}; {loses}, nearly everywhere, but {where} {box} — that box holds "
                f"{fraction(r.coverage)} of the {unit} where it wins (coverage "
                f"{r.coverage:.0%}) and it wins in {fraction(r.density)} of the {unit} "
                f"inside it (density {r.density:.0%}).")
    if r.status == Status.SPREAD or not r.limits:
        return (f"{beats}; {loses}, spread out: PRIM found no region, beyond what chance "
                f"would give, where it loses in at least {fraction(r.dense_at)} of the "
                f"{unit}.")
    box = join(limit.words for limit in r.limits)
    stats = (f"that box holds {fraction(r.coverage)} of the {unit} where it loses "
             f"(coverage {r.coverage:.0%}) and it loses in {fraction(r.density)} of the "
             f"{unit} inside it (density {r.density:.0%})")
    where = "it loses mostly when" if r.coverage >= 0.5 else "some of its losses gather where"
    return f"{beats}; {where} {box} — {stats}."


def number(value: float) -> str:
    """A number to 3 significant figures, without an exponent: 0.213, 8, 1,230."""
    if not math.isfinite(value):
        return str(value)
    rounded = float(f"{value:.3g}")
    if rounded == int(rounded) and abs(rounded) < 1e15:
        return f"{int(rounded):,}"
    return str(np.format_float_positional(rounded, trim="-"))


def percent(count: int, total: int) -> str:
    """`83%`; never 100% or 0% unless it is all or none."""
    if total <= 0:
        return "–"
    share = count / total
    if 0 < count < total:
        if share < 0.005:
            return "under 1%"
        if share > 0.995:
            return "over 99%"
    return f"{share:.0%}"


def fraction(share: float) -> str:
    """A share in tenths: `7 in 10`, `all`, `nearly all`, `under 1 in 10`."""
    if share >= 1:
        return "all"
    if share <= 0:
        return "none"
    tenths = round(share * 10)
    return "nearly all" if tenths == 10 else "under 1 in 10" if tenths == 0 else \
        f"{tenths} in 10"


def join(items: Sequence[str] | Iterator[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def discovery_measures(results: Results, measures: Sequence[str] | None = None) -> list[str]:
    """Measures examined: the named ones with a better direction, else the first headline ones.

    Without names, the first `DEFAULT_MEASURES` headline measures with a better direction: a
    few, so that the section stays short (each named measure is checked).
    """
    if measures:
        for measure in measures:
            results.check_measure(measure)
        return [m for m in dict.fromkeys(measures) if results.info(m).better]
    return [m for m in results.headline if results.info(m).better][:DEFAULT_MEASURES]


def has_points(results: Results) -> bool:
    """Whether the batch varies parameters over design points or posterior draws."""
    return bool(results.design_parameters) and results.summary["point"].nunique() > 1


def is_posterior(results: Results) -> bool:
    """Whether the batch's points are posterior draws (plausible worlds)."""
    return results.drawn


def point_count(results: Results) -> int:
    """Design points (or draws) in the batch's finished runs."""
    return int(results.summary["point"].nunique()) if len(results.summary) else 0


def point_differences(values: pd.DataFrame, option: str, baseline: str,
                      parameters: Sequence[str]) -> pd.DataFrame:
    """Per point (or draw): its parameter values and `diff`, option − baseline.

    Runs are paired by point (and draw) and replicate, as the batch's common random numbers
    pair them; `diff` is the mean of the paired differences over the point's replicates and
    `replicates` how many there were. Differences within floating-point noise of zero are 0.
    """
    keys = ["point", *([DRAW] if DRAW in values.columns else [])]
    index = [*keys, "replicate"]
    mine = values[values["policy"] == option].set_index(index)["value"]
    base = values[values["policy"] == baseline].set_index(index)["value"]
    paired = pd.concat([mine, base], axis=1, join="inner", keys=["x", "b"]).dropna()
    grouped = (paired["x"] - paired["b"]).groupby(level=keys)
    table = (values.drop_duplicates(keys).set_index(keys)[list(parameters)]
             .reindex(grouped.mean().index))
    scale = float(paired["b"].abs().mean()) if len(paired) else 0.0
    diff = grouped.mean().to_numpy(dtype=float)
    table["diff"] = np.where(np.abs(diff) <= 1e-9 * max(1.0, scale), 0.0, diff)
    table["replicates"] = grouped.size().to_numpy()
    return table.reset_index()


def find_region(table: pd.DataFrame, parameters: Sequence[str], better: str, *,
                option: str, baseline: str, measure: str, label: str, worlds: bool = False,
                density: float = DENSITY) -> Region:
    """Where an option loses, from its per-point differences (see `point_differences`).

    A loss is a difference on the worse side of zero (below it when higher is better). PRIM
    runs only with at least `MIN_POINTS` points and `MIN_LOSSES` losses; when the option
    loses at `density` of the points or more, it looks for where the wins gather instead.
    """
    if better not in ("higher", "lower"):
        raise ValueError(f"a measure needs a better direction to lose on, got {better!r}")
    diff = table["diff"].to_numpy(dtype=float)
    worse = diff < 0 if better == "higher" else diff > 0
    won = diff > 0 if better == "higher" else diff < 0
    wins, losses, points = int(won.sum()), int(worse.sum()), len(diff)
    found: dict[str, Any] = {"option": option, "baseline": baseline, "measure": measure,
                             "label": label, "worlds": worlds, "points": points,
                             "wins": wins, "losses": losses, "dense_at": density}
    if points < MIN_POINTS:
        return Region(**found, status=Status.TOO_FEW_POINTS)
    if losses == 0:
        return Region(**found, status=Status.NEVER if wins else Status.SAME)
    if losses == points:
        return Region(**found, status=Status.ALWAYS)
    if losses < MIN_LOSSES:
        return Region(**found, status=Status.TOO_FEW_LOSSES)
    x, integer = prim_inputs(table, parameters)
    if losses / points >= density:
        box = (_prim_box(x, won.astype(int), integer, density)
               if wins >= MIN_LOSSES and not x.empty else {"status": Status.SPREAD})
        if box["status"] != Status.BOX:
            return Region(**found, status=Status.EVERYWHERE)
        return Region(**found, **{**box, "status": Status.WINS_BOX})
    if x.empty:
        return Region(**found, status=Status.SPREAD)
    return Region(**found, **_prim_box(x, worse.astype(int), integer, density))


def prim_inputs(table: pd.DataFrame, parameters: Sequence[str]
                ) -> tuple[pd.DataFrame, dict[str, bool]]:
    """The parameters PRIM is given, and which hold whole numbers only.

    Parameters with one value are left out (nothing to restrict). Numbers go in as floats:
    ema_workbench 3.0 fails to paste integer columns under pandas 3, and a float box over
    whole-number values is told in whole numbers anyway. Anything else (text, switches) is
    categorical, as text.
    """
    columns: dict[str, pd.Series] = {}
    integer: dict[str, bool] = {}
    for name in parameters:
        column = table[name]
        if column.nunique(dropna=False) < 2:
            continue
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = column.astype(float)
            columns[name] = values
            integer[name] = bool(np.all(np.mod(values, 1) == 0))
        else:
            columns[name] = column.map(_category).astype(object)
            integer[name] = False
    return pd.DataFrame(columns, index=table.index).reset_index(drop=True), integer


def _category(value: Any) -> str:
    """A categorical value as text, switches as a scenario file writes them."""
    return ("true" if value else "false") if isinstance(value, bool | np.bool_) else str(value)


def _prim_box(x: pd.DataFrame, y: np.ndarray, integer: dict[str, bool], density: float
              ) -> dict[str, Any]:
    """Run PRIM on `y` (1 at the points sought) and choose its box by this module's rule.

    Returns the Region's box fields.
    """
    prim_module = load_prim()
    with quiet():
        prim = prim_module.Prim(x, y, peel_alpha=PEEL_ALPHA,
                                mass_min=MIN_BOX_POINTS / len(y))
        box = prim.find_box()
        chosen = choose(box, density)
    if chosen is None:
        return {"status": Status.SPREAD}
    stats = box.peeling_trajectory.iloc[chosen]
    limits = box_limits(box.box_lims[chosen], prim.box_init, box.p_values[chosen], integer)
    return {"status": Status.BOX, "limits": limits, "box_points": int(stats["n"]),
            "box_hits": int(stats["k"]), "coverage": float(stats["coverage"]),
            "density": float(stats["density"])}


def choose(box: Any, density: float) -> int | None:
    """The box chosen on a PRIM box's peeling trajectory (its index), or None.

    The boxes with at least `density` are tried in order of coverage (then fewer restricted
    parameters, then the higher density); each loses the limits that chance could give (see
    `_prune`), and the first whose remaining limits are all significant is chosen. None when
    no box is dense and significant: the losses are spread out.
    """
    boxes = box.peeling_trajectory.reset_index(drop=True)
    dense = boxes[(boxes["density"] >= density) & (boxes["res_dim"] > 0)]
    order = dense.sort_values(["coverage", "res_dim", "density"],
                              ascending=[False, True, False], kind="stable")
    for index in order.index:
        chosen = _prune(box, int(index), density)
        sides = quasi_p(box.p_values[chosen])
        if sides and all(qp <= SIGNIFICANCE for qp in sides.values()):
            return chosen
    return None


def _prune(box: Any, chosen: int, density: float) -> int:
    """Widen each limit whose quasi-p-value is above SIGNIFICANCE, while the density holds.

    A limit chance could give (a peel that took off a few points without losses, say) is set
    back to the whole range, the least significant first, and the wider box kept if the
    option still loses at at least `density` of its points. Each wider box is added to the
    trajectory (ema_workbench's `update`); returns the index of the box kept.
    """
    tried: set[tuple[str, int]] = set()
    while True:
        weak = sorted(((qp, side) for side, qp in quasi_p(box.p_values[chosen]).items()
                       if qp > SIGNIFICANCE and side not in tried), reverse=True)
        if not weak:
            return chosen
        side = weak[0][1]
        tried.add(side)
        _widen(box, chosen, *side)
        wider = len(box.peeling_trajectory) - 1
        if float(box.peeling_trajectory["density"].iloc[wider]) >= density:
            chosen = wider


def _widen(box: Any, index: int, name: str, side: int) -> None:
    """Add to the trajectory box `index` with one side of one limit set back to its range.

    A categorical limit is dropped whole. Points inside are found as ema_workbench does:
    limits included, categories by membership.
    """
    prim = box.prim
    limits = box.box_lims[index].copy()
    whole = prim.box_init
    if isinstance(limits.loc[0, name], set):
        limits[name] = whole[name]
    else:
        limits.loc[side, name] = whole.loc[side, name]
    x = prim.x.loc[prim.yi_remaining]
    inside = np.ones(len(x), dtype=bool)
    for column in limits.columns:
        low, high = limits.loc[0, column], limits.loc[1, column]
        if isinstance(low, set):
            inside &= x[column].isin(low).to_numpy()
        else:
            values = x[column].to_numpy(dtype=float)
            inside &= (values >= low) & (values <= high)
    box.update(limits, prim.yi_remaining[inside])


def quasi_p(p_values: dict[str, list[float]]) -> dict[tuple[str, int], float]:
    """The quasi-p-value of each restricted side, keyed by (parameter, 0 low or 1 high).

    ema_workbench gives one per side (Bryant & Lempert 2010's one-sided binomial test of
    the box against the box without that limit), -1 for a side that is not restricted; a
    value that is not finite is left out (it cannot be judged).
    """
    found = {}
    for name, values in p_values.items():
        for side, qp in enumerate(values):
            if qp is not None and math.isfinite(float(qp)) and float(qp) >= 0:
                found[(str(name), side)] = float(qp)
    return found


def box_limits(limits: pd.DataFrame, init: pd.DataFrame, p_values: dict[str, list[float]],
               integer: dict[str, bool]) -> tuple[Limit, ...]:
    """The restricted parameters of a box (PRIM's limits against its initial box).

    Ordered by quasi-p-value, the most significant restriction first.
    """
    qps: dict[str, float] = {}
    for (name, _), qp in quasi_p(p_values).items():
        qps[name] = max(qp, qps.get(name, qp))
    found = []
    for name in limits.columns:
        low, high = limits.loc[0, name], limits.loc[1, name]
        first, last = init.loc[0, name], init.loc[1, name]
        if isinstance(low, set):
            if set(low) != set(first):
                found.append(Limit(str(name), categories=tuple(sorted(map(str, low))),
                                   qp=qps.get(name, math.nan)))
            continue
        above = float(low) if float(low) > float(first) else None
        below = float(high) if float(high) < float(last) else None
        if above is not None or below is not None:
            found.append(Limit(str(name), above, below, integer=integer.get(name, False),
                               qp=qps.get(name, math.nan)))
    return tuple(sorted(found, key=lambda lim: lim.qp if math.isfinite(lim.qp) else 1.0))


def discover(results: Results, baseline: str, *, measures: Sequence[str] | None = None,
             statistic: str = "mean", burn_in: int = 0, density: float = DENSITY
             ) -> list[Region]:
    """Where each option loses to `baseline`, per measure (see `find_region`), by option.

    Raises DiscoveryUnavailable if a box is to be sought and ema_workbench is missing, and a
    ResultsError if the batch has no design points or draws.
    """
    results.check_policy(baseline)
    if not has_points(results):
        raise ResultsError(f"{results.root} varies no parameter over design points or draws: "
                           f"there is nothing to find where an option loses")
    parameters = results.design_parameters
    in_worlds = is_posterior(results)
    names = discovery_measures(results, measures)
    values = {m: results.values(m, statistic, burn_in) for m in names}
    regions = []
    for option in (p for p in results.policies if p != baseline):
        for measure in names:
            info = results.info(measure)
            table = point_differences(values[measure], option, baseline, parameters)
            regions.append(find_region(table, parameters, str(info.better), option=option,
                                       baseline=baseline, measure=measure,
                                       label=measure_words(info), worlds=in_worlds,
                                       density=density))
    return regions


def measure_words(info: MeasureInfo) -> str:
    """A measure's label to go mid-sentence, as the brief writes it: `trust in security forces`."""
    return lower(short_label(info))


def regions_table(regions: Sequence[Region]) -> pd.DataFrame:
    """One row per option, measure and restricted parameter (one row if the box has none)."""
    rows = []
    for r in regions:
        common = {"option": r.option, "baseline": r.baseline, "measure": r.measure,
                  "status": r.status.value, "points": r.points, "worlds": r.worlds,
                  "wins": r.wins, "losses": r.losses, "share_better": r.share_better,
                  "box_of": r.box_of, "box_points": r.box_points, "box_hits": r.box_hits,
                  "coverage": r.coverage, "density": r.density}
        for limit in r.limits or (None,):
            rows.append({**common,
                         "parameter": limit.parameter if limit else "",
                         "low": limit.low if limit and limit.low is not None else math.nan,
                         "high": limit.high if limit and limit.high is not None else math.nan,
                         "categories": ", ".join(limit.categories) if limit else "",
                         "qp": limit.qp if limit else math.nan,
                         "restriction": limit.words if limit else "",
                         "sentence": r.sentence})
    return pd.DataFrame(rows)


def write_discovery(regions: Sequence[Region], folder: str | Path) -> Path:
    """Write discovery.csv (see `regions_table`) into a folder; its path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "discovery.csv"
    regions_table(regions).to_csv(path, index=False)
    return path


def heading(results: Results) -> str:
    """The section's title: what PRIM looked over."""
    unit = "plausible worlds" if is_posterior(results) else "design points"
    return f"Where each option loses (PRIM over the {point_count(results)} {unit})"


def method_words(density: float = DENSITY) -> str:
    """How the boxes were found and chosen, in two sentences."""
    return (f"A loss is a point where the option's mean over the replicates is on the worse "
            f"side of the baseline's. Each box is the one on PRIM's peeling trajectory that "
            f"holds the largest share of the option's losses (coverage) among those where it "
            f"loses in at least {fraction(density)} of the points (density {density:.0%}), "
            f"keeping only limits that chance would not give (quasi-p-value at most "
            f"{SIGNIFICANCE:g}). Where an option loses nearly everywhere, the box is sought "
            f"the same way among its wins; the method is in docs/discovery.md.")


def too_few_words(results: Results) -> str:
    """Why no box is sought in a batch with a design of too few points."""
    unit = "plausible worlds" if is_posterior(results) else "design points"
    return (f"Where each option loses: the batch has {point_count(results)} {unit}; at "
            f"least {MIN_POINTS} are needed to tell where an option loses.")


def discovery_markdown(results: Results, regions: Sequence[Region]) -> list[str]:
    """The section as Markdown lines: title, one sentence per region, table, method."""
    header, rows = box_rows(regions)
    density = regions[0].dense_at if regions else DENSITY
    return [f"## {heading(results)}", "", *(f"- {sentence(r, '**')}" for r in regions), "",
            *markdown_table(header, rows), "", method_words(density)]


def box_rows(regions: Sequence[Region]) -> tuple[list[str], list[list[str]]]:
    """A table of the regions for reports: header and rows of words."""
    header = ["option", "measure", "beats the baseline in", "loses in", "where it loses",
              "coverage", "density"]
    rows = []
    for r in regions:
        boxed = bool(r.box_of) and bool(r.limits)
        where = join(lim.words for lim in r.limits) if boxed else STATUS_WORDS[r.status]
        if boxed and r.status == Status.WINS_BOX:
            where = f"nearly everywhere; it wins only when {where} (coverage, density: of wins)"
        rows.append([r.option, r.label, f"{percent(r.wins, r.points)} of {r.points}",
                     f"{r.losses}", where,
                     f"{r.coverage:.0%}" if boxed else "–",
                     f"{r.density:.0%}" if boxed else "–"])
    return header, rows


def load_prim() -> ModuleType:
    """ema_workbench's PRIM module, imported quietly; DiscoveryUnavailable if missing.

    Its import warns that optional parallel back-ends are missing; those warnings are
    silenced, and its logger is set to warnings only unless someone configured it.
    """
    try:
        with quiet():
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise DiscoveryUnavailable() from exc
    logger = logging.getLogger(EMA_LOGGER)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return prim


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings ema_workbench and pandas raise inside PRIM (deprecations)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
