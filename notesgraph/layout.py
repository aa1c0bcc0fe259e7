"""A deterministic radial layout: the centre in the middle, rings by distance, kinds in sectors.

The same nodes always get the same positions (no randomness, no physics); each ring is cut
into one sector per kind, in a fixed clockwise order starting on the right (notes to the right,
then concept stubs, papers below, inquiries to the left), so a reader learns where to look;
notes sit on a side of the circle because their long labels stack there without overlapping. Within a sector
nodes sit next to their parent, then alphabetically. Adding one node shifts its neighbours in
the sector by at most a slot and resizes sectors by its share of the ring, so the picture
stays recognisable. Coordinates are screen pixels (y grows downwards), for vis-network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KIND_ORDER: tuple[str, ...] = ("note", "concept", "paper", "inquiry", "claim", "run")
"""Sectors clockwise, the first centred on the right."""

RING_GAP = 240.0
"""Least distance in pixels between successive rings."""
SPACING = 64.0
"""Least distance along a band between neighbours; a ring grows to keep it."""
BAND_GAP = 40.0
"""Distance between the bands of a ring with more than BAND_FROM nodes: neighbours alternate
between bands so their labels do not sit side by side."""
BAND_FROM = 12
SECTOR_GAP = 0.06
"""Radians left empty between two kinds' sectors."""


@dataclass(frozen=True)
class Placed:
    """A node to place: its distance from the centre and the node it hangs from."""

    node: str
    kind: str
    depth: int
    label: str = ""
    parent: str | None = None


def radial_layout(items: Iterable[Placed]) -> dict[str, tuple[float, float]]:
    """Positions for `items`: depth 0 at (0, 0) (several centres share a small circle), ring d
    at radius ~d * RING_GAP, one sector per kind. Deterministic; O(n log n).

    >>> radial_layout([Placed("note:1", "note", 0), Placed("paper:2", "paper", 1)])["note:1"]
    (0.0, 0.0)
    """
    by_depth: dict[int, list[Placed]] = {}
    for item in items:
        by_depth.setdefault(item.depth, []).append(item)
    positions: dict[str, tuple[float, float]] = {}
    angles: dict[str, float] = {}
    radius = 0.0
    for depth in sorted(by_depth):
        ring = by_depth[depth]
        if depth == 0:
            _place_centres(ring, positions, angles)
            continue
        bands = _bands(len(ring))
        radius = max(radius + RING_GAP, depth * RING_GAP, len(ring) * SPACING / (2 * math.pi * bands))
        radius = _place_ring(ring, radius, bands, positions, angles)
    return positions


def _place_centres(ring: list[Placed], positions: dict[str, tuple[float, float]],
                   angles: dict[str, float]) -> None:
    ring = sorted(ring, key=_sort_key)
    if len(ring) == 1:
        positions[ring[0].node] = (0.0, 0.0)
        angles[ring[0].node] = -math.pi / 2
        return
    small = max(SPACING * len(ring) / (2 * math.pi), SPACING)
    for i, item in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / len(ring)
        positions[item.node] = _polar(small, angle)
        angles[item.node] = angle


def _sort_key(item: Placed) -> tuple[str, str]:
    return (item.label.casefold(), item.node)


def _bands(count: int) -> int:
    """1 band up to BAND_FROM nodes, then 2, growing with the square root for huge rings (a
    10,000-node ring gets 14 bands and a radius of ~7,000 px instead of ~100,000)."""
    return 1 if count <= BAND_FROM else max(2, math.ceil(math.sqrt(count / 50)))


def _place_ring(ring: list[Placed], radius: float, bands: int,
                positions: dict[str, tuple[float, float]], angles: dict[str, float]) -> float:
    """Place one ring; returns the radius of its outermost band."""
    sectors: dict[str, list[Placed]] = {}
    for item in ring:
        sectors.setdefault(item.kind, []).append(item)
    kinds = sorted(sectors, key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k))
    free = 2 * math.pi - SECTOR_GAP * (len(kinds) if len(kinds) > 1 else 0)
    # The first sector is centred on the right; the others follow clockwise.
    start = -free * len(sectors[kinds[0]]) / len(ring) / 2
    for kind in kinds:
        members = sorted(sectors[kind], key=lambda item: (_parent_angle(item, angles, start),
                                                          *_sort_key(item)))
        width = free * len(members) / len(ring)
        for i, item in enumerate(members):
            angle = start + width * (i + 0.5) / len(members)
            band = i % bands
            positions[item.node] = _polar(radius + band * BAND_GAP, angle)
            angles[item.node] = angle
        start += width + (SECTOR_GAP if len(kinds) > 1 else 0)
    return radius + (bands - 1) * BAND_GAP


def _parent_angle(item: Placed, angles: Mapping[str, float], start: float) -> float:
    """The parent's angle, measured clockwise from the sector start (0 for no parent)."""
    if item.parent is None or item.parent not in angles:
        return 0.0
    return (angles[item.parent] - start) % (2 * math.pi)


def _polar(radius: float, angle: float) -> tuple[float, float]:
    return (round(radius * math.cos(angle), 1), round(radius * math.sin(angle), 1))
