"""Triggered by the audit topic: appends the note to the system log."""

import os


def handler(event, context):
    for record in event["Records"]:
        os.system("logger -t orders " + record["Sns"]["Message"])
