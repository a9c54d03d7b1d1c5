"""Loading scenarios: YAML files, `extends:` chains, named policies and overrides.

A scenario is built in stages: the files of an `extends:` chain are deep-merged (mappings
merge, lists and scalars are replaced), then the overrides of `policies` (`--set` paths that
start with `policies`) are applied, so a policy can be defined or changed and chosen in one
call; then the chosen policy's `set:` changes, then all other overrides, so what was typed on
the command line wins over the policy. Every policy is checked, chosen or not, against the
scenario before the other overrides. Any problem raises a `ScenarioError` whose issues each
give a file and line, the parameter path, the bad value and what is allowed; bad input never
raises anything else.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ._issues import validate
from ._tree import Node, Where, from_plain, locate
from ._yaml import parse_value, read_tree
from .errors import NO_VALUE, Issue, ScenarioError, describe, did_you_mean
from .paths import PathError, set_path, split_path
from .schema import ModelParams, Scenario

MAX_POLICIES = 100
"""Most policies a scenario may define (each is checked against the whole scenario)."""

MAX_SWEEP_CHECKS = 1_000
"""Most distinct sweep values checked against the scenario (each check validates it all)."""

OVERRIDES = Where("--set", None)
"""Where command-line overrides come from."""

POLICY_FLAG = Where("--policy", None)
"""Where the choice of policy comes from."""


def load_scenario(
    path: str | os.PathLike[str], *, policy: str | None = None, overrides: Sequence[str] = ()
) -> Scenario:
    """Load a scenario file, apply a policy and overrides, and validate the result.

    Args:
        path: the scenario YAML file; `extends:` paths in it are relative to it.
        policy: name of one of the scenario's `policies:` to apply, or None; it may be one
            that `overrides` define.
        overrides: `dotted.path=value` strings; values are read as YAML, so `3`, `0.5`,
            `true` and `[2, 2]` have their YAML types. Those under `policies` apply before
            the policy is chosen, all others after it (they win over its changes).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: listing every problem found, in any file of the chain or any policy.

    """
    return load_experiment(path, overrides=overrides, policy=policy).scenario(policy)


def load_experiment(
    path: str | os.PathLike[str], *, overrides: Sequence[str] = (), policy: str | None = None
) -> Experiment:
    """Read and check a scenario file once, for a command that needs several of its policies.

    Args:
        path: the scenario YAML file.
        overrides: as for `load_scenario`.
        policy: a policy the caller will ask for; if the file has no such policy, the error
            says so together with every other problem.

    Raises:
        ScenarioError: listing every problem found, in any file of the chain or any policy.

    """
    source = os.path.normpath(os.fspath(path))
    return _build(read_tree(Path(source)), source, policy, overrides)


def check_overrides_used(
    path: str | os.PathLike[str], overrides: Sequence[str], *,
    policies: Collection[str | None] | None, sweep: bool, command: str,
) -> None:
    """Refuse overrides that a command would read and then ignore.

    Args:
        path: the scenario file, named in the error.
        overrides: `path=value` strings, as for `load_scenario`.
        policies: the policies the command runs (None: any); a change to another policy
            has no effect.
        sweep: whether the command reads the scenario's `sweep:`.
        command: the command's name, for the messages.

    Raises:
        ScenarioError: naming each override that would have no effect.

    """
    issues = []
    for text in overrides:
        key, _, raw = text.partition("=")
        parts = key.strip().split(".")
        if parts[0] == "sweep" and not sweep:
            message = (f"{command} does not read `sweep:` (a sweep varies parameters across a "
                       "batch's runs: ssrsim batch), so this change would have no effect")
        elif parts[0] == "policies" and len(parts) > 1 and policies is not None and (
                parts[1] not in policies):
            message = (f"policy {parts[1]!r} is not run by {command}, so this change would have "
                       f"no effect (choose it with --policy {parts[1]})")
        else:
            continue
        try:
            value = parse_value(raw, OVERRIDES.file)
        except ScenarioError:
            value = raw.strip()
        issues.append(Issue(OVERRIDES.file, None, key.strip(), value, message))
    if issues:
        raise ScenarioError(issues, os.fspath(path))


def scenario_from_dict(data: object, *, source: str = "<dict>") -> Scenario:
    """Validate a scenario given as plain data (and check its policies).

    Args:
        data: the scenario, as it would be read from YAML or JSON.
        source: the name issues give as their file.

    Raises:
        ScenarioError: listing every problem found (issues have no line numbers).

    """
    if not isinstance(data, Mapping):
        message = f"the top level must be a mapping of keys to values, got {describe(data)}"
        raise ScenarioError([Issue(source, None, "", NO_VALUE, message)], source)
    return _build(from_plain(data, Where(source, None)), source, None, ()).base


def apply_changes(scenario: ModelParams, changes: Mapping[str, Any], *, source: str
                  ) -> Scenario:
    """Set parameters of a validated scenario by dotted path and validate the result.

    Given the model's parameters alone, the result has the default name and no policies.

    Args:
        scenario: the scenario to start from (it is not modified).
        changes: dotted paths (`districts.north.police`, `budget.per_week`) and their values.
        source: the name issues give as their file.

    Raises:
        ScenarioError: if a path is not a parameter or the changed scenario is invalid.

    """
    where = Where(source, None)
    tree = from_plain(scenario.model_dump(), where)
    edits = [_Change(key, from_plain(value, where)) for key, value in changes.items()]
    return _valid(_run_stage(tree, edits, where, "", check=True), source)


def scenario_hash(scenario: Scenario) -> str:
    """Return the sha256 hex digest of a scenario's canonical JSON (sorted keys, compact).

    Teaching notes are left out: editing them changes no run, so it must not stop a batch
    folder from resuming.
    """
    text = json.dumps(scenario.model_dump(mode="json", exclude={"teaching"}), sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Change:
    """One dotted-path change; its value's origin says where it was written."""

    key: Any
    value: Node


