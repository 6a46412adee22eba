"""POST /orders: queue the order for processing."""

import json
import os

import boto3

sqs = boto3.client("sqs")


def submit_order(event, context):
    order = json.loads(event["body"])
    message = {"customer": order["customer"], "items": order["items"], "webhook": order.get("webhook", "")}
    sqs.send_message(QueueUrl=os.environ["ORDERS_QUEUE_URL"], MessageBody=json.dumps(message))
    return {"statusCode": 202, "body": json.dumps({"queued": True})}
