"""flowgate for AWS CDK: two lines in ``app.py`` make ``cdk synth`` (and plain ``python app.py``)
refuse to produce an assembly with a blocking cross-service flow.

    from cdk_aspect import FlowGate
    FlowGate.enable(app)            # before app.synth()

``FlowGate.enable`` adds a ``FlowGateAspect`` (records the Lambda constructs: construct paths,
asset source directories, nested stacks, in-code suppressions) and registers a ``FlowGatePlugin``
with ``Validations.of(app).add_plugins``; CDK runs the plugin on the synthesized templates.
``FlowGateSuppressions`` accepts a risk on a construct, with a mandatory reason.
"""

from cdk_aspect.enable import FlowGate
from cdk_aspect.plugin import FlowGatePlugin
from cdk_aspect.recorder import FlowGateAspect
from cdk_aspect.suppressions import FlowGateSuppressions

__all__ = ["FlowGate", "FlowGateAspect", "FlowGatePlugin", "FlowGateSuppressions"]
