"""Fast unit tests of single stages (no Pysa)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from gate.common.intrinsics import references
from gate.common.line_edits import Edit, apply_edits
from gate.model.types import Trigger
from gate.pyast.index import CodeRoot
from gate.pyast.resolve import resolve_handle, resolve_str
from gate.pyast.types import UNKNOWN, Sym
from gate.services.base import CallFacts
from gate.services.registry import CATALOGUE, SERVICES


def test_references_through_intrinsics():
    assert list(references({"Ref": "B"})) == [("B", "Ref")]
    assert list(references({"Ref": "AWS::Region"})) == []
    assert list(references({"Fn::GetAtt": "Q.Arn"})) == [("Q", "Arn")]
    assert list(references({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"})) == [("Bucket", "Ref")]
    assert list(references({"Fn::Sub": ["${X}-${T.StreamArn}", {"X": {"Ref": "Y"}}]})) == [("Y", "Ref"),
                                                                                            ("T", "StreamArn"),
                                                                                            ("Y", "Ref")]
    assert list(references({"Fn::Join": ["", ["a", {"Ref": "Z"}]]})) == [("Z", "Ref")]


def _module(tmp_path: Path, source: str, name: str = "app.py"):
    (tmp_path / name).write_text(textwrap.dedent(source))
    root = CodeRoot(tmp_path, sorted(tmp_path.glob("*.py")), CATALOGUE)
    return root.module(name[:-3])


def _use_call(module):
    """The ``use(...)`` call of a test module and its scope."""
    return next((c, s) for c, s in module.calls if isinstance(c.func, ast.Name) and c.func.id == "use")


@pytest.mark.parametrize("expr, prefix, suffix, exact", [
    ('"uploads/a.txt"', "uploads/a.txt", "uploads/a.txt", "uploads/a.txt"),
    ('f"uploads/{name}.csv"', "uploads/", ".csv", None),
    ('"uploads/" + name', "uploads/", "", None),
    ('os.path.join("incoming", name + ".txt")', "incoming/", ".txt", None),
    ('"in/{}.json".format(name)', "in/", ".json", None),
    ('"in/%s.json" % name', "in/", ".json", None),
    ('PREFIX + name', "data/", "", None),
])
def test_key_strings(tmp_path, expr, prefix, suffix, exact):
    module = _module(tmp_path, f"""
        import os
        PREFIX = "data/"
        def f(name):
            use({expr})
    """)
    call, scope = _use_call(module)
    sym = resolve_str(call.args[0], scope)
    assert (sym.prefix(), sym.suffix(), sym.exact()) == (prefix, suffix, exact)


def test_env_forms(tmp_path):
    module = _module(tmp_path, """
        import os
        from os import environ, getenv
        A = os.environ["A"]
        def f():
            use(A, os.environ.get("B", "dflt"), getenv("C"), environ["D"], os.getenv("E", default="x"))
    """)
    call, scope = _use_call(module)
    got = [resolve_str(a, scope) for a in call.args]
    assert [(s.kind, s.env) for s in got] == [("env", "A"), ("env", "B"), ("env", "C"), ("env", "D"), ("env", "E")]
    assert got[1].default == Sym("const", value="dflt")


def test_handles_in_globals_self_params_sessions_and_imports(tmp_path):
    (tmp_path / "clients.py").write_text("import boto3\nshared = boto3.client('sqs')\n")
    module = _module(tmp_path, """
        import boto3 as b3
        from boto3.session import Session
        from clients import shared
        s3 = b3.client("s3")
        sess = Session()
        class C:
            def __init__(self):
                self.t = b3.resource("dynamodb").Table("T")
            def go(self):
                use(self.t, s3, sess.client("sns"), b3.resource("s3").Bucket("b").Object("k"), shared)
        def helper(client):
            use(client)
        helper(s3)
    """)
    use_in_go = next(c for c, s in module.calls if isinstance(c.func, ast.Name) and c.func.id == "use"
                     and len(c.args) == 5)
    scope = next(s for c, s in module.calls if c is use_in_go)
    handles = [resolve_handle(a, scope) for a in use_in_go.args]
    assert [(h.service, h.kind) for h in handles] == [("dynamodb", "Table"), ("s3", "client"), ("sns", "client"),
                                                      ("s3", "Object"), ("sqs", "client")]
    assert handles[3].target.exact() == "b" and handles[3].key.exact() == "k"
    helper_call = next(c for c, s in module.calls if isinstance(c.func, ast.Name) and c.func.id == "use"
                       and len(c.args) == 1)
    helper_scope = next(s for c, s in module.calls if c is helper_call)
    assert resolve_handle(helper_call.args[0], helper_scope).kind == "client"


@pytest.mark.parametrize("prefix, suffix, key, verdict", [
    ("uploads/", None, Sym("const", value="uploads/a"), "yes"),
    ("uploads/", None, Sym("const", value="other/a"), "no"),
    ("uploads/", None, Sym("unknown"), "maybe"),
    ("uploads/", None, Sym("concat", parts=(Sym("const", value="up"), Sym("unknown"))), "maybe"),
    (None, ".csv", Sym("concat", parts=(Sym("unknown"), Sym("const", value=".json"))), "no"),
    ("in/", ".csv", Sym("concat", parts=(Sym("const", value="in/"), Sym("unknown"), Sym("const", value=".csv"))),
     "yes"),
    (None, None, None, "yes"),
])
def test_s3_filter_verdicts(prefix, suffix, key, verdict):
    trig = Trigger("s3", "s/B", "s/F", ("s3:ObjectCreated:*",), prefix, suffix)
    s3 = SERVICES["s3"]
    assert s3.filter_verdict(s3.writes[0], trig, CallFacts(UNKNOWN, key))[0] == verdict


def test_edits_keep_line_numbers():
    source = "x = (s3\n     .put_object(\n  Key=k))\ny = 1\n"
    tree = ast.parse(source)
    call = tree.body[0].value
    func = call.func
    edits = [Edit((func.lineno, func.col_offset), (func.end_lineno, func.end_col_offset),
                  "hop" + " \\\n" * (func.end_lineno - func.lineno))]
    text, _ = apply_edits(source, edits)
    assert text.count("\n") == source.count("\n")
    ast.parse(text)
    assert text.splitlines()[3] == "y = 1"


def test_dict_get_rewrite_is_valid_python(tmp_path):
    from gate.instrument.rewrite import _dict_get_edits

    module = _module(tmp_path, """
        import requests
        def f(event):
            a = event.get("body")
            b = event["r"].get("NewImage", {}).get("x", None)
            requests.get("https://example.com")
    """)
    text, _ = apply_edits(module.source, _dict_get_edits(module))
    assert 'a = event["body"]' in text
    assert 'b = event["r"]["NewImage"] or ({})["x"] or (None)' in text
    assert 'requests.get("https://example.com")' in text
    ast.parse(text)


def test_cloudformation_yaml_short_forms_and_scalars():
    from gate.inputs.cfn_yaml import loads

    doc = loads(textwrap.dedent("""\
        AWSTemplateFormatVersion: 2010-09-09
        Resources:
          A:
            Type: AWS::S3::Bucket
            Condition: IsProd
            Properties:
              Name: !Sub "${AWS::StackName}-x"
              Arn: !GetAtt B.Arn
              Arn2: !GetAtt [B, Arn]
              Join: !Join ["", [a, !Ref B]]
              Map: !FindInMap [M, !Ref "AWS::Region", k]
              Cond: !Condition IsProd
              If: !If [IsProd, !Ref B, !Ref "AWS::NoValue"]
              Sub2: !Sub
                - "${x}"
                - x: !ImportValue Shared
              80: port
              true: flag
        """))
    props = doc["Resources"]["A"]["Properties"]
    assert doc["AWSTemplateFormatVersion"] == "2010-09-09"  # a version string, not a date
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-x"}
    assert props["Arn"] == props["Arn2"] == {"Fn::GetAtt": ["B", "Arn"]}
    assert props["Join"] == {"Fn::Join": ["", ["a", {"Ref": "B"}]]}
    assert props["Map"] == {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "k"]}
    assert props["Cond"] == {"Condition": "IsProd"}
    assert props["If"] == {"Fn::If": ["IsProd", {"Ref": "B"}, {"Ref": "AWS::NoValue"}]}
    assert props["Sub2"] == {"Fn::Sub": ["${x}", {"x": {"Fn::ImportValue": "Shared"}}]}
    assert props["80"] == "port" and props["true"] == "flag"  # keys are names, as in JSON templates


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ("Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n", 4, 3, "duplicate key 'A' (first at line 2)"),
    ("Resources:\n  A: [\n", 3, 1, "did not find expected node content"),
    ("~: 1\n", 1, 1, "a mapping key is empty"),
    ("a: !!python/object/apply:os.system [id]\n", 1, 4, "could not determine a constructor"),
    ("a: &a [*a]\n", 0, 0, "aliases expand to more than"),
    ("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
     + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcd", "bcde", strict=True))
     + "f: [*e, *e, *e]\n", 0, 0, "aliases expand to more than"),
])
def test_cloudformation_yaml_errors_are_located(text, line, column, message):
    from gate.inputs.cfn_yaml import TemplateSyntaxError, loads

    with pytest.raises(TemplateSyntaxError) as info:
        loads(text)
    assert (info.value.line, info.value.column) == (line, column) and message in str(info.value)


def test_user_text_cannot_steer_the_terminal():
    from gate.report.escape import for_terminal

    forged = "Fn\x1b[2J\nflowgate: 0 flow(s), 0 blocking\u202e"
    shown = for_terminal(forged)
    assert "\x1b" not in shown and "\n" not in shown and "\u202e" not in shown
    assert shown == "Fn\\x1b[2J\\x0aflowgate: 0 flow(s), 0 blocking\\u202e"
    assert for_terminal("plain → text, ünïcode") == "plain → text, ünïcode"


def test_cache_entries_verify_or_miss(tmp_path, monkeypatch):
    """A flipped bit, an entry of another digest, a wrong shape or (with $FLOWGATE_CACHE_KEY) an
    entry written without the key is a miss with a warning, never an answer (issue 20)."""
    import gzip
    import json as _json

    from gate.common.cache import PysaCache

    monkeypatch.delenv("FLOWGATE_CACHE_KEY", raising=False)
    cache = PysaCache(tmp_path)
    a, b = "a" * 64, "b" * 64
    cache.store(a, [{"code": 1}], {"m": {}})
    assert cache.load(a) == ([{"code": 1}], {"m": {}})
    path_a, path_b = cache._path(a), cache._path(b)
    path_b.parent.mkdir(parents=True, exist_ok=True)
    path_b.write_bytes(path_a.read_bytes())  # another app's entry copied in
    assert cache.load(b) is None and "does not verify" in cache.warnings[-1]
    raw = bytearray(path_a.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # a flipped bit
    path_a.write_bytes(bytes(raw))
    assert cache.load(a) is None and "recomputed instead" in cache.warnings[-1]
    with gzip.open(path_a, "wt") as fh:  # the right digest, forged data, no MAC
        _json.dump({"digest": a, "data": {"issues": [], "models": {}}}, fh)
    assert cache.load(a) is None
    monkeypatch.setenv("FLOWGATE_CACHE_KEY", "ci-secret")
    keyed = PysaCache(tmp_path)
    keyed.store(a, [], {})
    assert keyed.load(a) == ([], {})
    monkeypatch.setenv("FLOWGATE_CACHE_KEY", "another")  # a writer without the key
    assert PysaCache(tmp_path).load(a) is None


def test_a_full_scratch_file_system_is_a_located_error(tmp_path, monkeypatch):
    import errno
    from pathlib import Path as _Path

    import pytest as _pytest

    from gate.common.errors import GateInputError
    from gate.instrument.build import materialize
    from gate.instrument.types import InstrumentedApp

    app = InstrumentedApp(tmp_path / "root", tmp_path / "models", tmp_path / "stubs")
    app.files[tmp_path / "root" / "a.py"] = "x = 1\n"

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_Path, "write_text", full)
    with _pytest.raises(GateInputError) as err:
        materialize(app)
    assert err.value.message.startswith("cannot write the instrumented copy: No space left on device")
    assert err.value.where == str(tmp_path)
