"""The Serverless Framework's CloudFormation logical IDs, so ``Ref``/``GetAtt`` in ``resources`` resolve.

A service's ``resources`` section refers to what the Framework generates by the names the
Framework gives it (``OnUploadLambdaFunction``, ``S3BucketUploads``, ``IamRoleLambdaExecution``);
these functions give the same names, following the Framework's documented naming rules.
"""

from __future__ import annotations

import re


def upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


def alphanumeric(name: str) -> str:
    return upper_first(re.sub(r"[^0-9A-Za-z]", "", name))


def normalized(name: str) -> str:
    """Function (and layer, bus) names: ``-`` is ``Dash``, ``_`` is ``Underscore``, first letter up."""
    return upper_first(name.replace("-", "Dash").replace("_", "Underscore"))


def path_part(part: str) -> str:
    text = part[:1].upper() + part[1:].lower()
    text = re.sub(r"\{(.*)\}", r"\1Var", text.replace("-", "Dash"))
    return upper_first(re.sub(r"[^0-9A-Za-z]", "", text))


def api_path(path: str) -> str:
    return "".join(path_part(p) for p in path.split("/"))


def function(key: str) -> str:
    return f"{normalized(key)}LambdaFunction"


def layer(key: str) -> str:
    return f"{normalized(key)}LambdaLayer"


ROLE = "IamRoleLambdaExecution"
REST_API = "ApiGatewayRestApi"
HTTP_API = "HttpApi"
WEBSOCKETS_API = "WebsocketsApi"
DEPLOYMENT_BUCKET = "ServerlessDeploymentBucket"


def per_function_role(key: str) -> str:
    """The ``serverless-iam-roles-per-function`` plugin's role for one function."""
    return f"{normalized(key)}IamRoleLambdaExecution"


def bucket(name: str) -> str:
    return f"S3Bucket{alphanumeric(name)}"


def topic(name: str) -> str:
    return f"SNSTopic{alphanumeric(name)}"


def sns_subscription(key: str, topic_name: str) -> str:
    return f"{normalized(key)}SnsSubscription{alphanumeric(topic_name)}"


def sqs_mapping(key: str, queue: str) -> str:
    return f"{normalized(key)}EventSourceMappingSQS{alphanumeric(queue)}"


def stream_mapping(key: str, kind: str, stream: str) -> str:
    return f"{normalized(key)}EventSourceMapping{upper_first(kind)}{alphanumeric(stream)}"


def schedule_rule(key: str, index: int) -> str:
    return f"{normalized(key)}EventsRuleSchedule{index}"


def cloudwatch_event_rule(key: str, index: int) -> str:
    return f"{normalized(key)}EventsRuleCloudWatchEvent{index}"


def event_bus(name: str) -> str:
    return f"{normalized(name)}EventBridgeEventBus"


def event_bridge_rule(rule_name: str) -> str:
    return f"{alphanumeric(rule_name)}EventBridgeRule"


def rest_method(path: str, method: str) -> str:
    return f"ApiGatewayMethod{api_path(path)}{upper_first(method.lower())}"


def http_integration(key: str) -> str:
    return f"HttpApiIntegration{normalized(key)}"


def http_route(route_key: str) -> str:
    return "HttpApiRouteDefault" if route_key == "*" else f"HttpApiRoute{api_path(route_key)}"


def websockets_integration(key: str) -> str:
    return f"{normalized(key)}WebsocketsIntegration"


def function_url(key: str) -> str:
    return f"{normalized(key)}LambdaFunctionUrl"


def alb_target_group(key: str, index: int) -> str:
    return f"{normalized(key)}AlbTargetGroup{index}"


def cognito_pool(pool: str) -> str:
    return f"CognitoUserPool{alphanumeric(pool)}"


def iot_rule(key: str, index: int) -> str:
    return f"{normalized(key)}IotTopicRule{index}"


def log_subscription(key: str, index: int) -> str:
    return f"{normalized(key)}LogsSubscriptionFilterCloudWatchLog{index}"


def state_machine(key: str, custom: str | None) -> str:
    """The ``serverless-step-functions`` plugin's name: its ``id`` or ``name`` if given, normalized."""
    return normalized(custom) if custom else f"{normalized(key)}StepFunctionsStateMachine"
