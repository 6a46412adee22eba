"""The bad-and-awkward-input corpus: each case builds a project, runs `flowgate scan` in-process and
checks the promised outcome — never a traceback; exit 2 with a located message when the app cannot be
analysed; per-function problems listed and blocking unless --allow-incomplete; the project tree is
never written. Cases are built by code so that odd bytes (CRLF, Latin-1, NUL, symlink loops) survive
version control. Real Pysa runs for the cases that get that far (about a dozen)."""

from __future__ import annotations

import json
import resource
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import tree_digest

from gate.cli import main as cli


@dataclass
class Case:
    build: Callable[[Path], None]
    exit: int
    err: tuple[str, ...] = ()  # substrings of stderr
    out: tuple[str, ...] = ()  # substrings of stdout (the text report)
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    check: Callable[[str], None] | None = None  # extra assertion on stdout


CASES: dict[str, Case] = {}


def case(name: str, exit: int, **kw) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def register(build: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES[name] = Case(build, exit, **kw)
        return build
    return register


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


SAM_HEAD = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
"""
VULNERABLE = """\
import os


def handler(event, context):
    os.system("echo " + event["body"])
"""
CLEAN = """\
def handler(event, context):
    return {"statusCode": 200}
"""


def sam(d: Path, functions: dict[str, str], extra: str = "", head: str = "") -> None:
    """A SAM template with one HttpApi-triggered Python function per entry (logical ID -> CodeUri)."""
    body = "".join(f"""
  {fid}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {uri}
      Handler: app.handler
      Events: {{Api: {{Type: HttpApi, Properties: {{Path: /{fid.lower()}, Method: post}}}}}}
""" for fid, uri in functions.items())
    (d / "template.yaml").write_text(SAM_HEAD + head + "Resources:" + body + extra, encoding="utf-8")


# --- templates that cannot be read: exit 2, located ------------------------------------------------


# CloudFormation would reject these (issue 17): a typo must not make the gate skip what it cannot read.
@case("unknown-intrinsic-function", 2, err=("template.yaml:12: resource Other: unknown intrinsic function "
                                            "'Fn::Frobnicate'", "CloudFormation would reject this template"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"}, extra="""
  Other:
    Type: AWS::SQS::Queue
    Properties: {QueueName: {"Fn::Frobnicate": [a, b]}}
""")
    write(d / "src" / "app.py", VULNERABLE)


@case("misspelt-runtime", 2, err=("template.yaml:4: resource Fn: unknown Lambda runtime 'pyhton3.12' "
                                  "(did you mean 'python3.12'?)",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    text = (d / "template.yaml").read_text().replace("python3.12", "pyhton3.12")
    (d / "template.yaml").write_text(text)
    write(d / "src" / "app.py", VULNERABLE)


@case("misspelt-resource-type", 2, err=("template.yaml:12: resource Queue: unknown resource type "
                                        "'AWS::SQS::Queu' (did you mean 'AWS::SQS::Queue'?)",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"}, extra="""
  Queue:
    Type: AWS::SQS::Queu
""")
    write(d / "src" / "app.py", VULNERABLE)


@case("misspelt-globals-runtime", 2, err=("template.yaml:3: Globals.Function: unknown Lambda runtime 'python3.21'",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"}, head="Globals:\n  Function:\n    Runtime: python3.21\n")
    write(d / "src" / "app.py", VULNERABLE)


@case("lambda-function-without-role", 2, err=("template.yaml:3: resource Fn: AWS::Lambda::Function is missing "
                                              "required property Role",))
def _(d: Path) -> None:
    write(d / "template.yaml", """
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          Fn:
            Type: AWS::Lambda::Function
            Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
    """)
    write(d / "src" / "app.py", VULNERABLE)


@case("state-machine-definition-outside-the-project", 2, err=("DefinitionUri '../elsewhere.asl.json' is outside "
                                                              "the project directory",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"}, extra="""
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties: {DefinitionUri: ../elsewhere.asl.json}
""")
    write(d.parent / "elsewhere.asl.json", '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    write(d / "src" / "app.py", VULNERABLE)


@case("code-uri-outside-the-project", 2, err=("not analysed: Fn: code directory ", "is outside the project directory"))
def _(d: Path) -> None:
    sam(d, {"Fn": "../shared-src/"})
    write(d.parent / "shared-src" / "app.py", VULNERABLE)


@case("fn-if-chooses-the-subscribed-function", 1, out=("HttpApi → Fn → sqs:Jobs → Blue → os.system",
                                                       "HttpApi → Fn → sqs:Jobs → Green → os.system"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"}, head="Conditions:\n  IsBlue: !Equals [!Ref AWS::StackName, blue]\n", extra="""
  Jobs:
    Type: AWS::SQS::Queue
  Blue:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, CodeUri: blue/, Handler: app.handler}
  Green:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, CodeUri: green/, Handler: app.handler}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !If [IsBlue, !Ref Blue, !Ref Green]
