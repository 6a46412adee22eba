"""The account and region the gate renders ARNs in.

Nothing is deployed and no AWS call is made, so templates' pseudo-parameters (``AWS::AccountId``,
``AWS::Region``) take these placeholder values wherever an ARN must be spelled out — the same ones
the SAM translator is given — and every module that builds or compares ARNs uses this one pair.
"""

from __future__ import annotations

ACCOUNT = "123456789012"
REGION = "us-east-1"
