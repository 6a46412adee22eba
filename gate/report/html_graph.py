"""The HTML report's pictures: the flows' own graph (every flow from its entry to a drawn sink,
blocking ones highlighted without any hover) and the app's full event graph, both as inline SVG.

The flows' graph is what a reviewer needs first and stays small however large the app is; the
full graph is there to explore and is folded by the report once the app is big. Every box on a
flow is a link to that flow's section, so a keyboard (Tab, Enter) or a tap reaches it; nothing
depends on a pointer hovering.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from gate.findings.types import Finding
from gate.model.types import AppModel
from gate.report.graph_layout import NODE_H, arrange, box_width, natural_key, place
from gate.report.types import ScanResult
from gate.services.registry import resource_label

_PAGE_W = 1240  # the report's content width on a laptop screen


@dataclass(frozen=True)
class Node:
    kind: str  # entry | function | skipped | resource | sink
    label: str  # one line: the box's tooltip and accessible name
    lines: tuple[str, ...]  # as drawn: a small line saying what it is, then its name


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)  # (from, to) -> edge kind

    def node(self, node: str, kind: str, label: str, lines: tuple[str, ...] = ()) -> str:
        self.nodes.setdefault(node, Node(kind, label, lines or (label,)))
        return node

    def edge(self, a: str, b: str, kind: str) -> None:
        self.edges.setdefault((a, b), kind)


def _resource(g: Graph, model: AppModel, key: str, fallback: str = "") -> str:
    if key in model.resources:
        what, name = resource_label(model.resources[key].type), model.display_name(key)
        return g.node(f"res:{key}", "resource", f"{what} {name}", (what, name))
    return g.node(f"res:{key}", "resource", fallback or model.display_name(key))


def _function(g: Graph, model: AppModel, key: str) -> str:
    fn = model.functions.get(key)
    kind = "function" if fn is None or fn.analysable else "skipped"
    return g.node(f"fn:{key}", kind, model.display_name(key))


def _sink(g: Graph, f: Finding) -> str:
    name = f.sink_callable.removeprefix("builtins.")
    where = f"{f.sink.file.name}:{f.sink.line}" if f.sink.file else ""
    return g.node(f"sink:{f.sink_function}:{f.sink_callable}:{f.sink.file}:{f.sink.line}", "sink",
                  f"{name} ({where})" if where else name, ("sink " + where, name))


def _entry(g: Graph, kind: str, via: str) -> str:
    return g.node(f"entry:{kind}:{via}", "entry", f"{kind} {via}", (kind, via))


Paths = dict[int, list[tuple[str, str, str]]]  # finding index -> its edges (from, to, kind), in order


def full_graph(result: ScanResult) -> tuple[Graph, Paths]:
    """Every function, entry, trigger, SDK write, stored content, and each flow's sink; and each
    finding's path in it."""
    model = result.model
    g = Graph()
    for fn in model.functions.values():
        _function(g, model, fn.key)
    for e in model.entry_points:
        g.edge(_entry(g, e.kind, e.via), f"fn:{e.function}", "entry")
    for t in model.triggers:
        if t.details.get("implicit"):
            continue  # direct invocations are drawn as function-to-function write edges
        g.edge(_resource(g, model, t.source), f"fn:{t.function}", "trigger")
    for site in result.plan.writes:
        for edge in site.edges:
            # Functions that both resolve the target and reach the call; all resolvers if none reaches.
            writers = [w for w in edge.writers if w in site.reached_by] or list(edge.writers)
            for writer in writers:
                if edge.trigger.details.get("implicit"):
                    g.edge(f"fn:{writer}", f"fn:{edge.trigger.function}", "write")
                else:
                    g.edge(f"fn:{writer}", _resource(g, model, edge.trigger.source), "write")
    for content in result.plan.content.sites:  # S3 object content: stored by writers, read by readers
        for bucket, runs in content.buckets.items():
            node = _resource(g, model, bucket, f"resource {model.display_name(bucket)}")
            for fn, _confidence, _how in runs:
                if content.role == "store":
                    g.edge(f"fn:{fn}", node, "write")
                else:
                    g.edge(node, f"fn:{fn}", "read")
    for key in {**model.external, **result.plan.content.outside}:  # outsiders write there: untrusted
        if f"res:{key}" in g.nodes:
            g.edge(g.node(f"entry:outside:{key}", "entry", "outside writers", ("entry", "outside writers")),
                   f"res:{key}", "write")
    return g, _with_flows(g, result)


