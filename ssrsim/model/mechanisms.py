"""The model's equations as pure functions over numbers or numpy arrays.

Each function is one equation of docs/model.md (section "Submodels"), named the same way,
with the scenario parameters as arguments. Nothing here draws random numbers or touches a
model: the model passes state in and writes results back.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import special

ArrayLike = np.ndarray | float
Rounding = Literal["floor", "round", "none"]
"""How C / A becomes the number of units per active in Epstein's arrest probability."""


def per_step(weekly: ArrayLike, weeks: float) -> ArrayLike:
    """A share or probability per week as one over a step of `weeks` weeks: 1 - (1 - p)^w.

    Compounding makes the answer independent of the step length: two half-week steps
    give what one week gives. Exact (the value itself) for one-week steps.
    """
    if weeks == 1:
        return weekly
    return 1.0 - (1.0 - weekly) ** weeks


def saturation(intensity: ArrayLike, half: float) -> ArrayLike:
    """Diminishing returns of spending: f(x) = x / (x + h), 0 at x = 0, 1/2 at x = h."""
    return intensity / (intensity + half)


def arrest_probability(
    units: ArrayLike,
    actives: ArrayLike,
    k: float,
    rounding: Rounding,
) -> ArrayLike:
    """Epstein's estimated arrest probability P = 1 - exp(-k * rounding(C / A)).

    `actives` counts the civilian herself, so it is at least 1.
    """
    ratio = np.asarray(units, dtype=np.float64) / actives
    if rounding == "floor":
        ratio = np.floor(ratio)
    elif rounding == "round":
        ratio = np.rint(ratio)  # half to even, as Python's round() in Mesa's example
    return 1.0 - np.exp(-k * ratio)


def grievance(hardship: ArrayLike, legitimacy: ArrayLike, anger: ArrayLike = 0.0,
              anger_weight: float = 0.0) -> ArrayLike:
    """Grievance G = H (1 - L) + w_A A: Epstein's, plus the anger abuses left (0 in his model).

    With w_A = 0 the term is left out: adding +0 to H (1 - L) >= 0 changes nothing.
    """
    epstein = hardship * (1.0 - legitimacy)
    return epstein + anger_weight * anger if anger_weight else epstein


def anger_step(anger: ArrayLike, abuses_seen: ArrayLike, gain: float, decay: ArrayLike
               ) -> ArrayLike:
    """Anger after a step: it fades, then each abuse seen adds a share of the gap to 1.

    A' = 1 - (1 - A (1 - d)) (1 - g)^W (Bennett 2008: anger <- anger + g hurt (1 - anger),
    hurt = 1 per abuse seen); `decay` d is the step's share (a weekly rate through `per_step`).
    """
    kept = 1.0 - anger * (1.0 - decay)
    if not np.any(abuses_seen):  # exactly (1 - g)^0 = 1 everywhere, without the powers
        return 1.0 - kept
    return 1.0 - kept * (1.0 - gain) ** abuses_seen


def is_active(
    grievance: ArrayLike, risk_aversion: ArrayLike, arrest_prob: ArrayLike, threshold: float
) -> ArrayLike:
    """Epstein's rule A: active iff G - R * P > threshold."""
    return grievance - risk_aversion * arrest_prob > threshold


def legitimacy(
    trust: ArrayLike, governance: float, floor: float, trust_weight: float
) -> ArrayLike:
    """Perceived legitimacy L_i = l0 + (1 - l0)(w T_i + (1 - w) Q), Q governance quality."""
    return floor + (1.0 - floor) * (trust_weight * trust + (1.0 - trust_weight) * governance)


def governance_quality(
    oversight: float, judicial: float, legislative: float, civilian_control: float
) -> float:
    """Q: the mean of the four institutional indices."""
    return (oversight + judicial + legislative + civilian_control) / 4.0


