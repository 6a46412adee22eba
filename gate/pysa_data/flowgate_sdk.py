"""Analysis-only stand-ins for calls that are taint sources or sinks (see sinks_sources.pysa).

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
    """A value that passed a regular-expression allow-list check (see gate/pyast/regex_guards.py)."""
    return value



# Processes started from an argument list without a shell (see gate/plan/argv_calls.py).
def subprocess_run_argv(args, *rest, **kwargs):
    return None


def subprocess_call_argv(args, *rest, **kwargs):
    return 0


def subprocess_check_call_argv(args, *rest, **kwargs):
    return 0


def subprocess_check_output_argv(args, *rest, **kwargs):
    return b""


def subprocess_Popen_argv(args, *rest, **kwargs):
    return None


# traceback.print_exc(file=buf) and friends (see gate/instrument/rewrite.py): the copy writes
# ``buf = _fg_sdk.traceback_printed(file=buf, ...)``, so the exception text lands in ``buf``.
def traceback_printed(*args, file=None, **kwargs):
    return file


# repr(exc) of a name an ``except ... as exc`` binds (see gate/instrument/rewrite.py). A model on
# BaseException.__repr__ would taint every repr() and str() whose receiver Pysa types as object.
def exception_repr(value):
    return repr(value)
