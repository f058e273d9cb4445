#!/usr/bin/env python3
"""Generate src/check/kube-schemas.json: the Kubernetes API schemas that
pgrender validates rendered objects against, offline.

Source: the strict JSON schemas bundled in the PyPI package
`kubernetes-validate` (generated from the official Kubernetes OpenAPI
specs). They are pruned to the kinds listed in KINDS plus every definition
they reference, descriptions dropped, and rewritten into a compact type
language that src/check/kube_schema.rs reads:

  "string" "integer" "number" "boolean" "any"  scalars / anything
  "int-or-string" "quantity"                   Kubernetes special formats
  "#<definition>"                              a reference
  {"items": T}                                 a list
  {"values": T}                                a map with free keys
  {"props": {name: T}, "req": [names]}         a strict object
  {"enum": [..]}                               a string from a fixed set

Identical definitions are shared between versions. `builtin` lists every
built-in apiVersion/kind of a version, so a built-in kind outside KINDS is
reported as "not validated" rather than as unknown.

Usage:
  pip download --no-deps -d /tmp/kv kubernetes-validate==1.37.0
  (cd /tmp/kv && unzip -q -o kubernetes_validate-*.whl)
  python3 scripts/gen-kube-schemas.py /tmp/kv/kubernetes_validate > src/check/kube-schemas.json
"""
import hashlib
import json
import sys
from pathlib import Path

VERSIONS = ["1.29", "1.30", "1.31", "1.32", "1.33"]

# (apiVersion, kind) that charts for a PostgreSQL deployment render.
KINDS = [
    ("v1", "Namespace"), ("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Secret"),
    ("v1", "ServiceAccount"), ("v1", "PersistentVolumeClaim"), ("v1", "PersistentVolume"),
    ("v1", "Pod"), ("v1", "LimitRange"), ("v1", "ResourceQuota"), ("v1", "Endpoints"),
    ("apps/v1", "StatefulSet"), ("apps/v1", "Deployment"), ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"), ("batch/v1", "Job"), ("batch/v1", "CronJob"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("networking.k8s.io/v1", "NetworkPolicy"), ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "IngressClass"), ("policy/v1", "PodDisruptionBudget"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"), ("scheduling.k8s.io/v1", "PriorityClass"),
]

SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "int-or-string",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
}


def scalar_type(node):
    t = node.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"]
        t = t[0] if len(t) == 1 else None
    return t


def convert(node, refs):
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in SPECIAL:
            return SPECIAL[name]
        refs.add(name)
        return "#" + name
    if node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    t = scalar_type(node)
    if t == "array":
        return {"items": convert(node.get("items", {}), refs)}
    if t == "object" or "properties" in node:
        props = node.get("properties")
        if props:
            out = {"props": {k: convert(v, refs) for k, v in sorted(props.items())}}
            if node.get("required"):
                out["req"] = sorted(node["required"])
            return out
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return {"values": convert(extra, refs)}
        return "any"
    if t in ("string", "integer", "number", "boolean"):
        if t == "string" and node.get("enum") and len(node["enum"]) > 1:
            return {"enum": sorted(e for e in node["enum"] if e is not None)}
        return t
    return "any"


def main(root):
    root = Path(root) / "kubernetes-json-schema"
    shared = {}
    versions = {}
    for version in VERSIONS:
        defs = json.loads((root / f"v{version}.0-local-strict" / "_definitions.json").read_text())["$defs"]
        by_gvk = {}
        for name, node in defs.items():
            for gvk in node.get("x-kubernetes-group-version-kind", []):
                api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                by_gvk[(api, gvk["kind"])] = name
        kinds = {}
        todo = []
        for api, kind in KINDS:
            if (api, kind) in by_gvk:
                kinds[f"{api} {kind}"] = by_gvk[(api, kind)]
                todo.append(by_gvk[(api, kind)])
        table = {}
        while todo:
            name = todo.pop()
            if name in table:
                continue
            refs = set()
            node = convert(defs[name], refs)
            if isinstance(node, dict) and "props" in node and name in kinds.values():
                # apiVersion and kind are checked against the kind table; status is the server's.
                node["props"]["apiVersion"] = "string"
                node["props"]["kind"] = "string"
                node["props"].pop("status", None)
            text = json.dumps(node, sort_keys=True, separators=(",", ":"))
            key = hashlib.sha256(text.encode()).hexdigest()[:10]
            shared[key] = node
            table[name] = key
            todo.extend(sorted(refs))
        builtin = sorted(f"{api} {kind}" for api, kind in by_gvk)
        versions[version] = {
            "kinds": dict(sorted(kinds.items())),
            "builtin": builtin,
            "defs": dict(sorted(table.items())),
        }
    out = {
        "source": "kubernetes-validate 1.37.0, strict schemas",
        "versions": versions,
        "shapes": dict(sorted(shared.items())),
    }
    json.dump(out, sys.stdout, sort_keys=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
