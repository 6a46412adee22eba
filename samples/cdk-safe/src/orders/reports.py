"""Triggered by the report queue: builds a per-customer report from the local cache."""

import json
import sqlite3


def handler(event, context):
    db = sqlite3.connect("/tmp/cache.db")
    for record in event["Records"]:
        request = json.loads(record["body"])
        cursor = db.cursor()
        cursor.execute("SELECT total FROM orders WHERE customer = ?", (request["customer"],))
        print(cursor.fetchall())
