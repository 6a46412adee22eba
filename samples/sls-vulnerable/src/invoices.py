"""S3 trigger: render each new invoice to PDF."""

import subprocess


def render(event, context):
    for record in event["Records"]:
        key = record["s3"]["object"]["key"]
        subprocess.run(f"wkhtmltopdf /tmp/{key} /tmp/out.pdf", shell=True, check=False)
