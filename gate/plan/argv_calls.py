"""Process calls in list form: ``subprocess.run(["convert", path])`` without ``shell=True`` runs one
program with arguments, so only the program (the first element) is command injection.

Pysa's model of ``subprocess.run`` cannot tell a list from a command string, so every such call
would be a code-injection sink for every element. In the copy, a list-form call becomes a call of
``flowgate_sdk.subprocess_<name>_argv`` (one per function, so reports still name it), whose model
makes only the first element a sink. A call keeps the
ordinary sink when ``shell`` may be true, when the list is not written out at the call (or in the
one assignment of a name), or when the program is a shell or an interpreter (``["sh", "-c", cmd]``
runs ``cmd`` as code).
"""

from __future__ import annotations

import ast

from gate.plan.types import SdkSite
from gate.pyast.index import ModuleIndex
from gate.pyast.resolve import definition

_CALLS = ("run", "call", "check_call", "check_output", "Popen")
# helper -> the callable reports name (what Pysa's own model of the call is called)
ARGV_HELPERS = {f"subprocess_{name}_argv": f"subprocess.{name}" + (".__init__" if name == "Popen" else "")
                for name in _CALLS}
_INTERPRETERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "cmd", "cmd.exe", "powershell", "pwsh",
                           "python", "python3", "node", "perl", "ruby", "php", "lua", "osascript", "env",
                           "xargs", "sudo", "su", "eval", "exec", "timeout", "nohup"})


def argv_sites(module: ModuleIndex) -> list[SdkSite]:
    if "subprocess" not in module.source:
        return []
    out = []
    for call, scope in module.calls:
        name = _subprocess_call(module, call.func)
        if name is None:
            continue
        argv = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "args"), None)
        if argv is None or any(isinstance(a, ast.Starred) for a in call.args[:1]):
            continue
        shell = next((k.value for k in call.keywords if k.arg == "shell"), None)
        if shell is not None and not (isinstance(shell, ast.Constant) and shell.value is False):
            continue
        argv, _ = definition(argv, scope)
        if not isinstance(argv, ast.List | ast.Tuple) or not argv.elts or isinstance(argv.elts[0], ast.Starred):
            continue
        program = argv.elts[0]
        if isinstance(program, ast.Constant) and isinstance(program.value, str) and _interpreter(program.value):
            continue
        out.append(SdkSite(module, call, f"subprocess_{name}_argv"))
    return out


def _interpreter(program: str) -> bool:
    """``/bin/bash``, ``python3.12``, ``cmd.exe``: a program that runs its arguments as code."""
    name = program.rsplit("/", 1)[-1].removesuffix(".exe")
    return name in _INTERPRETERS or name.rstrip("0123456789.") in _INTERPRETERS


def _subprocess_call(module: ModuleIndex, func: ast.expr) -> str | None:
    """``run`` for ``subprocess.run`` / ``sp.run`` / ``run`` imported from subprocess, else None."""
    if isinstance(func, ast.Attribute) and func.attr in _CALLS and isinstance(func.value, ast.Name):
        return func.attr if module.imports.get(func.value.id) == ("subprocess", None) else None
    if isinstance(func, ast.Name):
        origin = module.imports.get(func.id)
        if origin is not None and origin[0] == "subprocess" and origin[1] in _CALLS:
            return origin[1]
    return None
