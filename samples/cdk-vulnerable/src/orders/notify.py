"""Triggered by the orders table stream: tells the customer's system that the order was accepted."""

import urllib.request


def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        urllib.request.urlopen(image["callback_url"]["S"], data=b"accepted", timeout=5)
