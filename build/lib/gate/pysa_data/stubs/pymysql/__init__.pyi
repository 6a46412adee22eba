from typing import Any

from pymysql.connections import Connection as Connection

def connect(*args: Any, **kwargs: Any) -> Connection: ...