@dataclass(frozen=True)
class _Result:
    """A tree after a stage of changes, its scenario if valid, and the problems found."""

    tree: Node
    scenario: Scenario | None
    issues: list[Issue]


@dataclass(frozen=True)
class Experiment:
    """A scenario file read and checked once: its scenario without a policy and each policy's.

    `scenario(name)` equals `load_scenario(path, policy=name, overrides=...)` for the same
    overrides, without reading or checking the files again.
    """

    source: str
    _stages: Mapping[str | None, _Result]
    _overrides: tuple[_Change, ...]
    _built: dict[str | None, Scenario] = field(default_factory=dict, compare=False)

    @property
    def policy_names(self) -> list[str]:
        """The scenario's policies, in file order."""
        return [name for name in self._stages if name is not None]

    @property
    def base(self) -> Scenario:
        """The scenario with no policy applied (overrides applied)."""
        return self.scenario(None)

    def scenario(self, policy: str | None) -> Scenario:
        """The scenario with a policy (None: none) and then the overrides applied.

        Raises:
            ScenarioError: for an unknown policy, or overrides its changes make invalid.

        """
        if policy not in self._stages:
            raise ScenarioError([_unknown_policy(str(policy), self.policy_names)], self.source)
        if policy not in self._built:
            chosen = self._stages[policy]
            if self._overrides:
                chosen = _run_stage(chosen.tree, self._overrides, OVERRIDES, "", check=True)
            self._built[policy] = _valid(chosen, self.source)
        return self._built[policy]