""")
    (d / "template.yaml").write_text((d / "template.yaml").read_text().replace(
        "      Handler: app.handler\n      Events:",
        "      Handler: app.handler\n      Environment: {Variables: {JOBS: !Ref Jobs}}\n"
        "      Policies: [{SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}}]\n      Events:", 1))
    write(d / "src" / "app.py", """
        import os

        import boto3


        def handler(event, context):
            boto3.client("sqs").send_message(QueueUrl=os.environ["JOBS"], MessageBody=event["body"])
    """)
    worker = """
        import os


        def handler(event, context):
            os.system(event["Records"][0]["body"])
    """
    write(d / "blue" / "app.py", worker)
    write(d / "green" / "app.py", worker)


@case("include-of-a-missing-file", 2, err=("AWS::Include Location 'api/missing.yaml' not found",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"}, extra="""
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody: {"Fn::Transform": {Name: AWS::Include, Parameters: {Location: api/missing.yaml}}}
""")
    write(d / "src" / "app.py", VULNERABLE)


@case("malformed-yaml", 2, err=("template.yaml",))
def _(d: Path) -> None:
    write(d / "template.yaml", "Resources:\n  Fn: [unclosed\n    Type: x\n")


@case("malformed-json", 2, err=("template.json",))
def _(d: Path) -> None:
    write(d / "template.json", '{"Resources": {"Fn": ')


@case("duplicate-keys", 2, err=("template.yaml", "uplicate"))
def _(d: Path) -> None:
    write(d / "template.yaml", "Resources:\n  A: {Type: AWS::S3::Bucket}\n  A: {Type: AWS::SQS::Queue}\n")


@case("template-is-a-list", 2, err=("template.yaml",))
def _(d: Path) -> None:
    write(d / "template.yaml", "- Resources\n- Outputs\n")


@case("empty-template", 2, err=("template.yaml",))
def _(d: Path) -> None:
    write(d / "template.yaml", "")


@case("binary-garbage", 2, err=("template.yaml",))
def _(d: Path) -> None:
    write(d / "template.yaml", bytes(range(256)) * 4)


@case("resources-not-a-mapping", 2, err=("template.yaml",))
def _(d: Path) -> None:
    write(d / "template.yaml", SAM_HEAD + "Resources: 5\n")


@case("no-template", 2, err=("no template found",))
def _(d: Path) -> None:
    write(d / "README.md", "nothing to see\n")


@case("invalid-sam-event", 2, err=("SAM translation failed",))
def _(d: Path) -> None:
    write(d / "template.yaml", SAM_HEAD + """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, CodeUri: src/, Handler: app.handler,
                 Events: {E: {Type: NoSuchEventType, Properties: {}}}}
""")
    write(d / "src" / "app.py", CLEAN)


@case("nested-application-template-missing", 2, err=("nested application template child/template.yaml not found",))
def _(d: Path) -> None:
    write(d / "template.yaml", SAM_HEAD + "Resources:\n  Child:\n    Type: AWS::Serverless::Application\n"
                                          "    Properties: {Location: child/template.yaml}\n")


# --- awkward templates that must still be analysed -------------------------------------------------


@case("code-uri-is-a-zip", 1, out=("HttpApi → Fn → os.system at src/index.zip/handlers/app.py:5",
                                   "os.system(\"echo \" + event[\"body\"])"))
def _(d: Path) -> None:
    import zipfile

    sam(d, {"Fn": "src/index.zip"})
    (d / "template.yaml").write_text((d / "template.yaml").read_text().replace("Handler: app.handler",
                                                                                "Handler: handlers/app.handler"))
    (d / "src").mkdir()
    with zipfile.ZipFile(d / "src" / "index.zip", "w") as zf:
        zf.writestr("handlers/app.py", textwrap.dedent(VULNERABLE))
        zf.writestr("../escape.py", "import os\nos.system('x')\n")  # leaves the archive: ignored
        zf.writestr("requests/__init__.py", "import os\ndef get(u):\n    os.system(u)\n")
        zf.writestr("requests-2.31.0.dist-info/top_level.txt", "requests\n")


@case("layer-given-by-arn", 1, out=("HttpApi → Fn → os.system at src/app.py:5",),
      err=("not analysed: Fn: layer arn:aws:lambda:us-east-1:017000801446:layer:Powertools:1 is not analysed "
           "(its code is not here)",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    text = (d / "template.yaml").read_text().replace(
        "      Handler: app.handler\n",
        "      Handler: app.handler\n      Layers: [arn:aws:lambda:us-east-1:017000801446:layer:Powertools:1]\n")
    (d / "template.yaml").write_text(text)
    write(d / "src" / "app.py", VULNERABLE)


@case("deprecated-python-runtime", 1, out=("HttpApi → Fn → os.system at src/app.py:5",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    (d / "template.yaml").write_text((d / "template.yaml").read_text().replace("python3.12", "python3.8"))
    write(d / "src" / "app.py", VULNERABLE)




@case("conditions-and-fn-if", 1, out=("HttpApi → Fn → os.system",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"}, head="Conditions:\n  IsProd: !Equals [!Ref AWS::StackName, prod]\n", extra="""
  Queue:
    Type: AWS::SQS::Queue
    Condition: IsProd
    Properties:
      QueueName: !If [IsProd, prod-queue, !Ref AWS::NoValue]
""")
    write(d / "src" / "app.py", VULNERABLE)


CONVERTER = """\
import os


def handler(event, context):
    key = event["Records"][0]["s3"]["object"]["key"]
    os.system("convert " + key)
