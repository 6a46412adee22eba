from typing import Any

from psycopg2.extensions import connection

def connect(dsn: Any = None, **kwargs: Any) -> connection: ...
