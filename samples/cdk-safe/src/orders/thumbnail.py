"""Triggered by uploads: renders a thumbnail with ImageMagick."""

import shlex
import subprocess


def render(key):
    subprocess.run(f"convert /tmp/{shlex.quote(key)} -thumbnail 128x128 /tmp/thumb.png", shell=True, check=False)


def handler(event, context):
    for record in event["Records"]:
        render(record["s3"]["object"]["key"])
