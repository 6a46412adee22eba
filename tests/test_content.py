"""S3 object content flows (real Pysa, one run of tests/fixtures/content): what one function stores
as an object's body reaches the functions that read that bucket, each case with a negative twin."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, by_sink_function, flows

from gate.report.text import explain_lines

EXPECTED = {
    # put_object(Body) -> get_object()["Body"].read() in a function nothing triggers
    ("code-injection", "Ingest", (("s3", "ReportsBucket"),), "ReportRunner", "os.system", "readers.py", 15),
    # open(path, "w").write + upload_file(path) -> notification -> download_file(event bucket) + open
    ("code-injection", "Uploader", (("s3", "UploadsBucket"),), "Processor", "subprocess.run", "readers.py", 29),
    # Object.put(Body) -> Object.get()["Body"] -> pickle.loads
    ("insecure-deserialization", "NotesWriter", (("s3", "NotesBucket"),), "NotesReader", "_pickle.loads",
     "readers.py", 34),
    # a bucket anyone may write to: its content is untrusted wherever it is read
    ("code-injection", "DropReader", (), "DropReader", "os.system", "readers.py", 39),
    # a bucket the app hands presigned upload URLs for: the client chose the content
    ("code-injection", "InboxReader", (), "InboxReader", "eval", "readers.py", 44),
}


def test_content_flows_and_no_other(content):
    assert flows(content) == EXPECTED
    assert content.warnings == []


@pytest.mark.parametrize("negative", [
    "ArchiveRunner",  # same code, but its bucket holds no untrusted content
    "NoReadRunner",   # its role has no s3:GetObject on the bucket
    "IntRunner",      # int() of the content
    "ConstReader",    # the content stored there is a constant
    "OutboxReader",   # only presigned *download* URLs are handed out for its bucket
])
def test_negative_twins(content, negative):
    assert by_sink_function(content, negative) == []


def test_content_hop_and_trace(content):
    [f] = by_sink_function(content, "ReportRunner")
    assert f.confidence == "high" and f.severity == "critical"
    assert [h.api for h in f.hops] == ["object content"]
    assert [(s.kind, s.file.name, s.line) for s in f.steps] == [
        ("source", "writers.py", 11), ("write", "writers.py", 13), ("trigger", "readers.py", 13),
        ("sink", "readers.py", 15)]
    assert f.steps[2].function.endswith("/ReportRunner") and "reads the object's content" in f.steps[2].message
    [upload] = by_sink_function(content, "Processor")
    assert "s3.upload_file" in upload.steps[1].message and upload.steps[1].line == 20


def test_explain_lists_stores_reads_and_pruning(content):
    text = "\n".join(explain_lines(content, FIXTURES / "content"))
    assert "src/writers.py:13 s3.put_object stores content into ReportsBucket" in text
    assert ("InboxBucket: content chosen by outsiders (s3.generate_presigned_post at writers.py:32 hands out "
            "upload URLs)") in text
    assert "OutboxBucket: content chosen" not in text
    assert "src/readers.py:27 s3.download_file reads content of UploadsBucket" in text
    assert "resolved (the bucket named by the triggering S3 event)" in text
    assert ("IAM: ReportsBucket pruned when run as NoReadRunner: no statement of the function's role allows "
            "s3:GetObject on ReportsBucket") in text


def test_html_graph_shows_content_edges_and_outside_writers(content):
    from gate.report.html_report import render_html

    page = render_html(content, FIXTURES / "content")
    assert "<title>outside writers</title>" in page and "<title>bucket ReportsBucket</title>" in page
    assert 'class="edge read' in page
