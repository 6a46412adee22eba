"""The report graph's geometry (gate/report/graph_layout.py, igraph's Sugiyama layout): on any graph,
cycles and long edges included, in both directions, no two boxes overlap and no edge runs through a
box it does not end at; labels sort naturally."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gate.report.graph_layout import Box, Placement, box_width, layout, natural_key


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 22))
    names = [f"N{i}" for i in range(n)]
    labels = {name: draw(st.sampled_from(["F", "OrdersIngestFunction", "bucket B", "Shipments11StreamArchiver"]))
              + name for name in names}
    edges = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=3 * n))
    return labels, edges


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _check(placed: Placement, labels: dict[str, str], edges: list[tuple[str, str]]) -> None:
    boxes = placed.boxes
    assert set(boxes) == set(labels)
    items = list(boxes.items())
    for i, (n, a) in enumerate(items):
        assert a.w >= box_width([labels[n]]) - 0.01  # wide enough for the whole label
        assert a.x >= 0 and a.x + a.w <= placed.width and a.y >= 0 and a.y + a.h <= placed.height
        for m, b in items[i + 1:]:
            assert not _overlap(a, b), (n, m, a, b)
    for (a, b), route in placed.routes.items():
        assert len(route) >= 4 and len(route) % 2 == 0
        others = [box for n, box in boxes.items() if n not in (a, b)]
        # straight runs inside a layer: no point of one is inside a box
        for (x0, y0), (x1, y1) in zip(route[0::2], route[1::2], strict=True):
            for k in range(11):
                px, py = x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10
                assert not any(box.contains(px, py) for box in others), ((a, b), (px, py))
        # the curves between runs cross a gap between layers, where no box is
        for (x0, y0), (x1, y1) in zip(route[1:-1:2], route[2::2], strict=True):
            lo, hi = (min(y0, y1), max(y0, y1)) if placed.across else (min(x0, x1), max(x0, x1))
            for box in boxes.values():
                start, size = (box.y, box.h) if placed.across else (box.x, box.w)
                assert not (start < hi - 0.01 and lo + 0.01 < start + size), ((a, b), box)
    drawn = {e for e in edges if e[0] != e[1]}
    assert set(placed.routes) == drawn


@settings(max_examples=60, deadline=None)
@given(graphs(), st.booleans())
def test_no_overlap_and_no_edge_through_a_box(graph, across):
    labels, edges = graph
    _check(layout(labels, edges, across=across), labels, edges)


def test_long_edges_and_cycles_are_routed_around_boxes():
    labels = {"api": "HttpApi", "a": "OrdersIngestFunction", "b": "bucket Uploads", "c": "ThumbnailFunction",
              "d": "queue Jobs", "e": "WorkerFunction", "s": "subprocess.run"}
    edges = [("api", "a"), ("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "s"), ("a", "e"), ("e", "a")]
    for across in (False, True):
        placed = layout(labels, edges, across=across)
        _check(placed, labels, edges)
        assert len(placed.routes[("a", "e")]) > 4  # a long edge bends through the layers it spans


def test_labels_sort_naturally_and_siblings_follow_it():
    assert sorted(["F12", "F4", "F1", "f3"], key=natural_key) == ["F1", "f3", "F4", "F12"]
    labels = {"api": "HttpApi Api", **{f"f{i}": f"F{i}" for i in range(1, 13)}}
    placed = layout(labels, [("api", f"f{i}") for i in range(1, 13)])
    ys = [placed.boxes[f"f{i}"].y for i in range(1, 13)]
    assert ys == sorted(ys)  # F1, F2, ..., F12 top to bottom, not F1, F10, F11, F12, F2


def test_same_graph_same_picture_whatever_the_input_order():
    labels = {f"n{i}": f"Fn{i}" for i in range(12)}
    edges = [(f"n{i}", f"n{(i * 7 + 3) % 12}") for i in range(12)]
    one = layout(labels, edges)
    two = layout(dict(reversed(list(labels.items()))), list(reversed(edges)))
    assert one.boxes == two.boxes and one.routes == two.routes
