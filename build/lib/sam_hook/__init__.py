"""SAM integration: gate ``sam build`` on policy-defined flows.

SAM CLI has no plugin or post-build hook, so the gate wraps the build (``flowgate sam build ...``
runs the real ``sam build`` and then checks its output) or runs as the next pipeline step
(``flowgate sam check``). A blocked build is made undeployable: ``.aws-sam/build/template.yaml`` is
moved aside, because ``sam deploy`` would otherwise pick it up.
"""
