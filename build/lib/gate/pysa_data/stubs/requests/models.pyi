from typing import Any

class Response:
    status_code: int
    text: str
    content: bytes
    def json(self, **kwargs: Any) -> Any: ...
