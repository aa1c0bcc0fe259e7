"""Where node labels go so that none overlaps another, or a node, or a fixed overlay.

Greedy by priority, in view pixels: each label tries a few spots around its node (outward
side first, then the other side, below, above, shifted), first at its full width and then
elided shorter; the first spot that is free wins, and a label with no free spot is hidden.
Labels marked `must` (the centre, the hovered and the selected node) are placed first and
always shown. Zooming in spreads the nodes, so more labels find room.

Pure arithmetic on floats (no Qt); a uniform grid keeps each test local, so n labels cost
O(n x spots) rectangle checks. Deterministic: the same requests give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Rect = tuple[float, float, float, float]
"""left, top, width, height"""

GAP = 3.0
"""Pixels between a node's edge and its label."""
_CELL = 96.0


@dataclass(frozen=True)
class LabelRequest:
    """A label to place next to the node at (x, y) (view pixels) of `radius` pixels. `widths`
    are the label's candidate widths, longest (least elided) first; `side` is +1 when the
    label would rather sit right of the node, -1 left."""

    key: str
    x: float
    y: float
    radius: float
    widths: tuple[float, ...]
    height: float
    side: int = 1
    must: bool = False


@dataclass(frozen=True)
class Placement:
    key: str
    rect: Rect
    width_index: int
    """Which of the request's widths was used."""


def intersects(a: Rect, b: Rect) -> bool:
    """True when the rectangles share interior (touching edges do not count)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class _Grid:
    """Rectangles bucketed by the grid cells they cover."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[str, Rect]]] = {}

    def _keys(self, rect: Rect) -> Iterable[tuple[int, int]]:
        x0, y0 = int(rect[0] // _CELL), int(rect[1] // _CELL)
        x1, y1 = int((rect[0] + rect[2]) // _CELL), int((rect[1] + rect[3]) // _CELL)
        return ((i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1))

    def add(self, owner: str, rect: Rect) -> None:
        for key in self._keys(rect):
            self.cells.setdefault(key, []).append((owner, rect))

    def hits(self, rect: Rect, ignore: str) -> bool:
        for key in self._keys(rect):
            for owner, other in self.cells.get(key, ()):
                if owner != ignore and intersects(rect, other):
                    return True
        return False


def spots(request: LabelRequest, width: float) -> list[Rect]:
    """Candidate rectangles for one width, best first: beside the node on its outward side
    (level, then a line lower or higher), below, above, and (only for short labels, which
    stay near) the inward side. `side` 0 (the centre): below first."""
    x, y, r, h = request.x, request.y, request.radius + GAP, request.height
    right = (x + r, y - h / 2, width, h)
    left = (x - r - width, y - h / 2, width, h)
    below = (x - width / 2, y + r, width, h)
    above = (x - width / 2, y - r - h, width, h)
    if request.side == 0:
        return [below, above, right, left]
    near, far = (right, left) if request.side > 0 else (left, right)
    shifted = [(near[0], near[1] + dy, width, h) for dy in (h * 0.9, -h * 0.9)]
    return [near, *shifted, below, above] + ([far] if width <= request.widths[-1] else [])


def place_labels(requests: Sequence[LabelRequest], obstacles: Iterable[tuple[str, Rect]] = (),
                 bounds: Rect | None = None) -> list[Placement]:
    """Places `requests` in priority order (`must` ones first); `obstacles` are (owner, rect)
    pairs that no label may cover except its owner's (nodes, overlays: owner ""). With
    `bounds` (the visible area), only `must` labels may reach outside it."""
    grid = _Grid()
    for owner, rect in obstacles:
        grid.add(owner, rect)
    labels = _Grid()
    placed: list[Placement] = []
    ordered = [r for r in requests if r.must] + [r for r in requests if not r.must]
    for request in ordered:
        choice = _first_free(request, grid, labels, None if request.must else bounds)
        if choice is None and request.must:
            choice = Placement(request.key, spots(request, request.widths[0])[0], 0)
        if choice is not None:
            labels.add(request.key, choice.rect)
            placed.append(choice)
    return placed


def _inside(rect: Rect, bounds: Rect | None) -> bool:
    return bounds is None or (rect[0] >= bounds[0] and rect[1] >= bounds[1]
                              and rect[0] + rect[2] <= bounds[0] + bounds[2]
                              and rect[1] + rect[3] <= bounds[1] + bounds[3])


def _first_free(request: LabelRequest, obstacles: _Grid, labels: _Grid, bounds: Rect | None) -> Placement | None:
    for index, width in enumerate(request.widths):
        for rect in spots(request, width):
            if _inside(rect, bounds) and not labels.hits(rect, "") and not obstacles.hits(rect, request.key):
                return Placement(request.key, rect, index)
    return None
