from typing import Any

class BaseHTTPResponse:
    status: int
    data: bytes
    def json(self) -> Any: ...
