"""A single self-contained HTML report: the app's event graph as a picture, every flow on it, and
the annotated source of each step. No external fetch: CSS, SVG and script are inline, so the file
can be attached to a CI run and opened offline."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from gate import __version__
from gate.findings.types import Finding
from gate.model.types import AppModel
from gate.policy.rules import SEVERITIES
from gate.report.paths import rel
from gate.report.snippets import source_lines
from gate.report.text import chain
from gate.report.types import ScanResult
from gate.services.registry import resource_label

_COL_W, _ROW_H, _NODE_W, _NODE_H, _PAD = 230, 64, 180, 40, 20


@dataclass
class _Graph:
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (kind, label)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)  # (from, to) -> edge kind

    def add_edge(self, a: str, b: str, kind: str) -> None:
        self.edges.setdefault((a, b), kind)


def _graph(result: ScanResult) -> _Graph:
    model = result.model
    g = _Graph()
    for fn in model.functions.values():
        kind = "function" if fn.analysable else "skipped"
        g.nodes[f"fn:{fn.key}"] = (kind, model.display_name(fn.key))
    for e in model.entry_points:
        node = f"entry:{e.kind}:{e.via}"
        g.nodes[node] = ("entry", f"{e.kind} {e.via}")
        g.add_edge(node, f"fn:{e.function}", "entry")
    for t in model.triggers:
        if t.details.get("implicit"):
            continue  # direct invocations are drawn as function-to-function write edges
        res = model.resources[t.source]
        g.nodes[f"res:{t.source}"] = ("resource", f"{resource_label(res.type)} "
                                                  f"{model.display_name(t.source)}")
        g.add_edge(f"res:{t.source}", f"fn:{t.function}", "trigger")
    for site in result.plan.writes:
        for edge in site.edges:
            # Functions that both resolve the target and reach the call; all resolvers if none reaches.
            writers = [w for w in edge.writers if w in site.reached_by] or list(edge.writers)
            for writer in writers:
                if edge.trigger.details.get("implicit"):
                    g.add_edge(f"fn:{writer}", f"fn:{edge.trigger.function}", "write")
                else:
                    g.add_edge(f"fn:{writer}", f"res:{edge.trigger.source}", "write")
    for content in result.plan.content.sites:  # S3 object content: stored by writers, read by readers
        for bucket, runs in content.buckets.items():
            label = resource_label(model.resources[bucket].type) if bucket in model.resources else "resource"
            g.nodes[f"res:{bucket}"] = ("resource", f"{label} {model.display_name(bucket)}")
            for fn, _confidence, _how in runs:
                if content.role == "store":
                    g.add_edge(f"fn:{fn}", f"res:{bucket}", "write")
                else:
                    g.add_edge(f"res:{bucket}", f"fn:{fn}", "read")
    for key in {**model.external, **result.plan.content.outside}:  # outsiders write there: untrusted
        if f"res:{key}" in g.nodes:
            g.nodes[f"entry:outside:{key}"] = ("entry", "outside writers")
            g.add_edge(f"entry:outside:{key}", f"res:{key}", "write")
    return g


def _layout(g: _Graph) -> dict[str, tuple[int, int]]:
    """Layered left-to-right: a node's column is its longest distance from an entry point."""
    rank = {n: {"entry": 0, "function": 1, "skipped": 1, "resource": 2}[kind] for n, (kind, _l) in g.nodes.items()}
    for _ in range(len(g.nodes) + 1):  # longest-path relaxation, bounded (cycles stop growing here)
        changed = False
        for (a, b) in g.edges:
            if rank[b] < rank[a] + 1 <= len(g.nodes):
                rank[b] = rank[a] + 1
                changed = True
        if not changed:
            break
    columns: dict[int, list[str]] = {}
    for n in sorted(g.nodes, key=lambda n: (rank[n], g.nodes[n][1])):
        columns.setdefault(rank[n], []).append(n)
    # Barycentre ordering: place each node near the nodes that point at it, to avoid crossings.
    index: dict[str, int] = {}
    for col in sorted(columns):
        ns = columns[col]
        def weight(n: str) -> float:
            preds = [index[a] for (a, b) in g.edges if b == n and a in index]
            return sum(preds) / len(preds) if preds else float(len(index))
        ns.sort(key=lambda n: (weight(n), g.nodes[n][1]))
        index.update({n: i for i, n in enumerate(ns)})
    return {n: (_PAD + col * _COL_W, _PAD + i * _ROW_H) for col, ns in columns.items() for i, n in enumerate(ns)}


def _flow_edges(f: Finding, model: AppModel) -> list[tuple[str, str]]:
    edges = [(f"entry:{e.kind}:{e.via}", f"fn:{f.source_function}") for e in model.entry_points
             if e.function == f.source_function]
    fn = f.source_function
    for hop in f.hops:
        edges.append((f"fn:{hop.from_function or fn}", f"res:{hop.resource}"))
        edges.append((f"res:{hop.resource}", f"fn:{hop.to_function}"))
        fn = hop.to_function
    return edges


