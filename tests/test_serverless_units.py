"""Serverless Framework input without Pysa (issue 19): variables, the compiled stack, naming, the
packaged template, and bad input as located errors."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES

from gate.common.errors import GateInputError
from gate.inputs import serverless_naming as naming
from gate.inputs.detect import load_input
from gate.inputs.local_artifacts import Artifacts
from gate.inputs.serverless import load_serverless
from gate.inputs.serverless_vars import Options, Resolver, Unknown
from gate.model.build import build_app_model

APP = FIXTURES / "sls_events"


def resolve(tmp_path: Path, config: dict, **options) -> tuple[dict, list[str]]:
    path = tmp_path / "serverless.yml"
    path.write_text("service: x\n")
    resolver = Resolver(config, path, Artifacts(tmp_path), Options(env=options.pop("env", {}), **options))
    return resolver.resolved(), resolver.warnings


def test_self_opt_sls_env_param_and_fallbacks(tmp_path):
    config = {
        "service": "shop",
        "params": {"default": {"prefix": "orders"}, "prod": {"prefix": "live-orders"}},
        "provider": {"name": "aws", "stage": "${opt:stage, 'dev'}", "region": "${opt:region, 'eu-west-1'}"},
        "custom": {"bucket": "${self:service}-${sls:stage}-uploads", "table": "${param:prefix}",
                   "home": "${env:APP_HOME, '/srv'}", "count": "${env:RETRIES, 3}",
                   "dev": {"email": "dev@example.com"}, "prod": {"email": "ops@example.com"},
                   "email": "${self:custom.${sls:stage}.email}",
                   "region": "${aws:region}", "enabled": "${strToBool(true)}", "object": "${self:custom.dev}",
                   "fallback": "${env:NOPE, self:custom.bucket}"},
    }
    out, warnings = resolve(tmp_path, config, env={"APP_HOME": "/opt/app"})
    custom = out["custom"]
    assert custom["bucket"] == "shop-dev-uploads"
    assert custom["table"] == "orders"
    assert custom["home"] == "/opt/app" and custom["count"] == 3
    assert custom["email"] == "dev@example.com"
    assert custom["region"] == "eu-west-1"
    assert custom["enabled"] is True
    assert custom["object"] == {"email": "dev@example.com"}  # a whole-value variable keeps its type
    assert custom["fallback"] == "shop-dev-uploads"
    assert warnings == []
    prod, _ = resolve(tmp_path, config, stage="prod", env={})
    assert prod["custom"]["bucket"] == "shop-prod-uploads" and prod["custom"]["table"] == "live-orders"
    assert prod["custom"]["home"] == "/srv" and prod["custom"]["email"] == "ops@example.com"
    assert resolve(tmp_path, config, params={"prefix": "cli"}, env={})[0]["custom"]["table"] == "cli"


def test_deploy_time_sources_are_unknown_and_cloudformation_is_left_alone(tmp_path):
    config = {"custom": {"secret": "${ssm:/app/secret}", "cf": "${cf:other-stack.Output}",
                         "name": "app-${ssm:/app/suffix}", "account": "arn:aws:iam::${aws:accountId}:root",
                         "sub": {"Fn::Sub": "arn:aws:s3:::${BucketName}/${AWS::Region}/*"},
                         "missing": "${env:NOT_SET_ANYWHERE}", "plugin": "${git:branch}",
                         "js": "${file(./values.js)}"}}
    (tmp_path / "values.js").write_text("module.exports = {}")
    out, warnings = resolve(tmp_path, config)
    custom = out["custom"]
    assert custom["secret"] == Unknown("${ssm:/app/secret}") and custom["cf"] == Unknown("${cf:other-stack.Output}")
    assert custom["name"] == Unknown("app-${ssm:/app/suffix}")
    assert custom["account"] == {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    assert custom["sub"] == {"Fn::Sub": "arn:aws:s3:::${BucketName}/${AWS::Region}/*"}
    assert isinstance(custom["missing"], Unknown) and isinstance(custom["plugin"], Unknown)
    assert isinstance(custom["js"], Unknown)
    assert len(warnings) == 3 and any("NOT_SET_ANYWHERE" in w for w in warnings)
    assert any("'git' is not known offline" in w for w in warnings)
    assert any("file(./values.js) is code the gate does not run" in w for w in warnings)


def test_a_file_that_is_not_here_is_unknown(tmp_path):
    out, warnings = resolve(tmp_path, {"custom": {"token": "${file(./secrets.json):TOKEN}",
                                                  "fallback": "${file(./secrets.json):TOKEN, 'none'}"}})
    assert out["custom"]["token"] == Unknown("${file(./secrets.json):TOKEN}")
    assert out["custom"]["fallback"] == Unknown("${file(./secrets.json):TOKEN}")  # the file may exist at deploy
    assert warnings[0].endswith("file(./secrets.json) does not exist here; its values are treated as unknown")
    below, _ = resolve(tmp_path, {"custom": {"all": "${file(./absent.yml)}", "one": "${self:custom.all.region}"}})
    assert below["custom"]["one"] == Unknown("${self:custom.all.region}")  # not an error: unknown below unknown


def test_file_variables_are_local_and_resolved_in_the_service(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dev.yml").write_text("stream: ${self:service}-events\nlimits:\n  retries: 2\n")
    out, _ = resolve(tmp_path, {"service": "svc", "custom": {
        "stream": "${file(./config/${sls:stage}.yml):stream}", "retries": "${file(./config/dev.yml):limits.retries}",
        "all": "${file(./config/dev.yml)}"}})
    assert out["custom"]["stream"] == "svc-events" and out["custom"]["retries"] == 2
    assert out["custom"]["all"]["limits"] == {"retries": 2}


@pytest.mark.parametrize(("config", "message"), [
    ({"custom": {"a": "${self:custom.nope}"}}, "names nothing"),
    ({"custom": {"a": "${self:custom.b}", "b": "${self:custom.a}"}}, "variable cycle"),
    ({"custom": {"a": "${file(../outside.yml):x}"}}, "outside the project directory"),
    ({"custom": {"a": "x ${self:custom.o} y", "o": {"k": 1}}}, "resolves to an object inside a string"),
])
def test_variables_that_cannot_resolve_are_located_errors(tmp_path, config, message):
    project = tmp_path / "p"
    project.mkdir()
    (tmp_path / "outside.yml").write_text("x: 1\n")
    with pytest.raises(GateInputError) as err:
        resolve(project, config)
    assert message in err.value.message
    assert str(err.value.where).startswith(str(project / "serverless.yml") + ": custom.")


def test_logical_ids_follow_the_framework():
    assert naming.function("on-upload_v2") == "OnDashuploadUnderscorev2LambdaFunction"
    assert naming.function("onHTTPPostEvent") == "OnHTTPPostEventLambdaFunction"
    assert naming.bucket("my-app.uploads") == "S3BucketMyappuploads"
    assert naming.topic("audit-events") == "SNSTopicAuditevents"
    assert naming.sqs_mapping("worker", "jobs-queue") == "WorkerEventSourceMappingSQSJobsqueue"
    assert naming.stream_mapping("w", "Dynamodb", "Orders") == "WEventSourceMappingDynamodbOrders"
    assert naming.rest_method("/orders/{id}", "POST") == "ApiGatewayMethodOrdersIdVarPost"
    assert naming.http_route("POST /jobs") == "HttpApiRoutePostJobs"


def test_the_fixture_compiles_to_the_framework_stack():
    (stack,) = load_input(APP, framework=Options(env={}))
    resources = stack.template["Resources"]
    types = {k: v["Type"] for k, v in resources.items()}
    assert stack.origin == "serverless" and stack.name == "sls-events"
    for logical, kind in {
        "CreateOrderLambdaFunction": "AWS::Lambda::Function", "IamRoleLambdaExecution": "AWS::IAM::Role",
        "DeniedEnqueueIamRoleLambdaExecution": "AWS::IAM::Role", "ApiGatewayRestApi": "AWS::ApiGateway::RestApi",
        "ApiGatewayMethodOrdersPost": "AWS::ApiGateway::Method", "HttpApiRoutePostJobs": "AWS::ApiGatewayV2::Route",
        "HttpApiIntegrationEnqueueJob": "AWS::ApiGatewayV2::Integration", "WebsocketsApi": "AWS::ApiGatewayV2::Api",
        "S3BucketSlseventsdevuploads": "AWS::S3::Bucket", "S3BucketLegacydropzone": "AWS::S3::Bucket",
        "RunJobEventSourceMappingSQSJobsQueue": "AWS::Lambda::EventSourceMapping",
        "ProfileStreamEventSourceMappingDynamodbProfilesTable": "AWS::Lambda::EventSourceMapping",
        "SNSTopicAudit": "AWS::SNS::Topic", "AuditSinkSnsSubscriptionAudit": "AWS::SNS::Subscription",
        "AppDashbusEventBridgeEventBus": "AWS::Events::EventBus", "NightlyEventsRuleSchedule1": "AWS::Events::Rule",
        "AlbHandlerAlbTargetGroup1": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "CognitoUserPoolUsers": "AWS::Cognito::UserPool", "IotHandlerIotTopicRule1": "AWS::IoT::TopicRule",
        "LogHandlerLogsSubscriptionFilterCloudWatchLog1": "AWS::Logs::SubscriptionFilter",
        "PublishAuditLambdaFunctionUrl": "AWS::Lambda::Url",
        "OrderDashflowDashdev": "AWS::StepFunctions::StateMachine",
        "JobsQueue": "AWS::SQS::Queue", "ServerlessDeploymentBucket": "AWS::S3::Bucket",
    }.items():
        assert types.get(logical) == kind, logical
    fn = resources["CreateOrderLambdaFunction"]["Properties"]
    assert fn["FunctionName"] == "sls-events-dev-createOrder" and fn["Runtime"] == "python3.12"
    assert fn["Environment"]["Variables"] == {"BUCKET_NAME": "sls-events-dev-uploads",
                                              "TABLE_NAME": "orders-dev"}
    bucket = resources["S3BucketSlseventsdevuploads"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}  # resources merged over the generated bucket
    assert bucket["NotificationConfiguration"]["LambdaConfigurations"][0]["Filter"] == {
        "S3Key": {"Rules": [{"Name": "prefix", "Value": "uploads/"}]}}
    assert resources["EventsStream"]["Properties"]["Name"] == "sls-events-events"  # ${file(...)} and ${self:}
    assert resources["AppDashbusEventBridgeEventBus"]["Properties"]["Name"] == "app-bus"  # nested variable
    denied = resources["DeniedEnqueueIamRoleLambdaExecution"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert [s["Action"] for s in denied["Statement"]] == [["s3:GetObject"]]  # not inherited
    inherit = resources["CognitoTriggerIamRoleLambdaExecution"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert len(inherit["Statement"]) == 6  # its own statement and the provider's five
    machine = resources["OrderDashflowDashdev"]["Properties"]
    assert machine["Definition"]["States"]["Work"]["Resource"] == {"Fn::GetAtt": ["StepWorkerLambdaFunction", "Arn"]}
    assert stack.construct_paths["CreateOrderLambdaFunction"] == "createOrder"
    assert stack.code_dirs["CreateOrderLambdaFunction"] == APP.resolve()
    assert set(stack.external) == {"S3BucketLegacydropzone"}
    assert stack.warnings == []  # ssm is known to be deploy-time, kafka a known outside producer
    assert ("KafkaConsumerLambdaFunction", "ExternalResource", "kafka event") in stack.api_events
    model = build_app_model([stack])
    assert model.display_name("sls-events/CreateOrderLambdaFunction") == "createOrder"
    assert model.functions["sls-events/CreateOrderLambdaFunction"].handler_file == "src/orders.py"


def test_stage_option_changes_names(tmp_path):
    (stack,) = load_input(APP, framework=Options(stage="prod", env={}))
    props = stack.template["Resources"]["CreateOrderLambdaFunction"]["Properties"]
    assert props["Environment"]["Variables"]["TABLE_NAME"] == "prod-orders-prod"
    assert "AppDashbusDashprodEventBridgeEventBus" in stack.template["Resources"]
    assert "OrderDashflowDashprod" in stack.template["Resources"]


def test_packaged_template_is_read_when_newer(tmp_path):
    import zipfile

    (tmp_path / "serverless.yml").write_text("service: pkg\nprovider: {name: aws, runtime: python3.12}\n"
                                             "functions:\n  hello:\n    handler: app.handler\n")
    os.utime(tmp_path / "serverless.yml", (1_000_000, 1_000_000))
    out = tmp_path / ".serverless"
    out.mkdir()
    with zipfile.ZipFile(out / "pkg.zip", "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return 1\n")
    (out / "cloudformation-template-update-stack.json").write_text(json.dumps({"Resources": {
        "HelloLambdaFunction": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "app.handler", "Role": "arn:aws:iam::1:role/r",
            "Code": {"S3Bucket": {"Ref": "ServerlessDeploymentBucket"}, "S3Key": "serverless/pkg/dev/1/pkg.zip"}}},
        "ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket"}}}))
    (stack,) = load_input(tmp_path, framework=Options(env={}))
    assert stack.template_path.name == "cloudformation-template-update-stack.json"
    assert stack.code_dirs == {"HelloLambdaFunction": out / "pkg.zip"}
    assert stack.construct_paths == {"HelloLambdaFunction": "hello"}
    assert "serverless package output, newer than serverless.yml" in stack.warnings[0]
    os.utime(tmp_path / "serverless.yml", None)  # now the configuration is newer: it is compiled
    (stack,) = load_input(tmp_path, framework=Options(env={}))
    assert stack.template_path.name == "serverless.yml"


@pytest.mark.parametrize(("text", "message"), [
    ("service: x\nprovider: {name: google}\n", "provider 'google' is not aws"),
    ("service: x\nprovider: {name: aws}\nfunctions:\n  f:\n    runtime: python3.12\n", "function has no handler"),
    ("service: x\nprovider: {name: aws}\nfunctions:\n  f:\n    handler: a.b\n    events: {http: x}\n",
     "events is not a list"),
    ("provider: {name: aws}\n", "no service name"),
    ("service: x\nprovider: {name: aws, runtime: pyhton3.12}\nfunctions:\n  f:\n    handler: a.b\n",
     "unknown Lambda runtime 'pyhton3.12'"),
    ("service: x\nprovider: {name: aws}\nfunctions:\n  f:\n    handler: a.b\n    events:\n      - s3: {}\n",
     "s3 event without a bucket name"),
    ("service: [x\n", "does not parse"),
])
def test_bad_configurations_are_located_errors(tmp_path, text, message):
    (tmp_path / "serverless.yml").write_text(textwrap.dedent(text))
    with pytest.raises(GateInputError) as err:
        load_serverless(tmp_path / "serverless.yml", Options(env={}))
    assert message in err.value.message, err.value
    assert "serverless.yml" in str(err.value.where)


def test_lift_constructs_and_short_events(tmp_path):
    (tmp_path / "serverless.yml").write_text(textwrap.dedent("""\
        service: lifted
        provider: {name: aws, runtime: python3.12}
        plugins: [serverless-lift]
        constructs:
          jobs:
            type: queue
            worker:
              handler: worker.consume
          uploads:
            type: storage
          landing:
            type: static-website
        functions:
          producer:
            handler: api.produce
            environment:
              QUEUE_URL: ${construct:jobs.queueUrl}
              BUCKET: ${construct:uploads.bucketName}
            events:
              - alexaSkill
        """))
    (stack,) = load_serverless(tmp_path / "serverless.yml", Options(env={}))
    resources = stack.template["Resources"]
    assert resources["JobsQueue"]["Type"] == "AWS::SQS::Queue"
    assert resources["UploadsBucket"]["Type"] == "AWS::S3::Bucket"
    worker = resources["JobsWorkerLambdaFunction"]["Properties"]
    assert worker["Handler"] == "worker.consume" and stack.construct_paths["JobsWorkerLambdaFunction"] == "jobsWorker"
    mapping = resources["JobsWorkerEventSourceMappingSQSJobsQueue"]["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    env = resources["ProducerLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert env == {"QUEUE_URL": {"Ref": "JobsQueue"}, "BUCKET": {"Ref": "UploadsBucket"}}
    actions = [a for s in resources["IamRoleLambdaExecution"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"] for a in s["Action"]]
    assert "sqs:SendMessage" in actions and "s3:PutObject" in actions  # what Lift grants every function
    assert ("ProducerLambdaFunction", "ExternalResource", "alexaSkill event") in stack.api_events
    assert any("'static-website' is not modelled" in w for w in stack.warnings)
    model = build_app_model([stack])
    assert {(t.service, t.source.split("/")[1], t.function.split("/")[1]) for t in model.triggers
            if t.service != "lambda"} == {
        ("sqs", "JobsQueue", "JobsWorkerLambdaFunction")}


def test_event_settings_known_only_at_deploy_time(tmp_path):
    (tmp_path / "serverless.yml").write_text(textwrap.dedent("""\
        service: late
        provider: {name: aws, runtime: python3.12}
        functions:
          f:
            handler: app.handler
            url: ${ssm:/late/url-enabled}
            events:
              - schedule: ${ssm:/late/rate}
              - http: ${ssm:/late/route}
        """))
    (stack,) = load_serverless(tmp_path / "serverless.yml", Options(env={}))
    rule = stack.template["Resources"]["FEventsRuleSchedule1"]["Properties"]
    ref = rule["ScheduleExpression"]["Ref"]  # an unknown rate, still a schedule
    assert stack.template["Parameters"][ref]["Description"].startswith("${ssm:/late/rate}")
    assert ("FLambdaFunction", "ExternalResource", "http event") in stack.api_events
    assert any("the http event's settings are known only at deploy time" in w for w in stack.warnings)
    assert stack.template["Resources"]["FLambdaFunctionUrl"]["Type"] == "AWS::Lambda::Url"  # may be enabled
