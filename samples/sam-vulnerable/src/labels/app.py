"""Kinesis consumer: fetches a shipping label from the carrier's API."""

import base64
import json
import urllib.request


def handler(event, context):
    for record in event["Records"]:
        shipment = json.loads(base64.b64decode(record["kinesis"]["data"]))
        url = f"https://{shipment['carrier']}.carriers.example.com/labels/{shipment['order']}"
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
