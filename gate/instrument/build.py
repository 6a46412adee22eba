"""Write the instrumented copy that Pysa analyses. The user's tree is only ever read.

Each function code root is copied under a unique package name (``fgpkg_<n>_<dir>``) so that many
``app.py``/``index.py`` files cannot collide (pyre-check #823). Rewrites are *text edits that keep
every line where it was*, so a line reported by Pysa is the user's line:

* absolute imports of the code root's own modules gain the package prefix;
* an SDK write ``s3.put_object(...)`` becomes ``_fg_hops.hop_3_s3_put_object(...)``, a generated
  function that builds the event the trigger would deliver and calls the triggered handler;
* SDK calls that are sources or sinks become calls of modelled helpers in ``flowgate_sdk``;
* ``x.get("key")`` / ``x.get("key", default)`` on untyped values becomes ``x["key"] or (default)``:
  Pysa loses the access path through an unresolved ``.get`` (it tracks ``x[get]``), but follows
  ``x["key"]`` exactly. The copy is never executed, so the KeyError semantics do not matter.

The hop module, the anchor module and the per-app taint models are generated beside the packages.
"""

from __future__ import annotations

from pathlib import Path

from gate.common.errors import GateInputError
from gate.instrument.hops import _hops_module
from gate.instrument.models import _app_models, _policy_models, _taint_config, content_legs
from gate.instrument.rewrite import _copy_code_root
from gate.instrument.types import (
    HOPS_MODULE,
    SDK_MODULE,
    InstrumentedApp,
)
from gate.model.types import AppModel
from gate.plan.argv_calls import ARGV_HELPERS
from gate.plan.types import Plan
from gate.policy.types import Policy
from gate.services.registry import SERVICES

DATA_DIR = Path(__file__).parents[1] / "pysa_data"


def instrument(model: AppModel, plan: Plan, workdir: Path, policy: Policy) -> InstrumentedApp:
    """The instrumented copy, in memory (``InstrumentedApp.files``); ``materialize`` writes it under
    ``workdir``. A warm scan only needs its digest, and skips writing thousands of files."""
    app = InstrumentedApp(workdir / "root", workdir / "models", workdir / "stubs", content=plan.content,
                          content_legs=content_legs(policy.rules, plan.content))
    for path in sorted((DATA_DIR / "stubs").rglob("*.pyi")):
        app.files[app.stubs_dir / path.relative_to(DATA_DIR / "stubs")] = path.read_text(encoding="utf-8")
    app.helper_names.update(ARGV_HELPERS)
    app.helper_names["traceback_printed"] = "traceback.print_exc"  # and print_exception, print_tb, ...
    app.helper_names["exception_repr"] = "repr"
    for service in SERVICES.values():  # a sink in an SDK helper is named as the SDK call it replaces
        for (_receiver, method), helper in sorted(service.sdk_helpers.items()):
            app.helper_names.setdefault(helper.name, f"{service.name}.{method}")
    for code_root in plan.roots:
        _copy_code_root(code_root, app)
    root, models_dir = app.root, app.models_dir
    app.set_blocks(root / f"{HOPS_MODULE}.py", _hops_module(model, plan, app))
    app.files[root / f"{SDK_MODULE}.py"] = (DATA_DIR / "flowgate_sdk.py").read_text(encoding="utf-8")
    app.files[root / "flowgate_anchor.py"] = (DATA_DIR / "flowgate_anchor.py").read_text(encoding="utf-8")
    app.files[models_dir / "taint.config"] = _taint_config(policy, app)
    app.files[models_dir / "sinks_sources.pysa"] = (DATA_DIR / "sinks_sources.pysa").read_text(encoding="utf-8")
    app.set_blocks(models_dir / "app.pysa", _app_models(model, plan, app, policy))
    policy_models, anchors = _policy_models(plan, policy)
    app.set_blocks(models_dir / "policy.pysa", policy_models)
    app.files[root / "flowgate_policy_anchor.py"] = (
        '"""Imports the modules the policy names, so its models verify."""\n'
        + "".join(f"import {m}  # noqa: F401\n" for m in anchors))
    return app


def materialize(app: InstrumentedApp, files: dict[Path, str] | None = None) -> None:
    """Write the copy (or ``files``, a part of it) where Pysa reads it; a full or read-only scratch
    file system is a located error naming the directory, not an internal error."""
    try:
        for d in (app.root, app.models_dir, app.stubs_dir):
            d.mkdir(parents=True, exist_ok=True)
        made: set[Path] = set()
        for path, text in (app.files if files is None else files).items():
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GateInputError(f"cannot write the instrumented copy: {exc.strerror or exc} (set "
                             "$FLOWGATE_TMPDIR to a file system with room)",
                             str(app.root.parent)) from None
