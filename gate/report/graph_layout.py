"""Where each box and each edge of the report's event graph goes, left to right.

The layering is igraph's Sugiyama layout (``Graph.layout_sugiyama``, the igraph C core): cycles
broken by an Eades-Lin-Smyth feedback arc set, longest-path layers, barycentre crossing reduction,
and a dummy vertex wherever an edge spans more than one layer. The dummies are what keep edges out
of boxes: an edge only ever runs through the gap between two columns or along a slot of its own
inside a column, so it never crosses a box it does not end at. igraph is a maintained library with
wheels for every platform pyre-check has, and the layout runs in Python at report time, so the
HTML stays one offline file with no layout script in it.

Pure function of its input: the same nodes and edges give the same picture, whatever order they
arrived in (vertices are added in natural label order, ``F4`` before ``F12``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import igraph

NODE_H = 44  # two lines: what it is (small) and its name
ROW_H = 62  # a layer's neighbours are at least one row apart: 18 px between boxes
COL_GAP = 70  # room for the curves between two columns
ROW_GAP = 46  # the same between two rows, top to bottom
SLOT_GAP = 28  # between two boxes of one row
PAD = 20
_CHAR_W = 7.4  # a generous average advance of 12 px system-ui text: labels are never cut
_MIN_W = 110


def natural_key(text: str) -> list[tuple[int, int | str]]:
    """``F4`` before ``F12``: digit runs compare as numbers."""
    return [(0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", text) if part]


def box_width(lines: list[str]) -> float:
    return max(_MIN_W, round(max(map(len, lines), default=0) * _CHAR_W + 24))


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float = NODE_H

    def contains(self, px: float, py: float) -> bool:
        """Strictly inside: a point on the border (where an edge ends) is not."""
        return self.x < px < self.x + self.w and self.y < py < self.y + self.h


@dataclass(frozen=True)
class Placement:
    boxes: dict[str, Box]
    # Each edge as the polyline its curve follows: start, one pair of points per layer it crosses, end.
    routes: dict[tuple[str, str], list[tuple[float, float]]]
    width: float
    height: float
    across: bool = False  # layers top to bottom: the curves between layers leave and enter vertically


@dataclass(frozen=True)
class Arrangement:
    """Where each box goes in layer and slot units, whichever way the picture is drawn."""

    order: list[str]  # node ids, in natural label order
    edges: list[tuple[str, str]]  # the edges drawn (no self-loops, no duplicates)
    coords: list[list[float]]  # per node of ``order``: (slot, layer)
    bends: list[list[tuple[float, float]]]  # per edge: the (slot, layer) of each layer it crosses


def arrange(labels: dict[str, str], edges: list[tuple[str, str]]) -> Arrangement:
    """The layering and ordering of ``labels`` (node id -> label, the sort order) and ``edges``."""
    order = sorted(labels, key=lambda n: (natural_key(labels[n]), n))
    index = {n: i for i, n in enumerate(order)}
    kept = sorted({(a, b) for a, b in edges if a in index and b in index and a != b},
                  key=lambda e: (index[e[0]], index[e[1]]))
    coords, bends = _sugiyama(len(order), [(index[a], index[b]) for a, b in kept])
    return Arrangement(order, kept, coords, bends)


def layout(labels: dict[str, str], edges: list[tuple[str, str]], widths_of: dict[str, float] | None = None,
           across: bool = False) -> Placement:
    """Boxes for ``labels`` (node id -> label, the sort order) and routes for ``edges`` between them;
    a box is ``widths_of[node]`` wide, by default wide enough for its label on one line. Layers run
    left to right, or top to bottom when ``across`` (long chains of few branches fit a page that way)."""
    box_w = {n: (widths_of or {}).get(n) or box_width([labels[n]]) for n in labels}
    return place(arrange(labels, edges), box_w, across)


def place(arranged: Arrangement, box_w: dict[str, float], across: bool = False) -> Placement:
    """``arranged`` drawn with boxes ``box_w`` wide, layers left to right or (``across``) top to bottom."""
    order, kept, coords, bends = arranged.order, arranged.edges, arranged.coords, arranged.bends
    index = {n: i for i, n in enumerate(order)}
    layer_of = [round(c[1]) for c in coords]
    # u runs along the layers, v across them; a box's size along u and across v:
    size_u = {n: NODE_H if across else box_w[n] for n in order}
    size_v = {n: box_w[n] if across else NODE_H for n in order}
    band: dict[int, float] = {}  # how deep each layer is along u
    for i, n in enumerate(order):
        band[layer_of[i]] = max(band.get(layer_of[i], 0), size_u[n])
    for points in bends:  # a layer that only long edges cross still needs its band
        for _slot, layer in points:
            band.setdefault(round(layer), 0)
    start: dict[int, float] = {}
    u = float(PAD)
    for layer in sorted(band):
        start[layer] = u
        u += band[layer] + (ROW_GAP if across else COL_GAP)
    cross = max(size_v.values(), default=NODE_H)
    unit = cross + (SLOT_GAP if across else ROW_H - NODE_H)
    top = min([c[0] for c in coords] + [p[0] for points in bends for p in points], default=0)

    def centre(slot: float) -> float:
        return PAD + (slot - top) * unit + cross / 2

    def xy(pu: float, pv: float) -> tuple[float, float]:
        return (pv, pu) if across else (pu, pv)

    boxes: dict[str, Box] = {}
    for i, n in enumerate(order):
        bu = start[layer_of[i]] + (band[layer_of[i]] - size_u[n]) / 2
        bx, by = xy(bu, centre(coords[i][0]) - size_v[n] / 2)
        boxes[n] = Box(bx, by, box_w[n])
    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for (a, b), points in zip(kept, bends, strict=True):
        la, lb = layer_of[index[a]], layer_of[index[b]]
        forward = la < lb
        ua, ub = start[la] + band[la] / 2, start[lb] + band[lb] / 2  # box centres along u
        leave = (ua + size_u[a] / 2, ua + band[la] / 2) if forward else (ua - size_u[a] / 2, ua - band[la] / 2)
        runs = [(leave, centre(coords[index[a]][0]))]
        for slot, layer in points:
            lo, hi = start[round(layer)], start[round(layer)] + band[round(layer)]
            runs.append(((lo, hi) if forward else (hi, lo), centre(slot)))
        runs.append(((ub - band[lb] / 2, ub - size_u[b] / 2) if forward else (ub + band[lb] / 2, ub + size_u[b] / 2),
                     centre(coords[index[b]][0])))
        routes[(a, b)] = [xy(pu, pv) for (u0, u1), pv in runs for pu in (u0, u1)]
    extent_u = u - (ROW_GAP if across else COL_GAP) + PAD if band else 2 * PAD
    extent_v = max([centre(c[0]) + cross / 2 + PAD for c in coords]
                   + [centre(p[0]) + cross / 2 + PAD for points in bends for p in points], default=2 * PAD)
    width, height = xy(extent_u, extent_v)
    return Placement(boxes, routes, width, height, across)


def _sugiyama(n: int, edges: list[tuple[int, int]]) -> tuple[list[list[float]], list[list[tuple[float, float]]]]:
    """(slot, layer) per vertex, and per edge the (slot, layer) of each layer it crosses.

    The layers come first (``_layers``), then igraph lays out the graph with a dummy vertex of our own
    wherever an edge spans layers, under those layers. The dummies' places are then known by vertex
    id; igraph 1.0's own ``edge_routing`` does not list the bends in the order of the edges.
    """
    if n == 0:
        return [], []
    layers = _layers(n, edges)
    ext_layers, ext_edges, chains = list(layers), [], []
    for a, b in edges:
        step = 1 if layers[b] > layers[a] else -1
        chain = [a]
        for layer in range(layers[a] + step, layers[b], step):
            ext_layers.append(layer)
            chain.append(len(ext_layers) - 1)
        chain.append(b)
        chains.append(chain)
        ext_edges += [(u, v) if ext_layers[u] < ext_layers[v] else (v, u)
                      for u, v in zip(chain, chain[1:], strict=False)]
    ext = igraph.Graph(n=len(ext_layers), edges=ext_edges, directed=True)
    coords = _siblings_in_order([list(c) for c in ext.layout_sugiyama(layers=ext_layers, hgap=1, vgap=1,
                                                                      maxiter=200)], ext_edges, n)
    bends = [[(coords[d][0], coords[d][1]) for d in chain[1:-1]] for chain in chains]
    return coords[:n], bends


def _layers(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Longest-path layers of the graph with igraph's Eades-Lin-Smyth feedback arc set reversed (what
    ``layout_sugiyama`` does when it is given no layers). Done here because igraph 1.0.0's own
    layering crashes the process now and then (a segmentation fault, about once in a few thousand
    random graphs here); given the layers, its layout ran 40,000 random graphs without one."""
    graph = igraph.Graph(n=n, edges=edges, directed=True)
    backwards = set(graph.feedback_arc_set(method="eades"))
    dag = igraph.Graph(n=n, edges=[(b, a) if i in backwards else (a, b) for i, (a, b) in enumerate(edges)],
                       directed=True)
    layers = [0] * n
    for v in dag.topological_sorting():
        for w in dag.successors(v):
            layers[w] = max(layers[w], layers[v] + 1)
    return layers


def _siblings_in_order(coords: list[list[float]], edges: list[tuple[int, int]], n: int) -> list[list[float]]:
    """Boxes of one layer with the same neighbours can swap places without adding a crossing; the
    barycentre step leaves them in any order, so put them in natural label order (vertex order; only
    the first ``n`` vertices are boxes, the rest are dummies)."""
    preds: dict[int, set[int]] = {}
    succs: dict[int, set[int]] = {}
    for a, b in edges:
        succs.setdefault(a, set()).add(b)
        preds.setdefault(b, set()).add(a)
    groups: dict[tuple[float, frozenset[int], frozenset[int]], list[int]] = {}
    for i in range(n):
        groups.setdefault((coords[i][1], frozenset(preds.get(i, ())), frozenset(succs.get(i, ()))), []).append(i)
    for members in groups.values():
        slots = sorted(coords[i][0] for i in members)
        for i, slot in zip(sorted(members), slots, strict=True):
            coords[i][0] = slot
    return coords
