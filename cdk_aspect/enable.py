"""``FlowGate.enable(app)``: the two-line setup, and a clean exit when the gate blocks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from cdk_aspect.plugin import PLUGIN_NAME, REPORT_FORMATS, FlowGatePlugin, GateOptions
from cdk_aspect.recorder import FlowGateAspect


class FlowGate:
    @staticmethod
    def enable(app: Any, *, policy: str | Path | None = None, fail_on: str | None = None,
               allow_incomplete: bool = False, reports: tuple[str, ...] = REPORT_FORMATS,
               cache_dir: str | Path | None = None, no_cache: bool = False,
               policy_floor: str | Path | None = None) -> FlowGatePlugin:
        """Gate ``app``'s synthesis. ``policy``: a flowgate.yml (default: ``flowgate.yml`` in the current
        directory if there is one, else the bundled policy); ``fail_on``: lowest blocking severity;
        ``reports``: formats written to ``cdk.out/flowgate/``; the Pysa result cache is on unless
        ``no_cache`` (or ``$FLOWGATE_NO_CACHE``); ``policy_floor``: the pipeline's floor, which the
        policy may tighten but not lower (default: ``$FLOWGATE_POLICY_FLOOR``)."""
        unknown = [r for r in reports if r not in REPORT_FORMATS]
        if unknown:
            raise ValueError(f"unknown report format(s) {unknown}; known: {list(REPORT_FORMATS)}")
        aspect = FlowGateAspect()
        options = GateOptions(Path(policy) if policy else None, fail_on, allow_incomplete, tuple(reports),
                              Path(cache_dir) if cache_dir else None, no_cache,
                              policy_floor=Path(policy_floor) if policy_floor else None)
        plugin = FlowGatePlugin(aspect, options)
        cdk.Aspects.of(app).add(aspect)
        cdk.Validations.of(app).add_plugins(plugin)
        _gate_synth(app, aspect, plugin)
        return plugin


def _gate_synth(app: Any, aspect: FlowGateAspect, plugin: FlowGatePlugin) -> None:
    """Wrap ``app.synth`` so that a blocked synthesis always ends the app with exit code 1.

    CDK alone does not guarantee that: under the CDK CLI it reports violations only for the stacks
    the CLI selected (none by default when every stack is inside a ``Stage``), and plain
    ``python app.py`` gets a ``RuntimeError`` with a JavaScript stack trace (after CDK printed every
    plugin's report). With stacks outside a ``Stage`` the CLI prints every plugin's report and exits
    1 itself, so the wrapper leaves it to CDK. The wrapper also adds the aspect to every ``Stage``,
    because aspects do not cross stage boundaries.
    """
    original = app.synth

    def synth(*args: Any, **kwargs: Any) -> Any:
        for construct in app.node.find_all():
            if cdk.Stage.is_stage(construct) and construct.node.path:
                cdk.Aspects.of(construct).add(aspect)
        try:
            assembly = original(*args, **kwargs)
        except RuntimeError as exc:
            if plugin.failed and "ValidationFailed" in str(exc):
                _blocked()
            raise
        if plugin.failed:
            if _stacks_outside_stages(app):
                # The CDK CLI prints every plugin's report (cdk-nag's too) and exits 1 itself.
                return assembly
            _print_other_plugins(Path(assembly.directory))
            _blocked()
        return assembly

    app.synth = synth


def _stacks_outside_stages(app: Any) -> bool:
    return any(cdk.Stack.is_stack(c) and cdk.Stage.of(c) is app for c in app.node.find_all())


def _print_other_plugins(outdir: Path) -> None:
    """When only flowgate can end the synthesis (every stack in a ``Stage``: the CLI reports none),
    the other validation plugins' violations (cdk-nag's, say) are printed from CDK's own
    ``validation-report.json`` too, so ending it does not hide them."""
    import json

    try:
        report = json.loads((outdir / "validation-report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for plugin_report in report.get("pluginReports") or []:
        name = plugin_report.get("pluginName")
        if name == PLUGIN_NAME or plugin_report.get("conclusion") != "failure":
            continue
        for v in plugin_report.get("violations") or []:
            where = ", ".join(c.get("constructPath", "?") for c in v.get("violatingConstructs") or [])
            print(f"{name}: [{v.get('severity')}] {v.get('ruleName')}: {v.get('description')} ({where})",
                  file=sys.stderr)


def _blocked() -> None:
    print("flowgate: synthesis blocked (exit 1)", file=sys.stderr)
    sys.exit(1)
