"""Triggered by the audit topic: appends the note to the application log."""

import logging

log = logging.getLogger("audit")


def handler(event, context):
    for record in event["Records"]:
        log.info("order note: %s", record["Sns"]["Message"])
