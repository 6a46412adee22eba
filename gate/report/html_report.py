"""A single self-contained HTML report: the app's event graph as a picture, every flow on it, and
the annotated source of each step. No external fetch: CSS, SVG and script are inline, so the file
can be attached to a CI run and opened offline."""

from __future__ import annotations

import html
from pathlib import Path

from gate import __version__
from gate.findings.types import Finding
from gate.model.types import AppModel
from gate.policy.rules import SEVERITIES
from gate.report.html_graph import flows_graph, full_graph, render_svg
from gate.report.paths import rel
from gate.report.snippets import source_lines
from gate.report.text import chain
from gate.report.types import ScanResult

_FOLD_AT = 12  # functions: past this the full graph starts folded, the flows' graph leads


def _graphs(result: ScanResult, numbers: dict[int, int]) -> str:
    """The flows' graph (when there are flows) and the full event graph, folded once the app is big."""
    findings = result.findings
    parts = []
    if findings:
        g, paths = flows_graph(result)
        svg = render_svg(g, paths, findings, numbers, "flows-graph", True)
        parts.append('<h2>Flows on the event graph</h2><p class="legend muted">Each flow from its entry point to '
                     'its sink (#n is the flow\'s number below); red: blocking. Every box is a link to its flow; '
                     '“Trace” on a flow dims the rest.</p>'
                     f'<div class="graph-box" id="flows-box">{svg}</div>')
    full, paths = full_graph(result)
    functions = sum(1 for node in full.nodes.values() if node.kind in ("function", "skipped"))
    opened = " open" if functions <= _FOLD_AT or not findings else ""
    parts.append(f'<details class="full"{opened}><summary><h2>Full event graph</h2> '
                 f'<span class="muted">{functions} function(s), {len(full.nodes)} box(es), {len(full.edges)} '
                 'edge(s)</span></summary>'
                 '<p class="legend muted"><span>orange: untrusted entry points</span><span>blue: functions</span>'
                 '<span>green: buckets, tables, queues, topics</span><span>red outline: sinks</span>'
                 '<span>dashed: SDK writes</span><span>dotted: S3 object content read back</span></p>'
                 f'<div class="graph-box">{render_svg(full, paths, findings, numbers, "graph", False)}</div></details>')
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


