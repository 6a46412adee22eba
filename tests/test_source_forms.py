"""Source forms the type checker reads differently from the interpreter (gate/pyast/dynamic.py) and
the shapes a Lambda handler can take (gate/pyast/handlers.py), as units: what each is rewritten to,
what is reported as not followed, and where the event is modelled. The end-to-end proof that Pysa
then finds the flows is in tests/test_corpus.py."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from gate.pyast.dynamic import normalise
from gate.pyast.handlers import HandlerTarget, resolve_handler
from gate.pyast.index import CodeRoot
from gate.services.registry import CATALOGUE


def _normal(code: str) -> tuple[str, list[str]]:
    source = textwrap.dedent(code).lstrip("\n")
    text, unresolved = normalise(source, ast.parse(source))
    assert text.count("\n") - source.count("\n") == text.count("# flowgate: imported by name")  # lines kept
    return text, [f"{u.line}: {u.what}" for u in unresolved]


@pytest.mark.parametrize(("code", "expected"), [
    ("import os\ngetattr(os, 'system')(x)\n", "(os).system(x)"),
    ("__import__('os').system(x)\n", "os.system(x)"),
    ("__import__('os.path', fromlist=['join']).join(x)\n", "os.path.join(x)"),
    ("import importlib\nimportlib.import_module('subprocess').run(x)\n", "subprocess.run(x)"),
    ("import sys\nsys.modules['os'].system(x)\n", "os.system(x)"),
    ("import os\nvars(os)['system'](x)\n", "os.system(x)"),
    ("import os\nos.__dict__['system'](x)\n", "os.system(x)"),
    ("import os\n\uff4f\uff53.system(x)\n", "os.system(x)"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\n", 'if __name__ != "__flowgate__":'),
    ("import sys\nif sys.version_info < (3, 0) and ready:\n    pass\n", 'if __name__ != "__flowgate__" and ready:'),
    ("handler = lambda event, context: event['x']\n", "def handler(event, context): return (event['x'])"),
    ("import subprocess\nrun = subprocess.run\n", "from subprocess import run as run"),
    ("import os.path\njoin = os.path.join\n", "from os.path import join as join"),
])
def test_constant_forms_are_written_as_they_run(code, expected):
    text, unresolved = _normal(code)
    assert expected in text and unresolved == []


def test_imports_named_only_by_string_are_added():
    text, _ = _normal("__import__('os').system(x)\n")
    assert text.endswith("import os  # flowgate: imported by name in this module")


def test_computed_forms_are_reported_where_they_are():
    _text, unresolved = _normal("""
        import importlib, os, sys
        import boto3
        c = boto3.client("s3")
        getattr(os, name)
        __import__(name)
        importlib.import_module(name)
        sys.modules[name]
        boto3.resource(service)
        getattr(c, op)
        OPS = {"run": os.system}
        f = getattr
        getattr(obj, name)
    """)
    assert unresolved == ["4: getattr(os, <computed name>)", "5: __import__(<computed name>)",
                          "6: importlib.import_module(<computed name>)", "7: sys.modules[<computed name>]",
                          "8: boto3.resource(<computed service>)", "9: getattr(c, <computed name>)",
                          "10: os.system stored in a dict", "11: getattr used as a value"]


def test_ordinary_code_is_left_alone():
    code = "import os\nx = getattr(obj, name)\nif DEBUG:\n    os.system('ls')\n"
    text, unresolved = _normal(code)
    assert text == code and unresolved == []


def _module(tmp_path: Path, files: dict[str, str]):
    for name, code in files.items():
        (tmp_path / name).write_text(textwrap.dedent(code).lstrip("\n"))
    return CodeRoot(tmp_path, sorted(tmp_path.glob("*.py")), CATALOGUE).module("app")


@pytest.mark.parametrize(("code", "qualname", "event"), [
    ("def handler(event, context): pass\n", "handler", 0),
    ("class S:\n    def handle(self, event, context): pass\nhandler = S().handle\n", "S.handle", 1),
    ("class S:\n    @staticmethod\n    def handle(event, context): pass\ns = S()\nhandler = s.handle\n",
     "S.handle", 0),
    ("class S:\n    def __call__(self, event, context): pass\nhandler = S()\n", "S.__call__", 1),
    ("import functools\ndef run(a, b, event, context): pass\nhandler = functools.partial(run, 1, 2)\n", "run", 2),
    ("def main(event, context): pass\nhandler = main\n", "main", 0),
    ("try:\n    import fast\nexcept ImportError:\n    def handler(event, context): pass\n", "handler", 0),
])
def test_handler_shapes(tmp_path, code, qualname, event):
    target = resolve_handler(_module(tmp_path, {"app.py": code}), "handler")
    assert isinstance(target, HandlerTarget)
    assert (target.qualname, target.event) == (qualname, event)


def test_an_imported_handler_is_modelled_where_it_is_defined(tmp_path):
    module = _module(tmp_path, {"app.py": "from impl import handler\n", "impl.py": "def handler(e, c): pass\n"})
    target = resolve_handler(module, "handler")
    assert isinstance(target, HandlerTarget) and target.module.dotted == "impl"


@pytest.mark.parametrize(("code", "reason"), [
    ("def make():\n    def inner(e, c): pass\n    return inner\nhandler = make()\n", "is bound to make()"),
    ("class handler:\n    pass\n", "is a class"),
    ("def handler(): pass\n", "takes no event"),
    ("x = 1\n", "is not defined"),
    ("from missing import handler\n", "is imported from missing, which is not in the code"),
])
def test_handler_shapes_that_cannot_be_told(tmp_path, code, reason):
    target = resolve_handler(_module(tmp_path, {"app.py": code}), "handler")
    assert isinstance(target, str) and reason in target