def trust_after_harm(
    trust: np.ndarray, own_abuses: np.ndarray, other_abuses: np.ndarray,
    incidents_seen: np.ndarray, abuse_loss: float, spillover: float, incident_loss: float,
    unfair_contacts: ArrayLike = 0, unfair_loss: float = 0.0,
    heard_abuses: ArrayLike = 0, hearsay: float = 0.0,
) -> np.ndarray:
    """Trust in a force after the abuses, incidents and unfair contacts a civilian saw.

    Each abuse by this force removes a share a of trust in it, each abuse by the other force
    a share s a, each incident (a failure of both to protect) a share i, each everyday
    contact with the force's unreformed units a share u, each abuse by this force heard of
    from neighbours a share h a:
    T' = T (1 - a)^W (1 - s a)^W' (1 - i)^I (1 - u)^U (1 - h a)^Wh.
    """
    out = np.array(trust, dtype=float)  # a copy: updated only where something was seen
    for keep, events in ((1.0 - abuse_loss, own_abuses),
                         (1.0 - spillover * abuse_loss, other_abuses),
                         (1.0 - incident_loss, incidents_seen),
                         (1.0 - unfair_loss, unfair_contacts),
                         (1.0 - hearsay * abuse_loss, heard_abuses)):
        if keep == 1.0 or not np.any(events):
            continue  # a factor of exactly 1 changes nothing
        if np.ndim(events) == 0:
            out *= keep ** events
        else:
            seen = np.flatnonzero(np.asarray(events) != 0)
            out[seen] *= keep ** np.asarray(events)[seen]
    return out


def heard_of(neighbour_sum: np.ndarray, neighbour_count: np.ndarray) -> np.ndarray:
    """Abuses heard of: the mean number her social neighbours witnessed (0 with none)."""
    return np.where(neighbour_count > 0, neighbour_sum / np.maximum(neighbour_count, 1), 0.0)


def trust_memory(trust: ArrayLike, anchor: ArrayLike, rate: ArrayLike) -> ArrayLike:
    """Trust relaxes toward its anchor (her initial trust): T' = T + m (T0 - T).

    `rate` m is the step's share (a weekly rate through `per_step`): gains and losses fade
    unless renewed.
    """
    return trust + rate * (anchor - trust)


def expectation_gap(hardship: ArrayLike, base_hardship: ArrayLike, promise: ArrayLike,
                    relief: float) -> ArrayLike:
    """Hardship above what the programme promised: x = max(0, H - H0 (1 - r f_S)).

    The promise f_S is the service level this step's spending buys; expected hardship is the
    baseline relieved by services at that level.
    """
    return np.maximum(0.0, hardship - base_hardship * (1.0 - relief * promise))


def trust_after_gap(trust: ArrayLike, loss: ArrayLike) -> ArrayLike:
    """Trust after a step of unmet expectations: T' = T (1 - l), l the step's share.

    l = per_step(l_x x, w): a weekly loss l_x per unit of expectation gap x.
    """
    return trust * (1.0 - loss)


def combined_trust(police: ArrayLike, army: ArrayLike, police_weight: float) -> ArrayLike:
    """Trust in the security forces, T = w T^P + (1 - w) T^A."""
    return police_weight * police + (1.0 - police_weight) * army


def trust_after_gain(trust: ArrayLike, gain: ArrayLike) -> ArrayLike:
    """A gain g in [0, 1] recovers that share of distrust: T' = T + g (1 - T)."""
    return trust + gain * (1.0 - trust)


def repeated_gain(rate: float, count: ArrayLike) -> ArrayLike:
    """Combined gain of `count` independent gains of size `rate`: 1 - (1 - rate)^count."""
    if rate == 0 or not np.any(count):  # exactly 0 everywhere, without the powers
        return 0.0
    return 1.0 - (1.0 - rate) ** count


def social_influence(
    trust: np.ndarray, neighbour_sum: np.ndarray, neighbour_count: np.ndarray, weight: float
) -> np.ndarray:
    """DeGroot averaging: T' = (1 - w) T + w * mean trust of neighbours (if any)."""
    has = neighbour_count > 0
    mean = np.where(has, neighbour_sum / np.maximum(neighbour_count, 1), trust)
    return (1.0 - weight) * trust + weight * mean