"""
UPLOADER = """\
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    s3.put_object(Bucket=os.environ["TARGET"], Key=event["body"], Body=b"")
"""


@case("language-extensions-foreach", 1, out=("HttpApi → Api → s3:Uploads → ",
                                             "Converter → os.system at src/convert.py:6",
                                             "3 Python function(s) analysed"))
def _(d: Path) -> None:
    write(d / "template.yaml", """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
        Parameters:
          Kinds: {Type: CommaDelimitedList, Default: "pdf,png"}
        Conditions:
          IsProd: !Equals [!Ref AWS::StackName, prod]
        Resources:
          Fn::ForEach::Converters:
            - Kind
            - !Ref Kinds
            - ${Kind}Converter:
                Type: AWS::Serverless::Function
                DeletionPolicy: !If [IsProd, Retain, Delete]
                Properties:
                  Runtime: python3.12
                  Handler: convert.handler
                  CodeUri: src/
                  Environment: {Variables: {KIND: !Ref Kind, COUNT: !Length [a, b], CONFIG: !ToJsonString {a: 1}}}
                  Events: {Upload: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: "s3:ObjectCreated:*"}}}
          Uploads:
            Type: AWS::S3::Bucket
          Api:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: upload.handler
              CodeUri: src/
              Policies: [{S3CrudPolicy: {BucketName: !Ref Uploads}}]
              Environment: {Variables: {TARGET: !Ref Uploads}}
              Events: {Post: {Type: HttpApi, Properties: {Path: /up, Method: post}}}
    """)
    write(d / "src" / "convert.py", CONVERTER)
    write(d / "src" / "upload.py", UPLOADER)


@case("foreach-over-a-parameter-without-default", 2, err=("the collection is parameter 'Kinds', which has no default",))
def _(d: Path) -> None:
    write(d / "template.yaml", """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: [AWS::LanguageExtensions]
        Parameters:
          Kinds: {Type: CommaDelimitedList}
        Resources:
          Fn::ForEach::Queues:
            - Kind
            - !Ref Kinds
            - ${Kind}Queue: {Type: AWS::SQS::Queue}
    """)


@case("fn-if-env-var-follows-both-branches", 1, out=("HttpApi → Api → s3:Watched → Watcher → os.system",
                                                     "TARGET -> Quiet or Watched (Ref)"), args=("--explain",))
def _(d: Path) -> None:
    write(d / "template.yaml", """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Conditions:
          IsProd: !Equals [!Ref AWS::StackName, prod]
        Resources:
          Quiet: {Type: AWS::S3::Bucket}
          Watched: {Type: AWS::S3::Bucket}
          Api:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: upload.handler
              CodeUri: src/
              Policies: [{S3CrudPolicy: {BucketName: !Ref Quiet}}, {S3CrudPolicy: {BucketName: !Ref Watched}}]
              Environment: {Variables: {TARGET: !If [IsProd, !Ref Quiet, !Ref Watched]}}
              Events: {Post: {Type: HttpApi, Properties: {Path: /up, Method: post}}}
          Watcher:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: convert.handler
              CodeUri: src/
              Events: {Upload: {Type: S3, Properties: {Bucket: !Ref Watched, Events: "s3:ObjectCreated:*"}}}
    """)
    write(d / "src" / "convert.py", CONVERTER)
    write(d / "src" / "upload.py", UPLOADER)


@case("api-definition-in-a-local-file", 1, out=("Api → Fn → os.system at src/app.py:5",))
def _(d: Path) -> None:
    write(d / "template.yaml", """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Api:
            Type: AWS::Serverless::Api
            Properties: {StageName: prod, DefinitionUri: api/openapi.yaml}
          Fn:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, CodeUri: src/, Handler: app.handler}
    """)
    write(d / "api" / "openapi.yaml", """
        openapi: "3.0.1"
        info: {title: t, version: "1"}
        paths:
          /run:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
    """)
    write(d / "src" / "app.py", VULNERABLE)


@case("globals-code-uri-layers-and-environment", 1, out=("HttpApi → Fn → os.system at layer/python/tools.py:5",))
def _(d: Path) -> None:
    write(d / "template.yaml", """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: python3.11
            CodeUri: src/
            Handler: app.handler
            Layers: [!Ref Tools]
            Environment: {Variables: {MODE: shell}}
        Resources:
          Tools:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: layer/}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Events: {Api: {Type: HttpApi, Properties: {Path: /run, Method: post}}}
    """)
    write(d / "layer" / "python" / "tools.py", """
        import os


        def run(command):
            os.system(command)
    """)
    write(d / "src" / "app.py", """
        from tools import run


        def handler(event, context):
            run(event["body"])
    """)


@case("resources-named-by-the-same-sub-string", 1, args=("--explain",),
      out=("ExternalResource → Processor → os.system at src/convert.py:6",
           "Uploads: PublicUploads allows s3:PutObject to anyone",
           "TARGET -> Uploads (physical-name)"))
def _(d: Path) -> None:
    write(d / "template.yaml", """
        AWSTemplateFormatVersion: "2010-09-09"
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Uploads:
            Type: AWS::S3::Bucket
            Properties: {BucketName: !Sub "uploads-${AWS::AccountId}-${AWS::Region}"}
          PublicUploads:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Sub "uploads-${AWS::AccountId}-${AWS::Region}"
              PolicyDocument:
                Statement:
                  - Effect: Allow
                    Principal: "*"
                    Action: s3:PutObject
                    Resource: !Sub "arn:aws:s3:::uploads-${AWS::AccountId}-${AWS::Region}/*"
          Processor:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: convert.handler
              CodeUri: src/
              Events: {Upload: {Type: S3, Properties: {Bucket: !Ref Uploads, Events: "s3:ObjectCreated:*"}}}
          Copier:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: upload.handler
              CodeUri: src/
              Environment: {Variables: {TARGET: !Sub "uploads-${AWS::AccountId}-${AWS::Region}"}}
              Policies:
                - Statement:
                    - Effect: Allow
                      Action: s3:PutObject
                      Resource: !Sub "arn:aws:s3:::uploads-${AWS::AccountId}-${AWS::Region}/*"
    """)
    write(d / "src" / "convert.py", CONVERTER)
    write(d / "src" / "upload.py", UPLOADER)


@case("parameters-without-defaults", 1, out=("HttpApi → Fn → sqs:Jobs → Worker → os.system",))
def _(d: Path) -> None:
    write(d / "template.yaml", SAM_HEAD + """\