def _svg(result: ScanResult) -> str:
    g = _graph(result)
    pos = _layout(g)
    width = max((x for x, _y in pos.values()), default=0) + _NODE_W + 2 * _PAD
    height = max((y for _x, y in pos.values()), default=0) + _NODE_H + 2 * _PAD
    hot: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(result.findings):
        for e in _flow_edges(f, result.model):
            hot.setdefault(e, []).append(i)
    parts = [f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="event graph">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>']
    blocking_edges = {e for i, f in enumerate(result.findings) if f.blocking for e in _flow_edges(f, result.model)}
    for (a, b), kind in g.edges.items():
        if a not in pos or b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        sx, sy, ex, ey = x1 + _NODE_W, y1 + _NODE_H / 2, x2, y2 + _NODE_H / 2
        if ex <= sx:  # backwards edge: route around
            ex, sx = x2 + _NODE_W / 2, x1 + _NODE_W / 2
            sy, ey = y1 + _NODE_H, y2 + _NODE_H
        mid = (sx + ex) / 2
        flows = " ".join(f"flow-{i}" for i in hot.get((a, b), []))
        cls = f"edge {kind} {flows}" + (" blocking" if (a, b) in blocking_edges else "")
        parts.append(f'<path class="{cls}" d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" '
                     f'marker-end="url(#arrow)"><title>{html.escape(kind)}</title></path>')
    flow_nodes: dict[str, list[int]] = {}
    for i, f in enumerate(result.findings):
        for a, b in _flow_edges(f, result.model) or [(f"fn:{f.source_function}", f"fn:{f.source_function}")]:
            flow_nodes.setdefault(a, []).append(i)
            flow_nodes.setdefault(b, []).append(i)
    for node, (x, y) in pos.items():
        kind, label = g.nodes[node]
        flows = " ".join(f"flow-{i}" for i in sorted(set(flow_nodes.get(node, []))))
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(f'<g class="node {kind} {flows}" transform="translate({x},{y})"><title>{html.escape(label)}'
                     f'</title><rect width="{_NODE_W}" height="{_NODE_H}" rx="8"/>'
                     f'<text x="{_NODE_W / 2}" y="{_NODE_H / 2 + 5}" text-anchor="middle">{html.escape(short)}'
                     '</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


def _snippet(path: Path | None, line: int, base: Path) -> str:
    lines = source_lines(path) if path else []
    if not lines or line < 1:
        return ""
    start, end = max(1, line - 2), min(len(lines), line + 2)
    rows = []
    for n in range(start, end + 1):
        mark = ' class="hit"' if n == line else ""
        rows.append(f'<tr{mark}><td class="ln">{n}</td><td><code>{html.escape(lines[n - 1])}</code></td></tr>')
    return f'<table class="code" title="{html.escape(rel(path, base))}">{"".join(rows)}</table>'


def _flow_html(i: int, f: Finding, model: AppModel, base: Path) -> str:
    state = "blocking" if f.blocking else ("suppressed" if f.suppressed_by else (
        "baseline" if f.baselined else "warning"))
    steps = []
    for s in f.steps:
        fn = html.escape(model.display_name(s.function)) if s.function else ""
        steps.append(f'<li class="step {s.kind}"><div class="where"><span class="kind">{s.kind}</span> '
                     f'<span class="loc">{html.escape(rel(s.file, base))}:{s.line}</span> '
                     f'<span class="fn">{fn}</span> — {html.escape(s.message)}</div>'
                     f'{_snippet(s.file, s.line, base)}</li>')
    notes = "".join(f"<p class=note>{html.escape(n)}</p>" for n in f.notes)
    if f.suppressed_by:
        notes += f"<p class=note>suppressed: {html.escape(f.suppressed_by.reason)}</p>"
    return (f'<section class="flow {state} sev-{f.severity}" id="flow-{i}" data-flow="flow-{i}">'
            f'<h3><span class="badge {f.severity}">{f.severity}</span> <span class="state">{state}</span> '
            f'{html.escape(f.rule.title)} <small>{html.escape(f.rule.cwe)} · {f.confidence} confidence</small></h3>'
            f'<p class="chain">{html.escape(chain(f, model, base))}</p>{notes}<ol>{"".join(steps)}</ol></section>')


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} .summary{color:#555;margin:0 0 16px}
#graph-box{overflow:auto;background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px;margin-bottom:24px}
.node rect{fill:#eef3fb;stroke:#7a8ca8;stroke-width:1.2}.node text{font-size:12px;fill:#1d1d1f}
.node.entry rect{fill:#fff4e0;stroke:#d08a1a}.node.resource rect{fill:#eef8ef;stroke:#4f9a5a}
.node.skipped rect{fill:#f1f1f1;stroke:#bbb;stroke-dasharray:4 3}.node.skipped text{fill:#888}
.edge{fill:none;stroke:#9aa3ad;stroke-width:1.4}.edge.write{stroke-dasharray:5 3}.edge.read{stroke-dasharray:2 3}
.edge.blocking{stroke:#d0342c;stroke-width:3}.node.lit rect{stroke:#d0342c;stroke-width:3}
.edge.lit{stroke:#d0342c;stroke-width:4}
.flow{background:#fff;border:1px solid #ddd;border-left:6px solid #999;border-radius:6px;padding:8px 14px;margin:14px 0}
.flow.blocking{border-left-color:#d0342c}.flow.warning{border-left-color:#d6a100}
.flow.suppressed,.flow.baseline{border-left-color:#8a8a8a;opacity:.85}
.flow h3{font-size:15px;margin:6px 0}.flow small{color:#666;font-weight:normal}
.badge{color:#fff;border-radius:4px;padding:1px 6px;font-size:12px;text-transform:uppercase}
.badge.critical{background:#8e1b16}.badge.high{background:#d0342c}.badge.medium{background:#c98a00}
.badge.low{background:#2b7bb9}.state{font-size:12px;color:#555;text-transform:uppercase}
.chain{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f4f4f6;padding:6px 8px;border-radius:4px}
.step{margin:8px 0}.kind{display:inline-block;min-width:56px;font-weight:600;text-transform:uppercase;font-size:11px}
.step.sink .kind{color:#d0342c}.step.source .kind{color:#1f7a3a}.step.write .kind,.step.trigger .kind{color:#5b3cc4}
.loc{font-family:ui-monospace,Menlo,Consolas,monospace}.fn{color:#555}
table.code{border-collapse:collapse;margin:4px 0 0 60px;font:12px ui-monospace,Menlo,Consolas,monospace}
table.code td{padding:0 8px;white-space:pre}.ln{color:#999;text-align:right}
tr.hit td{background:#fde7e6}.note{color:#8a5a00;margin:4px 0}
.legend span{margin-right:14px}.muted{color:#777}
"""

_JS = """
(function(){
  var flows=document.querySelectorAll('section.flow');
  flows.forEach(function(sec){
    var id=sec.getAttribute('data-flow');
    function lit(on){document.querySelectorAll('#graph .'+id).forEach(function(el){
      el.classList.toggle('lit',on);});}
    sec.addEventListener('mouseenter',function(){lit(true);});
    sec.addEventListener('mouseleave',function(){lit(false);});
  });
  var hot=document.querySelectorAll('#graph .edge.blocking').length;
  document.body.setAttribute('data-rendered','ok');
  document.body.setAttribute('data-blocking-edges',String(hot));
})();
"""


def render_html(result: ScanResult, base: Path) -> str:
    model = result.model
    flows = [(i, f) for i, f in enumerate(result.findings)]
    ordered = sorted(flows, key=lambda p: (not p[1].blocking, -SEVERITIES.index(p[1].severity)))
    skipped = "".join(f"<li>{html.escape(f.logical_id)}: {html.escape(f.skipped_reason or '')}</li>"
                      for f in model.skipped_functions())
    skipped += "".join(f"<li><strong>not analysed</strong> (the result is incomplete): {html.escape(p)}</li>"
                       for p in result.incomplete)
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings)
    body = "".join(_flow_html(i, f, model, base) for i, f in ordered) or "<p>No flows found.</p>"
    title = f"flowgate report — {html.escape(base.name)}"
    policy = html.escape(result.policy.origin if result.policy else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body>
<h1>{title}</h1>
<p class="summary">{len(result.findings)} flow(s), <strong>{len(result.blocking)} blocking</strong>,
{len(result.suppressed)} suppressed · {len(model.analysable_functions())} Python function(s) analysed,
{len(result.plan.writes)} SDK write(s) instrumented · policy: {policy}
· flowgate {__version__}</p>
<h2>Event graph</h2>
<p class="legend muted"><span>orange: untrusted entry points</span><span>blue: functions</span>
<span>green: buckets, tables, queues, topics</span><span>dashed: SDK writes</span>
<span>dotted: S3 object content read back</span>
<span>red: blocking flows (hover a flow below to trace it)</span></p>
<div id="graph-box">{_svg(result)}</div>
<h2>Flows</h2>
{body}
{"<h2>Skipped functions</h2><ul>" + skipped + "</ul>" if skipped else ""}
{"<h2>Warnings</h2><ul>" + warnings + "</ul>" if warnings else ""}
<script>{_JS}</script>
</body></html>
"""