def flow_path(g: Graph, f: Finding, model: AppModel) -> list[tuple[str, str, str]]:
    """The edges of one flow, from its origin to its sink, adding their nodes to ``g``."""
    edges: list[tuple[str, str, str]] = []
    fn = f.source_function
    if fn is not None:
        start = _function(g, model, fn)
        entries = [e for e in model.entry_points if e.function == fn]
        for e in entries:
            edges.append((_entry(g, e.kind, e.via), start, "entry"))
        if not entries and f.origin != "event":
            label = "s3 listing" if f.origin == "s3-listing" else "outside writers"
            edges.append((g.node(f"origin:{f.origin}", "entry", label, ("source", label)), start, "entry"))
    for hop in f.hops:
        store = _resource(g, model, hop.resource, hop.label(model))
        edges.append((_function(g, model, hop.from_function or fn or hop.to_function), store, "write"))
        edges.append((store, _function(g, model, hop.to_function), "trigger"))
        fn = hop.to_function
    last = f.sink_function or fn
    sink = _sink(g, f)
    if last is not None:
        edges.append((_function(g, model, last), sink, "sink"))
    return edges


def flows_graph(result: ScanResult) -> tuple[Graph, Paths]:
    """Only what the findings pass through, and each finding's path in it."""
    g = Graph()
    return g, _with_flows(g, result)


def _with_flows(g: Graph, result: ScanResult) -> Paths:
    """Each finding's path, drawn into ``g`` (an edge already there keeps its kind)."""
    paths = {i: flow_path(g, f, result.model) for i, f in enumerate(result.findings)}
    for path in paths.values():
        for a, b, kind in path:
            g.edge(a, b, kind)
    return paths


