"""EventBridge rule target: turns a placed order into a shipment record on the Kinesis stream."""

import json
import os

import boto3

kinesis = boto3.client("kinesis")


def handler(event, context):
    detail = event["detail"]
    shipment = {"order": detail["id"], "carrier": detail["carrier"]}
    kinesis.put_record(StreamName=os.environ["SHIPMENT_STREAM"], Data=json.dumps(shipment),
                       PartitionKey=detail["id"])