def _build(tree: Node, source: str, policy: str | None, overrides: Sequence[str]
           ) -> Experiment:
    """Edit the policies, validate the tree and all its policies and sweep values.

    Overrides of `policies` go first so a policy can be one they define or change; the
    others are kept to go last so they win over the policy's changes, as they would over the
    file's.
    """
    changes, malformed = _parse_overrides(overrides)
    to_policies = [change for change in changes if _in_policies(change.key)]
    edited = _run_stage(tree, to_policies, OVERRIDES, "", check=False)
    tree = edited.tree
    base, issues = validate(tree)
    issues += edited.issues + malformed + (_teaching_issues(base, tree) if base else [])
    stages: dict[str | None, _Result] = {None: _Result(tree, base, [])}
    policies = _policies(tree)
    if len(policies) > MAX_POLICIES:
        node = tree.child("policies")
        where = node.where if node is not None else tree.where
        issues.append(Issue(where.file, where.line, "policies", NO_VALUE,
                            f"{len(policies)} policies; at most {MAX_POLICIES} are allowed "
                            f"(run the others from another scenario file)"))
        policies, base = {}, None
    for name, (where, policy_changes) in policies.items():
        prefix = f"in policy {name!r}: "
        stages[name] = _run_stage(tree, policy_changes, where, prefix, check=base is not None)
        issues += stages[name].issues
    sweep = _sweep_values(tree)
    if base is not None and len(sweep) > MAX_SWEEP_CHECKS:
        where = sweep[MAX_SWEEP_CHECKS][1].where
        issues.append(Issue(where.file, where.line, "sweep.parameters", NO_VALUE,
                            f"{len(sweep)} different sweep values; at most "
                            f"{MAX_SWEEP_CHECKS} are allowed in all"))
    elif base is not None:
        seen: set[tuple[str, int | None, str, str]] = set()
        for key, value in sweep:
            for issue in _run_stage(tree, [_Change(key, value)], value.where, "in sweep: ",
                                    check=True).issues:
                if (found := (issue.file, issue.line, issue.path, issue.message)) not in seen:
                    seen.add(found)
                    issues.append(issue)
    if policy is not None and policy not in _policy_names(tree):
        issues.append(_unknown_policy(policy, _policy_names(tree)))
    if issues:
        raise ScenarioError(issues, source)
    others = tuple(change for change in changes if not _in_policies(change.key))
    return Experiment(source, stages, others)


def _teaching_issues(scenario: Scenario, tree: Node) -> list[Issue]:
    """Teaching notes of the file as written that its run would never reach.

    Checked here, not in the schema, so that overrides which shorten the run or replace the
    events (a test, a sweep) leave the notes unshown rather than the scenario invalid. Only
    notes written in the file itself are checked: one that `extends:` a file with notes may
    replace their events, and those notes are then not shown.
    """
    if scenario.teaching is None:
        return []
    labels = [e.label for e in scenario.events if e.label]
    last = scenario.time.steps
    issues = []
    for i, note in enumerate(scenario.teaching.notes):
        if note.event is not None and note.event not in labels:
            hint = did_you_mean(note.event, labels)
            allowed = ", ".join(repr(x) for x in labels) or "none: no event has a label"
            message = ("not the label of an event in `events`"
                       + (f"; did you mean {hint!r}?" if hint else "") + f" (allowed: {allowed})")
            field = "event"
        elif (step := scenario.teaching_step(note)) is not None and not 0 <= step <= last:
            field = "step" if note.step is not None else "date"
            message = (f"after the run's last step {last} ({scenario.step_date(last)})"
                       if step > last else f"before the run's start ({scenario.time.start_date})")
        else:
            continue
        node, _ = locate(tree, ["teaching", "notes", i, field])
        if node.where.file != tree.where.file:
            continue  # inherited through `extends:`
        issues.append(Issue(node.where.file, node.where.line, f"teaching.notes[{i}].{field}",
                            getattr(note, field), message))
    return issues


def _in_policies(key: str) -> bool:
    """Whether an override path edits the `policies:` mapping."""
    return key.split(".", 1)[0] == "policies"


def _valid(result: _Result, source: str) -> Scenario:
    """Return the scenario of a stage, or raise a ScenarioError with its problems."""
    if result.scenario is None:
        raise ScenarioError(result.issues, source)
    return result.scenario


