"""The HTML report in a real headless browser (Debian's chromium): graph and flows render, offline."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from bigapp import generate
from conftest import ROOT, SAMPLES

from gate.report.html_report import render_html
from gate.scan import scan

ARTIFACTS = Path(os.environ.get("FLOWGATE_TEST_ARTIFACTS", ROOT / "test-artifacts"))
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError("no Chromium on PATH: scripts/test.sh installs Debian's chromium")


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [_chromium(), *_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_html_report_renders_graph_and_flows(vulnerable, tmp_path):
    page = render_html(vulnerable, SAMPLES / "sam-vulnerable")
    # Self-contained: no scripts, styles, images or fonts fetched from anywhere.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = ARTIFACTS / "sam-vulnerable-report.html"
    report.write_text(page, encoding="utf-8")

    dom = _browser(tmp_path, "--dump-dom", report.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-rendered="ok"' in html  # the inline script ran in the browser
    assert int(re.search(r'data-blocking-edges="(\d+)"', html).group(1)) >= 8
    assert html.count('<section class="flow') == 7
    assert html.count('<section class="flow blocking') == 6
    for node in ("OrdersApiFunction", "ThumbnailFunction", "ReportFunction", "NotifyFunction", "AuditFunction",
                 "bucket UploadBucket", "queue ReportQueue", "table OrdersTable", "topic AuditTopic",
                 "ShippingFunction", "LabelFunction",
                 "HttpApi ServerlessHttpApi"):
        assert f"<title>{node}</title>" in html, node
    # Every step of the S3 flow is shown with its annotated source line.
    s3 = html[html.index("s3:UploadBucket → ThumbnailFunction"):]
    s3 = s3[: s3.index("</section>")]
    for snippet in ("def handler(event, context):", "client.put_object(Bucket=UPLOAD_BUCKET",
                    'render(record["s3"]["object"]["key"])', 'subprocess.run(f"convert /tmp/{key}'):
        assert snippet in s3, snippet
    assert s3.count('<tr class="hit">') == 6

    shot = ARTIFACTS / "sam-vulnerable-report.png"
    proc = _browser(tmp_path, "--window-size=1400,1100", f"--screenshot={shot}", report.as_uri())
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1400, 1100)
    assert len(data) > 50_000  # a drawn page, not a blank one


def test_terminal_view_groups_by_severity_with_code_steps(vulnerable):
    from gate.report.text import render_text

    text = render_text(vulnerable, SAMPLES / "sam-vulnerable", colour=False)
    headings = [line for line in text.splitlines() if re.fullmatch(r"[A-Z]+ \(\d+\)", line)]
    assert headings == ["CRITICAL (3)", "HIGH (3)", "MEDIUM (1)"]
    assert "\033[" not in text
    block = text[text.index("s3:UploadBucket → ThumbnailFunction"):]
    lines = block.splitlines()[:13]
    assert lines[0].endswith("subprocess.run at src/thumbnail/app.py:7")
    assert any("client.put_object(Bucket=UPLOAD_BUCKET" in line for line in lines)
    assert lines[-1].strip().startswith('subprocess.run(f"convert /tmp/{key}')
    coloured = render_text(vulnerable, SAMPLES / "sam-vulnerable", colour=True)
    assert "\033[1;31mCRITICAL (3)\033[0m" in coloured


# --- the graph at 7, 30 and 60 functions, in a real browser driven by playwright ---------------------


@pytest.fixture(scope="module")
def apps(vulnerable, tmp_path_factory):
    """(scan result, project dir, flows' function names by pipeline) for 7, 30 and 60 functions."""
    found = {7: (vulnerable, SAMPLES / "sam-vulnerable", None)}
    for n in (30, 60):
        app = tmp_path_factory.mktemp(f"app{n}") / f"app{n}"
        flows = generate(n, app)
        found[n] = (scan(app), app, flows)
    return found


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def _page(browser, report: Path, touch: bool = False):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, has_touch=touch)
    page = context.new_page()
    page.goto(report.as_uri())
    assert page.evaluate("document.body.dataset.rendered") == "ok"
    return context, page


