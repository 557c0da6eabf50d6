"""A NetworkPolicy evaluator for the tests: does the rendered set of policies let one endpoint
reach another on a port? It follows the API's rules (a pod selected by no policy of a type is
open for it; otherwise some rule of a selecting policy must allow; peers combine namespace and
pod selectors; a rule without `to`/`from` or `ports` matches all). Outside the cluster is an
endpoint with no namespace, matched only by ipBlock or by a rule without peers."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Endpoint:
    namespace: str | None  # None: outside the cluster
    labels: dict[str, str] = field(default_factory=dict)
    ip: str = "203.0.113.10"  # a public address (TEST-NET-3)


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def _peer_matches(peer: Obj, policy_ns: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        if other.namespace is not None:
            return False
        block = peer["ipBlock"]
        addr = ipaddress.ip_address(other.ip)
        excepted = any(addr in ipaddress.ip_network(c) for c in block.get("except", []))
        return addr in ipaddress.ip_network(block["cidr"]) and not excepted
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        ns_labels = {"kubernetes.io/metadata.name": other.namespace}
        if not selects(peer["namespaceSelector"], ns_labels):
            return False
    elif other.namespace != policy_ns:
        return False
    return selects(peer.get("podSelector", {}), other.labels)


def _port_matches(rule: Obj, port: int, protocol: str) -> bool:
    ports = rule.get("ports") or [{}]
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p or p["port"] == port or p.get("endPort", -1) >= port >= p["port"]:
            return True
    return False


def _allowed(
    policies: list[Obj], me: Endpoint, other: Endpoint, port: int, proto: str, kind: str
) -> bool:
    key, peers = ("egress", "to") if kind == "Egress" else ("ingress", "from")
    mine = [
        p
        for p in policies
        if p["metadata"].get("namespace") == me.namespace
        and kind in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], me.labels)
    ]
    if not mine:
        return True
    return any(
        _port_matches(rule, port, proto)
        and (
            not rule.get(peers)
            or any(_peer_matches(peer, p["metadata"]["namespace"], other) for peer in rule[peers])
        )
        for p in mine
        for rule in p["spec"].get(key, [])
    )


def reaches(objs: list[Obj], src: Endpoint, dst: Endpoint, port: int, proto: str = "TCP") -> bool:
    """Both ends' policies allow it (an end outside the namespaces rendered here has none)."""
    policies = [o for o in objs if o["kind"] == "NetworkPolicy"]
    return _allowed(policies, src, dst, port, proto, "Egress") and _allowed(
        policies, dst, src, port, proto, "Ingress"
    )
