"""The plan stage's recognisers on small modules (fast lane): list-form process calls and
allow-list guards."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gate.plan.argv_calls import argv_sites
from gate.pyast.index import CodeRoot
from gate.pyast.regex_guards import find_validations
from gate.services.registry import CATALOGUE


def _module(tmp_path: Path, source: str):
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    return CodeRoot(tmp_path, [tmp_path / "app.py"], CATALOGUE).module("app")


@pytest.mark.parametrize(("call", "helper"), [
    ('subprocess.run(["convert", x])', "subprocess_run_argv"),
    ('sp.check_output(("identify", x), shell=False)', "subprocess_check_output_argv"),
    ('Popen(["/usr/bin/convert", x])', "subprocess_Popen_argv"),
    ('subprocess.call(args=["lp", x])', "subprocess_call_argv"),
    ('subprocess.run(argv)', "subprocess_run_argv"),  # argv = [...] once, below
    ('subprocess.run(["convert", x], shell=True)', None),
    ('subprocess.run(["sh", "-c", x])', None),
    ('subprocess.run(["/bin/bash", "-c", x])', None),
    ('subprocess.run(["python3", "-c", x])', None),
    ('subprocess.run("convert " + x)', None),
    ('subprocess.run([*parts])', None),
    ('subprocess.run(["convert", x], shell=flag)', None),
    ('os.system("convert")', None),
])
def test_list_form_process_calls(tmp_path, call, helper):
    module = _module(tmp_path, f"""
        import os
        import subprocess
        import subprocess as sp
        from subprocess import Popen

        def handler(x, flag, parts):
            argv = ["identify", x]
            {call}
    """)
    assert [s.helper for s in argv_sites(module)] == ([helper] if helper else [])


@pytest.mark.parametrize(("code", "names"), [
    ("if x not in ALLOWED:\n        return None\n    use(x)", ["x"]),
    ("if not x in ALLOWED:\n        raise ValueError(x)\n    use(x)", ["x"]),
    ("if x in {'a', 'b'}:\n        use(x)", ["x"]),
    ("assert x in ('a', 'b')", ["x"]),
    ("y = x if x in ALLOWED else 'a'", ["x"]),
    ("if x not in ALLOWED:\n        log(x)\n    use(x)", []),  # the guard does not leave
    ("if x in {'a', y}:\n        use(x)", []),  # not every value is a constant
    ("if x in CHANGING:\n        use(x)", []),  # bound twice at module level
    ("y = x if x in ALLOWED else x", ["x"]),  # the checked branch only
])
def test_allow_list_guards(tmp_path, code, names):
    header = 'ALLOWED = frozenset({"thumb", "preview"})\nCHANGING = ["a"]\nCHANGING = ["b"]\n\n\n'
    (tmp_path / "app.py").write_text(header + "def handler(x, y):\n    " + code + "\n")
    module = CodeRoot(tmp_path, [tmp_path / "app.py"], CATALOGUE).module("app")
    found = find_validations(module)
    assert [v.name.id for v in found] == names and all(v.trusted for v in found)