@pytest.mark.parametrize("size", [7, 30, 60])
def test_graph_at_scale_draws_every_flow_to_its_sink(apps, browser, size):
    result, app, pipelines = apps[size]
    assert len(result.model.functions) == size
    blocking = [i for i, f in enumerate(result.findings) if f.blocking]
    assert blocking
    page_html = render_html(result, app)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = ARTIFACTS / f"graph-{size}.html"
    report.write_text(page_html, encoding="utf-8")
    context, page = _page(browser, report)
    page.screenshot(path=str(ARTIFACTS / f"graph-{size}.png"))  # looked at: see the issue 18 note

    # Without any hover: each blocking flow's functions and its sink are drawn, highlighted, and links.
    for i in blocking:
        f = result.findings[i]
        names = [result.model.display_name(k) for k in [f.source_function, *(h.to_function for h in f.hops)]]
        drawn = page.evaluate("""id => Array.from(document.querySelectorAll('#flows-graph a.node-link g.' + id))
            .map(g => [g.querySelector('title').textContent, g.getAttribute('class')])""", f"flow-{i}")
        titles = {t for t, _cls in drawn}
        assert set(names) <= titles, (names, titles)
        sinks = [t for t, cls in drawn if " sink " in f" {cls} "]
        assert sinks == [f"{f.sink_callable.removeprefix('builtins.')} ({f.sink.file.name}:{f.sink.line})"]
        assert all(" blocking " in f" {cls} " for _t, cls in drawn)
        assert page.locator(f"#flows-graph path.edge.blocking.flow-{i}").count() == len(f.hops) * 2 + 2
    if pipelines:  # the generated app: exactly its unquoted pipelines flow, by name
        flowing = {result.model.display_name(result.findings[i].sink_function) for i in blocking}
        assert flowing == {names[-1] for names in pipelines.values()}

    # The flows' graph fits the page: nothing to scroll sideways, every sink on screen.
    box = page.evaluate("(() => { const b = document.getElementById('flows-box');"
                        " return [b.scrollWidth, b.clientWidth]; })()")
    assert box[0] <= box[1], box
    rights = page.evaluate("Array.from(document.querySelectorAll('#flows-graph .node.sink'))"
                           ".map(g => g.getBoundingClientRect().right)")
    assert rights and max(rights) <= 1400
    # Labels are whole: no ellipsis, and the longest function names are drawn in full.
    texts = page.evaluate("Array.from(document.querySelectorAll('svg.graph text')).map(t => t.textContent)")
    assert not any("…" in t for t in texts)
    longest = max((result.model.display_name(k) for k in result.model.functions), key=len)
    assert longest in texts
    # The full graph is folded once the app is big, open for a small one; opening it works.
    full = page.locator("details.full")
    assert full.evaluate("d => d.open") == (size <= 12)
    if size > 12:
        page.click("details.full > summary")
        assert full.evaluate("d => d.open")
        # F1..Fk (siblings off one API) sort naturally, top to bottom: F2 above F10.
        ys = page.evaluate("""n => Array.from({length: n}, (_, k) =>
            document.querySelector(`#graph g[data-node$="/F${k + 1}"]`).getBoundingClientRect().top)""",
                           size // 5)
        assert ys == sorted(ys), ys
    context.close()


def test_graph_keyboard_touch_and_print(apps, browser):
    result, app, _flows = apps[60]
    report = ARTIFACTS / "graph-60.html"
    report.write_text(render_html(result, app), encoding="utf-8")
    context, page = _page(browser, report, touch=True)
    page_flows = page.evaluate("Array.from(document.querySelectorAll('section.flow')).map(s => s.id)")
    ordered = [int(x.removeprefix("flow-")) for x in page_flows]
    first = result.findings[ordered[0]]
    # Keyboard: Tab walks flow #1 from its entry to its sink; Enter opens that flow's section.
    labels = []
    for _ in range(len(first.hops) * 2 + 3):
        page.keyboard.press("Tab")
        labels.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    every = ", ".join(str(n) for n in range(1, len(ordered) + 1))
    assert labels[0].startswith("HttpApi ") and labels[0].endswith(f": flow {every}")  # shared by all flows
    assert labels[1].startswith(result.model.display_name(first.source_function) + ":")
    assert labels[-1].startswith(f"{first.sink_callable} ({first.sink.file.name}:{first.sink.line})")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == f"#flow-{ordered[0]}"
    # Touch: tapping "Trace on graph" shows that flow alone (the rest dimmed); tapping again undoes it.
    second = ordered[1]
    page.tap(f"#flow-{second} button.trace")
    assert page.evaluate("document.getElementById('flows-graph').classList.contains('tracing')")
    lit = page.evaluate("Array.from(document.querySelectorAll('#flows-graph .lit')).length")
    assert lit == page.locator(f"#flows-graph .flow-{second}").count() > 0
    assert page.get_attribute(f"#flow-{second} button.trace", "aria-pressed") == "true"
    page.tap(f"#flow-{second} button.trace")
    assert not page.evaluate("document.getElementById('flows-graph').classList.contains('tracing')")
    # Print: the folded graph opens, nothing is dimmed, the buttons are not printed.
    page.tap(f"#flow-{second} button.trace")
    page.emulate_media(media="print")
    pdf = page.pdf()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 50_000
    assert page.evaluate("document.querySelector('details.full').open")
    assert not page.evaluate("document.getElementById('flows-graph').classList.contains('tracing')")
    assert page.evaluate("getComputedStyle(document.querySelector('button.trace')).display") == "none"
    context.close()