Parameters:
  Stage: {Type: String}
  QueueName: {Type: String}
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Sub "${QueueName}-${Stage}"}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Environment: {Variables: {QUEUE: !Ref Jobs, STAGE: !Ref Stage}}
      Policies: [{SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}}]
      Events: {Api: {Type: HttpApi, Properties: {Path: /jobs, Method: post}}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: worker.handler
      Events: {Q: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}}
""")
    write(d / "src" / "app.py", """\
import os
import boto3


def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE"], MessageBody=event["body"])
""")
    write(d / "src" / "worker.py", """\
import os


def handler(event, context):
    for record in event["Records"]:
        os.system(record["body"])
""")


@case("enormous-template", 0, out=("1 Python function(s) analysed",))
def _(d: Path) -> None:
    queues = "".join(f"  Queue{i}:\n    Type: AWS::SQS::Queue\n" for i in range(3000))
    sam(d, {"Fn": "src/"}, extra=queues)
    write(d / "src" / "app.py", CLEAN)


# --- per-function problems: listed, the rest analysed, incomplete blocks unless allowed -------------


@case("missing-code-directory", 2, err=("not analysed: Fn: code directory", "does not exist",
                                         "--allow-incomplete accepts this"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})


@case("missing-code-directory-allowed", 0, args=("--allow-incomplete",),
      err=("accepted (--allow-incomplete)", "not analysed: Fn: code directory"), out=("INCOMPLETE: 1 not analysed",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})


@case("missing-handler-module", 2, err=("not analysed: Fn: handler module app.py not found in",
                                         "(resource Fn)"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "other.py", CLEAN)


@case("missing-handler-function", 2, err=("not analysed: Fn: handler function 'handler' is not defined in",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", "def main(event, context):\n    return None\n")


@case("handler-not-module-dot-function", 2, err=("not analysed: Fn: handler 'handler' is not of the form",))
def _(d: Path) -> None:
    write(d / "template.yaml", SAM_HEAD + "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                                          "    Properties: {Runtime: python3.12, CodeUri: src/, Handler: handler}\n")
    write(d / "src" / "handler.py", CLEAN)


@case("syntax-error-in-one-function", 1, out=("HttpApi → Good → os.system at good/app.py:5",),
      err=("not analysed: Broken:", "bad/app.py:2: Python syntax error"))
def _(d: Path) -> None:
    sam(d, {"Good": "good/", "Broken": "bad/"})
    write(d / "good" / "app.py", VULNERABLE)
    write(d / "bad" / "app.py", "def handler(event, context):\n    return (\n")


@case("syntax-error-in-a-helper-module", 2, out=("1 Python function(s) analysed",),
      err=("not analysed: ", "src/helpers.py:1: Python syntax error"))
def _(d: Path) -> None:
    # The handler is fine and analysed; the module it does not import is left out, and said so.
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", CLEAN)
    write(d / "src" / "helpers.py", "def helper(:\n    pass\n")


@case("non-utf8-source-without-coding-cookie", 2, err=("not analysed: Fn:", "cannot read Python source"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", b"def handler(event, context):\n    return '\xe9t\xe9'\n")


@case("container-image-function", 2, err=("not analysed: Fn: container image function",))
def _(d: Path) -> None:
    write(d / "template.yaml", SAM_HEAD + """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {PackageType: Image, ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1}
""")


@case("inline-zipfile-python", 2, err=("not analysed: Fn: inline code",))
def _(d: Path) -> None:
    write(d / "template.yaml", """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Role: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {}}}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(event, context):\\n    return 1\\n"}
""")


@case("non-python-runtimes-only", 0, out=("0 Python function(s) analysed", "1 skipped (Node: runtime nodejs20.x "
                                           "is not Python)"))
def _(d: Path) -> None:
    write(d / "template.yaml", SAM_HEAD + """\
Resources:
  Node:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler, CodeUri: web/}
