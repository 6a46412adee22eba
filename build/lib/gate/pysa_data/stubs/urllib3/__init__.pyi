from typing import Any

from urllib3.poolmanager import PoolManager as PoolManager
from urllib3.response import BaseHTTPResponse as BaseHTTPResponse

def request(method: str, url: str, **kwargs: Any) -> BaseHTTPResponse: ...