def _flow_html(i: int, number: int, f: Finding, model: AppModel, base: Path) -> str:
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
    return (f'<section class="flow {state} sev-{f.severity}" id="flow-{i}" data-flow="flow-{i}" tabindex="-1">'
            f'<h3><span class="num">#{number}</span> <span class="badge {f.severity}">{f.severity}</span> '
            f'<span class="state">{state}</span> '
            f'{html.escape(f.rule.title)} <small>{html.escape(f.rule.cwe)} · {f.confidence} confidence</small></h3>'
            f'<p class="chain">{html.escape(chain(f, model, base))} <button type="button" class="trace" '
            f'data-flow="flow-{i}" aria-pressed="false">Trace on graph</button></p>'
            f'{notes}<ol>{"".join(steps)}</ol></section>')


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} .summary{color:#555;margin:0 0 16px}
.graph-box{overflow:auto;background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px;margin-bottom:24px}
details.full>summary{cursor:pointer;margin:18px 0 8px}details.full>summary h2{display:inline;font-size:1.3em}
.node rect{fill:#eef3fb;stroke:#7a8ca8;stroke-width:1.2}.node text{font-size:12px;fill:#1d1d1f}
.node.entry rect{fill:#fff4e0;stroke:#d08a1a}.node.resource rect{fill:#eef8ef;stroke:#4f9a5a}
.node.skipped rect{fill:#f1f1f1;stroke:#bbb;stroke-dasharray:4 3}.node.skipped text{fill:#888}
.node.sink rect{fill:#fff;stroke:#8e1b16;stroke-width:2}
.node text.what{font-size:10px;fill:#666;letter-spacing:.02em}
.node.sink text{font-family:ui-monospace,Menlo,Consolas,monospace}
.edge{fill:none;stroke:#9aa3ad;stroke-width:1.4}.edge.write{stroke-dasharray:5 3}.edge.read{stroke-dasharray:2 3}
.edge.flowing{stroke:#c98a00;stroke-width:2.2}.node.flowing rect{stroke:#c98a00;stroke-width:2}
.edge.blocking{stroke:#d0342c;stroke-width:3}.node.blocking rect{stroke:#d0342c;stroke-width:2.6}
.node.blocking.sink rect{fill:#fde7e6}
svg.tracing .edge,svg.tracing .node{opacity:.18}svg.tracing .lit{opacity:1}
.edge.lit{stroke:#d0342c;stroke-width:4}.node.lit rect{stroke:#d0342c;stroke-width:3}
a.node-link:focus{outline:none}a.node-link:focus rect,a.node-link:hover rect{stroke:#1a5fd0;stroke-width:3.5}
a.node-link{cursor:pointer}
button.trace{font:12px system-ui,sans-serif;margin-left:8px;padding:2px 8px;border:1px solid #999;border-radius:4px;
background:#fff;cursor:pointer}button.trace[aria-pressed=true]{background:#d0342c;color:#fff;border-color:#d0342c}
.flow:target,.flow:focus{outline:3px solid #1a5fd0;outline-offset:2px}.num{font-weight:700;color:#444}
@media print{body{margin:0;background:#fff}.graph-box{overflow:visible;border:0;padding:0}
svg.graph{max-width:100%;height:auto}button.trace{display:none}.flow{break-inside:avoid}
svg.tracing .edge,svg.tracing .node{opacity:1}details.full>summary{list-style:none}}
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
  // Light one flow on both graphs: hover (pointer), focus (keyboard) or the Trace button (tap, click).
  function els(id){return document.querySelectorAll('svg.graph .'+id);}
  function lit(id,on){els(id).forEach(function(el){el.classList.toggle('lit',on);});}
  var traced=null;
  function trace(id){
    if(traced){lit(traced,false);}
    var buttons=document.querySelectorAll('button.trace');
    traced=(traced===id)?null:id;
    buttons.forEach(function(b){b.setAttribute('aria-pressed',String(b.getAttribute('data-flow')===traced));});
    document.querySelectorAll('svg.graph').forEach(function(svg){svg.classList.toggle('tracing',!!traced);});
    if(traced){
      lit(traced,true);
      var box=document.getElementById('flows-box');
      if(box){box.scrollIntoView({block:'nearest'});}
    }
  }
  document.querySelectorAll('section.flow').forEach(function(sec){
    var id=sec.getAttribute('data-flow');
    sec.addEventListener('mouseenter',function(){lit(id,true);});
    sec.addEventListener('mouseleave',function(){if(traced!==id){lit(id,false);}});
    sec.addEventListener('focusin',function(){lit(id,true);});
    sec.addEventListener('focusout',function(){if(traced!==id){lit(id,false);}});
  });
  document.querySelectorAll('button.trace').forEach(function(b){
    b.addEventListener('click',function(){trace(b.getAttribute('data-flow'));});
  });
  // Printing shows everything: the folded full graph opens, no flow is dimmed.
  window.addEventListener('beforeprint',function(){
    document.querySelectorAll('details.full').forEach(function(d){d.setAttribute('open','');});
    if(traced){trace(traced);}
  });
  document.body.setAttribute('data-rendered','ok');
  document.body.setAttribute('data-blocking-edges',String(document.querySelectorAll('#graph .edge.blocking').length));
  document.body.setAttribute('data-flow-links',String(document.querySelectorAll('#flows-graph a.node-link').length));
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
    numbers = {i: n for n, (i, _f) in enumerate(ordered, start=1)}
    body = "".join(_flow_html(i, numbers[i], f, model, base) for i, f in ordered) or "<p>No flows found.</p>"
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
{_graphs(result, numbers)}
<h2>Flows</h2>
{body}
{"<h2>Skipped functions</h2><ul>" + skipped + "</ul>" if skipped else ""}
{"<h2>Warnings</h2><ul>" + warnings + "</ul>" if warnings else ""}
<script>{_JS}</script>
</body></html>
"""
