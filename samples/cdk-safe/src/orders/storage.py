"""Where the API keeps customer attachments."""

import os

import boto3

s3 = boto3.client("s3")


def save_attachment(filename, content):
    # The key keeps the customer's file name so that support staff can find it.
    s3.put_object(Bucket=os.environ["UPLOAD_BUCKET"], Key=f"uploads/{filename}", Body=content)