""")
    write(d / "web" / "index.js", "exports.handler = async () => 1;\n")


# --- awkward code layouts ---------------------------------------------------------------------------


@case("hyphenated-code-directory", 1, out=("HttpApi → Fn → os.system at my-func/app.py:5",))
def _(d: Path) -> None:
    sam(d, {"Fn": "my-func/"})
    write(d / "my-func" / "app.py", VULNERABLE)


@case("keyword-code-directory", 1, out=("HttpApi → Fn → os.system at lambda/app.py:5",))
def _(d: Path) -> None:
    sam(d, {"Fn": "lambda/"})
    write(d / "lambda" / "app.py", VULNERABLE)


def _twenty(out: str) -> None:
    assert out.count("[BLOCK]") == 1 and "HttpApi → Fn7 → os.system at fn7/app.py:5" in out
    assert "20 Python function(s) analysed" in out


@case("twenty-app-py-handlers", 1, check=_twenty)
def _(d: Path) -> None:
    sam(d, {f"Fn{i}": f"fn{i}/" for i in range(20)})
    for i in range(20):
        write(d / f"fn{i}" / "app.py", VULNERABLE if i == 7 else CLEAN)


@case("symlink-loop-in-code-directory", 1, out=("HttpApi → Fn → os.system at src/app.py:5",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)
    (d / "src" / "loop").symlink_to(d / "src", target_is_directory=True)
    (d / "src" / "dangling").symlink_to(d / "nowhere")


@case("windows-line-endings", 1, out=("HttpApi → Fn → os.system at src/app.py:5",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE.replace("\n", "\r\n").encode())


@case("latin1-source-with-coding-cookie", 1, out=("HttpApi → Fn → os.system at src/app.py:6",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", b"# -*- coding: latin-1 -*-\nimport os\n\n\ndef handler(event, context):\n"
                                b"    os.system('\xe9cho ' + event['body'])\n")


@case("callable-instance-handler", 1, out=("HttpApi → Fn → os.system at src/app.py:15",))
def _(d: Path) -> None:
    """``handler = Handler()``: Lambda calls ``Handler.__call__`` with the event."""
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", """\
import functools
import os


def traced(fn):
    @functools.wraps(fn)
    def inner(*args):
        return fn(*args)
    return inner


class Handler:
    @traced
    def __call__(self, event, context):
        os.system("echo " + event["body"])


handler = Handler()
""")


@case("code-with-import-time-side-effects", 1, out=("HttpApi → Fn → os.system at src/app.py:9",))
def _(d: Path) -> None:
    # Were the gate ever to import or run this module, the tree digest check below would fail
    # (a new file) and the process would exit with 3 instead of reporting.
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", """\
import os
import sys

open(os.path.join(os.path.dirname(__file__), "IMPORTED"), "w").close()
sys.exit(3)


def handler(event, context):
    os.system("echo " + event["body"])
""")


# --- the engine fails: exit 2, fail closed ----------------------------------------------------------


@case("pysa-timeout", 2, env={"FLOWGATE_PYSA_TIMEOUT": "0"}, err=("Pysa did not finish within 0 s",
                                                                  "the gate blocks (exit 2)"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", CLEAN)


@case("unwritable-scratch-directory", 2, env={"FLOWGATE_TMPDIR": "/dev/null/flowgate"},
      err=("cannot create the gate's scratch directory", "/dev/null/flowgate"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", CLEAN)


@case("unwritable-cache-directory", 1, env={"FLOWGATE_NO_CACHE": ""}, args=("--cache-dir", "/dev/null/cache"),
      out=("warning: cache directory /dev/null/cache not writable", "HttpApi → Fn → os.system at src/app.py:5"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)


@case("unusable-pysa-timeout-setting", 2, env={"FLOWGATE_PYSA_TIMEOUT": "soon"},
      err=("FLOWGATE_PYSA_TIMEOUT must be a number of seconds",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", CLEAN)


# --- the runner -------------------------------------------------------------------------------------




# --- Serverless Framework services (issue 19) -------------------------------------------------------

SLS = """\
service: shop
provider:
  name: aws
  runtime: python3.12
functions:
  api:
    handler: app.handler
    events:
      - httpApi: POST /orders