def render_svg(g: Graph, paths: Paths, findings: list[Finding],
               numbers: dict[int, int], svg_id: str, fit: bool) -> str:
    """One graph as SVG. ``numbers`` are the flows' numbers in the report (1 = first listed);
    ``fit`` shrinks a wide picture to the page instead of scrolling it."""
    on_edge: dict[tuple[str, str], list[int]] = {}
    on_node: dict[str, list[int]] = {}
    for i, path in paths.items():
        for a, b, _kind in path:
            on_edge.setdefault((a, b), []).append(i)
            for n in (a, b):
                if i not in on_node.setdefault(n, []):
                    on_node[n].append(i)

    lines = {n: list(node.lines) for n, node in g.nodes.items()}
    for n, flows in on_node.items():
        if g.nodes[n].kind == "sink":  # the flows' numbers in the report, on the box itself
            lines[n][0] += " · " + " ".join(f"#{numbers[i]}" for i in sorted(flows, key=numbers.get))
    arranged = arrange({n: node.label for n, node in g.nodes.items()}, list(g.edges))
    widths = {n: box_width(ls) for n, ls in lines.items()}
    placed = place(arranged, widths)
    if fit:  # long chains of few branches: top to bottom when that needs less shrinking to fit a page
        down = place(arranged, widths, across=True)
        if max(1.0, down.width / _PAGE_W) < max(1.0, placed.width / _PAGE_W):
            placed = down
    rank = {"": 0, " flowing": 1, " blocking": 2}

    def state(flows: list[int]) -> str:
        if any(findings[i].blocking for i in flows):
            return " blocking"
        return " flowing" if any(not (findings[i].suppressed_by or findings[i].baselined) for i in flows) else ""

    size = (f'width="{placed.width:.0f}" height="{placed.height:.0f}"'
            # shrink to the page, but never below 80 %: past that the box scrolls, the text stays readable
            + (f' style="max-width:100%;min-width:{placed.width * 0.8:.0f}px;height:auto"' if fit else ""))
    parts = [f'<svg id="{svg_id}" class="graph" xmlns="http://www.w3.org/2000/svg" {size} '
             f'viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" role="group" aria-label="{svg_id}">',
             f'<defs><marker id="{svg_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker>'
             f'<marker id="{svg_id}-hot" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d0342c"/></marker></defs>']
    for (a, b), kind in sorted(g.edges.items(), key=lambda e: rank[state(on_edge.get(e[0], []))]):
        if (a, b) not in placed.routes:
            continue
        flows = on_edge.get((a, b), [])
        hot = state(flows)
        marker = f"{svg_id}-hot" if hot == " blocking" else f"{svg_id}-arrow"
        cls = f"edge {kind}{hot} " + " ".join(f"flow-{i}" for i in flows)
        parts.append(f'<path class="{cls.strip()}" d="{_path_d(placed.routes[(a, b)], placed.across)}" '
                     f'marker-end="url(#{marker})"><title>{html.escape(kind)}</title></path>')
    # Document order is Tab order: flow #1 from its entry to its sink, then #2, ..., then the rest.
    along: dict[str, tuple[float, int]] = {}
    for i, path in paths.items():
        for step, n in enumerate([path[0][0]] + [b for _a, b, _k in path] if path else []):
            along[n] = min(along.get(n, (float("inf"), 0)), (numbers[i], step))
    drawn_order = sorted(placed.boxes, key=lambda n: (along.get(n, (float("inf"), 0)), natural_key(g.nodes[n].label)))
    for node in drawn_order:
        box = placed.boxes[node]
        kind, label = g.nodes[node].kind, g.nodes[node].label
        flows = on_node.get(node, [])
        cls = f"node {kind}{state(flows)} " + " ".join(f"flow-{i}" for i in flows)
        in_flows = ", ".join(str(numbers[i]) for i in sorted(flows, key=numbers.get))
        inner = f'<title>{html.escape(label)}</title><rect width="{box.w:.0f}" height="{NODE_H}" rx="8"/>'
        drawn = lines[node]
        if len(drawn) > 1:
            inner += (f'<text class="what" x="{box.w / 2:.1f}" y="16" text-anchor="middle">{html.escape(drawn[0])}'
                      f'</text><text x="{box.w / 2:.1f}" y="34" text-anchor="middle">{html.escape(drawn[1])}</text>')
        else:
            inner += (f'<text x="{box.w / 2:.1f}" y="{NODE_H / 2 + 4}" text-anchor="middle">{html.escape(drawn[0])}'
                      '</text>')
        group = (f'<g class="{cls.strip()}" data-node="{html.escape(node)}" '
                 f'transform="translate({box.x:.0f},{box.y:.0f})">')
        if flows:
            first = min(flows, key=numbers.get)
            aria = html.escape(f"{label}: flow {in_flows}", quote=True)
            parts.append(f'<a href="#flow-{first}" class="node-link" aria-label="{aria}">{group}{inner}</g></a>')
        else:
            parts.append(f"{group}{inner}</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def _path_d(points: list[tuple[float, float]], across: bool) -> str:
    """Straight runs inside a layer (even pairs), curves across the gaps leaving and entering along the
    layer direction."""
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{x0:.0f},{y0:.0f}"]
    prev = points[0]
    for k, (x, y) in enumerate(rest, start=1):
        if k % 2 == 1:
            d.append(f"L{x:.0f},{y:.0f}")
        else:
            if across:
                mid = (prev[1] + y) / 2
                d.append(f"C{prev[0]:.0f},{mid:.0f} {x:.0f},{mid:.0f} {x:.0f},{y:.0f}")
            else:
                mid = (prev[0] + x) / 2
                d.append(f"C{mid:.0f},{prev[1]:.0f} {mid:.0f},{y:.0f} {x:.0f},{y:.0f}")
        prev = (x, y)
    return " ".join(d)
