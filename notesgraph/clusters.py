"""Collapse a crowd of one kind (inquiries) in a neighbourhood ring into one cluster node.

A note is the source of dozens of inquiry lines; drawn one by one they become a fan that
hides everything else. Per ring, the strongest few stay and the rest become one node, "27
inquiries", which the user can expand. Pure data over `graph_queries.Hit`s: O(hits).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: graph_queries loads networkx, which the app loads with the graph
    from notesgraph.graph_queries import Hit

CLUSTER_PREFIX = "cluster:"
SHOWN = 3
"""How many of a ring's inquiries stay visible beside the cluster (the strongest)."""
COLLAPSE_FROM = 6
"""A ring with at least this many inquiries collapses (so a cluster holds 3 or more)."""


@dataclass(frozen=True)
class Cluster:
    """Hidden `members` of `kind` in ring `depth`; `parents` are the shown nodes they hang from."""

    id: str
    kind: str
    depth: int
    parent: str
    members: tuple[str, ...]
    parents: tuple[str, ...]


def cluster_id(kind: str, depth: int) -> str:
    """The item id of ring `depth`'s cluster of `kind`, e.g. "cluster:inquiry:1"."""
    return f"{CLUSTER_PREFIX}{kind}:{depth}"


def is_cluster(item: str) -> bool:
    return item.startswith(CLUSTER_PREFIX)


@dataclass(frozen=True)
class Collapsed:
    """What to draw: the hits kept (parents remapped to clusters) and the clusters, in one
    best-first order (`order`: item ids, each cluster where its first member was)."""

    hits: tuple[Hit, ...]
    clusters: tuple[Cluster, ...]
    order: tuple[str, ...]

    def truncated(self, cap: int) -> tuple[Collapsed, int]:
        """The first `cap` entries of `order` and how many nodes that left out (a cluster
        counts as its members). A parent always comes before its children, so a prefix
        keeps every kept node's parent."""
        if len(self.order) <= cap:
            return self, 0
        keep = set(self.order[:cap])
        hits = tuple(h for h in self.hits if h.node in keep)
        clusters = tuple(c for c in self.clusters if c.id in keep)
        dropped = sum(1 for h in self.hits if h.node not in keep)
        dropped += sum(len(c.members) for c in self.clusters if c.id not in keep)
        return Collapsed(hits, clusters, self.order[:cap]), dropped


def collapse(hits: Sequence[Hit], kind_of: Callable[[str], str], expanded: Collection[str] = (),
             kind: str = "inquiry", shown: int = SHOWN, collapse_from: int = COLLAPSE_FROM) -> Collapsed:
    """Collapse each ring's `kind` nodes beyond the first `shown` (hits are best first) into
    one cluster when the ring has `collapse_from` or more of them and its cluster id is not in
    `expanded`. The centre never collapses. A kept hit whose parent was collapsed hangs from
    the cluster instead."""
    by_ring: dict[int, list[Hit]] = {}
    for hit in hits:
        if hit.depth > 0 and kind_of(hit.node) == kind:
            by_ring.setdefault(hit.depth, []).append(hit)
    owner: dict[str, str] = {}
    clusters: dict[str, Cluster] = {}
    for depth, ring in sorted(by_ring.items()):
        ident = cluster_id(kind, depth)
        if len(ring) < collapse_from or ident in expanded:
            continue
        members = ring[shown:]
        parents = tuple(dict.fromkeys(owner.get(h.parent, h.parent) for h in members if h.parent))
        common = Counter(owner.get(h.parent, h.parent) for h in members if h.parent).most_common(1)
        for hit in members:
            owner[hit.node] = ident
        clusters[ident] = Cluster(ident, kind, depth, common[0][0] if common else "",
                                  tuple(h.node for h in members), parents)
    kept: list[Hit] = []
    order: list[str] = []
    for hit in hits:
        if hit.node in owner:
            if owner[hit.node] not in order:
                order.append(owner[hit.node])
            continue
        if hit.parent in owner:
            hit = replace(hit, parent=owner[hit.parent])
        kept.append(hit)
        order.append(hit.node)
    return Collapsed(tuple(kept), tuple(clusters.values()), tuple(order))
