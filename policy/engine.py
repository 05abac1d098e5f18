"""The rule engine: rules as pure functions over declared resources, run on a plan or by the policy pack.

A resource is a plain dict, the shape of a plan's ``resources[]`` entry (DESIGN.md)::

    {"urn", "type", "name", "parent", "custom", "id", "inputs", "outputs", "protect",
     "retainOnDelete"?, "ignoreChanges"?, "dependencies"?, "propertyDependencies"?}

``inputs`` use wire names (camelCase). The policy pack adapts its own argument types to the same dicts
(``policy.pack``), so each rule has one implementation.

Two kinds of rules:

- resource rules, ``fn(r: Res) -> Iterable[str]``: one message per problem found on that resource;
- stack rules, ``fn(s: Stack) -> Iterable[tuple[urn, str]]``: rules that look at several resources together
  (a bucket and its separate encryption resource, an alarm and its topic, a role and the model using it).

The engine appends the rule's fix to every message, so a finding always says how to fix it. Values unknown
at preview time (``UNKNOWN``) never produce a finding on their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning")
UNKNOWN = "[unknown]"
"""What the policy pack puts where the engine would see a value unknown until deploy."""
SECRET = "[secret]"


# ------------------------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    """What the rule requires, one sentence (the docs table and the pack's description)."""
    fix: str
    """How to fix a violation (appended to every message)."""
    anchors: tuple[str, ...]
    types: tuple[str, ...]
    """Resource types the rule looks at (for a stack rule: the types it starts from)."""
    kind: str  # resource | stack
    cloud: str  # aws | azure | gcp | any
    check: Callable[..., Iterable[Any]] = field(compare=False, repr=False)


RULES: dict[str, Rule] = {}


def _register(rule: Rule) -> None:
    if rule.id in RULES:
        raise ValueError(f"duplicate rule id {rule.id}")
    if rule.severity not in SEVERITIES:
        raise ValueError(f"{rule.id}: severity must be one of {SEVERITIES}")
    if not rule.anchors:
        raise ValueError(f"{rule.id}: a rule needs at least one anchor (a scanner id, or 'ours: <reason>')")
    RULES[rule.id] = rule


def resource_rule(
    id: str, *, severity: str, types: Iterable[str], anchors: Iterable[str], title: str, fix: str, cloud: str
):
    """Register ``fn(r: Res) -> Iterable[str]`` as a rule on each resource of ``types``."""

    def register(fn: Callable[[Res], Iterable[str]]) -> Callable[[Res], Iterable[str]]:
        _register(Rule(id, severity, title, fix, tuple(anchors), tuple(types), "resource", cloud, fn))
        return fn

    return register


def stack_rule(
    id: str,
    *,
    severity: str,
    anchors: Iterable[str],
    title: str,
    fix: str,
    cloud: str,
    types: Iterable[str] = (),
):
    """Register ``fn(s: Stack) -> Iterable[(urn, message)]`` as a rule over the whole stack."""

    def register(
        fn: Callable[[Stack], Iterable[tuple[str, str]]],
    ) -> Callable[[Stack], Iterable[tuple[str, str]]]:
        _register(Rule(id, severity, title, fix, tuple(anchors), tuple(types), "stack", cloud, fn))
        return fn

    return register


def load_rules() -> dict[str, Rule]:
    """Import every rules module (they register on import) and return the registry."""
    from policy import rules_aws, rules_azure, rules_gcp, rules_stack  # noqa: F401

    return RULES


# ------------------------------------------------------------------------------------------- values
def get(value: Any, path: str, default: Any = None) -> Any:
    """``get(inputs, "a.b.0.c")``: nested lookup that never raises (wrong types give ``default``)."""
    cur = value
    for part in path.split("."):
        if isinstance(cur, dict):
            if part not in cur:
                return default
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit():
            i = int(part)
            if i >= len(cur):
                return default
            cur = cur[i]
        else:
            return default
    return default if cur is None else cur


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def is_unknown(value: Any) -> bool:
    return value in (UNKNOWN, SECRET)


def truthy(value: Any) -> bool | None:
    """True/False for booleans (and "true"/"false" strings); None when unknown or absent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def doc(value: Any) -> dict[str, Any] | None:
    """A JSON policy document input (a string on the wire, or already a dict); None if unknown/unreadable."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and not is_unknown(value):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def statements(document: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


# ------------------------------------------------------------------------------------------- views
class Res:
    """One resource (read-only view over its plan dict)."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    urn = property(lambda self: str(self.raw.get("urn", "")))
    type = property(lambda self: str(self.raw.get("type", "")))
    name = property(lambda self: str(self.raw.get("name", "")))
    parent = property(lambda self: self.raw.get("parent"))
    id = property(lambda self: self.raw.get("id"))

    @property
    def inputs(self) -> dict[str, Any]:
        v = self.raw.get("inputs")
        return v if isinstance(v, dict) else {}

    @property
    def outputs(self) -> dict[str, Any]:
        v = self.raw.get("outputs")
        return v if isinstance(v, dict) else {}

    @property
    def protected(self) -> bool:
        return self.raw.get("protect") is True or self.raw.get("retainOnDelete") is True

    @property
    def ignore_changes(self) -> list[str]:
        return [str(x) for x in as_list(self.raw.get("ignoreChanges"))]

    def get(self, path: str, default: Any = None) -> Any:
        return get(self.inputs, path, default)

    @property
    def tags(self) -> dict[str, Any]:
        """Tags, labels and annotations together (AWS tags, Azure tags, GCP labels/annotations)."""
        out: dict[str, Any] = {}
        for key in ("tags", "labels", "annotations", "userLabels"):
            v = self.inputs.get(key)
            if isinstance(v, dict):
                out.update(v)
        return out

    def identities(self) -> set[str]:
        """Every string another resource may use to refer to this one: id, urn, and string outputs."""
        out = {self.urn}
        if isinstance(self.id, str) and self.id:
            out.add(self.id)
        for v in self.outputs.values():
            if isinstance(v, str) and v and not is_unknown(v):
                out.add(v)
        return out

    def __repr__(self) -> str:
        return f"Res({self.type} {self.name})"


class Stack:
    """All resources of a plan, with lookups by type, urn and reference."""

    def __init__(
        self,
        resources: list[dict[str, Any]],
        profile: str = "dev",
        cloud: str | None = None,
        notes: list[Any] | None = None,
    ):
        self.resources = [Res(r) for r in resources if isinstance(r, dict)]
        self.by_urn = {r.urn: r for r in self.resources}
        # Rules ask for resources by type thousands of times on a large stack: index once.
        self._by_type: dict[str, list[Res]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.type, []).append(r)
        self._order = {id(r): i for i, r in enumerate(self.resources)}
        self.profile = profile
        self.cloud = cloud
        self.notes = notes or []

    def of(self, *types: str) -> list[Res]:
        """Resources of ``types``, in plan order."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        found = [r for t in dict.fromkeys(types) for r in self._by_type.get(t, ())]
        return sorted(found, key=lambda r: self._order[id(r)])

    def refers(self, r: Res, key: str, target: Res) -> bool:
        """Does input ``key`` of ``r`` refer to ``target``? By property dependency, or by value."""
        deps = r.raw.get("propertyDependencies")
        if isinstance(deps, dict) and target.urn in as_list(deps.get(key.split(".")[0])):
            return True
        ids = target.identities()
        value = get(r.inputs, key)
        return any(isinstance(v, str) and (v in ids or _arn_prefix_match(v, ids)) for v in as_list(value))

    def referring(self, target: Res, key: str, *types: str) -> list[Res]:
        """Resources of ``types`` whose input ``key`` refers to ``target``."""
        return [r for r in self.of(*types) if self.refers(r, key, target)]

    def resolve(self, r: Res, key: str, *types: str) -> list[Res]:
        """Resources of ``types`` that input ``key`` of ``r`` refers to."""
        return [t for t in self.of(*types) if self.refers(r, key, t)]

    def find_by_value(self, value: Any, *types: str) -> list[Res]:
        if not isinstance(value, str) or is_unknown(value):
            return []
        return [
            t for t in self.of(*types) if value in t.identities() or _arn_prefix_match(value, t.identities())
        ]

    def component_of(self, r: Res) -> Res | None:
        """The nearest mlinfra component above ``r`` (custom=False, type mlinfra:*)."""
        seen = set()
        cur = self.by_urn.get(r.parent or "")
        while cur is not None and cur.urn not in seen:
            seen.add(cur.urn)
            if cur.type.startswith("mlinfra:"):
                return cur
            cur = self.by_urn.get(cur.parent or "")
        return None

    def siblings(self, r: Res, *types: str) -> list[Res]:
        """Resources of ``types`` under the same mlinfra component as ``r`` (all of them if none)."""
        comp = self.component_of(r)
        if comp is None:
            return self.of(*types)
        return [x for x in self.of(*types) if self.component_of(x) is comp]


def _arn_prefix_match(value: str, ids: set[str]) -> bool:
    """A KMS alias ARN or key ARN is often given where a key id is expected (and the reverse)."""
    return any(
        i.endswith("/" + value) or value.endswith("/" + i)
        for i in ids
        if i.startswith("arn:") or value.startswith("arn:")
    )


# ------------------------------------------------------------------------------------------- running
def finding(rule: Rule, urn: str, message: str) -> dict[str, Any]:
    text = message.rstrip(". ")
    if rule.fix and rule.fix.lower() not in text.lower():
        text = f"{text}. Fix: {rule.fix}"
    return {
        "rule": rule.id,
        "severity": rule.severity,
        "resource": urn,
        "message": text,
        "anchors": list(rule.anchors),
    }


def run_resource_rule(rule: Rule, r: Res) -> list[dict[str, Any]]:
    if r.type not in rule.types:
        return []
    return [finding(rule, r.urn, m) for m in rule.check(r) or ()]


def run_stack_rule(rule: Rule, s: Stack) -> list[dict[str, Any]]:
    return [finding(rule, urn, m) for urn, m in rule.check(s) or ()]


def evaluate_resources(
    resources: list[dict[str, Any]],
    profile: str = "dev",
    cloud: str | None = None,
    notes: list[Any] | None = None,
) -> list[dict[str, Any]]:
    rules = load_rules()
    s = Stack(resources, profile=profile, cloud=cloud, notes=notes)
    out: list[dict[str, Any]] = []
    for rule in rules.values():
        if rule.kind == "resource":
            for r in s.resources:
                out.extend(run_resource_rule(rule, r))
        else:
            out.extend(run_stack_rule(rule, s))
    return sort_findings(_dedupe(out))


def evaluate_plan(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings of every rule on ``plan["resources"]``: ``[{rule, severity, resource, message, anchors}]``.

    Judged from the resources alone (and the plan's ``profile``): a plan's own ``findings`` are never read.
    """
    profile = str(plan["profile"]) if plan.get("profile") in ("dev", "prod") else "dev"
    raw = plan.get("resources")
    resources: list[dict[str, Any]] = raw if isinstance(raw, list) else []
    return evaluate_resources(resources, profile=profile, cloud=plan.get("cloud"), notes=plan.get("notes"))


def _dedupe(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f["rule"], f["resource"], f["message"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def finding_order(f: dict[str, Any]) -> tuple[int, str, str, str]:
    return (
        {"error": 0, "warning": 1}.get(f.get("severity", ""), 2),
        str(f.get("rule", "")),
        str(f.get("resource", "")),
        str(f.get("message", "")),
    )


def sort_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=finding_order)


def iter_rules(kind: str | None = None, cloud: str | None = None) -> Iterator[Rule]:
    for rule in load_rules().values():
        if (kind is None or rule.kind == kind) and (cloud is None or rule.cloud in (cloud, "any")):
            yield rule
