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
        _install_excepthook(plugin)
        return plugin


def _install_excepthook(plugin: FlowGatePlugin) -> None:
    """When the gate blocks, ``app.synth()`` raises jsii's ``RuntimeError: ValidationFailed`` with a
    JavaScript stack: the report above already says everything, so print one line and exit 1."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        if plugin.failed and isinstance(exc, RuntimeError) and "ValidationFailed" in str(exc):
            print(f"flowgate: synthesis blocked ({str(exc).removeprefix('ValidationFailed: ')})", file=sys.stderr)
            return
        previous(exc_type, exc, tb)

    sys.excepthook = hook