def cooperation(
    trust: ArrayLike, engagement: ArrayLike, knowledge: ArrayLike, base: float,
    trust_weight: float, engagement_weight: float, knowledge_weight: float,
) -> ArrayLike:
    """Willingness to report, K = clip(b + w_T T + w_E e_d + w_K k_d, 0, 1)."""
    return np.clip(base + trust_weight * trust + engagement_weight * engagement
                   + knowledge_weight * knowledge, 0.0, 1.0)


def hardship(
    baseline: ArrayLike, service_level: ArrayLike, relief: float, crisis_level: ArrayLike,
    crisis_hardship: float,
) -> ArrayLike:
    """H = clip(H0 (1 - r s_d) + h_c c_d, 0, 1): services relieve, crises add."""
    return np.clip(baseline * (1.0 - relief * service_level) + crisis_hardship * crisis_level,
                   0.0, 1.0)


def abuse_probability(
    rate: ArrayLike, state_reduction: ArrayLike, oversight: float, sanction_rate: float,
    oversight_deterrence: float, sanction_deterrence: float,
) -> ArrayLike:
    """P = a_kind (1 - rho_state) (1 - d_O O) (1 - d_S S)."""
    return (rate * (1.0 - state_reduction) * (1.0 - oversight_deterrence * oversight)
            * (1.0 - sanction_deterrence * sanction_rate))


def report_probability(cooperation_mean: ArrayLike, monitoring: ArrayLike) -> ArrayLike:
    """An abuse is reported by a witness or by NGO monitors: 1 - (1 - K_d)(1 - m_d)."""
    return 1.0 - (1.0 - cooperation_mean) * (1.0 - monitoring)


def sanction_probability(oversight: float, judicial: float) -> float:
    """A reported abuse is sanctioned if investigated and tried: O * J."""
    return oversight * judicial


def backsliding_probability(rate: float, political_resistance: float, oversight: float) -> float:
    """A reformed unit reverts with probability b * rho_P * (1 - O)."""
    return rate * political_resistance * (1.0 - oversight)


def training_intake(
    spend_per_unit: ArrayLike, half: float, resistance: ArrayLike
) -> ArrayLike:
    """An unreformed unit enters training with probability f(spend per unit) (1 - r_u)."""
    return saturation(spend_per_unit, half) * (1.0 - resistance)


def institution_step(
    level: float, drive: float, resistance: float, growth: float, decay: float,
    weeks: float = 1.0,
) -> float:
    """X' = x + g_w (1 - x) - d_w x, for oversight, judiciary and legislature.

    g_w = per_step(g D (1 - rho), w) and d_w = per_step(d, w): weekly growth and decay over
    a step of w weeks.
    """
    grow = float(per_step(growth * drive * (1.0 - resistance), weeks))
    return float(np.clip(level + grow * (1.0 - level) - float(per_step(decay, weeks)) * level,
                         0.0, 1.0))


def follow(level: float, target: float, rate: float) -> float:
    """Partial adjustment x' = x + a (target - x) (civilian control follows the framework)."""
    return level + rate * (target - level)


def stock_step(level: ArrayLike, gain: ArrayLike, loss: ArrayLike) -> ArrayLike:
    """A stock built by effort and depreciating over a step: s' = s (1 - l) + g (1 - s).

    `gain` and `loss` are the step's shares (weekly rates through `per_step`).
    """
    return level * (1.0 - loss) + gain * (1.0 - level)


def crisis_step(level: ArrayLike, response: ArrayLike, decay: float, response_rate: float,
                weeks: float = 1.0) -> ArrayLike:
    """A crisis fades by itself and faster with crisis response: c' = c (1 - d - r f)^w."""
    kept = np.clip(1.0 - decay - response_rate * response, 0.0, 1.0)
    return level * (kept if weeks == 1 else kept ** weeks)


