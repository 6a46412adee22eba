"""Analysis-only stand-ins for boto3 calls that are taint sources or sinks (see sinks_sources.pysa).

flowgate rewrites e.g. ``s3.list_objects_v2(...)`` in the instrumented copy into
``_fg_sdk.s3_list_objects(...)``; boto3 itself is untyped to Pysa, so models cannot attach to it.
"""


def s3_list_objects(*args, **kwargs):
    return {"Contents": [{"Key": "", "Size": 0}], "KeyCount": 1}


def dynamodb_scan(TableName=None, ScanFilter=None, FilterExpression=None, ConditionalOperator=None,
                  ExpressionAttributeValues=None, **kwargs):
    return {"Items": [], "Count": 0}


def dynamodb_query(TableName=None, KeyConditions=None, QueryFilter=None, FilterExpression=None,
                   KeyConditionExpression=None, ExpressionAttributeValues=None, **kwargs):
    return {"Items": [], "Count": 0}


def validated(value):
    """A value that passed a regular-expression allow-list check (see gate/validators.py)."""
    return value
