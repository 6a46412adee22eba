"""S3 trigger: render each new invoice to PDF (an argument list: no shell reads the key)."""

import subprocess


def render(event, context):
    for record in event["Records"]:
        key = record["s3"]["object"]["key"]
        subprocess.run(["wkhtmltopdf", f"/tmp/{key}", "/tmp/out.pdf"], check=False)
