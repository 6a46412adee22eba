"""``FlowGate.enable(app)``: the two-line setup, and a clean exit when the gate blocks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from cdk_aspect.plugin import REPORT_FORMATS, FlowGatePlugin, GateOptions
from cdk_aspect.recorder import FlowGateAspect


class FlowGate:
    @staticmethod
    def enable(app: Any, *, policy: str | Path | None = None, fail_on: str | None = None,
               allow_incomplete: bool = False, reports: tuple[str, ...] = REPORT_FORMATS,
               cache_dir: str | Path | None = None, no_cache: bool = False) -> FlowGatePlugin:
        """Gate ``app``'s synthesis. ``policy``: a flowgate.yml (default: ``flowgate.yml`` in the current
        directory if there is one, else the bundled policy); ``fail_on``: lowest blocking severity;
        ``reports``: formats written to ``cdk.out/flowgate/``; the Pysa result cache is on unless
        ``no_cache`` (or ``$FLOWGATE_NO_CACHE``)."""
        unknown = [r for r in reports if r not in REPORT_FORMATS]
        if unknown:
            raise ValueError(f"unknown report format(s) {unknown}; known: {list(REPORT_FORMATS)}")
        aspect = FlowGateAspect()
        options = GateOptions(Path(policy) if policy else None, fail_on, allow_incomplete, tuple(reports),
                              Path(cache_dir) if cache_dir else None, no_cache)
        plugin = FlowGatePlugin(aspect, options)
        cdk.Aspects.of(app).add(aspect)
        cdk.Validations.of(app).add_plugins(plugin)
        _gate_synth(app, aspect, plugin)
        return plugin


def _gate_synth(app: Any, aspect: FlowGateAspect, plugin: FlowGatePlugin) -> None:
    """Wrap ``app.synth`` so that a blocked synthesis always ends the app with exit code 1.

    CDK alone does not guarantee that: under the CDK CLI it reports violations only for the stacks
    the CLI selected (none by default when every stack is inside a ``Stage``), and plain
    ``python app.py`` gets a ``RuntimeError`` with a JavaScript stack trace. The wrapper also adds
    the aspect to every ``Stage``, because aspects do not cross stage boundaries.
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
            _blocked()
        return assembly

    app.synth = synth


def _blocked() -> None:
    print("flowgate: synthesis blocked (exit 1)", file=sys.stderr)
    sys.exit(1)
