#!/usr/bin/env python3
"""Orders service on CDK: the safe twin of samples/cdk-vulnerable (same wiring, no blocking flow).

The data still flows between the functions through S3, SQS and a DynamoDB stream, but each
consumer treats it as untrusted (quoted, parameterised, not used as a URL). Two stacks:
OrdersStack (API, bucket, queue, table, three functions) and NotifyStack (a DynamoDB stream
consumer in another stack, wired through a cross-stack reference).
"""

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import DynamoEventSource, SqsEventSource
from constructs import Construct

from cdk_aspect import FlowGate

RUNTIME = lambda_.Runtime.PYTHON_3_12
SOURCE = "src"  # one package: src/orders/__init__.py, api.py, thumbnail.py, ...


class OrdersStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        uploads = s3.Bucket(self, "Uploads")
        reports = sqs.Queue(self, "ReportQueue")
        self.table = dynamodb.Table(
            self, "Orders",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            stream=dynamodb.StreamViewType.NEW_IMAGE,
        )

        api_fn = lambda_.Function(
            self, "OrdersApi", runtime=RUNTIME, code=lambda_.Code.from_asset(SOURCE), handler="orders.api.handler",
            environment={
                "UPLOAD_BUCKET": uploads.bucket_name,
                "REPORT_QUEUE_URL": reports.queue_url,
                "ORDERS_TABLE": self.table.table_name,
            },
        )
        uploads.grant_put(api_fn)
        reports.grant_send_messages(api_fn)
        self.table.grant_write_data(api_fn)
        apigw.LambdaRestApi(self, "Api", handler=api_fn)

        thumbnail = lambda_.Function(self, "Thumbnail", runtime=RUNTIME, code=lambda_.Code.from_asset(SOURCE),
                                     handler="orders.thumbnail.handler")
        uploads.grant_read(thumbnail)
        uploads.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.LambdaDestination(thumbnail),
                                       s3.NotificationKeyFilter(prefix="uploads/"))

        report = lambda_.Function(self, "ReportWorker", runtime=RUNTIME, code=lambda_.Code.from_asset(SOURCE),
                                  handler="orders.reports.handler")
        report.add_event_source(SqsEventSource(reports))

        # Not Python: flowgate lists it as skipped.
        lambda_.Function(self, "Health", runtime=lambda_.Runtime.NODEJS_22_X,
                         code=lambda_.Code.from_asset("health"), handler="index.handler")


class NotifyStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, table: dynamodb.ITable, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        notifier = lambda_.Function(self, "Notifier", runtime=RUNTIME, code=lambda_.Code.from_asset(SOURCE),
                                    handler="orders.notify.handler")
        notifier.add_event_source(DynamoEventSource(table, starting_position=lambda_.StartingPosition.LATEST))


app = cdk.App()
orders = OrdersStack(app, "OrdersStack")
NotifyStack(app, "NotifyStack", table=orders.table)
FlowGate.enable(app)
app.synth()