"""


@case("serverless-yaml-syntax", 2, err=("serverless.yml:3:1: does not parse",))
def _(d: Path) -> None:
    write(d / "serverless.yml", "service: shop\nprovider: [aws\n")


@case("serverless-variable-names-nothing", 2,
      err=("serverless.yml: provider.environment.TABLE: variable ${self:custom.table} names nothing",))
def _(d: Path) -> None:
    write(d / "serverless.yml", SLS.replace("  runtime: python3.12\n", "  runtime: python3.12\n  environment:\n"
                                            "    TABLE: ${self:custom.table}\n"))
    write(d / "app.py", VULNERABLE)


@case("serverless-file-variable-outside-project", 2, err=("is outside the project directory",))
def _(d: Path) -> None:
    write(d / "serverless.yml", SLS + "custom:\n  x: ${file(../../etc/hosts):a}\n")
    write(d / "app.py", VULNERABLE)


@case("serverless-bad-param-option", 2, err=("--param 'stage' is not KEY=VALUE",), args=("--param", "stage"))
def _(d: Path) -> None:
    write(d / "serverless.yml", SLS)
    write(d / "app.py", VULNERABLE)


@case("serverless-handler-file-missing", 2, err=("handler",))
def _(d: Path) -> None:
    write(d / "serverless.yml", SLS)


@case("serverless-vulnerable-blocks", 1, out=("HttpApi → api → os.system",))
def _(d: Path) -> None:
    write(d / "serverless.yml", SLS)
    write(d / "app.py", VULNERABLE)


@case("suppression-names-no-function", 2, err=("no function of this app has the function 'Fnn' (did you mean "
                                                "'Fn'?)",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)
    write(d / "flowgate.yml", "version: 1\nsuppressions:\n  - {rule: code-injection, function: Fnn, "
                              "reason: echo of a fixed string}\n")


@case("suppression-matching-nothing-warns", 1, out=("suppression ssrf in Fn matched no flow",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)
    write(d / "flowgate.yml", "version: 1\nsuppressions:\n  - {rule: ssrf, function: Fn, "
                              "reason: no request is made here}\n")


def _no_raw_controls(out: str) -> None:
    assert "\x1b" not in out and "\u202e" not in out, out[-2000:]
    assert "\\x1b[2J" in out and out.count("flowgate: 1 flow(s)") == 1


@case("control-characters-in-source-are-escaped", 1, check=_no_raw_controls)
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE.replace('event["body"])', 'event["body"])  # \x1b[2J\u202e '
                                                                          'flowgate: 0 flow(s)'))


@case("json-nested-100k-levels", 2, err=("template.json: template nested deeper than the decoder allows",))
def _(d: Path) -> None:
    write(d / "template.json", '{"Resources": {"A": {"Type": "AWS::SQS::Queue", "Properties": {"X": '
                               + "[" * 100_000 + "]" * 100_000 + "}}}}")


@case("yaml-nested-600-levels", 2, err=("template.yaml: template nested deeper than 100 levels",))
def _(d: Path) -> None:
    write(d / "template.yaml", "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: "
                               + "[" * 600 + "]" * 600 + "\n")


@case("symlink-to-root-and-fifo-in-code", 1, out=("HttpApi → Fn → os.system at src/app.py:5",))
def _(d: Path) -> None:
    """A symlinked directory to ``/`` and a FIFO named like a module: neither is read (no hang)."""
    import os as _os

    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)
    (d / "src" / "rootlink").symlink_to("/")
    _os.mkfifo(d / "src" / "fifo.py")


@case("module-shadowing-os", 2, err=("os.py in ", "shadows the standard or SDK module of that name"))
def _(d: Path) -> None:
    """``os`` is loaded before the handler runs, so ``os.system`` is the real one on Lambda, but a
    local os.py would hide the sink from the analysis: the gate says it cannot tell (exit 2)."""
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)
    write(d / "src" / "os.py", "def system(cmd):\n    return 0\n")


@case("policy-disabling-every-rule-says-so", 0,
      out=("policy disables 7 rule(s): code-injection, sql-injection", "does not enforce the bundled rule(s)"))
def _(d: Path) -> None:
    """A project policy that switches every rule off passes when the pipeline sets no floor, but
    never quietly: the summary line and the warnings say what it disables."""
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)
    write(d / "flowgate.yml", "version: 1\nextends: none\nrules: []\n")


# --- blinding the analysis: names the type checker does not see as the interpreter does ----------

_RESOLVED_FORMS = {
    "Getattr": "import os\n\n\ndef handler(event, context):\n    getattr(os, 'system')(event['body'])\n",
    "DunderImport": "def handler(event, context):\n    __import__('os').system(event['body'])\n",
    "Importlib": "import importlib\n\n\ndef handler(event, context):\n"
                 "    importlib.import_module('subprocess').call(event['body'], shell=True)\n",
    "SysModules": "import sys\n\n\ndef handler(event, context):\n    sys.modules['os'].system(event['body'])\n",
    "VarsDict": "import os\n\n\ndef handler(event, context):\n    vars(os)['system'](event['body'])\n",
    "ModuleDict": "import os\n\n\ndef handler(event, context):\n    os.__dict__['popen'](event['body'])\n",
    "BuiltinsEval": "import builtins\n\n\ndef handler(event, context):\n    getattr(builtins, 'eval')(event['body'])\n",
    "Nfkc": "import os\n\n\ndef handler(event, context):\n    \uff4f\uff53.system(event['body'])\n",
    "TypeCheckingElse": "import os\nfrom typing import TYPE_CHECKING\n\n\ndef handler(event, context):\n"
                        "    if TYPE_CHECKING:\n        pass\n    else:\n        os.system(event['body'])\n",
    "NotTypeChecking": "import os\nimport typing\n\n\ndef handler(event, context):\n"
                       "    if not typing.TYPE_CHECKING:\n        os.system(event['body'])\n",
    "VersionBranch": "import os\nimport sys\n\n\ndef handler(event, context):\n"
                     "    if sys.version_info < (3, 0) or sys.platform == 'win32':\n        os.system(event['body'])\n",
}


_MORE_SINKS = {
    "Execvp": "import os\n\n\ndef handler(event, context):\n    os.execvp('sh', ['sh', '-c', event['body']])\n",
    "Spawnlp": "import os\n\n\ndef handler(event, context):\n"
               "    os.spawnlp(os.P_WAIT, 'sh', 'sh', '-c', event['body'])\n",
    "PtySpawn": "import pty\n\n\ndef handler(event, context):\n    pty.spawn(['sh', '-c', event['body']])\n",
    "AsyncShell": "import asyncio\n\n\nasync def run(cmd):\n    await asyncio.create_subprocess_shell(cmd)\n\n\n"
                  "def handler(event, context):\n    asyncio.run(run(event['body']))\n",
    "RunPath": "import runpy\n\n\ndef handler(event, context):\n    runpy.run_path(event['body'])\n",
    "ModuleAlias": "import subprocess\n\nrun = subprocess.run\n\n\ndef handler(event, context):\n"
                   "    run(event['body'], shell=True)\n",
}
_RESOLVED_FORMS.update(_MORE_SINKS)


def _every_form_flows(out: str) -> None:
    for fid in _RESOLVED_FORMS:
        assert f"HttpApi → {fid} → " in out, (fid, out[-2000:])


@case("dynamic-names-given-as-constants-are-followed", 1, check=_every_form_flows)
def _(d: Path) -> None:
    """getattr/__import__/importlib/sys.modules/vars/__dict__ with a constant, an NFKC-equivalent
    identifier, sinks in branches the type checker decides statically, programs started without a
    shell (exec*, spawn*, pty, asyncio), runpy, and a module-level alias of a sink: each a flow, one
    Pysa run."""
    sam(d, {fid: f"{fid.lower()}/" for fid in _RESOLVED_FORMS})
    for fid, code in _RESOLVED_FORMS.items():
        write(d / fid.lower() / "app.py", code)


_COMPUTED = """\
import importlib
import os
import sys

