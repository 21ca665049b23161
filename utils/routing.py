"""URL converters: path arguments beyond their bounds match no route (a 404), never an overflow
or a value too long for a column, a key or a file name."""

from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from utils.safe_json import INT64_MAX

# Longer than any code, slug, order number or claim code the app issues (codes: 64).
MAX_TEXT_ARGUMENT = 64
# A file name's limit on common file systems; media keys are far shorter.
MAX_PATH_ARGUMENT = 255


class Int64Converter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(map, *args, **kwargs)


class BoundedStringConverter(UnicodeConverter):
    """`<name>` and `<string:name>`: 1 to MAX_TEXT_ARGUMENT characters unless the rule says."""

    def __init__(self, map, minlength=1, maxlength=MAX_TEXT_ARGUMENT, length=None):
        super().__init__(map, minlength, maxlength, length)


class BoundedPathConverter(PathConverter):
    """`<path:name>`: at most MAX_PATH_ARGUMENT characters, slashes included."""

    regex = f"[^/].{{0,{MAX_PATH_ARGUMENT - 1}}}?"


CONVERTERS = {
    "int": Int64Converter,
    "default": BoundedStringConverter,
    "string": BoundedStringConverter,
    "path": BoundedPathConverter,
}
