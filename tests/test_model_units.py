"""The model stage's IAM evaluation on small roles (fast lane): pruning only when the answer is
certainly "deny" (issue 16, item 2)."""

from __future__ import annotations

import pytest

from gate.model.iam import Target, evaluate, function_permissions

TABLE = Target("Orders", "orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", ref_is_arn=False)


def _permissions(statements=(), managed=()):
    template = {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": list(statements)}}],
            "ManagedPolicyArns": [f"arn:aws:iam::aws:policy/{m}" for m in managed]}},
    }
    return function_permissions(template["Fn"]["Properties"], template)


@pytest.mark.parametrize(("resource", "verdict"), [
    ("arn:aws:dynamodb:eu-central-1:*:table/orders", "unknown"),  # the region it may be deployed to
    ("arn:aws:dynamodb:*:111122223333:table/orders", "unknown"),  # ... and the account
    ("arn:aws:dynamodb:eu-central-1:111122223333:table/orders", "unknown"),
    ("arn:aws:dynamodb:*:*:table/orders", "allow"),
    ("arn:aws:dynamodb:eu-central-1:*:table/invoices", "deny"),  # another table wherever it runs
    ("arn:aws:sqs:eu-central-1:*:orders", "deny"),  # another service
])
def test_literal_regions_and_accounts_decide_nothing(resource, verdict):
    perms = _permissions([{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": resource}])
    assert evaluate(perms, "dynamodb:PutItem", TABLE, TABLE.arn)[0] == verdict


def test_a_deny_in_another_region_does_not_deny_here():
    perms = _permissions([{"Effect": "Allow", "Action": "*", "Resource": "*"},
                          {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:eu-west-1:*:*"}])
    assert evaluate(perms, "dynamodb:PutItem", TABLE, TABLE.arn)[0] != "deny"  # the edge is kept


@pytest.mark.parametrize(("action", "verdict"), [
    ("dynamodb:PutItem", "allow"), ("states:StartExecution", "allow"), ("ses:SendEmail", "allow"),
    ("firehose:PutRecord", "allow"), ("iam:CreateUser", "deny"), ("organizations:LeaveOrganization", "deny"),
])
def test_power_user_access_allows_everything_but_iam_organizations_and_account(action, verdict):
    perms = _permissions(managed=["PowerUserAccess"])
    assert evaluate(perms, action, TABLE, TABLE.arn)[0] == verdict


def test_a_disabled_rule_starts_nothing_whatever_brings_the_event(tmp_path):
    """A ``State: DISABLED`` rule matches no event: neither a bus's put_events nor S3 object events
    delivered through EventBridge reach its target; the enabled twin's target is reached."""
    from gate.inputs.detect import load_input
    from gate.model.build import build_app_model

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return None\n")
    rule = """
  {name}:
    Type: AWS::Events::Rule
    Properties:
      State: {state}
      EventPattern: {{source: [aws.s3, orders.api], detail-type: [Object Created, OrderPlaced]}}
      Targets: [{{Id: t, Arn: !GetAtt {target}.Arn}}]
  {target}:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: src/, Handler: app.handler}}
"""
    (tmp_path / "template.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nResources:\n'
        "  Inbox:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        "      NotificationConfiguration: {EventBridgeConfiguration: {EventBridgeEnabled: true}}\n"
        + rule.format(name="OnRule", state="ENABLED", target="OnFunction")
        + rule.format(name="OffRule", state="DISABLED", target="OffFunction"))
    model = build_app_model(load_input(tmp_path / "template.yaml"))
    started = {(t.service, t.function.rpartition("/")[2]) for t in model.triggers
               if not t.details.get("implicit")}  # every function may be invoked directly
    assert ("s3", "OnFunction") in started and ("events", "OnFunction") in started
    assert not any(fn == "OffFunction" for _service, fn in started)