def _run_stage(
    tree: Node, changes: Sequence[_Change], fallback: Where, prefix: str, *, check: bool
) -> _Result:
    """Apply changes to a tree, then (if `check`) validate it.

    Problems the changes cause are reported where the change was written; `prefix` (e.g.
    "in policy 'x': ") starts each message.
    """
    issues: list[Issue] = []
    applied: list[tuple[str, Where]] = []
    for change in changes:
        try:
            if not isinstance(change.key, str):
                raise PathError(f"{change.key!r} is not a parameter path")
            if split_path(change.key)[:1] == ["extends"]:
                raise PathError("extends cannot be changed: the files it names are read "
                                "before any change applies; write `extends:` in the file")
            tree, path = set_path(tree, change.key, change.value)
        except PathError as exc:
            where = change.value.where
            issues.append(Issue(where.file, where.line, str(change.key), change.value.plain(),
                                prefix + str(exc)))
        else:
            applied.append((path, change.value.where))
    if issues or not check:
        return _Result(tree, None, issues)
    scenario, found = validate(tree)
    return _Result(tree, scenario, [_blame(issue, applied, fallback, prefix) for issue in found])


def _blame(issue: Issue, applied: list[tuple[str, Where]], fallback: Where, prefix: str) -> Issue:
    """Point a problem found after changes at the change that caused it."""
    if Where(issue.file, issue.line) not in {where for _, where in applied}:
        where = next((w for path, w in applied if _related(path, issue.path)), fallback)
        issue = replace(issue, file=where.file, line=where.line)
    return replace(issue, message=prefix + issue.message)


def _related(a: str, b: str) -> bool:
    """Whether one parameter path is the other or lies inside it."""
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith((short + ".", short + "["))


def _policy_names(tree: Node) -> list[str]:
    node = tree.child("policies")
    return [str(name) for name in node.value] if node and isinstance(node.value, dict) else []


def _policies(tree: Node) -> dict[str, tuple[Where, list[_Change]]]:
    """Each well-formed policy's origin and changes (validation reports malformed ones)."""
    node = tree.child("policies")
    if node is None or not isinstance(node.value, dict):
        return {}
    found: dict[str, tuple[Where, list[_Change]]] = {}
    for name, policy in node.value.items():
        changes = policy.child("set")
        if changes is None or isinstance(changes.value, dict):
            items = changes.value.items() if changes is not None else ()
            found[name] = (policy.where, [_Change(key, value) for key, value in items])
    return found


def _sweep_values(tree: Node) -> list[tuple[str, Node]]:
    """Each sweep parameter with each end of its range or each listed value, to check."""
    sweep = tree.child("sweep")
    params = sweep.child("parameters") if sweep is not None else None
    if params is None or not isinstance(params.value, dict):
        return []
    found: dict[tuple[str, str], tuple[str, Node]] = {}
    for key, spec in params.value.items():
        if not isinstance(spec.value, dict):
            continue
        ends = [spec.child("min"), spec.child("max")]
        listed = spec.child("values")
        candidates = listed.value if listed is not None else ends
        if not isinstance(candidates, list):
            continue
        for node in candidates:  # each distinct value once (aliases repeat one value)
            if node is not None:
                found.setdefault((key, repr(node.plain())), (key, node))
    return list(found.values())


def _unknown_policy(name: str, names: list[str]) -> Issue:
    if not names:
        message = f"unknown policy {name!r}: the scenario defines no policies"
    else:
        hint = did_you_mean(name, names)
        guess = f"; did you mean {hint!r}?" if hint else ""
        message = f"unknown policy {name!r}{guess} (available: {', '.join(names)})"
    return Issue(POLICY_FLAG.file, POLICY_FLAG.line, "", NO_VALUE, message)


def _parse_overrides(overrides: Sequence[str]) -> tuple[list[_Change], list[Issue]]:
    """Read `path=value` strings: the changes, and an issue for each malformed one."""
    changes: list[_Change] = []
    issues: list[Issue] = []
    for text in overrides:
        key, equals, raw = text.partition("=")
        key = key.strip()
        if not equals or not key:
            message = "expected path=value, e.g. budget.per_week=12"
            issues.append(Issue(OVERRIDES.file, None, text, NO_VALUE, message))
            continue
        try:
            changes.append(_Change(key, from_plain(parse_value(raw, OVERRIDES.file), OVERRIDES)))
        except ScenarioError as exc:
            issues += [replace(i, line=None, path=key, value=raw.strip()) for i in exc.issues]
    return changes, issues
