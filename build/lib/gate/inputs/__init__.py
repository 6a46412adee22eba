"""Stage 1, inputs: what the user points at, turned into CloudFormation ``Stack`` objects.

``detect`` chooses the input format (a SAM/CloudFormation project or template, a CDK cloud
assembly); ``templates``, ``cfn_yaml``, ``sam``, ``nested``, ``construct_index`` and
``cloud_assembly`` decode, translate and follow them. A new input format is one more module here
and one more entry in ``detect.INPUT_FORMATS``. Imports ``gate.common`` only."""
