"""The HTML report in a real headless browser (Debian's chromium): graph and flows render, offline."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

from conftest import ROOT, SAMPLES

from gate.report.html_report import render_html

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
