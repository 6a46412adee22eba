"""Nightly report over the orders table (a schedule: nothing untrusted starts it)."""

import os
import subprocess

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def nightly(event, context):
    count = table.scan(Select="COUNT")["Count"]
    subprocess.run(f"echo {count} orders | mail -s report ops", shell=True, check=False)
