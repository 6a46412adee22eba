"""Triggered by the orders table stream: calls the customer's webhook."""

import urllib.request


def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {}
        url = image["callback_url"]["S"]
        urllib.request.urlopen(url, timeout=5)
