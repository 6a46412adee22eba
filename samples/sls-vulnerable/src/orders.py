"""Queue consumer: record the order and write its invoice for rendering."""

import json
import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
s3 = boto3.client("s3")


def process_order(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        item = {"id": str(uuid.uuid4()), "customer": order["customer"], "webhook": order["webhook"]}
        table.put_item(Item=item)
        html = "<h1>Invoice</h1>" + "".join(f"<li>{line}</li>" for line in order["items"])
        s3.put_object(Bucket=os.environ["DOCUMENTS_BUCKET"], Key=f"invoices/{order['customer']}.html",
                      Body=html.encode())