def incident_rate(
    civilians: ArrayLike, insurgency: ArrayLike, armed_share: ArrayLike, base_rate: float,
    armed_weight: float, suppression: ArrayLike,
) -> ArrayLike:
    """Expected incidents lambda_d = b (N_d / 1000)(I_d + w_a a_d)(1 - s_d)."""
    return base_rate * civilians / 1000.0 * (insurgency + armed_weight * armed_share) * (
        1.0 - suppression)


def suppression(
    capacity_per_1000: ArrayLike, cooperation_mean: ArrayLike, max_suppression: float,
    half: float,
) -> ArrayLike:
    """Share of incidents prevented, s_d = s_max K_d f(u_d): forces need information."""
    return max_suppression * cooperation_mean * saturation(capacity_per_1000, half)


def disarm_probability(rate: float, program: ArrayLike, trust: ArrayLike) -> ArrayLike:
    """Armed -> demobilised: q_1 = r_d p_d T (trust in security guarantees)."""
    return rate * program * trust


def reintegration_probability(rate: float, program: ArrayLike, hardship: ArrayLike
                              ) -> ArrayLike:
    """Demobilised -> reintegrated: q_2 = r_r p_d (1 - H)."""
    return rate * program * (1.0 - hardship)


def relapse_probability(
    rate: float, grievance: ArrayLike, threshold: float, program: ArrayLike
) -> ArrayLike:
    """Demobilised or reintegrated -> armed: q_3 = r_x max(0, G - theta)(1 - p_d)."""
    return rate * np.maximum(0.0, grievance - threshold) * (1.0 - program)


def stability(active_share: float, incidents_per_1000: float, scale: float) -> float:
    """Stability = (1 - share active) exp(-insurgent incidents per 1,000 civilians / scale).

    Rebellion and armed violence only: abuses by the forces are conduct, measured apart, so a
    lever that changes abuses does not move stability by bookkeeping.
    """
    return (1.0 - active_share) * float(np.exp(-incidents_per_1000 / scale))


def seen_within(last_seen: np.ndarray, step: int, window: int) -> np.ndarray:
    """Whether each civilian saw it in the last `window` steps, this one included.

    `last_seen` is the step she last saw it (a large negative number if never):
    seen iff step - last < window, that is last > step - window.
    """
    return np.asarray(last_seen > step - window)


def reallocate(
    allocation: np.ndarray, effect_per_cost: np.ndarray, learning_rate: float, min_share: float
) -> np.ndarray:
    """Adaptive management: move a share of the allocation toward measured effect per cost.

    a' = (1 - eta) a + eta e+ / sum(e+); then shares below `min_share` are pinned there and
    the others rescaled to fill the rest, repeated until none falls below. With no positive
    effect anywhere (or positive effects so small they sum below the smallest normal float,
    where eta e+ would underflow to zero) the allocation is kept.
    """
    gains = np.maximum(effect_per_cost, 0.0)
    if gains.sum() < np.finfo(np.float64).tiny:
        return allocation.copy()
    target = (1.0 - learning_rate) * allocation + learning_rate * gains / gains.sum()
    pinned = np.zeros(target.size, dtype=bool)
    while True:
        low = ~pinned & (target < min_share)
        if not low.any():
            return target
        pinned |= low
        target[pinned] = min_share
        free = ~pinned
        if not free.any():
            return target
        target[free] *= (1.0 - min_share * pinned.sum()) / target[free].sum()


def poisson_quantile(u: np.ndarray, rate: ArrayLike) -> np.ndarray:
    """The count k of a Poisson(rate) at uniform u: the smallest k with P(N <= k) >= u.

    Inversion, as `scipy.stats.poisson.ppf` computes it (0 at u = 0, where scipy gives -1),
    from `scipy.special` alone: importing `scipy.stats` costs about half a second.
    """
    guess = np.ceil(special.pdtrik(u, rate))
    below = np.maximum(guess - 1, 0)
    k = np.where(special.pdtr(below, rate) >= u, below, guess)
    return np.where(u > 0, np.maximum(k, 0), 0).astype(np.int64)
