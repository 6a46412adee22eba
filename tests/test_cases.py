"""Engine behaviour on the cases fixture: one Pysa run, one assertion group per scenario."""

from __future__ import annotations

from conftest import by_sink_function, by_source_function, flows


def test_wrong_resource_does_not_trigger_other_buckets_consumer(cases):
    assert by_sink_function(cases, "LoudConsumer") == []
    assert by_source_function(cases, "WrongWriter") == []
    write = next(w for w in cases.plan.writes if "QUIET_BUCKET" in w.target_sym.describe())
    assert write.edges == []


def test_s3_prefix_suffix_filters(cases):
    found = by_sink_function(cases, "FilteredConsumer")
    assert [f.source_function.split("/")[1] for f in found] == ["FilterHitWriter"]
    assert found[0].confidence == "high" and found[0].sink_callable == "os.popen"
    miss = next(w for w in cases.plan.writes if w.key_sym and w.key_sym.prefix() == "other/")
    assert miss.edges == []
    assert any("key prefix 'other/' cannot match prefix 'incoming/'" in d for d in miss.decisions)
    hit = next(w for w in cases.plan.writes if w.api.method == "upload_file")
    assert hit.key_sym.prefix() == "incoming/" and hit.key_sym.suffix() == ".txt"


def test_resolution_forms_reach_their_consumers(cases):
    got = flows(cases)
    expected_hops = {
        # literal physical name + Bucket(...).put_object
        ("LiteralWriter", (("s3", "NamedBucket"),), "NamedConsumer", "eval"),
        # os.environ.get(..., default) + Object(bucket, key).put, entry via function URL
        ("ObjWriter", (("s3", "ObjBucket"),), "ObjConsumer", "subprocess.check_output"),
        # table held in self., os.getenv, update_item
        ("SelfWriter", (("dynamodb", "SelfTable"),), "TableConsumer", "_pickle.loads"),
        # client passed as an argument, module-level constant queue URL
        ("ParamWriter", (("sqs", "ParamQueue"),), "QueueConsumer", "sqlite3.Connection.execute"),
        # client imported from another module of the code root
        ("ImportWriter", (("sns", "AlertTopic"),), "TopicConsumer", "requests.api.get"),
        # os.path.join key satisfying prefix and suffix filters
        ("FilterHitWriter", (("s3", "FilteredBucket"),), "FilteredConsumer", "os.popen"),
    }
    got_hops = {(src, hops, sink_fn, callee) for _c, src, hops, sink_fn, callee, _f, _l in got}
    assert expected_hops <= got_hops
    for f in cases.findings:
        if f.hops and f.source_function.split("/")[1] != "UnresolvedWriter":
            assert f.confidence == "high", f.hops


def test_unresolved_target_keeps_edges_with_lower_confidence(cases):
    found = by_source_function(cases, "UnresolvedWriter")
    # Any queue of the app may be the target: every SQS consumer is reached, each flow labelled.
    assert {f.sink_function.split("/")[1] for f in found} == {"QueueConsumer", "OtherConsumer", "BatchConsumer",
                                                              "ResourceQueueConsumer"}
    for f in found:
        assert f.confidence == "low"
        assert f.hops[0].confidence == "unresolved"
        assert f.notes and "unresolved" in f.notes[0]
    other = next(f for f in found if f.sink_function.endswith("OtherConsumer"))
    assert other.rule.severity == "critical" and other.severity == "high" and other.blocking


def test_internal_trigger_events_are_not_sources(cases):
    assert by_sink_function(cases, "InternalConsumer") == []
    write = next(w for w in cases.plan.writes if "INTERNAL_TABLE" in w.target_sym.describe())
    assert [e.trigger.function.split("/")[1] for e in write.edges] == ["InternalConsumer"]


def test_s3_listing_is_a_source(cases):
    found = by_source_function(cases, "ListingFunction")
    assert len(found) == 1
    assert found[0].rule.category == "code-injection"
    assert found[0].source.message == "object keys from an S3 listing"


def test_every_sink_category(cases):
    got = {(c, callee, line) for c, src, _h, _s, callee, _f, line in flows(cases) if src == "SinksFunction"}
    assert got == {
        ("code-injection", "subprocess.run", 23),
        ("code-injection", "exec", 24),
        ("sql-injection", "pymysql.cursors.Cursor.execute", 27),
        ("nosql-injection", "dynamodb.scan", 28),
        ("nosql-injection", "dynamodb.query", 29),
        ("ssrf", "requests.api.post", 30),
        ("ssrf", "http.client.HTTPSConnection.__init__", 31),
        ("ssrf", "urllib.request.urlopen", 32),
        ("path-traversal", "open", 33),
        ("insecure-deserialization", "yaml.load", 34),
        ("insecure-deserialization", "marshal.loads", 35),
        ("insecure-deserialization", "jsonpickle.decode", 36),
        ("insecure-deserialization", "_pickle.loads", 37),
        ("information-leakage", "HTTP response", 40),
    }


def test_sanitizers_and_safe_apis_produce_no_flow(cases):
    assert by_source_function(cases, "SanitizedFunction") == []


def test_non_python_functions_are_listed_as_skipped(cases):
    skipped = {f.logical_id: f.skipped_reason for f in cases.model.skipped_functions()}
    assert skipped == {"NodeFunction": "runtime nodejs20.x is not Python"}
    assert len(cases.model.analysable_functions()) == 29


def test_more_write_apis_each_reach_their_consumer(cases):
    got = {(src, hops, sink_fn, callee) for _c, src, hops, sink_fn, callee, _f, _l in flows(cases)
           if src == "MoreWriter"}
    assert got == {
        ("MoreWriter", (("s3", "FileobjBucket"),), "FileobjConsumer", "subprocess.Popen.__init__"),
        ("MoreWriter", (("sqs", "BatchQueue"),), "BatchConsumer", "os.system"),
        ("MoreWriter", (("sqs", "ResourceQueue"),), "ResourceQueueConsumer", "os.system"),
        ("MoreWriter", (("sns", "ResourceTopic"),), "ResourceTopicConsumer", "os.system"),
        ("MoreWriter", (("dynamodb", "TypedTable"),), "TypedConsumer", "os.system"),
    }


def test_keys_only_stream_carries_only_keys(cases):
    write = next(w for w in cases.plan.writes if "KEYS_TABLE" in w.target_sym.describe())
    assert [e.trigger.function.split("/")[1] for e in write.edges] == ["KeysOnlyConsumer"]
    assert write.edges[0].trigger.details["StreamViewType"] == "KEYS_ONLY"
    assert by_sink_function(cases, "KeysOnlyConsumer") == []


def test_env_bindings_through_sub_and_getatt(cases):
    env = cases.model.functions["cases/MoreWriter"].env
    assert (env["RESOURCE_TOPIC"].resource, env["RESOURCE_TOPIC"].attribute) == ("cases/ResourceTopic", "Ref")
    assert (env["KEYS_TABLE"].resource, env["KEYS_TABLE"].attribute) == ("cases/KeysOnlyTable", "Arn")

