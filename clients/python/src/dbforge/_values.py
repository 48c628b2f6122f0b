"""Conversion between Python values and DB-Forge's JSON value encoding."""

from __future__ import annotations

import base64
import datetime
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .errors import UnsupportedValueError

MAX_SAFE_INTEGER = 2**53 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Params = Union[Sequence[Any], Mapping[str, Any], None]


def encode_value(value: Any) -> Any:
    """Python value -> JSON value accepted by the server."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise UnsupportedValueError(f"integer {value} does not fit in SQLite's 64-bit INTEGER")
        if abs(value) > MAX_SAFE_INTEGER:
            # exact either way in Python's JSON; the object form is exact for any JSON reader
            return {"integer": str(value)}
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise UnsupportedValueError("NaN cannot be stored (SQLite turns it into NULL); send None")
        if math.isinf(value):
            return {"real": "Infinity" if value > 0 else "-Infinity"}
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (datetime.date, datetime.time)):  # includes datetime
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    raise UnsupportedValueError(f"cannot send a {type(value).__name__} as an SQLite value")


def encode_params(params: Params) -> Union[List[Any], Dict[str, Any], None]:
    if params is None:
        return None
    if isinstance(params, Mapping):
        return {str(k): encode_value(v) for k, v in params.items()}
    if isinstance(params, (str, bytes, bytearray)):
        raise UnsupportedValueError("params must be a sequence or a mapping, not a single string/bytes")
    return [encode_value(v) for v in params]


def decode_value(value: Any) -> Any:
    """JSON value from the server -> Python value."""
    if isinstance(value, dict) and len(value) == 1:
        if "base64" in value:
            text = value["base64"]
            return base64.b64decode(text + "=" * (-len(text) % 4))
        if "integer" in value:
            return int(value["integer"])
        if "real" in value:
            return float(value["real"])  # "Infinity" / "-Infinity"
    return value


def decode_row(row: Any) -> Any:
    if isinstance(row, dict):
        return {k: decode_value(v) for k, v in row.items()}
    return [decode_value(v) for v in row]


def query_string_value(value: Any) -> str:
    """A value for a ``where.<column>=`` filter of ``GET .../rows``."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise UnsupportedValueError(
        f"a where filter takes a str, int or float, not {type(value).__name__} (use query() for others)"
    )


def optional_int(value: Any) -> Optional[int]:
    return None if value is None else int(value)
