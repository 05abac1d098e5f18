"""Two plans -> what a pull request changes: resources added, updated, replaced (and why), deleted; the cost
delta per endpoint; new and resolved policy findings; a Mermaid graph of the change.

``diff_plans(base, head)`` builds the structured diff (plain JSON values); ``markdown``, ``text`` and
``to_json`` render it; ``cli_diff`` is ``mlinfra diff``. The same two plans always give the same bytes.

How resources are matched and classified:

- By URN without its stack part, so a plan of ``dev`` on the base branch meets the plan of ``dev`` on the
  head branch (and two different stacks can be compared: names that contain the stack name are compared with
  the base stack's name read as the head's).
- A resource in both plans whose inputs differ is an *update*, or a *replace* when a changed input is listed
  in ``components.catalog.replacements`` for its type (the cause names the input and the rule's reason and
  source). For a type the rules do not know, a changed physical id (an autonamed child whose name derives
  from its inputs) is a replacement too. Never an add plus a delete.
- A changed input whose old and new values are the old and new id or output of another changed resource
  *follows* that resource: the cascade (Model replaced -> EndpointConfiguration replaced -> Endpoint updated).
- Inputs are compared as the plan records them (secrets are already ``[secret]``; names that look secret are
  masked again); JSON documents held in strings (IAM policies, dashboards) are compared as parsed JSON paths.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from components.catalog import replacements as rp

ACTIONS = ("add", "update", "replace", "delete")
SYMBOL = {"add": "+", "update": "~", "replace": "+-", "delete": "-"}
VERB = {"add": "add", "update": "update", "replace": "replace", "delete": "delete"}
MARKER = "<!-- mlinfra-diff -->"
SECRET = "[secret]"
_SECRET_NAME = re.compile(
    r"(password|passwd|secret|token|connectionstring|accesskey|privatekey|sastoken|apikey)", re.I
)
MAX_VALUE = 80
MAX_GRAPH_NODES = 40
STACK_KEY = "(stack)"


DELETE_NOTES = {
    "aws:kms/key:Key": "the key is scheduled for deletion (after its deletion window): what it encrypted becomes unreadable then",
    "gcp:kms/cryptoKey:CryptoKey": "the key's versions are scheduled for destruction: what they encrypted becomes unreadable then",
    "azure-native:keyvault:Key": "the key is deleted (soft-deleted while the vault's retention lasts): what it encrypted needs it",
    "aws:s3/bucket:Bucket": "an S3 bucket is deleted only when empty (forceDestroy is off)",
    "gcp:storage/bucket:Bucket": "a Cloud Storage bucket is deleted only when empty (forceDestroy is off)",
    "gcp:kms/keyRing:KeyRing": "Cloud KMS key rings cannot be deleted: Pulumi drops it from the state and it stays in the project",
}


class DiffInputError(ValueError):
    """A plan file that cannot be read or is not a plan (exit code 2)."""


class _Missing:
    def __repr__(self) -> str:
        return "(none)"


MISSING: Any = _Missing()


# ---- reading ------------------------------------------------------------------------------------------------
def load_plan(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise DiffInputError(f"cannot read plan {path}: {e.strerror or e}") from e
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as e:
        raise DiffInputError(
            f"{path} is not JSON ({e.msg} at line {e.lineno}); pass the file written by `mlinfra plan --out`"
        ) from e
    if not isinstance(plan, dict) or not isinstance(plan.get("resources"), list):
        raise DiffInputError(
            f"{path} is not an mlinfra plan (no 'resources' list); pass the file written by `mlinfra plan --out`"
        )
    for i, r in enumerate(plan["resources"]):
        if not isinstance(r, dict) or "urn" not in r or "type" not in r:
            raise DiffInputError(f"{path}: resources[{i}] has no urn/type")
    return plan


# ---- values -------------------------------------------------------------------------------------------------
def _join(path: str, key: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_\-:/@*$]+", key):
        key = "[" + json.dumps(key) + "]"
        return path + key if path else key
    return f"{path}.{key}" if path else key


def _json_doc(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 1 and value.lstrip()[:1] in "{[":
        try:
            doc = json.loads(value)
        except ValueError:
            return None
        return doc if isinstance(doc, (dict, list)) else None
    return None


_ID_KEYS = ("Sid", "variantName", "alarmName", "name", "id", "key")


def _list_key(a: list[Any], b: list[Any]) -> str | None:
    """The key that identifies the items of two lists of dicts (IAM ``Sid``, a variant name), if any."""
    items = a + b
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    for k in _ID_KEYS:
        if (
            all(isinstance(x.get(k), (str, int)) for x in items)
            and len({x[k] for x in a}) == len(a)
            and len({x[k] for x in b}) == len(b)
        ):
            return k
    return None


class _Walker:
    """Collects (path, before, after) for every difference, with the base stack name read as the head's."""

    def __init__(self, norm):
        self.norm = norm
        self.aliases: dict[str, str] = {}
        """Old -> new physical ids of resources that did not change (ids derived from the stack name)."""

    def same(self, b: Any, a: Any) -> bool:
        if b == a:
            return True
        if isinstance(b, str) and isinstance(a, str):
            if self.norm(b) == a or self.aliases.get(b) == a:
                return True
            db, da = _json_doc(b), _json_doc(a)
            return db is not None and da is not None and self.same(db, da)
        if isinstance(b, dict) and isinstance(a, dict):
            if (
                b.get("asset") == "file"
                and a.get("asset") == "file"
                and b.keys() == a.keys() == {"asset", "path"}
            ):
                # The plan records a file asset by its absolute path: two checkouts differ only there.
                return Path(str(b["path"])).name == Path(str(a["path"])).name
            return b.keys() == a.keys() and all(self.same(b[k], a[k]) for k in b)
        if isinstance(b, list) and isinstance(a, list):
            return len(b) == len(a) and all(self.same(x, y) for x, y in zip(b, a, strict=True))
        return False

    def walk(self, b: Any, a: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
        if self.same(b, a):
            return
        db, da = _json_doc(b), _json_doc(a)
        if db is not None and da is not None:
            b, a = db, da
        if isinstance(b, dict) and isinstance(a, dict):
            for k in sorted(set(b) | set(a)):
                self.walk(b.get(k, MISSING), a.get(k, MISSING), _join(path, k), out)
            return
        if isinstance(b, list) and isinstance(a, list) and (any(isinstance(x, (dict, list)) for x in b + a)):
            key = _list_key(b, a)
            if key:
                bi = {x[key]: x for x in b}
                ai = {x[key]: x for x in a}
                order = [x[key] for x in a] + [x[key] for x in b if x[key] not in ai]
                for k in order:
                    self.walk(bi.get(k, MISSING), ai.get(k, MISSING), f"{path}[{key}={k}]", out)
                return
            for i in range(max(len(b), len(a))):
                self.walk(
                    b[i] if i < len(b) else MISSING, a[i] if i < len(a) else MISSING, f"{path}[{i}]", out
                )
            return
        out.append((path, b, a))


def _mask(path: str, value: Any) -> Any:
    leaf = rp.split_path(path)[-1] if path else ""
    if value is MISSING or value is None:
        return value
    if _SECRET_NAME.search(leaf):
        return SECRET
    return value


def show(value: Any, limit: int = MAX_VALUE) -> str:
    """A value as one short line: strings as they are, the rest as compact JSON, cut at ``limit``."""
    if value is MISSING:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def money(x: float) -> str:
    return f"${x:,.2f}"


def signed(x: float) -> str:
    """``+$12.34`` / ``-$5.00`` / ``$0.00``."""
    x = round(x, 2)
    if x > 0:
        return f"+${x:,.2f}"
    if x < 0:
        return f"-${-x:,.2f}"
    return "$0.00"


def short_type(typ: str) -> str:
    """``aws:sagemaker/endpointConfiguration:EndpointConfiguration`` -> ``EndpointConfiguration``."""
    return typ.rsplit(":", 1)[-1]


def service(typ: str) -> str:
    parts = typ.split(":")
    return f"{parts[0]} {parts[1].split('/')[0]}" if len(parts) == 3 else parts[0]


# ---- matching -----------------------------------------------------------------------------------------------
def _key(urn: str) -> str:
    """The URN without its stack: ``urn:pulumi:dev::mlinfra::T::name`` -> ``mlinfra::T::name``."""
    if urn.startswith("urn:pulumi:") and "::" in urn:
        return urn.split("::", 1)[1]
    return urn


def _owners(plan: dict[str, Any]) -> dict[str, str]:
    """URN -> the endpoint key whose component it sits under (``(stack)`` for the rest)."""
    keys = set(plan.get("endpoints") or [])
    by_urn = {r["urn"]: r for r in plan["resources"]}
    if not keys:
        keys = {
            r["name"]
            for r in plan["resources"]
            if not r.get("custom") and str(r["type"]).startswith("mlinfra:")
        }
    out: dict[str, str] = {}
    for r in plan["resources"]:
        cur: dict[str, Any] | None = r
        seen = 0
        while cur is not None and seen < 64:
            if not cur.get("custom") and cur["name"] in keys:
                out[r["urn"]] = cur["name"]
                break
            cur = by_urn.get(cur.get("parent") or "")
            seen += 1
        out.setdefault(r["urn"], STACK_KEY)
    return out


def _IDENTITY(s: str) -> str:  # noqa: N802
    return s


def _stack_norm(base: dict[str, Any], head: dict[str, Any]):
    bs, hs = str(base.get("stack") or ""), str(head.get("stack") or "")
    if not bs or not hs or bs == hs:
        return _IDENTITY
    pat = re.compile(rf"(?<![A-Za-z0-9]){re.escape(bs)}(?![A-Za-z0-9])")
    return lambda s: pat.sub(hs, s)


# ---- the diff -----------------------------------------------------------------------------------------------
def diff_plans(
    base: dict[str, Any], head: dict[str, Any], transitions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The structured diff of two plans (see the module docstring). ``transitions``: extra findings about the
    change itself (``policy.transitions``); by default they are computed when the policy module has them."""
    norm = _stack_norm(base, head)
    walker = _Walker(norm)
    b_by = {_key(r["urn"]): r for r in base["resources"]}
    h_by = {_key(r["urn"]): r for r in head["resources"]}
    b_own, h_own = _owners(base), _owners(head)

    _learn_aliases(walker, b_by, h_by)
    entries: list[dict[str, Any]] = []
    unchanged = 0
    for k in sorted(set(b_by) | set(h_by)):
        b, h = b_by.get(k), h_by.get(k)
        r = h or b
        assert r is not None
        if not r.get("custom", True):
            continue
        owner = h_own.get(h["urn"]) if h else b_own.get(b["urn"]) if b else STACK_KEY
        e: dict[str, Any] = {
            "key": k,
            "urn": r["urn"],
            "type": r["type"],
            "name": r["name"],
            "endpoint": owner or STACK_KEY,
            "id_before": b.get("id") if b else None,
            "id_after": h.get("id") if h else None,
            "protect": bool((b or {}).get("protect")) or bool((h or {}).get("protect")),
            "retainOnDelete": bool((b or {}).get("retainOnDelete") or (h or {}).get("retainOnDelete")),
            "deleteBeforeReplace": bool((h or {}).get("deleteBeforeReplace")),
            "changes": [],
            "causes": [],
            "notes": [],
            "follows": [],
        }
        if b is None:
            e["action"] = "add"
        elif h is None:
            e["action"] = "delete"
        else:
            raw = _raw_changes(walker, b, h)
            for opt in ("protect", "retainOnDelete", "deleteBeforeReplace"):
                if bool(b.get(opt)) != bool(h.get(opt)):
                    raw.append((f"(option) {opt}", bool(b.get(opt)), bool(h.get(opt))))
            if not raw:
                unchanged += 1
                continue
            for path, before, after in raw:
                ch = {
                    "path": path,
                    "before": _mask(path, before),
                    "after": _mask(path, after),
                    "replaces": False,
                }
                rule = rp.replacing(r["type"], path) if not path.startswith("(option)") else None
                if rule:
                    ch["replaces"] = True
                    e["causes"].append(
                        {
                            "path": path,
                            "why": rule.why,
                            "source": rule.source,
                            "consequence": rule.consequence,
                            "effect": rule.effect,
                        }
                    )
                e["changes"].append(ch)
            if (
                not e["causes"]
                and not rp.rules_for(r["type"])
                and b.get("id") != h.get("id")
                and not walker.same(b.get("id"), h.get("id"))
            ):
                e["causes"].append(
                    {
                        "path": "(id)",
                        "why": "its physical name derives from its inputs (autonamed): a changed input gives a new resource",
                        "source": "",
                        "consequence": f"a new {short_type(r['type'])} is created and the old one deleted",
                        "effect": "",
                    }
                )
            e["action"] = "replace" if e["causes"] else "update"
        entries.append(e)

    _link_cascade(entries, b_by, h_by, walker)
    for e in entries:
        _explain(e, head, base, h_by, b_by)

    summary = {a: sum(1 for e in entries if e["action"] == a) for a in ACTIONS}
    summary["unchanged"] = unchanged
    endpoints = _endpoints(base, head, entries)
    found_new, found_resolved = _findings(base, head, norm)
    trans = transitions if transitions is not None else _transitions(base, head)
    return {
        "format": "mlinfra-diff/1",
        "base": _ident(base),
        "head": _ident(head),
        "summary": summary,
        "resources": [_public(e) for e in entries],
        "endpoints": endpoints,
        "cost": _cost_total(base, head),
        "findings": {
            "new": found_new,
            "resolved": found_resolved,
            "transitions": sorted(trans, key=_finding_key),
        },
        "notes": _notes(base, head),
    }


def _raw_changes(walker: _Walker, b: dict[str, Any], h: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    raw: list[tuple[str, Any, Any]] = []
    walker.walk(b.get("inputs") or {}, h.get("inputs") or {}, "", raw)
    return raw


def _learn_aliases(walker: _Walker, b_by: dict[str, Any], h_by: dict[str, Any]) -> None:
    """Resources whose inputs are the same but whose ids differ (named from the stack, or autonamed from
    inputs that only differ by the stack name): references to them are the same reference."""
    if walker.norm is _IDENTITY:
        return
    for _ in range(8):
        learned = False
        for k in sorted(set(b_by) & set(h_by)):
            b, h = b_by[k], h_by[k]
            bid, hid = b.get("id"), h.get("id")
            if (
                not (isinstance(bid, str) and isinstance(hid, str))
                or bid == hid
                or walker.aliases.get(bid) == hid
            ):
                continue
            if not _raw_changes(walker, b, h):
                walker.aliases[bid] = hid
                for o in sorted(set(b.get("outputs") or {}) & set(h.get("outputs") or {})):
                    bo, ho = b["outputs"][o], h["outputs"][o]
                    if isinstance(bo, str) and isinstance(ho, str) and bo != ho:
                        walker.aliases[bo] = ho
                learned = True
        if not learned:
            return


def _ident(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: plan.get(k) for k in ("project", "stack", "cloud", "region")}


def _public(e: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in e.items() if k != "key"}


def _link_cascade(
    entries: list[dict[str, Any]], b_by: dict[str, Any], h_by: dict[str, Any], walker: _Walker
) -> None:
    """Mark each changed input whose old/new values are another changed resource's old/new id or output."""
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries:
        if e["action"] not in ("update", "replace"):
            continue
        b, h = b_by[e["key"]], h_by[e["key"]]
        cands = [(b.get("id"), h.get("id"))]
        bo, ho = b.get("outputs") or {}, h.get("outputs") or {}
        cands += [(bo.get(k), ho.get(k)) for k in sorted(set(bo) & set(ho))]
        for old, new in cands:
            if isinstance(old, str) and isinstance(new, str) and old != new and len(old) >= 6:
                pairs.setdefault((old, new), e)
    # A reference moving from a deleted resource to an added one (content-addressed names: a new model
    # version, a new blob) follows the added one.
    gone = {str(e["id_before"]): e for e in entries if e["action"] == "delete" and e["id_before"]}
    born = {str(e["id_after"]): e for e in entries if e["action"] == "add" and e["id_after"]}
    if not pairs and not (gone and born):
        return
    for e in entries:
        for ch in e["changes"]:
            before, after = ch["before"], ch["after"]
            if not (isinstance(before, str) and isinstance(after, str)):
                continue
            src = pairs.get((before, after))
            if src is None and before in gone and after in born:
                src = born[after]
            if src is None:
                for (old, new), cand in pairs.items():
                    if old in before and before.replace(old, new) == after:
                        src = cand
                        break
            if src is not None and src is not e:
                ch["follows"] = src["name"]
                if src["name"] not in e["follows"]:
                    e["follows"].append(src["name"])
                for c in e["causes"]:
                    if c["path"] == ch["path"]:
                        c["follows"] = src["name"]


def _rollout(deployment_config: dict[str, Any] | None) -> str:
    """An Endpoint's deploymentConfig as words: "blue/green deployment (canary 10%, ...; rollback alarms: a, b)"."""
    dc = deployment_config or {}
    alarms = [
        a.get("alarmName")
        for a in (dc.get("autoRollbackConfiguration") or {}).get("alarms") or []
        if a.get("alarmName")
    ]
    rb = f"rollback alarms: {', '.join(alarms)}" if alarms else "no automatic rollback"
    if dc.get("rollingUpdatePolicy"):
        ru = dc["rollingUpdatePolicy"]
        batch = (ru.get("maximumBatchSize") or {}).get("value")
        return f"rolling deployment (batches of {batch}{'%' if (ru.get('maximumBatchSize') or {}).get('type') == 'CAPACITY_PERCENT' else ' instances'}; {rb})"
    bg = dc.get("blueGreenUpdatePolicy")
    if not bg:
        return "blue/green deployment, all at once (SageMaker's default; no automatic rollback)"
    tr = bg.get("trafficRoutingConfiguration") or {}
    wait = tr.get("waitIntervalInSeconds")
    wait_s = f"{wait / 60:g} min" if isinstance(wait, (int, float)) else "the wait interval"

    def size(d: dict[str, Any] | None) -> str:
        d = d or {}
        return f"{d.get('value')}{'%' if d.get('type') == 'CAPACITY_PERCENT' else ' instances'}"

    kind = tr.get("type", "ALL_AT_ONCE")
    if kind == "CANARY":
        how = f"canary {size(tr.get('canarySize'))}, then the rest after {wait_s}"
    elif kind == "LINEAR":
        how = f"linear, {size(tr.get('linearStepSize'))} every {wait_s}"
    else:
        how = "all at once"
    return f"blue/green deployment ({how}; {rb})"


def show_id(value: Any, limit: int = 60) -> str:
    """An id for reading: long path-like ids (ARM, GCP) keep their tail, where the names are."""
    text = show(value, 10_000)
    if len(text) <= limit:
        return text
    if "/" in text:
        return "…" + text[-(limit - 1) :]
    return text[: limit - 1] + "…"


def _azure_deployment(e: dict[str, Any], h_by: dict[str, Any]) -> str:
    h = h_by[e["key"]]
    name = (h.get("inputs") or {}).get("deploymentName") or e["name"]
    share = ""
    for r in sorted(h_by.values(), key=lambda r: r["urn"]):
        traffic = (r.get("inputs") or {}).get("traffic")
        if r["type"].startswith("pulumi-python:dynamic") and isinstance(traffic, dict) and name in traffic:
            split = ", ".join(f"{k} {v}%" for k, v in sorted(traffic.items()))
            share = f"; it takes {traffic[name]}% of the endpoint's traffic ({split}): move that traffic to another deployment first"
            break
    return (
        f"Azure deployment instance type changed: the deployment `{name}` is recreated (deleted, then created again "
        f"with the same name){share or '; its share of the traffic fails meanwhile'}"
    )


def _vertex_rollout(traffic: dict[str, Any] | None) -> str:
    t = traffic or {}
    strategy = t.get("strategy", "all-at-once")
    if strategy == "canary":
        how = f"canary {t.get('stepPercent')}%, then the rest after {t.get('waitMinutes')} min"
    elif strategy == "linear":
        how = f"linear, {t.get('stepPercent')}% every {t.get('waitMinutes')} min"
    else:
        how = "all at once"
    rb = (
        "rolled back if the new deployment is unhealthy" if t.get("autoRollback") else "no automatic rollback"
    )
    return f"Vertex AI rollout: the new model is deployed beside the old one ({how}; {rb}), then the old one is undeployed"


def _endpoint_of_config(config_id: str | None, h_by: dict[str, Any]) -> dict[str, Any] | None:
    for r in sorted(h_by.values(), key=lambda r: r["urn"]):
        if (
            r["type"] == "aws:sagemaker/endpoint:Endpoint"
            and (r.get("inputs") or {}).get("endpointConfigName") == config_id
        ):
            return r
    return None


def _configs_of_model(model_id: str | None, h_by: dict[str, Any]) -> list[str]:
    out = []
    for r in h_by.values():
        variants = (r.get("inputs") or {}).get("productionVariants") or []
        if r["type"] == "aws:sagemaker/endpointConfiguration:EndpointConfiguration" and any(
            v.get("modelName") == model_id for v in variants
        ):
            out.append(r["name"])
    return sorted(out)


def _explain(
    e: dict[str, Any], head: dict[str, Any], base: dict[str, Any], h_by: dict[str, Any], b_by: dict[str, Any]
) -> None:
    """The consequences a reviewer should read, from the rules and the head plan."""
    notes: list[str] = []
    kind = short_type(e["type"])
    if e["action"] == "replace":
        seen: set[str] = set()
        for c in e["causes"]:
            if c["consequence"] in seen:
                continue
            seen.add(c["consequence"])
            if c["effect"] == "sagemaker-endpoint-config":
                ep = _endpoint_of_config(e["id_after"], h_by)
                if ep is not None:
                    ep_name = (ep.get("inputs") or {}).get("name") or ep.get("id") or ep["name"]
                    notes.append(
                        f"EndpointConfiguration replaced: the endpoint `{ep_name}` runs a {_rollout((ep.get('inputs') or {}).get('deploymentConfig'))}; "
                        "the old configuration is deleted once the endpoint runs on the new one"
                    )
                    continue
            if c["effect"] == "sagemaker-model":
                configs = _configs_of_model(e["id_after"], h_by)
                if configs:
                    notes.append(
                        f"Model replaced: a new SageMaker model `{e['id_after']}`; the endpoint configuration {', '.join(f'`{n}`' for n in configs)} that names it is replaced with it"
                    )
                    continue
            if c["effect"] == "azure-deployment":
                notes.append(_azure_deployment(e, h_by))
                continue
            notes.append(f"{kind} replaced: {c['consequence']}")
        if e["id_before"] != e["id_after"] and e["id_before"] and e["id_after"]:
            notes.append(f"new physical name: `{show_id(e['id_before'])}` -> `{show_id(e['id_after'])}`")
        if e["deleteBeforeReplace"]:
            notes.append("deleted BEFORE its replacement is created: a gap in service")
        if e["protect"]:
            notes.append("protected: `pulumi up` refuses to replace it until `protect` is lifted")
        if e["retainOnDelete"]:
            notes.append("retainOnDelete: the old one stays in the cloud, unmanaged")
    elif e["action"] == "update":
        seen_notes: set[str] = set()
        for ch in e["changes"]:
            n = rp.update_note(e["type"], ch["path"])
            if n is None or n.note in seen_notes:
                continue
            seen_notes.add(n.note)
            if n.effect == "sagemaker-rollout":
                h = h_by[e["key"]]
                name = (h.get("inputs") or {}).get("name") or h.get("id")
                notes.append(
                    f"the endpoint `{name}` moves to the new configuration by a {_rollout((h.get('inputs') or {}).get('deploymentConfig'))}"
                )
            elif n.effect == "vertex-rollout":
                notes.append(_vertex_rollout((h_by[e["key"]].get("inputs") or {}).get("traffic")))
            else:
                notes.append(n.note)
    elif e["action"] == "delete":
        if e["protect"]:
            notes.append(
                "protected: `pulumi up` fails until `protect` is lifted (or the resource is removed from the state)"
            )
        if e["retainOnDelete"]:
            notes.append("retainOnDelete: it stays in the cloud, unmanaged")
        if e["type"] in DELETE_NOTES:
            notes.append(DELETE_NOTES[e["type"]])
        if e["type"] in (
            "aws:sagemaker/endpoint:Endpoint",
            "azure-native:machinelearningservices:OnlineEndpoint",
            "gcp:vertex/aiEndpoint:AiEndpoint",
            "gcp:cloudrunv2/service:Service",
        ):
            notes.append(f"the endpoint `{show_id(e['id_before'])}` is deleted: its clients fail")
    e["notes"] = notes


def _cost_by_endpoint(plan: dict[str, Any]) -> dict[str, tuple[float, float]]:
    out: dict[str, list[float]] = {}
    for it in (plan.get("cost") or {}).get("items") or []:
        acc = out.setdefault(it.get("endpoint") or STACK_KEY, [0.0, 0.0])
        acc[0] += float(it.get("monthly_min") or 0)
        acc[1] += float(it.get("monthly_max") or 0)
    return {k: (round(v[0], 2), round(v[1], 2)) for k, v in out.items()}


def _range(v: tuple[float, float] | None) -> dict[str, float] | None:
    return None if v is None else {"min": v[0], "max": v[1]}


def _endpoints(
    base: dict[str, Any], head: dict[str, Any], entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    bc, hc = _cost_by_endpoint(base), _cost_by_endpoint(head)
    b_eps, h_eps = set(base.get("endpoints") or []), set(head.get("endpoints") or [])
    keys = sorted(
        b_eps | h_eps | set(bc) | set(hc) | {e["endpoint"] for e in entries},
        key=lambda k: (k == STACK_KEY, k),
    )
    out = []
    for k in keys:
        mine = [e for e in entries if e["endpoint"] == k]
        if k in h_eps and k not in b_eps:
            status = "added"
        elif k in b_eps and k not in h_eps:
            status = "removed"
        elif mine or bc.get(k) != hc.get(k):
            status = "changed"
        else:
            status = "unchanged"
        b, a = bc.get(k), hc.get(k)
        delta = None
        if b is not None or a is not None:
            b0, a0 = b or (0.0, 0.0), a or (0.0, 0.0)
            delta = {"min": round(a0[0] - b0[0], 2), "max": round(a0[1] - b0[1], 2)}
        out.append(
            {
                "endpoint": k,
                "status": status,
                "counts": {a_: sum(1 for e in mine if e["action"] == a_) for a_ in ACTIONS},
                "cost": {"before": _range(b), "after": _range(a), "delta": delta},
                "cost_items": _item_changes(base, head, k),
            }
        )
    return out


def _item_changes(base: dict[str, Any], head: dict[str, Any], endpoint: str) -> list[dict[str, Any]]:
    def items(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {
            it["item"]: it
            for it in (plan.get("cost") or {}).get("items") or []
            if (it.get("endpoint") or STACK_KEY) == endpoint
        }

    bi, hi = items(base), items(head)
    out = []
    for name in sorted(set(bi) | set(hi)):
        b, h = bi.get(name), hi.get(name)
        if (
            b
            and h
            and (b.get("detail"), b.get("monthly_min"), b.get("monthly_max"))
            == (h.get("detail"), h.get("monthly_min"), h.get("monthly_max"))
        ):
            continue
        out.append(
            {
                "item": name,
                "before": None
                if b is None
                else {"detail": b.get("detail"), "min": b.get("monthly_min"), "max": b.get("monthly_max")},
                "after": None
                if h is None
                else {"detail": h.get("detail"), "min": h.get("monthly_min"), "max": h.get("monthly_max")},
            }
        )
    return out


def _cost_total(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    bc, hc = base.get("cost") or {}, head.get("cost") or {}
    b = (float(bc.get("monthly_min") or 0), float(bc.get("monthly_max") or 0))
    a = (float(hc.get("monthly_min") or 0), float(hc.get("monthly_max") or 0))
    src = hc.get("source") or bc.get("source") or {}
    return {
        "currency": hc.get("currency") or bc.get("currency") or "USD",
        "before": {"min": round(b[0], 2), "max": round(b[1], 2)},
        "after": {"min": round(a[0], 2), "max": round(a[1], 2)},
        "delta": {"min": round(a[0] - b[0], 2), "max": round(a[1] - b[1], 2)},
        "source": {k: src.get(k) for k in ("region", "as_of", "url") if src.get(k)},
    }


def _finding_key(f: dict[str, Any]) -> tuple[int, str, str, str]:
    return (
        {"error": 0, "warning": 1}.get(f.get("severity", ""), 2),
        f.get("rule", ""),
        _key(f.get("resource", "")),
        f.get("message", ""),
    )


def _findings(
    base: dict[str, Any], head: dict[str, Any], norm
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def ident(f: dict[str, Any], n=lambda s: s) -> tuple[str, str]:
        return (f.get("rule", ""), n(_key(f.get("resource", ""))))

    b = {ident(f, norm): f for f in base.get("findings") or []}
    h = {ident(f): f for f in head.get("findings") or []}
    new = [_finding_out(h[k]) for k in h if k not in b]
    resolved = [_finding_out(b[k]) for k in b if k not in h]
    return sorted(new, key=_finding_key), sorted(resolved, key=_finding_key)


def _finding_out(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f.get(k) for k in ("rule", "severity", "resource", "message", "anchors") if k in f}


def _transitions(base: dict[str, Any], head: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings about the change itself (the two-plan rules of ``policy/transitions.py``)."""
    from policy.transitions import evaluate_transition

    return [_finding_out(f) for f in evaluate_transition(base, head)]


def _notes(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    out = []
    if base.get("stack") != head.get("stack"):
        out.append(
            f"base and head are different stacks (`{base.get('stack')}` and `{head.get('stack')}`): resources are matched "
            f"by URN without the stack, and names containing `{base.get('stack')}` are compared as if they said `{head.get('stack')}`"
        )
    if base.get("cloud") and head.get("cloud") and base.get("cloud") != head.get("cloud"):
        out.append(
            f"the cloud changes from {base.get('cloud')} to {head.get('cloud')}: every resource is replaced"
        )
    bs, hs = (base.get("cost") or {}).get("source") or {}, (head.get("cost") or {}).get("source") or {}
    if bs.get("as_of") and hs.get("as_of") and bs.get("as_of") != hs.get("as_of"):
        out.append(
            f"the price list changed between the plans ({bs.get('as_of')} -> {hs.get('as_of')}): part of the cost delta is price, not change"
        )
    return out


# ---- gates --------------------------------------------------------------------------------------------------
def parse_gates(fail_on: list[str] | tuple[str, ...]) -> list[tuple[str, float | None]]:
    gates: list[tuple[str, float | None]] = []
    bad = []
    for raw in fail_on:
        for g in (x.strip() for x in str(raw).split(",")):
            if not g:
                continue
            if g in ("replace", "delete", "error-findings", "new-findings"):
                gates.append((g, None))
                continue
            m = re.fullmatch(r"cost:\+?\$?(\d+(?:\.\d+)?)(%?)", g)
            if m:
                gates.append(("cost%" if m.group(2) else "cost", float(m.group(1))))
                continue
            bad.append(g)
    if bad:
        raise DiffInputError(
            f"unknown --fail-on gate(s): {', '.join(bad)}; allowed: replace, delete, error-findings, new-findings, "
            "cost:+N (USD per month, on the monthly maximum), cost:+N% (percent of the base monthly maximum)"
        )
    return gates


def check_gates(d: dict[str, Any], gates: list[tuple[str, float | None]]) -> list[str]:
    """The reasons the change fails: each tripped gate, and new error findings (always)."""
    s = d["summary"]
    out = []
    errors_new = [
        f for f in d["findings"]["new"] + d["findings"]["transitions"] if f.get("severity") == "error"
    ]
    if errors_new:
        out.append(
            f"{len(errors_new)} new error finding(s): {', '.join(sorted({f['rule'] for f in errors_new}))}"
        )
    for g, v in gates:
        if g == "replace" and s["replace"]:
            out.append(f"replace: {s['replace']} resource(s) would be replaced")
        elif g == "delete" and s["delete"]:
            out.append(f"delete: {s['delete']} resource(s) would be deleted")
        elif g == "cost" and v is not None and d["cost"]["delta"]["max"] > v:
            out.append(
                f"cost:+{v:g}: the monthly maximum rises by {signed(d['cost']['delta']['max'])} (limit +${v:,.2f})"
            )
        elif g == "cost%" and v is not None:
            before, delta = d["cost"]["before"]["max"], d["cost"]["delta"]["max"]
            pct = (100.0 * delta / before) if before else (float("inf") if delta > 0 else 0.0)
            if pct > v:
                out.append(f"cost:+{v:g}%: the monthly maximum rises by {signed(delta)} ({pct:.1f}%)")
        elif g == "new-findings":
            n = len(d["findings"]["new"]) + len(d["findings"]["transitions"])
            if n:
                out.append(f"new-findings: {n} new finding(s)")
        elif g == "error-findings":
            head_errors = d.get("_head_errors", 0)
            if head_errors and not errors_new:
                out.append(f"error-findings: the head plan has {head_errors} error finding(s)")
    return out


# ---- rendering: Markdown ------------------------------------------------------------------------------------
def _code(value: Any, limit: int = MAX_VALUE) -> str:
    text = show(value, limit).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else '`""`'


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_line(d: dict[str, Any]) -> str:
    s = d["summary"]
    return f"{s['add']} to add, {s['update']} to change, {s['replace']} to replace, {s['delete']} to delete"


def _cost_cell(r: dict[str, float] | None) -> str:
    if r is None:
        return "-"
    return money(r["min"]) if r["min"] == r["max"] else f"{money(r['min'])} – {money(r['max'])}"


def _delta_cell(dl: dict[str, float] | None) -> str:
    if dl is None:
        return "-"
    return signed(dl["min"]) if dl["min"] == dl["max"] else f"{signed(dl['min'])} – {signed(dl['max'])}"


def _delta_words(dl: dict[str, float] | None, bold: str = "**") -> str:
    """``**+$93.44** min, **+$1,045.36** max`` (one figure when both ends move alike)."""
    if dl is None:
        return "-"
    if dl["min"] == dl["max"]:
        return f"{bold}{signed(dl['min'])}{bold}"
    return f"{bold}{signed(dl['min'])}{bold} min, {bold}{signed(dl['max'])}{bold} max"


def _what(e: dict[str, Any], limit: int = 3) -> str:
    if e["action"] == "add":
        return "new"
    if e["action"] == "delete":
        return "removed"
    parts = []
    for ch in e["changes"][:limit]:
        if ch.get("follows"):
            parts.append(f"`{_esc(ch['path'])}` follows `{ch['follows']}`")
        else:
            parts.append(f"`{_esc(ch['path'])}`: {_code(ch['before'], 40)} → {_code(ch['after'], 40)}")
    more = len(e["changes"]) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "<br>".join(parts)


def _cause_text(e: dict[str, Any]) -> str:
    bits = []
    seen = set()
    for c in e["causes"]:
        ch = next((x for x in e["changes"] if x["path"] == c["path"]), None)
        if c["path"] == "(id)":
            what = (
                f"its physical id changes (`{show_id(e['id_before'], 40)}` → `{show_id(e['id_after'], 40)}`)"
            )
        elif c.get("follows"):
            what = f"`{_esc(c['path'])}` follows the replaced `{c['follows']}`"
        elif ch is not None:
            what = f"`{_esc(c['path'])}` changes ({_code(ch['before'], 40)} → {_code(ch['after'], 40)})"
        else:
            what = f"`{_esc(c['path'])}` changes"
        bits.append(what)
        seen.add((c["why"], c["source"]))
    why = "; ".join(f"{w}" + (f" ([source]({s}))" if s else "") for w, s in sorted(seen))
    return f"{', '.join(bits)}: {why}"


def markdown(d: dict[str, Any], gate_failures: list[str] | None = None) -> str:
    """The pull-request comment (GitHub-flavoured Markdown). Deterministic."""
    base, head, s, cost = d["base"], d["head"], d["summary"], d["cost"]
    L: list[str] = [MARKER.replace("-->", f"stack={head.get('stack')} -->")]
    where = f"{head.get('cloud')}, {head.get('region')}"
    title = (
        f"`{head.get('stack')}`"
        if base.get("stack") == head.get("stack")
        else f"`{base.get('stack')}` → `{head.get('stack')}`"
    )
    L.append(f"### mlinfra diff: stack {title} ({where})")
    L.append("")
    quiet = (
        not d["resources"] and not any(d["findings"].values()) and cost["delta"] == {"min": 0.0, "max": 0.0}
    )
    if quiet:
        L.append(
            f"**{summary_line(d)}** · {s['unchanged']} unchanged · monthly cost {_cost_cell(cost['after'])} (**$0.00**)"
        )
        if gate_failures:
            L.append("\n**CI gate: failed** – " + "; ".join(_esc(g) for g in gate_failures))
        L += [f"\n> [!NOTE]\n> {n}" for n in d["notes"]]
        return "\n".join(L) + "\n"
    L.append(f"**{summary_line(d)}** · {s['unchanged']} unchanged")
    L.append("")
    L.append(
        f"**Monthly cost:** {_cost_cell(cost['before'])} → {_cost_cell(cost['after'])} ({_delta_words(cost['delta'])})"
    )
    if gate_failures is not None:
        L.append("")
        L.append(
            "**CI gate: failed** – " + "; ".join(_esc(g) for g in gate_failures)
            if gate_failures
            else "**CI gate: passed**"
        )
    for n in d["notes"]:
        L += ["", f"> [!NOTE]\n> {n}"]

    replaced = cascade_order([e for e in d["resources"] if e["action"] == "replace"])
    deleted_protected = sorted(
        (e for e in d["resources"] if e["action"] == "delete" and e["protect"]),
        key=lambda e: (e["endpoint"], e["name"]),
    )
    if replaced or deleted_protected:
        L += ["", "> [!WARNING]"]
        if replaced:
            L.append(
                f"> **{len(replaced)} to replace:** "
                + ", ".join(f"`{e['name']}` ({short_type(e['type'])})" for e in replaced)
            )
        if deleted_protected:
            L.append(
                "> **Protected resources deleted:** "
                + ", ".join(f"`{e['name']}`" for e in deleted_protected)
                + " (`pulumi up` stops on them)"
            )

    for ep in d["endpoints"]:
        mine = [e for e in d["resources"] if e["endpoint"] == ep["endpoint"]]
        if ep["status"] == "unchanged" and not mine:
            continue
        label = "stack-wide resources" if ep["endpoint"] == STACK_KEY else f"endpoint `{ep['endpoint']}`"
        status = {"added": " (new endpoint)", "removed": " (endpoint removed)"}.get(ep["status"], "")
        c = ep["counts"]
        L += ["", f"#### {label}{status}", ""]
        L.append(
            f"{c['add']} to add, {c['update']} to change, {c['replace']} to replace, {c['delete']} to delete · "
            f"monthly cost {_cost_cell(ep['cost']['before'])} → {_cost_cell(ep['cost']['after'])} ({_delta_words(ep['cost']['delta'])})"
        )
        if mine:
            L += ["", "| | Resource | Type | What changes |", "|---|---|---|---|"]
            order = {"replace": 0, "delete": 1, "add": 2, "update": 3}
            for e in sorted(mine, key=lambda e: (order[e["action"]], e["name"], e["type"])):
                L.append(
                    f"| `{SYMBOL[e['action']]}` {VERB[e['action']]} | `{e['name']}` | {service(e['type'])} {short_type(e['type'])} | {_what(e)} |"
                )
        rep = [e for e in mine if e["action"] == "replace"]
        if rep:
            L += ["", "**Replacements**", ""]
            for e in cascade_order(rep):
                L.append(
                    f"- `{e['name']}` ({short_type(e['type'])}) **is replaced** because {_cause_text(e)}."
                )
                for n in e["notes"]:
                    L.append(f"  - {n}")
        other = [e for e in mine if e["action"] != "replace" and e["notes"]]
        if other:
            L += ["", "**Other effects**", ""]
            for e in sorted(other, key=lambda e: e["name"]):
                for n in e["notes"]:
                    L.append(f"- `{e['name']}` ({VERB[e['action']]}): {n}")
        if ep["cost_items"]:
            L += ["", "| Cost item | Before | After | Delta |", "|---|---|---|---|"]
            for it in ep["cost_items"]:
                b, a = it["before"], it["after"]
                bmin, bmax = (b["min"], b["max"]) if b else (0.0, 0.0)
                amin, amax = (a["min"], a["max"]) if a else (0.0, 0.0)
                dl = {"min": round(amin - bmin, 2), "max": round(amax - bmax, 2)}
                L.append(f"| {_esc(it['item'])} | {_cost_item(b)} | {_cost_item(a)} | {_delta_cell(dl)} |")

    changed = [e for e in d["resources"] if e["action"] in ("update", "replace")]
    if changed:
        n = sum(len(e["changes"]) for e in changed)
        L += [
            "",
            f"<details><summary>Changed inputs ({n})</summary>",
            "",
            "| Resource | Input | Before | After |",
            "|---|---|---|---|",
        ]
        for e in sorted(changed, key=lambda e: (e["endpoint"], e["name"])):
            for ch in e["changes"]:
                mark = " (replaces)" if ch["replaces"] else ""
                L.append(
                    f"| `{e['name']}` | `{_esc(ch['path'])}`{mark} | {_code(ch['before'])} | {_code(ch['after'])} |"
                )
        L += ["", "</details>"]

    f = d["findings"]
    if f["new"] or f["resolved"] or f["transitions"]:
        L += ["", "#### Policy findings", ""]
        for label, items in (
            ("risk of this change", f["transitions"]),
            ("new", f["new"]),
            ("resolved", f["resolved"]),
        ):
            for x in items:
                sev = x.get("severity", "")
                L.append(
                    f"- **{label}** {sev} `{x.get('rule')}` on `{_urn_name(x.get('resource', ''))}`: {_esc(str(x.get('message', '')))}"
                )

    graph = mermaid(d)
    if graph:
        L += [
            "",
            "<details open><summary>What changes (graph)</summary>",
            "",
            "```mermaid",
            graph,
            "```",
            "",
            "</details>",
        ]

    src = cost.get("source") or {}
    basis = f"prices: {src.get('region')} list prices as of {src.get('as_of')}" if src else "prices: catalog"
    L += [
        "",
        f"<sub>mlinfra diff · {basis} · replacement rules: components/catalog/replacements.py · counts are cloud resources (components excluded)</sub>",
        "",
    ]
    return "\n".join(L)


def cascade_order(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Root causes first: each resource after the resources it follows (then by endpoint and name)."""
    todo = sorted(entries, key=lambda e: (e["endpoint"], e["name"]))
    names = {(e["endpoint"], e["name"]) for e in todo}
    done: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    while todo:
        ready = (
            i
            for i, e in enumerate(todo)
            if {(e["endpoint"], f) for f in e.get("follows") or []} & names <= done
        )
        e = todo.pop(next(ready, 0))  # 0: a cycle (never expected) keeps the name order
        done.add((e["endpoint"], e["name"]))
        out.append(e)
    return out


def _cost_item(x: dict[str, Any] | None) -> str:
    if not x:
        return "-"
    rng = money(x["min"]) if x["min"] == x["max"] else f"{money(x['min'])} – {money(x['max'])}"
    return f"{rng} ({_esc(str(x.get('detail') or ''))})"


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if "::" in urn else urn


# ---- rendering: Mermaid -------------------------------------------------------------------------------------
_CLASS = {
    "add": "fill:#dafbe1,stroke:#1a7f37",
    "update": "fill:#fff8c5,stroke:#9a6700",
    "replace": "fill:#ffebe9,stroke:#cf222e,stroke-width:2px",
    "delete": "fill:#f6f8fa,stroke:#cf222e,stroke-dasharray:4 3",
}


def _label(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(d: dict[str, Any]) -> str:
    """A flowchart of the changed resources, grouped by endpoint, with the cascade as labelled edges."""
    nodes = sorted(
        d["resources"],
        key=lambda e: (
            e["endpoint"],
            {"replace": 0, "update": 1, "add": 2, "delete": 3}[e["action"]],
            e["name"],
        ),
    )
    if not nodes:
        return ""
    shown = nodes[:MAX_GRAPH_NODES]
    ids = {(e["endpoint"], e["name"]): f"n{i}" for i, e in enumerate(shown)}
    L = ["flowchart LR"]
    for ep in sorted({e["endpoint"] for e in shown}, key=lambda k: (k == STACK_KEY, k)):
        title = "stack" if ep == STACK_KEY else f"endpoint {ep}"
        L.append(f'  subgraph g_{re.sub(r"[^A-Za-z0-9_]", "_", ep)}["{_label(title)}"]')
        for e in shown:
            if e["endpoint"] == ep:
                L.append(
                    f'    {ids[(ep, e["name"])]}["{_label(e["name"])}<br/>{_label(short_type(e["type"]))}<br/><b>{VERB[e["action"]]}</b>"]:::{e["action"]}'
                )
        L.append("  end")
    edges = set()
    for e in shown:
        for ch in e["changes"]:
            src = ch.get("follows")
            if src and (e["endpoint"], src) in ids:
                leaf = rp.split_path(ch["path"])[-1].strip("[]")
                edges.add((ids[(e["endpoint"], src)], ids[(e["endpoint"], e["name"])], leaf))
    for a, b, leaf in sorted(edges, key=lambda x: (int(x[0][1:]), int(x[1][1:]), x[2])):
        L.append(f'  {a} -->|"{_label(leaf)}"| {b}')
    for k in ACTIONS:
        if any(e["action"] == k for e in shown):
            L.append(f"  classDef {k} {_CLASS[k]}")
    if len(nodes) > len(shown):
        L.append(f'  more["… {len(nodes) - len(shown)} more not drawn"]')
    return "\n".join(L)


# ---- rendering: terminal and JSON ---------------------------------------------------------------------------
def to_json(d: dict[str, Any], gate_failures: list[str] | None = None) -> str:
    out = {k: v for k, v in d.items() if not k.startswith("_")}
    if gate_failures is not None:
        out["gates"] = {"failed": bool(gate_failures), "reasons": gate_failures}
    return json.dumps(out, indent=2, sort_keys=True, default=str) + "\n"


def text(d: dict[str, Any], gate_failures: list[str] | None = None, console=None) -> None:
    """The diff on a terminal (rich): one block per endpoint, one line per change."""
    from rich.console import Console
    from rich.markup import escape

    con = console or Console(soft_wrap=False, highlight=False)
    style = {"add": "green", "update": "yellow", "replace": "bold red", "delete": "red"}
    cost = d["cost"]
    title = (
        d["head"].get("stack")
        if d["base"].get("stack") == d["head"].get("stack")
        else f"{d['base'].get('stack')} -> {d['head'].get('stack')}"
    )
    con.print(
        f"[bold]mlinfra diff[/bold] {escape(str(title))} ({d['head'].get('cloud')}, {d['head'].get('region')})"
    )
    con.print(f"[bold]{summary_line(d)}[/bold], {d['summary']['unchanged']} unchanged")
    con.print(
        f"monthly cost {_cost_cell(cost['before'])} -> {_cost_cell(cost['after'])} ({_delta_words(cost['delta'], '')})"
    )
    for n in d["notes"]:
        con.print(f"[cyan]note:[/cyan] {escape(n)}")
    order = {"replace": 0, "delete": 1, "add": 2, "update": 3}
    for ep in d["endpoints"]:
        mine = [e for e in d["resources"] if e["endpoint"] == ep["endpoint"]]
        if not mine and ep["status"] == "unchanged":
            continue
        con.print("")
        con.print(
            f"[bold]{escape(ep['endpoint'])}[/bold] ({ep['status']}): {_cost_cell(ep['cost']['before'])} -> "
            f"{_cost_cell(ep['cost']['after'])} ({_delta_words(ep['cost']['delta'], '')})"
        )
        for e in sorted(mine, key=lambda e: (order[e["action"]], e["name"])):
            con.print(
                f"  [{style[e['action']]}]{SYMBOL[e['action']]:>2} {e['action']:<7}[/] {escape(e['name'])} ({short_type(e['type'])})"
            )
            for ch in e["changes"]:
                mark = " [red](replaces)[/red]" if ch["replaces"] else ""
                what = (
                    f"follows {ch['follows']}"
                    if ch.get("follows")
                    else f"{show(ch['before'], 60)} -> {show(ch['after'], 60)}"
                )
                con.print(f"       {escape(ch['path'])}: {escape(what)}{mark}")
            for n in e["notes"]:
                con.print(f"       [bold]![/bold] {escape(n)}")
    f = d["findings"]
    if f["new"] or f["resolved"] or f["transitions"]:
        con.print("")
    for label, items in (("risk", f["transitions"]), ("new", f["new"]), ("resolved", f["resolved"])):
        for x in items:
            con.print(
                f"[bold]{label}[/bold] {x.get('severity')} {x.get('rule')} on {escape(_urn_name(x.get('resource', '')))}: {escape(str(x.get('message')))}"
            )
    if gate_failures is not None:
        con.print(
            "[bold red]gate failed:[/bold red] " + escape("; ".join(gate_failures))
            if gate_failures
            else "[green]gates passed[/green]"
        )


# ---- the command --------------------------------------------------------------------------------------------
def cli_diff(
    base_path: str, head_path: str, fmt: str = "text", fail_on: list[str] | tuple[str, ...] = ()
) -> int:
    """``mlinfra diff BASE.json HEAD.json [--format text|markdown|json] [--fail-on GATE,...]``.

    Prints the diff on stdout. Exit 0: fine; 1: a ``--fail-on`` gate tripped or the change brings new error
    findings; 2: a plan file is missing or invalid, or an unknown gate/format.
    """
    try:
        if fmt not in ("text", "markdown", "json"):
            raise DiffInputError(f"unknown format {fmt!r}; use text, markdown or json")
        gates = parse_gates(list(fail_on or []))
        base, head = load_plan(base_path), load_plan(head_path)
    except DiffInputError as e:
        print(f"mlinfra diff: {e}", file=sys.stderr)
        return 2
    d = diff_plans(base, head)
    d["_head_errors"] = sum(1 for f in head.get("findings") or [] if f.get("severity") == "error")
    failures = check_gates(d, gates)
    shown = failures if gates else (failures or None)
    if fmt == "markdown":
        sys.stdout.write(markdown(d, shown))
    elif fmt == "json":
        sys.stdout.write(to_json(d, shown))
    else:
        text(d, shown)
    for r in failures:
        print(f"mlinfra diff: {r}", file=sys.stderr)
    return 1 if failures else 0


__all__ = [
    "cli_diff",
    "diff_plans",
    "markdown",
    "mermaid",
    "text",
    "to_json",
    "load_plan",
    "parse_gates",
    "check_gates",
    "summary_line",
    "signed",
]
