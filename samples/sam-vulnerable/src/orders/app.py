"""Public HTTP API: accepts an order, stores the attachment, queues a report, notifies audit."""

import base64
import json
import os
import pickle
import traceback
import uuid

import boto3

s3 = boto3.client("s3")
sqs = boto3.client("sqs")
sns = boto3.client("sns")
events = boto3.client("events")
orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])

UPLOAD_BUCKET = os.environ["UPLOAD_BUCKET"]


def save_attachment(client, filename, content):
    # The key keeps the customer's file name so that support staff can find it.
    client.put_object(Bucket=UPLOAD_BUCKET, Key=f"uploads/{filename}", Body=content)


def handler(event, context):
    try:
        order = json.loads(event["body"])
        order_id = str(uuid.uuid4())
        save_attachment(s3, order["attachment_name"], base64.b64decode(order["attachment"]))
        sqs.send_message(QueueUrl=os.environ["REPORT_QUEUE_URL"],
                         MessageBody=json.dumps({"customer": order["customer"]}))
        orders.put_item(Item={"id": order_id, "callback_url": order["callback_url"]})
        sns.publish(TopicArn=os.environ["AUDIT_TOPIC_ARN"], Message=order["note"], Subject="order")
        events.put_events(Entries=[{"Source": "orders.api", "DetailType": "OrderPlaced",
                                    "Detail": json.dumps({"id": order_id, "carrier": order["carrier"]}),
                                    "EventBusName": os.environ["ORDER_BUS"]}])
        # Legacy clients send their cart as a pickled blob.
        cart = pickle.loads(base64.b64decode(order["cart"]))
        return {"statusCode": 201, "body": json.dumps({"id": order_id, "items": len(cart)})}
    except Exception:
        return {"statusCode": 500, "body": traceback.format_exc()}