import boto3
import botocore.session

table = boto3.resource("dynamodb").Table(os.environ.get("TABLE", "t"))


def handler(event, context):
    name = event["op"]
    getattr(os, name)(event["body"])
    __import__(name)
    importlib.import_module(name)
    sys.modules[name]
    boto3.client(os.environ["SERVICE"]).put_object(Bucket="b", Key=event["body"], Body=b"")
    botocore.session.get_session().create_client("s3")
    getattr(table, name)(Item={"pk": event["body"]})


OPS = {"run": os.system}


class Runner:
    run = os.system


def later(event, context):
    f = getattr
    f(os, "system")(event["body"])
"""


@case("dynamic-names-computed-are-not-analysed", 2,
      err=("app.py:13: getattr(os, <computed name>)", "app.py:14: __import__(<computed name>)",
           "app.py:15: importlib.import_module(<computed name>)", "app.py:16: sys.modules[<computed name>]",
           "app.py:17: boto3.client(<computed service>)", "app.py:18: botocore create_client",
           "app.py:19: getattr(table, <computed name>)", "app.py:22: os.system stored in a dict",
           "app.py:26: os.system bound to a class attribute of Runner", "app.py:30: getattr used as a value",
           "the gate blocks (exit 2)"))
def _(d: Path) -> None:
    """The same forms with a computed name, and sinks kept where calls through them are lost (in a
    dict, as a class attribute, getattr itself as a value): located problems; the scan blocks."""
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", _COMPUTED)


_SHAPES = {
    "BoundMethod": ("app.handler", {"app.py": "import os\n\n\nclass Service:\n    def handle(self, event, context):\n"
                                              "        os.system(event['body'])\n\n\nhandler = Service().handle\n"}),
    "InstanceMethod": ("app.handler", {"app.py": "import os\n\n\nclass Service:\n    @staticmethod\n"
                                                 "    def handle(event, context):\n"
                                                 "        os.system(event['body'])\n\n\n"
                                                 "service = Service()\nhandler = service.handle\n"}),
    "Partial": ("app.handler", {"app.py": "import functools\nimport os\n\n\ndef run(prefix, event, context):\n"
                                          "    os.system(prefix + event['body'])\n\n\n"
                                          "handler = functools.partial(run, 'echo ')\n"}),
    "Lambda": ("app.handler", {"app.py": "import os\n\nhandler = lambda event, context: os.system(event['body'])\n"}),
    "Alias": ("app.main", {"app.py": "import os\n\n\ndef handler(event, context):\n    os.system(event['body'])\n\n\n"
                                     "main = handler\n"}),
    "Imported": ("app.handler", {"app.py": "from impl import handler\n",
                                 "impl.py": "import os\n\n\ndef handler(event, context):\n"
                                            "    os.system(event['body'])\n"}),
}


def _every_shape_flows(out: str) -> None:
    for fid in _SHAPES:
        assert f"HttpApi → {fid} → os.system" in out, (fid, out[-2000:])


@case("handler-shapes-are-followed", 1, check=_every_shape_flows)
def _(d: Path) -> None:
    """A bound method, a static method through an instance, functools.partial, a lambda, an alias
    and an imported handler: the event is modelled where it arrives; one Pysa run."""
    body = "".join(f"""
  {fid}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {fid.lower()}/
      Handler: {handler}
      Events: {{Api: {{Type: HttpApi, Properties: {{Path: /{fid.lower()}, Method: post}}}}}}
""" for fid, (handler, _files) in _SHAPES.items())
    (d / "template.yaml").write_text(SAM_HEAD + "Resources:" + body, encoding="utf-8")
    for fid, (_handler, files) in _SHAPES.items():
        for name, text in files.items():
            write(d / fid.lower() / name, text)


@case("handler-from-a-factory-is-not-analysed", 2,
      err=("handler 'handler' (app.py:9) is bound to make_handler()", "the gate blocks (exit 2)"))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", """\
import os


def make_handler():
    def inner(event, context):
        os.system(event["body"])
    return inner

