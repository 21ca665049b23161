"""URL converters: an `<int:id>` beyond 64 bits matches no route (404), never an overflow."""

from werkzeug.routing import IntegerConverter

from utils.safe_json import INT64_MAX


class Int64Converter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(map, *args, **kwargs)
