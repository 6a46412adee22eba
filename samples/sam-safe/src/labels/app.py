"""Kinesis consumer: fetches a shipping label from the carrier's API."""

import base64
import json
import re
import urllib.request


def handler(event, context):
    for record in event["Records"]:
        shipment = json.loads(base64.b64decode(record["kinesis"]["data"]))
        carrier, order = shipment["carrier"], shipment["order"]
        if not re.fullmatch(r"[a-z0-9-]{1,32}", carrier):
            continue  # carriers are known short names; anything else is not a carrier
        if not re.fullmatch(r"[0-9a-f-]{36}", order):
            continue
        url = f"https://{carrier}.carriers.example.com/labels/{order}"
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