handler = make_handler()
""")


_HELPER = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n"
_CALLS_HELPER = "from {module} import run\n\n\ndef handler(event, context):\n    run(event['body'])\n"


@case("code-beside-a-made-up-dist-info-is-analysed", 1, out=("HttpApi → Fn → os.system at src/helper/__init__.py:5",))
def _(d: Path) -> None:
    """A package next to a ``*.dist-info`` whose RECORD does not vouch for it is application code."""
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", _CALLS_HELPER.format(module="helper"))
    write(d / "src" / "helper" / "__init__.py", _HELPER)
    write(d / "src" / "helper-1.0.dist-info" / "RECORD", "helper/__init__.py,sha256=forged,40\n")


@case("a-consistent-vendored-install-is-left-out", 0, out=("0 flow(s)",))
def _(d: Path) -> None:
    """The negative twin: a library installed with ``pip --target`` (RECORD hashes match) is
    vendored code and is not analysed."""
    import base64
    import hashlib

    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", _CALLS_HELPER.format(module="helper"))
    write(d / "src" / "helper" / "__init__.py", _HELPER)
    digest = base64.urlsafe_b64encode(hashlib.sha256(_HELPER.encode()).digest()).rstrip(b"=").decode()
    write(d / "src" / "helper-1.0.dist-info" / "RECORD",
          f"helper/__init__.py,sha256={digest},{len(_HELPER)}\nhelper-1.0.dist-info/RECORD,,\n")


@case("code-imported-from-node-modules-is-not-analysed", 2,
      err=("app.py:1: imports node_modules.helper from node_modules/, a folder the gate does not analyse",))
def _(d: Path) -> None:
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", _CALLS_HELPER.format(module="node_modules.helper"))
    write(d / "src" / "node_modules" / "helper.py", _HELPER)


@case("policy-floor-holds-against-the-project-policy", 1, args=("--policy-floor", "{project}/../floor.yml"),
      out=("HttpApi → Fn → os.system", "policy floor: ", "does not enforce rule code-injection; the pipeline's floor "
           "does", "suppression code-injection in Fn of"))
def _(d: Path) -> None:
    """The pull request disables the rule, raises block_at and adds a suppression without expiry; the
    pipeline's floor (outside the tree) keeps the rule and refuses the suppression: the flow blocks,
    loudly. (``extends: none`` is held the same way: tests/test_policy_floor.py.)"""
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE)
    write(d / "flowgate.yml", """\
version: 1
block_at: critical
rules:
  - {name: code-injection, enabled: false, severity: low, sources: [Api], sinks: [code-execution]}
suppressions:
  - {rule: code-injection, function: Fn, reason: 'trust me, it is fine'}
""")
    write(d.parent / "floor.yml", "version: 1\nextends: default\nfloor: {suppressions: expiring, max_days: 30}\n")


@case("python-expression-50k-terms-deep", 2, err=("app.py: Python expression nested too deeply to parse",))
def _(d: Path) -> None:
    """``X = 1+1+...`` with 50,000 terms is valid Python that CPython's parser cannot build a tree for."""
    sam(d, {"Fn": "src/"})
    write(d / "src" / "app.py", VULNERABLE + "X = " + "+".join(["1"] * 50_000) + "\n")


@case("yaml-alias-to-a-large-scalar-repeated", 2, err=("template.yaml: template expands to more than 32 MiB",))
def _(d: Path) -> None:
    """1 MiB behind one anchor, referenced 5000 times: 5 GB once expanded. Refused unexpanded."""
    tags = "".join(f"        - {{Key: k{i}, Value: *big}}\n" for i in range(5000))
    write(d / "template.yaml", f"Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
                               f"      QueueName: &big {'x' * (1 << 20)}\n      Tags:\n{tags}")


@case("yaml-billion-laughs", 2, err=("aliases expand to more than 250000 values",))
def _(d: Path) -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    write(d / "template.yaml", "Metadata:\n" + "".join(f"  {line}\n" for line in levels)
          + "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {Tags: *a9}\n")


@case("cloud-assembly-manifest-refers-to-itself", 2,
      err=("manifest.json: cloud assembly refers to an assembly it is part of",))
def _(d: Path) -> None:
    """A cloud assembly (the scanned directory is cdk.out) whose nested assembly is itself."""
    write(d / "manifest.json", json.dumps({"version": "36.0.0", "artifacts": {
        "Self": {"type": "cdk:cloud-assembly", "properties": {"directoryName": ".", "displayName": "Self"}}}}))


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_case(name, tmp_path, capsys, monkeypatch):
    spec = CASES[name]
    project = tmp_path / name
    project.mkdir()
    spec.build(project)
    before = tree_digest(project)
    scratch = tmp_path / "scratch"  # the copy's parent: nothing may be left in it afterwards
    scratch.mkdir()
    monkeypatch.setenv("FLOWGATE_TMPDIR", str(scratch))
    for key, value in spec.env.items():
        monkeypatch.setenv(key, value)
    started = time.monotonic()
    code = cli.main(["scan", str(project), *(a.replace("{project}", str(project)) for a in spec.args)])
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    # Bounded: within a minute, no child (pyrefly, Pysa) past 2 GB, this process under 3 GB at its peak.
    assert elapsed < 60, f"{name} took {elapsed:.0f} s"
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 2 << 20  # KiB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 3 << 20
    assert "Traceback" not in captured.out + captured.err
    assert "internal error" not in captured.err, captured.err
    assert code == spec.exit, captured.out[-3000:] + captured.err[-3000:]
    for text in spec.err:
        assert text in captured.err, (text, captured.err[-3000:])
    for text in spec.out:
        assert text in captured.out, (text, captured.out[-3000:])
    if spec.check:
        spec.check(captured.out)
    assert tree_digest(project) == before, "the project tree was modified"
    assert not any(scratch.iterdir()), f"scratch left behind: {sorted(p.name for p in scratch.iterdir())}"


def test_json_report_says_incomplete(tmp_path, capsys):
    project = tmp_path / "p"
    project.mkdir()
    sam(project, {"Fn": "src/"})
    out = tmp_path / "r.json"
    assert cli.main(["scan", str(project), "--format", "json", "--output", str(out)]) == 2
    capsys.readouterr()
    doc = json.loads(out.read_text())
    assert doc["complete"] is False and doc["not_analysed"][0].startswith("Fn: code directory")
