"""Public REST API: accepts an order, stores the attachment, queues a report, records the order."""

import base64
import json
import os
import uuid

import boto3

from orders.storage import save_attachment

sqs = boto3.client("sqs")
table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    order = json.loads(event["body"])
    order_id = str(uuid.uuid4())
    save_attachment(order["attachment_name"], base64.b64decode(order["attachment"]))
    sqs.send_message(QueueUrl=os.environ["REPORT_QUEUE_URL"], MessageBody=json.dumps({"customer": order["customer"]}))
    table.put_item(Item={"id": order_id, "callback_url": order["callback_url"]})
    return {"statusCode": 201, "body": json.dumps({"id": order_id})}
