"""AWS managed policies the gate knows, as data: what each allows, on every resource.

Only what matters for writes that trigger something is listed; ``"*"`` grants everything. A managed
policy not listed here makes a role's permissions unknown (the edge is kept), never denied.
"""

from __future__ import annotations

# AWS managed policies by name: (effect-free) action patterns on every resource.
# Only what matters for writes that trigger something; "*" policies grant everything.
MANAGED_POLICIES: dict[str, tuple[str, ...]] = {
    "AdministratorAccess": ("*",),
    "AWSLambdaBasicExecutionRole": ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
    "AWSLambdaVPCAccessExecutionRole": ("logs:*", "ec2:CreateNetworkInterface", "ec2:Describe*",
                                        "ec2:DeleteNetworkInterface"),
    "AWSXRayDaemonWriteAccess": ("xray:*",),
    "AWSLambdaKinesisExecutionRole": ("kinesis:Get*", "kinesis:List*", "kinesis:Describe*", "logs:*"),
    "AWSLambdaDynamoDBExecutionRole": ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                       "dynamodb:ListStreams", "logs:*"),
    "AWSLambdaSQSQueueExecutionRole": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                       "logs:*"),
    "AWSLambdaRole": ("lambda:InvokeFunction",),
    "AWSLambda_FullAccess": ("lambda:*", "s3:*", "states:*", "events:*", "sns:*", "sqs:*", "kinesis:*",
                             "dynamodb:*"),
    "AmazonS3FullAccess": ("s3:*",),
    "AmazonS3ReadOnlyAccess": ("s3:Get*", "s3:List*", "s3:Describe*"),
    "AmazonDynamoDBFullAccess": ("dynamodb:*",),
    "AmazonDynamoDBReadOnlyAccess": ("dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:Get*",
                                     "dynamodb:List*", "dynamodb:Query", "dynamodb:Scan"),
    "AmazonSQSFullAccess": ("sqs:*",),
    "AmazonSQSReadOnlyAccess": ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueues"),
    "AmazonSNSFullAccess": ("sns:*",),
    "AmazonSNSReadOnlyAccess": ("sns:GetTopicAttributes", "sns:List*"),
    "AmazonKinesisFullAccess": ("kinesis:*",),
    "AmazonKinesisReadOnlyAccess": ("kinesis:Get*", "kinesis:List*", "kinesis:Describe*"),
    "AmazonEventBridgeFullAccess": ("events:*",),
    "AWSStepFunctionsFullAccess": ("states:*",),
}

# Policies that allow everything except some services (an ``Allow`` with ``NotAction``).
MANAGED_POLICIES_EXCEPT: dict[str, tuple[str, ...]] = {
    # PowerUserAccess: every action except IAM, Organizations and Account management (AWS's own
    # document; the few IAM actions it adds back do not trigger anything the gate follows).
    "PowerUserAccess": ("iam:*", "organizations:*", "account:*"),
}
