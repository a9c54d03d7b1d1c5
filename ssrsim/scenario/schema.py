"""The scenario schema: every parameter's name, type, default, range, unit, help and source.

This module is the single place where parameters are defined. The loader validates files
against it, the model reads the validated object, and the CLI (`ssrsim schema`), the
documentation's parameter table and any user interface derive from it.

Sections mirror the model's submodels (see docs/model.md), so each equation's parameters sit
together. A field's ``source`` says where its default comes from, or ``assumption``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

EPSTEIN = "Epstein (2002), PNAS 99(suppl 3):7243-7250"
ASSUMPTION = "assumption"
BLAIR = "Blair, Karim & Morse (2019), APSR 113(3):641-657"

ACTIVITIES = ("engagement", "services", "training", "oversight", "ddr")
"""Budget activities, in the order used by the allocation vector."""

NGO_ACTIVITIES = ("monitoring", "services", "advocacy")

MAX_RESOURCES = 1e9
"""Largest budget or spending rate per week (the baseline spends 10): sums over districts,
units, a donor surge and a run's steps then stay far from overflowing a float. A ceiling
for safety, not a range: sliders and priors still treat these parameters as open-ended."""

CEILING_NOTE = f"; at most {MAX_RESOURCES:.0e}, a ceiling against overflow"


def _within_ceiling(value: float) -> float:
    if value > MAX_RESOURCES:
        raise ValueError(f"must be at most {MAX_RESOURCES:.0e} (a ceiling that keeps sums of "
                         "spending over units, districts, surges and steps finite)")
    return value


Resources = Annotated[float, AfterValidator(_within_ceiling)]
"""A budget or spending rate per week: a real number up to MAX_RESOURCES."""

Neighbourhood = Literal["von_neumann", "moore", "euclidean"]
"""Shapes of a vision: Manhattan, Chebyshev or Euclidean distance from the cell."""


def param(
    default: Any,
    help: str,
    *,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    unit: str = "",
    source: str = ASSUMPTION,
    strict: bool | None = None,
) -> Any:
    """Declare a parameter: a pydantic Field carrying unit and source as schema extras.

    `strict=False` lets a field convert its input (a date written as text, a list as a pair).
    """
    return Field(
        default,
        description=help,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        strict=strict,
        json_schema_extra={"unit": unit, "source": source},
    )


class Section(BaseModel):
    """Base of every schema section: immutable; unknown keys, inf/nan and wrong types rejected.

    Types are strict: a number must be written as a number (a whole number where an integer
    is meant; an integer where a real is meant is fine) and a switch as true or false, so
    `yes`, `"12"`, `"True"` or `1` for a switch are errors rather than guesses. Dates and the
    district grid may still be converted (from JSON's text dates and lists).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class BetaDist(Section):
    """A Beta distribution given by its mean and concentration (mean=0.5, conc.=2 is U(0,1))."""

    mean: float = param(0.5, "Mean of the distribution.", gt=0, lt=1)
    concentration: float = param(
        2.0, "Concentration a+b; 2 with mean 0.5 is the uniform U(0,1).", gt=0, le=1000
    )

    @model_validator(mode="after")
    def _shapes_positive(self) -> BetaDist:
        a, b = self.mean * self.concentration, (1.0 - self.mean) * self.concentration
        if a <= 0 or b <= 0:  # products too small for a float round to 0
            raise ValueError(
                f"Beta shapes a = mean x concentration = {a:g} and b = (1 - mean) x "
                f"concentration = {b:g} must both be above 0 (mean {self.mean:g}, concentration "
                f"{self.concentration:g}); raise the concentration or move the mean from 0 and 1"
            )
        return self


class Time(Section):
    """Calendar mapping of model steps."""

    start_date: dt.date = param(dt.date(2004, 1, 5), "Calendar date of step 0.", strict=False)
    step_days: int = param(
        7, "Length of one step. Rates are given per week (or per year, as their unit says) and "
        "converted to the step length, so it changes no answer beyond discretisation.",
        ge=1, le=366, unit="days",
    )
    steps: int = param(156, "Number of steps a run lasts.", ge=1, le=100_000, unit="steps")
    spin_up_days: int = param(
        210, "Time before step 0 in which only rebellion and arrests run (trust, institutions, "
        "programme and events wait), so that step 0 is a settled state rather than an "
        "all-quiescent start; not recorded. 210 days is one longest jail term.",
        ge=0, le=36_500, unit="days",
    )

    @property
    def weeks(self) -> float:
        """Length of one step in weeks: the exponent that turns a weekly rate into a step's."""
        return self.step_days / 7.0

    def steps_for(self, days: float) -> int:
        """Whole steps nearest to `days` (a duration given in days; halves to even)."""
        return round(days / self.step_days)

    def window_steps(self, days: float) -> int:
        """Steps of a window or duration that lasts at least one step: `steps_for`, >= 1."""
        return max(1, self.steps_for(days))


class Space(Section):
    """The grid and its division into districts."""

    width: int = param(100, "Grid width.", ge=3, le=2000, unit="cells")
    height: int = param(100, "Grid height.", ge=3, le=2000, unit="cells")
    torus: bool = param(False, "Whether the grid wraps around (Epstein's model uses a torus).")
    district_grid: tuple[int, int] = param(
        (1, 1),
        "Rows and columns of the block layout of districts; `districts` lists them row-major.",
        strict=False,
    )

    @model_validator(mode="after")
    def _blocks_fit(self) -> Space:
        rows, cols = self.district_grid
        if rows < 1 or cols < 1 or rows > self.height or cols > self.width:
            raise ValueError(
                f"district_grid {list(self.district_grid)} must be at least [1, 1] and fit the "
                f"{self.width}x{self.height} grid"
            )
        return self


class District(Section):
    """One district: its people, its threats, its access and the forces based in it."""

    name: str = Field(
        ..., description="Identifier (lowercase letters, digits, _).", pattern=r"^[a-z][a-z0-9_]*$"
    )
    hardship: BetaDist = Field(
        default_factory=BetaDist,
        description="Distribution of civilians' baseline hardship H0 (Epstein: U(0,1)).",
    )
    density: float | None = param(
        None, "Share of the district's cells with a civilian home (absent: population.density); "
        "unequal densities give districts unequal populations.", gt=0, le=0.95,
    )
    insurgency: float = param(
        0.0, "Insurgent presence: scales the rate of insurgent incidents.", ge=0, le=1
    )
    access: float = param(
        1.0, "Share of CMO and NGO effort that reaches the population (terrain, insecurity).",
        ge=0, le=1,
    )
    ex_combatants: float = param(
        0.0, "Share of civilians who are ex-combatants, armed at the start.", ge=0, le=0.5
    )
    police: int = param(0, "Police units based in the district.", ge=0, le=100_000)
    army: int = param(0, "Army units based in the district.", ge=0, le=100_000)
    cmo_units: int = param(0, "CMO units starting in the district.", ge=0, le=10_000)
    ngos: int = param(0, "NGOs starting in the district.", ge=0, le=10_000)


class Population(Section):
    """Civilians at initialisation."""

    density: float = param(
        0.7, "Share of cells with a civilian living on them.", gt=0, le=0.95, source=EPSTEIN
    )
    risk_aversion: BetaDist = Field(
        default_factory=BetaDist, description="Distribution of risk aversion R (Epstein: U(0,1))."
    )
    initial_trust: BetaDist = Field(
        default_factory=lambda: BetaDist(mean=0.4, concentration=4.0),
        description="Distribution of initial trust in the police T^P, and in the army T^A "
        "unless initial_army_trust is given (then both start equal).",
    )
    initial_army_trust: BetaDist | None = Field(
        None, description="Distribution of initial trust in the army T^A, drawn independently "
        "(absent: each civilian starts trusting the army as much as the police).",
    )


class Activation(Section):
    """Epstein's activation rule: active iff H(1-L) - R*P > threshold."""

    vision: float = param(
        7, "Civilians' vision radius: for von_neumann and moore it is floored to whole cells; "
        "euclidean takes the cells whose centre lies within this distance (NetLogo's "
        "in-radius, so 1.7 reaches the diagonal neighbours).", ge=1, le=50, unit="cells",
        source="Mesa epstein_civil_violence example; Epstein (2002) Table 2 for 1.7",
    )
    neighbourhood: Neighbourhood = param(
        "von_neumann", "Shape of civilians' vision: von_neumann (|dx|+|dy| <= r), moore "
        "(max(|dx|,|dy|) <= r) or euclidean (dx^2+dy^2 <= r^2, NetLogo Rebellion).",
        source="Mesa example (von_neumann or moore); Wilensky (2004) NetLogo (euclidean)",
    )
    threshold: float = param(0.1, "Activation threshold T.", ge=0, le=1, source=EPSTEIN)
    arrest_constant: float = param(
        2.3, "k in P = 1 - exp(-k * rounding(C/A)).", gt=0, le=100, source=EPSTEIN
    )
    rounding: Literal["floor", "round", "none"] = param(
        "round",
        "How C/A is rounded: Mesa uses round, NetLogo floor, the paper's formula none.",
        source="Wilensky (2004) NetLogo Rebellion; Mesa example",
    )
    batches: int = param(
        8, "Random batches civilians decide in, each seeing earlier batches' choices; 1 is "
        "synchronous, larger values approach Mesa's random sequential activation.",
        ge=1, le=100_000, source="assumption (docking with Mesa's example)",
    )
    max_jail_days: int = param(
        210, "Jail terms are drawn uniformly from 0..J steps, J = max_jail_days / step_days "
        "rounded (Epstein's J_max = 30 ticks is 210 days at weekly steps).", ge=0,
        le=1_000_000, unit="days", source=EPSTEIN,
    )
    order: Literal["units_first", "interleaved"] = param(
        "units_first", "When units arrest: units_first (all units act, then civilians decide) "
        "or interleaved (arrests fall between the decision batches, as cops and citizens share "
        "one shuffled sequence in Mesa's example; a jail term then counts down when its "
        "civilian's batch comes, so an arrest after her decision jails her one step more).",
        source="Mesa epstein_civil_violence example (interleaved)",
    )


class Legitimacy(Section):
    """Perceived legitimacy L_i of the security sector."""

    mode: Literal["dynamic", "fixed"] = param(
        "dynamic", "`fixed` holds L at `fixed_value` for everyone (Epstein's model)."
    )
    fixed_value: float = param(0.8, "L when mode is fixed.", ge=0, le=1, source=EPSTEIN)
    floor: float = param(
        0.73, "Legitimacy the state keeps whatever the security sector does (L at T = Q = 0).",
        ge=0, le=1, source="Assumption: with trust_weight, keeps L near 0.84 at the baseline's "
        "starting trust while dL/dT = (1 - floor) trust_weight = 0.243 (0.175 before)",
    )
    trust_weight: float = param(
        0.9, "Weight of own trust against governance quality in L_i.", ge=0, le=1,
        source="Lemos, Lopes & Coelho (2016): legitimacy as weighted sub-indicators; the "
        "weight an assumption (trust is the proximate judgement)",
    )


class Trust(Section):
    """Rates of the trust mechanisms (each a share of the gap or of trust per event).

    Civilians trust the police and the army separately; `police_weight` combines the two into
    the trust in the security forces that legitimacy, cooperation and DDR read.
    """

    police_weight: float = param(
        0.5, "Weight of trust in the police in the combined trust T = w T^P + (1 - w) T^A.",
        ge=0, le=1,
    )
    abuse_loss: float = param(
        0.1, "Share of trust in a force lost per abuse by that force witnessed.", ge=0, le=1,
    )
    spillover: float = param(
        0.5, "Share of that loss that also falls on trust in the other force (the public "
        "blames the security forces as a whole).", ge=0, le=1,
    )
    incident_loss: float = param(
        0.02, "Share of trust lost per insurgent incident witnessed (failure to protect).",
        ge=0, le=1,
    )
    fair_contact_gain: float = param(
        0.01, "Share of distrust in a force recovered per week of fair contact with its "
        "reformed unit (a patrol's contact in one step lasts that step).", ge=0, le=1,
        unit="share per week of contact",
        source="Procedural justice: Tyler (2004); assumption for the size",
    )
    unfair_contact_loss: float = param(
        0.022, "Share of trust in a force lost per week of everyday contact with its "
        "unreformed unit (extortion, harassment; 0: off).", ge=0, le=1,
        unit="share per week of contact",
        source="0.55 x 4 x fair_contact_gain: Afrobarometer 2018, 55% of Liberians who sought "
        "police help paid a bribe; Skogan (2006), Policing & Society 16(2):99-126, a bad "
        "encounter weighed 4 to 14 times a good one (the low end taken)",
    )
    hearsay: float = param(
        0.5, "Share of a witnessed abuse's trust loss borne per abuse heard of: the mean "
        "number of abuses by the force that her social neighbours witnessed this step.",
        ge=0, le=1, source="Assumption for the size; the direction: vicarious experience of "
        "police misconduct lowers trust (Rosenbaum et al. 2005, Police Quarterly 8(3))",
    )
    memory_rate: float = param(
        0.013, "Share of the distance to her initial trust that a civilian's trust in each "
        "force closes per week: gains and losses fade unless renewed (0: off).", ge=0, le=1,
        unit="share per week", source="Assumption: a half-life of about a year, as survey "
        "trust in the case countries swings 10-25 points within one to two years "
        "(docs/cases.md)",
    )
    expectation_loss: float = param(
        0.1, "Share of trust in both forces lost per week per unit of expectation gap: "
        "hardship above what the programme's service spending promised (0: off).", ge=0,
        le=1, unit="share per week per unit of gap",
        source="After Athena's satisfaction of a concern measured against expectations (JPL "
        "for US Army TRADOC) for the form; size an assumption",
    )
    engagement_gain: float = param(
        0.02, "Share of distrust in the army recovered per week at full engagement level "
        "(CMO units are military).", ge=0, le=1, unit="share per week",
    )
    service_gain: float = param(
        0.01, "Share of distrust in both forces recovered per week at full new-service "
        "level.", ge=0, le=1, unit="share per week",
    )
    social_weight: float = param(
        0.05, "Weight of neighbours' mean trust after one week (DeGroot averaging).", ge=0,
        le=1, unit="share per week",
    )
    social_radius: int = param(1, "Radius of the social neighbourhood (Moore).", ge=1, le=10)
    witness_radius: int = param(
        3, "Radius within which civilians witness abuses and incidents (Von Neumann).",
        ge=0, le=50, unit="cells",
    )
    contact_radius: int = param(
        1, "Radius within which a reformed unit's patrol is a contact (Von Neumann).",
        ge=0, le=50, unit="cells",
    )


class Anger(Section):
    """Anger A_i at abuses by the forces: raised by each abuse seen, fading, adding grievance.

    Bennett (2008), JASSS 11(4):7: anger <- anger + 0.05 hurt (1 - anger).
    """

    gain: float = param(
        0.05, "Share of the gap to full anger added per abuse witnessed (hurt = 1).", ge=0,
        le=1, source="Bennett (2008), JASSS 11(4):7: anger <- anger + 0.05 hurt (1 - anger)",
    )
    decay: float = param(
        0.05, "Share of anger that fades per week.", ge=0, le=1, unit="share per week",
        source="Assumption: a half-life of about 3 months",
    )
    weight: float = param(
        0.3, "Weight of anger in grievance G = H (1 - L) + w_A A (0: off).", ge=0, le=1,
        source="Assumption: full anger adds a grievance of 0.3, three times Epstein's "
        "threshold",
    )


class Cooperation(Section):
    """Willingness to report to the security forces (Athena's cooperation; Wheeler 2005)."""

    base: float = param(0.05, "Reporting willingness at zero trust and no engagement.", ge=0, le=1)
    trust_weight: float = param(0.6, "Increase in willingness per unit of trust.", ge=0, le=1)
    engagement_weight: float = param(
        0.3, "Increase per unit of district engagement level (contact raises reporting).",
        ge=0, le=1, source=BLAIR,
    )


class CommunityPolicing(Section):
    """Community-policing visits: police meet residents, who learn how to reach them.

    A lever separate from engagement: Blair, Karim & Morse (2019) found that a few visits
    raised knowledge of the police and reporting, but not trust in the police.
    """

    visits_per_year: float = param(
        0.0, "Standing rate of visits in every district that has police (0: no programme; "
        "`community_policing` events set it per district for a while).", ge=0, le=365,
        unit="visits per district per year",
    )
    knowledge_gain: float = param(
        0.3, "Share of the gap in residents' knowledge of the police closed by one visit.",
        ge=0, le=1,
    )
    knowledge_decay: float = param(
        0.01, "Depreciation of that knowledge.", ge=0, le=1, unit="share per week",
    )
    cooperation_weight: float = param(
        0.3, "Increase in reporting willingness per unit of knowledge of the police.",
        ge=0, le=1, source=f"{BLAIR} for the direction; assumption for the size",
    )
    trust_gain: float = param(
        0.0, "Share of distrust in the police recovered per visit (direct effect on trust).",
        ge=0, le=1,
        source=f"{BLAIR}: trust in the police did not rise",
    )


class KindValues(Section):
    """A value per security-force kind."""

    police: float = Field(..., ge=0, le=1, description="Police.")
    army: float = Field(..., ge=0, le=1, description="Army.")


class Security(Section):
    """Security force units: patrol, arrest, abuse, reform."""

    vision: float = param(
        7, "Units' vision radius for arrests, own cell included; floored to whole cells for "
        "von_neumann and moore, a Euclidean distance for euclidean (as activation.vision).",
        ge=0, le=50, unit="cells", source="Mesa epstein_civil_violence example",
    )
    neighbourhood: Neighbourhood = param(
        "von_neumann", "Shape of units' vision for arrests: von_neumann, moore or euclidean "
        "(as activation.neighbourhood).",
        source="Mesa example (von_neumann or moore); Wilensky (2004) NetLogo (euclidean)",
    )
    patrol_radius: int = param(
        2, "How far a unit may move per step within its district; 0 = stays put.",
        ge=0, le=50, unit="cells",
    )
    capacity: KindValues = Field(
        default_factory=lambda: KindValues(police=0.6, army=0.8),
        description="Probability per week that an unreformed unit makes an arrest while "
        "actives are in its vision (at most one arrest per step).",
    )
    reformed_capacity: KindValues = Field(
        default_factory=lambda: KindValues(police=0.9, army=0.9),
        description="The same weekly probability for a reformed unit (training raises "
        "capacity).",
    )
    abuse_rate: KindValues = Field(
        default_factory=lambda: KindValues(police=0.03, army=0.05),
        description="Probability per week that an unreformed unit with no deterrence commits "
        "an abuse.",
    )
    training_abuse_reduction: float = param(
        0.3, "Share of abuse probability removed while in training.", ge=0, le=1
    )
    reformed_abuse_reduction: float = param(
        0.8, "Share of abuse probability removed once reformed.", ge=0, le=1
    )
    oversight_deterrence: float = param(
        0.5, "Share of abuse probability removed at full oversight.", ge=0, le=1
    )
    sanction_deterrence: float = param(
        0.5, "Share of abuse probability removed when every abuse is sanctioned.", ge=0, le=1
    )
    resistance_concentration: float = param(
        4.0, "Concentration of the Beta distribution of each unit's own resistance to change "
        "r_u, whose mean is institutions.institutional_resistance.", ge=1e-6, le=1000,
    )
    training_days: int = param(
        84, "Time a unit spends in training (at least one step).", ge=1, le=100_000,
        unit="days",
    )
    training_half: float = param(
        0.5, "Training spend per untrained unit per week giving half the maximal intake.",
        gt=0, unit="resource units per unit per week",
    )
    backsliding_rate: float = param(
        0.02, "Probability per week that a reformed unit back-slides, at full political "
        "resistance and no oversight.", ge=0, le=1, unit="probability per week",
    )
    initial_reformed: float = param(0.0, "Share of units reformed at the start.", ge=0, le=1)


class CMO(Section):
    """Military civil-military operations units."""

    coordination: float = param(
        0.5, "Civil-military coordination: the probability that a re-planning CMO unit "
        "plans jointly, and CMO effectiveness (NGOs: ngo.coordination).",
        ge=0, le=1,
    )
    coordination_penalty: float = param(
        0.5, "Share of effectiveness lost at zero coordination.", ge=0, le=1
    )
    throughput: Resources = param(
        5.0, f"Most resources one CMO unit can deliver per week{CEILING_NOTE}.", gt=0,
        unit="resource units per week",
    )
    relocation_rate: float = param(
        0.1, "Probability per week that a CMO unit re-plans which district to work in.",
        ge=0, le=1, unit="probability per week",
    )
    crisis_share: float = param(
        0.5, "Share of a unit's spending diverted to crisis response in a district in crisis.",
        ge=0, le=1,
    )


class NGO(Section):
    """Civil-society organisations."""

    budget: Resources = param(
        1.0, f"Resources each NGO spends per week (own funds{CEILING_NOTE}).", ge=0,
        unit="resource units per week",
    )
    monitoring: float = param(0.4, "Share of NGO spending on monitoring abuses.", ge=0, le=1)
    services: float = param(0.4, "Share of NGO spending on services.", ge=0, le=1)
    advocacy: float = param(0.2, "Share of NGO spending on advocacy for reform.", ge=0, le=1)
    violence_threshold: float = param(
        0.05, "Share of civilians active plus insurgent incidents per civilian per week, above "
        "which NGOs leave.", ge=0, le=1,
    )
    relocation_rate: float = param(
        0.1, "Probability per week that an NGO re-plans which district to work in.",
        ge=0, le=1, unit="probability per week",
        source="assumption: as CMO units (cmo.relocation_rate), about every 10 weeks",
    )
    coordination: float = param(
        0.5, "Probability that a re-planning NGO plans jointly with CMO units (civil-military "
        "coordination as the NGOs practise it).", ge=0, le=1,
        source="assumption: as cmo.coordination; a policy of joint planning sets both",
    )

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> NGO:
        _check_shares({k: getattr(self, k) for k in NGO_ACTIVITIES})
        return self


class Allocation(Section):
    """Shares of the programme budget per activity; they sum to 1."""

    engagement: float = param(0.25, "Community engagement (CMO).", ge=0, le=1)
    services: float = param(0.25, "Essential services and infrastructure (CMO).", ge=0, le=1)
    training: float = param(0.2, "Training of security units (CMO).", ge=0, le=1)
    oversight: float = param(
        0.15, "Oversight bodies, judiciary and legislature (institutions).", ge=0, le=1
    )
    ddr: float = param(0.15, "Disarmament, demobilisation and reintegration.", ge=0, le=1)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Allocation:
        _check_shares({k: getattr(self, k) for k in ACTIVITIES})
        return self


class HalfSaturation(Section):
    """Spending intensity (per week) that gives half the maximal effect, f(x) = x / (x + h)."""

    engagement: float = param(2.0, "Engagement.", gt=0,
                              unit="resource units per 1,000 civilians per week")
    services: float = param(2.0, "Services.", gt=0,
                            unit="resource units per 1,000 civilians per week")
    oversight: float = param(2.0, "Institutional support.", gt=0,
                             unit="resource units per week")
    ddr: float = param(
        2.0, "DDR programmes.", gt=0, unit="resource units per 1,000 ex-combatants per week"
    )
    crisis: float = param(1.0, "Crisis response.", gt=0,
                          unit="resource units per 1,000 civilians per week")
    monitoring: float = param(0.5, "NGO monitoring.", gt=0,
                              unit="resource units per district per week")


class Budget(Section):
    """The SSR programme budget: the resource constraint."""

    per_week: Resources = param(
        10.0, f"Programme budget per week{CEILING_NOTE}.", ge=0, unit="resource units per week"
    )
    allocation: Allocation = Field(default_factory=Allocation, description="Initial allocation.")
    half_saturation: HalfSaturation = Field(default_factory=HalfSaturation)


class Institutions(Section):
    """Model-level institutions, each in [0, 1]."""

    political_resistance: float = param(
        0.4, "Spoilers: slows legislative reform and oversight, drives back-sliding.", ge=0, le=1
    )
    institutional_resistance: float = param(
        0.5, "Entrenched practice: slows judicial reform and units' uptake of training.",
        ge=0, le=1,
    )
    oversight: float = param(0.2, "Initial oversight strength O.", ge=0, le=1)
    judicial: float = param(0.2, "Initial judicial reform progress J.", ge=0, le=1)
    legislative: float = param(0.3, "Initial legislative framework progress F.", ge=0, le=1)
    civilian_control: float = param(0.4, "Initial civilian control C.", ge=0, le=1)
    growth: float = param(
        0.02, "Growth of O, J and F at full drive: share of the gap to 1 closed.", ge=0, le=1,
        unit="share per week",
    )
    decay: float = param(0.005, "Decay of O, J and F.", ge=0, le=1, unit="share per week")
    control_adjustment: float = param(
        0.05, "Share of its gap to the legislative framework that civilian control closes.",
        ge=0, le=1, unit="share per week",
    )
    advocacy_weight: float = param(
        0.5, "Weight of NGO advocacy in the institutional drive.", ge=0, le=1
    )
    accountability_days: int = param(
        84, "Trailing window for the realised accountability measure (at least one step).",
        ge=1, le=100_000, unit="days",
    )


class Services(Section):
    """District service level s_d: a stock built by spending that depreciates."""

    decay: float = param(0.02, "Depreciation of the service level.", ge=0, le=1,
                         unit="share per week")
    build_rate: float = param(
        0.1, "Growth of the service level at full spending: share of the gap to 1 closed.",
        ge=0, le=1, unit="share per week",
    )
    hardship_relief: float = param(
        0.5, "Share of baseline hardship removed at full service level.", ge=0, le=1
    )


class Crisis(Section):
    """District crisis level c_d after shocks; crisis response by CMO units."""

    decay: float = param(0.05, "Natural decay of the crisis level.", ge=0, le=1,
                         unit="share per week")
    response_rate: float = param(
        0.2, "Extra decay at full crisis-response spending.", ge=0, le=1, unit="share per week"
    )
    hardship: float = param(
        0.3, "Hardship added at crisis level 1.", ge=0, le=1
    )


class Insurgency(Section):
    """Insurgent incidents per district."""

    base_rate: float = param(
        2.0, "Incidents per 1,000 civilians per week at insurgency 1 with no suppression.",
        ge=0, le=1000, unit="incidents per 1,000 civilians per week",
    )
    armed_weight: float = param(
        2.0, "Insurgency added per unit share of armed ex-combatants in the district.",
        ge=0, le=100,
    )
    max_suppression: float = param(
        0.8, "Largest share of incidents that security forces can prevent.", ge=0, le=1
    )
    suppression_half: float = param(
        2.0, "Effective units per 1,000 civilians giving half the maximal suppression.",
        gt=0, unit="units per 1,000 civilians",
    )


class DDR(Section):
    """Ex-combatants: armed -> demobilised -> reintegrated, with relapse."""

    disarm_rate: float = param(
        0.05, "Probability per week that an armed ex-combatant demobilises at full "
        "programme level and full trust.", ge=0, le=1, unit="probability per week",
    )
    reintegration_rate: float = param(
        0.03, "Probability per week that a demobilised ex-combatant reintegrates at full "
        "programme level and no hardship.", ge=0, le=1, unit="probability per week",
    )
    relapse_rate: float = param(
        0.05, "Relapse probability per week per unit of grievance above the threshold with "
        "no programme support.", ge=0, le=1, unit="probability per week",
    )
    relapse_threshold: float = param(
        0.2, "Grievance above which demobilised or reintegrated ex-combatants may re-arm.",
        ge=0, le=1,
    )
    program_build: float = param(
        0.3, "Growth of the DDR programme level at full funding.", ge=0, le=1,
        unit="share per week",
    )
    program_decay: float = param(
        0.1, "Decay of the DDR programme level.", ge=0, le=1, unit="share per week"
    )


class Adaptive(Section):
    """Adaptive management: regular evaluations re-weight the allocation."""

    enabled: bool = param(False, "Whether the allocation is re-weighted.")
    evaluation_days: int = param(
        84, "Time between evaluations (at least one step).", ge=1, le=100_000, unit="days"
    )
    learning_rate: float = param(
        0.3, "Share of the allocation moved toward measured effect per cost.", ge=0, le=1
    )
    min_share: float = param(0.02, "Smallest share any activity keeps.", ge=0, le=0.2)


class Measures(Section):
    """Parameters of derived measures."""

    violence_scale: float = param(
        2.0, "Insurgent incidents per 1,000 civilians per week that lower stability to 1/e of "
        "its value without incidents. The default is the incident rate of a district at full "
        "insurgency without suppression (insurgency.base_rate): such a district's violence "
        "factor is 1/e, and a quiet one's is near 1. Abuses by the forces do not count here "
        "(they are measured by conduct).", gt=0,
        unit="incidents per 1,000 civilians per week",
    )
    window_days: int = param(
        7, "Trailing window of the weekly measures (stability's incidents, conduct, abuses "
        "per 1,000, unfair contacts; at least one step), so that they measure a rate at any "
        "step length, not how one step's count happened to fall.", ge=1, le=3650, unit="days",
    )
    recall_days: int = param(
        365, "Recall window of the survey-style measures (perceived safety, experienced "
        "corruption): a civilian answers for what she saw in the last recall_days days, "
        "round(recall_days / time.step_days) steps (at least 1) including the current one; "
        "365 matches surveys that ask about 'the past year'.", ge=1, le=36_500, unit="days",
        source="assumption: the past year, as the Afrobarometer experience questions ask "
        "(docs/cases.md)",
    )


class EventBase(Section):
    """Fields every event has: its type, when, where, and a label."""

    type: str = Field(description="Event type; each event class allows only its own.")
    step: int | None = Field(None, ge=0, description="Step at which the event happens.")
    date: dt.date | None = Field(None, strict=False,
                                 description="Date at which it happens (mapped to a step).")
    district: str | None = Field(
        None, description="District whose people, units and programmes it affects (all when "
        "absent); national institutions change everywhere.")
    label: str = Field("", description="Free text shown in outputs.")

    @model_validator(mode="after")
    def _one_time(self) -> EventBase:
        if (self.step is None) == (self.date is None):
            raise ValueError("give exactly one of `step` or `date`")
        return self


Shock = Annotated[float, Field(ge=-1, le=1)]
Share = Annotated[float, Field(ge=0, le=1)]


class BudgetCut(EventBase):
    """The programme budget is multiplied by `factor` for `duration_days` (0: for good)."""

    type: Literal["budget_cut"]
    factor: float = Field(0.5, ge=0, le=1, description="Budget multiplier.")
    duration_days: int = Field(0, ge=0, le=1_000_000, description="Days it lasts, rounded to "
                               "whole steps (at least one); 0 means for the rest of the run.")


class DonorSurge(EventBase):
    """The programme budget is multiplied by `factor` for `duration_days` (0: for good)."""

    type: Literal["donor_surge"]
    factor: float = Field(1.5, ge=1, le=100, description="Budget multiplier.")
    duration_days: int = Field(0, ge=0, le=1_000_000, description="Days it lasts, rounded to "
                               "whole steps (at least one); 0 means for the rest of the run.")


class TroopDrawdown(EventBase):
    """A share of each force leaves (in the district, or everywhere), units picked at random."""

    type: Literal["troop_drawdown"]
    army_share: Share = Field(0.5, description="Share of army units withdrawn.")
    cmo_share: Share = Field(0.5, description="Share of CMO units withdrawn.")
    police_share: Share = Field(
        0.0, description="Share of police units withdrawn (Epstein: removing cops tips "
        "society into rebellion).")


class TroopDeployment(EventBase):
    """Units arrive: police, army and CMO units added to the district (to each, if none)."""

    type: Literal["troop_deployment"]
    police: int = Field(0, ge=0, le=100_000, description="Police units added per district.")
    army: int = Field(10, ge=0, le=100_000, description="Army units added per district.")
    cmo_units: int = Field(0, ge=0, le=10_000, description="CMO units added per district.")
    reformed: Share = Field(0.0, description="Share of the new security units already reformed.")


class HumanitarianCrisis(EventBase):
    """A humanitarian crisis (epidemic, disaster, displacement): crisis level and trust shock."""

    type: Literal["crisis"]
    crisis: Share = Field(0.5, description="Crisis level added.")
    trust_shock: Shock = Field(0.0, description="Trust shock (negative: share of trust lost).")


class InsurgencyChange(EventBase):
    """Insurgent presence rises (escalation, spread) or falls by `change`, clipped to 0..1."""

    type: Literal["insurgency_change"]
    change: Shock = Field(0.2, description="Change in the insurgent presence I_d.")


class AllocationChange(EventBase):
    """A new budget strategy: the allocation shares are replaced. National."""

    type: Literal["allocation_change"]
    allocation: Allocation = Field(
        default_factory=Allocation, description="The new shares (they sum to 1).")

    @model_validator(mode="after")
    def _national(self) -> AllocationChange:
        if self.district is not None:
            raise ValueError("an allocation change is national: remove `district`")
        return self


class Election(EventBase):
    """An election changes political resistance and may shake trust."""

    type: Literal["election"]
    political_resistance: Shock = Field(-0.1, description="Change in political resistance.")
    trust_shock: Shock = Field(0.0, description="Trust shock (negative: share of trust lost).")
    crisis: Share = Field(0.0, description="Crisis level added.")


class Coup(EventBase):
    """A coup: civilian control and the legal framework fall, spoilers gain, trust is shaken."""

    type: Literal["coup"]
    civilian_control: Share = Field(0.5, description="Share of civilian control lost.")
    legislative: Share = Field(0.3, description="Share of the legislative framework lost.")
    political_resistance: Shock = Field(0.3, description="Change in political resistance.")
    trust_shock: Shock = Field(-0.2, description="Trust shock.")
    crisis: Share = Field(0.5, description="Crisis level added.")


class AbuseScandal(EventBase):
    """A publicised abuse: trust falls; oversight may be strengthened in response."""

    type: Literal["abuse_scandal"]
    force: Literal["police", "army", "both"] = Field(
        "both", description="Whose abuse: trust in that force takes the shock, trust in the "
        "other `trust.spillover` of it.")
    trust_shock: Shock = Field(-0.2, description="Trust shock.")
    oversight: Shock = Field(0.0, description="Change in oversight strength.")
    crisis: Share = Field(0.2, description="Crisis level added.")


class PeaceAgreement(EventBase):
    """A peace agreement: insurgency falls and armed ex-combatants enter DDR."""

    type: Literal["peace_agreement"]
    insurgency_reduction: Share = Field(0.5, description="Share of insurgent presence removed.")
    demobilise_share: Share = Field(
        0.3, description="Share of armed ex-combatants who demobilise at once."
    )
    political_resistance: Shock = Field(-0.1, description="Change in political resistance.")


class LegitimacyChange(EventBase):
    """Everyone's perceived legitimacy shifts by `change`, at once or over `duration_days`.

    Epstein's (2002) legitimacy experiments: a sudden fall versus the same fall spread out.
    National: it takes no district.
    """

    type: Literal["legitimacy_change"]
    change: Shock = Field(
        -0.2, description="Shift added to every civilian's legitimacy L (then clipped to 0..1).")
    duration_days: int = Field(
        0, ge=0, le=1_000_000, description="Days over which the shift is spread evenly, "
        "rounded to whole steps; 0 (or under half a step) means at once.")

    @model_validator(mode="after")
    def _national(self) -> LegitimacyChange:
        if self.district is not None:
            raise ValueError("a legitimacy change is national: remove `district`")
        return self


class CommunityPolicingProgramme(EventBase):
    """Police visit communities at `visits_per_year` for `duration_days` (0: for good)."""

    type: Literal["community_policing"]
    visits_per_year: float = Field(
        2.6, ge=0, le=365, description="Visits per district per year while it lasts (about 3 "
        "over 14 months in Blair, Karim & Morse 2019).")
    duration_days: int = Field(0, ge=0, le=1_000_000, description="Days it lasts, rounded to "
                               "whole steps (at least one); 0 means for the rest of the run.")


Event = Annotated[
    BudgetCut | DonorSurge | TroopDrawdown | TroopDeployment | Election | Coup | AbuseScandal
    | PeaceAgreement | LegitimacyChange | CommunityPolicingProgramme | HumanitarianCrisis
    | InsurgencyChange | AllocationChange,
    Field(discriminator="type"),
]
EVENT_TYPES = ("budget_cut", "donor_surge", "troop_drawdown", "troop_deployment", "election",
               "coup", "abuse_scandal", "peace_agreement", "legitimacy_change",
               "community_policing", "crisis", "insurgency_change", "allocation_change")


class Policy(Section):
    """A named policy option: changes (dotted path -> value) applied over the scenario."""

    description: str = ""
    set: dict[str, Any] = Field(
        default_factory=dict, description="Dotted parameter paths and their values."
    )


class SweepRange(Section):
    """How one parameter varies in a design: a range, or a list of values (grid only)."""

    min: float | None = Field(None, description="Lower end of the range.")
    max: float | None = Field(None, description="Upper end of the range.")
    values: list[Any] | None = Field(None, min_length=1, description="Values to try (grid).")

    @model_validator(mode="after")
    def _range_or_values(self) -> SweepRange:
        has_range = self.min is not None or self.max is not None
        if has_range == (self.values is not None):
            raise ValueError("give either `min` and `max`, or `values`")
        if has_range and (self.min is None or self.max is None or self.min >= self.max):
            raise ValueError(f"need min < max, got min={self.min} and max={self.max}")
        return self


class Sweep(Section):
    """A parameter design for batches: which parameters vary, how, and how many points."""

    method: Literal["grid", "lhs", "sobol", "saltelli", "morris"] = param(
        "grid", "Design: full grid, Latin hypercube, Sobol sequence (scipy.stats.qmc), or "
        "Saltelli and Morris designs for sensitivity analysis (SALib).",
    )
    samples: int = param(
        16, "Points (lhs, sobol), base sample N (saltelli: N(2D+2) points, or N(D+2) without "
        "second order) or trajectories (morris: N(D+1) points).", ge=1, le=1_000_000,
    )
    levels: int = param(
        3, "Grid levels of each range (grid); levels of the Morris grid (morris).",
        ge=2, le=1000,
    )
    second_order: bool = param(False, "Saltelli: sample for second-order indices too.")
    parameters: dict[str, SweepRange] = Field(
        ..., min_length=1, description="Dotted parameter paths and how each varies."
    )

    @model_validator(mode="after")
    def _values_only_on_grids(self) -> Sweep:
        listed = [p for p, r in self.parameters.items() if r.values is not None]
        if listed and self.method != "grid":
            raise ValueError(f"method {self.method} needs min and max ranges, not values "
                             f"(for {', '.join(listed)})")
        return self


class TeachingNote(Section):
    """What to tell the class when the run reaches a scheduled event, a step or a date."""

    event: str | None = Field(
        None, description="Label of the scheduled event (in `events`) the note belongs to: it "
        "is shown when that event happens.")
    step: int | None = Field(None, ge=0, description="Step at which the note is shown.")
    date: dt.date | None = Field(None, strict=False, description="Date at which the note is "
                                 "shown (mapped to the step that contains it).")
    title: str = Field("", max_length=80, description="A few words heading the note.")
    text: str = Field(..., max_length=2_000, description="What to tell the class at that "
                      "point.")
    questions: list[str] = Field(default_factory=list, max_length=10,
                                 description="Questions to ask the class at that point.")

    @model_validator(mode="after")
    def _one_anchor(self) -> TeachingNote:
        if sum(x is not None for x in (self.event, self.step, self.date)) != 1:
            raise ValueError("give exactly one of `event`, `step` or `date`")
        if not self.text.strip():
            raise ValueError("text is empty: write what to tell the class")
        return self


class Teaching(Section):
    """A trainer's notes on the scenario, shown by the browser app as the run goes on."""

    notes: list[TeachingNote] = Field(
        default_factory=list, max_length=200,
        description="Notes shown when the run reaches their event, step or date.")
    questions: list[str] = Field(
        default_factory=list, max_length=20,
        description="Questions for the class about the whole run, shown with the summary.")
    summary: str = Field("", max_length=4_000,
                         description="What the run shows, shown when it reaches its end.")


class ModelParams(Section):
    """Everything a model run reads: the seed, every parameter and the timeline of events.

    Nothing about files or experiments (`Scenario` adds those), so a model cannot depend on
    a scenario's name, its `extends:` chain, its policies or its sweep.
    """

    seed: int = param(0, "Seed for all randomness of a run.", ge=0, le=2**63 - 1)
    time: Time = Field(default_factory=Time)
    space: Space = Field(default_factory=Space)
    districts: list[District] = Field(
        default_factory=lambda: [District(name="all")], min_length=1,
        description="Districts in row-major order of space.district_grid.",
    )
    population: Population = Field(default_factory=Population)
    activation: Activation = Field(default_factory=Activation)
    legitimacy: Legitimacy = Field(default_factory=Legitimacy)
    trust: Trust = Field(default_factory=Trust)
    anger: Anger = Field(default_factory=Anger)
    cooperation: Cooperation = Field(default_factory=Cooperation)
    community_policing: CommunityPolicing = Field(default_factory=CommunityPolicing)
    security: Security = Field(default_factory=Security)
    cmo: CMO = Field(default_factory=CMO)
    ngo: NGO = Field(default_factory=NGO)
    budget: Budget = Field(default_factory=Budget)
    institutions: Institutions = Field(default_factory=Institutions)
    services: Services = Field(default_factory=Services)
    crisis: Crisis = Field(default_factory=Crisis)
    insurgency: Insurgency = Field(default_factory=Insurgency)
    ddr: DDR = Field(default_factory=DDR)
    adaptive: Adaptive = Field(default_factory=Adaptive)
    measures: Measures = Field(default_factory=Measures)
    events: list[Event] = Field(default_factory=list, description="Timeline of events.")

    @model_validator(mode="after")
    def _consistent(self) -> ModelParams:
        rows, cols = self.space.district_grid
        if len(self.districts) != rows * cols:
            raise ValueError(
                f"space.district_grid {[rows, cols]} needs {rows * cols} districts, "
                f"got {len(self.districts)}"
            )
        if self.civilians() < 1:
            own = [d.density for d in self.districts if d.density is not None]
            given = (f"districts: their own densities {', '.join(f'{x:g}' for x in own)}"
                     if own else f"population.density {self.population.density:g}")
            raise ValueError(
                f"{given} on a {self.space.width}x{self.space.height} grid give no "
                "civilians; raise a density or the grid"
            )
        days = self.time.steps * self.time.step_days
        if self.time.start_date < EARLIEST or (LATEST - self.time.start_date).days < days:
            raise ValueError(
                f"time: {self.time.steps} steps of {self.time.step_days} days from "
                f"{self.time.start_date}; dates must lie between {EARLIEST} and {LATEST} (the "
                "range the tables' dates can hold)"
            )
        names = [d.name for d in self.districts]
        if len(set(names)) != len(names):
            raise ValueError(f"district names must be unique, got {names}")
        for i, event in enumerate(self.events):
            if event.district is not None and event.district not in names:
                raise ValueError(
                    f"events[{i}].district {event.district!r} is not a district; "
                    f"allowed: {names}"
                )
        return self

    def civilians(self) -> int:
        """How many civilians the model will build (as `build.home_cells` draws them)."""
        width, height = self.space.width, self.space.height
        rows, cols = self.space.district_grid
        if all(d.density is None for d in self.districts):
            return round(self.population.density * width * height)
        heights = _block_sizes(height, rows)[::-1]  # row 0 is drawn at the top
        widths = _block_sizes(width, cols)
        total = 0
        for i, d in enumerate(self.districts):
            density = self.population.density if d.density is None else d.density
            total += round(density * heights[i // cols] * widths[i % cols])
        return total

    def event_step(self, event: EventBase) -> int:
        """The step at which an event happens (dates map to the step that contains them)."""
        if event.step is not None:
            return event.step
        if event.date is None:  # EventBase's validator demands a step or a date
            raise ValueError(f"event {event.label!r} has neither a step nor a date")
        days = (event.date - self.time.start_date).days
        return max(0, days // self.time.step_days)

    def step_date(self, step: int) -> dt.date:
        """The calendar date at the start of a step."""
        return self.time.start_date + dt.timedelta(days=step * self.time.step_days)


class Scenario(ModelParams):
    """A complete, validated scenario file: the model's parameters and the experiment.

    The experiment is what lies around a run: name, description, `extends:`, policies,
    sweep and teaching notes. Immutable once built.
    """

    name: str = Field("scenario", description="Short name used in output folders.")
    description: str = Field("", description="What the scenario represents.")
    extends: str | None = Field(None, description="Parent scenario file this one builds on.")
    policies: dict[str, Policy] = Field(
        default_factory=dict, description="Named policy options (deltas over this scenario)."
    )
    sweep: Sweep | None = Field(None, description="Parameter design for `ssrsim batch`.")
    teaching: Teaching | None = Field(
        None, description="Notes for a class, shown by the browser app (`ssrsim serve`); "
        "the model never reads them.")

    def teaching_step(self, note: TeachingNote) -> int | None:
        """The step at which a teaching note is shown: its event's step, its step or date.

        None when its event is not in this scenario's `events` (overrides or a policy that
        replace the events may remove it; the file as written is checked by the loader).
        """
        if note.event is not None:
            steps = [self.event_step(e) for e in self.events if e.label == note.event]
            return min(steps) if steps else None
        if note.step is not None:
            return note.step
        if note.date is None:  # TeachingNote's validator demands one of the three
            raise ValueError(f"teaching note {note.title!r} has no event, step or date")
        return (note.date - self.time.start_date).days // self.time.step_days

    @property
    def params(self) -> ModelParams:
        """The model's parameters alone (no copy of the sections: they are immutable)."""
        return model_params(self)


def model_params(params: ModelParams) -> ModelParams:
    """The model's parameters of a scenario (itself if it holds nothing else)."""
    if type(params) is ModelParams:
        return params
    return ModelParams.model_construct(**{name: getattr(params, name)
                                          for name in ModelParams.model_fields})


EARLIEST = dt.date(1700, 1, 1)
LATEST = dt.date(2262, 1, 1)
"""The calendar a run may cover: pandas' timestamps hold about 1677-2262."""


def _block_sizes(n: int, parts: int) -> list[int]:
    """Sizes of `numpy.array_split` of n cells into parts: the first n % parts one larger."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _check_shares(shares: dict[str, float]) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        listed = ", ".join(f"{k}={v:g}" for k, v in shares.items())
        raise ValueError(f"shares must sum to 1, got {total:g} ({listed})")
