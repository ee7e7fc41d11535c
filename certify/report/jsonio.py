"""The one JSON encoder/decoder of certify: every file certify writes (report.json, results.jsonl, instance
.json descriptions) and reads goes through here.

Contract:

* Output is strict RFC 8259 JSON (``allow_nan=False``): no ``NaN``/``Infinity`` literals anywhere.
* A non-finite number is written as ``null`` and named in a ``"nonfinite"`` note on the object that contains
  it: ``{"margin": null, "rhs": null, "nonfinite": {"margin": "inf", "rhs": "-inf"}}``. A note's keys are
  relative JSON Pointers (RFC 6901 without the leading ``/``) from that object: ``"margin"`` for a field,
  ``"margins/3"`` for an element of a list field, ``"x/0/2"`` inside nested lists; its values are ``"inf"``,
  ``"-inf"`` or ``"nan"``. So a numeric field is always a JSON number or ``null``, and a strict reader that
  ignores the notes still parses every file. ``nonfinite`` is therefore a reserved key of every object.
* `loads`/`load` parse strictly (a bare ``NaN``/``Infinity`` is an error) and put the non-finite floats back
  in place of their ``null`` (the note is removed), so code reading a report sees ``math.inf`` where the
  writer had it. `dumps(loads(s)) == s` for any text `dumps` wrote (with the same options).
* numpy scalars and arrays are written as numbers and lists; anything else that is not JSON data raises
  `NotJSONData` (a `TypeError` whose ``path`` is the JSON Pointer of the value from the object written, also
  named in its message) unless the writer passes ``default`` (a function returning JSON data for it).
* `load_report(path)` reads a report.json of schema ``certify-report/2``; a ``certify-report/1`` report
  (bare NaN/Infinity, "inf" strings in some numeric fields, no findings) is read and upgraded in memory;
  anything else raises `InvalidArgument` with one line that says what to do.
* `validate_report(report)` checks a report (as written, i.e. the encoded form) against the JSON Schema
  shipped as ``certify/report/schema.json`` (draft 2020-12).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

__all__ = ["NotJSONData", "SCHEMA", "LEGACY_SCHEMAS", "NOTE", "REPORT_LEAD", "encode", "decode", "dumps", "loads", "dump", "load",
           "load_report", "validate_report", "validate_record", "report_schema", "validate_on_write"]

SCHEMA = "certify-report/2"
LEGACY_SCHEMAS = ("certify-report/1",)
NOTE = "nonfinite"
REPORT_LEAD = ("schema", "findings")  # report.json opens with these keys
_TAGS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class NotJSONData(TypeError):
    """A value that is not JSON data; `path` is its JSON Pointer (RFC 6901, '' for the object itself)."""

    def __init__(self, value):
        super().__init__()
        self.kind, self.text, self.parts = type(value).__name__, f"{value!r:.80}", []

    @property
    def path(self) -> str:
        return "/" + "/".join(self.parts) if self.parts else ""

    def __str__(self) -> str:
        where = f" at {self.path}" if self.parts else ""
        return (f"certify.report.jsonio: {self.kind} value {self.text}{where} is not JSON data; convert it "
                "(float, int, str, list, dict) before writing")


def _tag(f: float) -> str:
    return "nan" if f != f else ("inf" if f > 0 else "-inf")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def encode(obj: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """`obj` as JSON data with every non-finite float replaced by null plus a note on its object."""
    if isinstance(obj, dict):
        return _encode_dict(obj, default)
    if isinstance(obj, (list, tuple)) or _is_ndarray(obj):
        notes: dict = {}
        out = _value(obj, "", notes, default)
        if notes:
            raise ValueError(f"certify.report.jsonio: non-finite number(s) at {sorted(notes)} are not inside an "
                             "object, so they cannot carry a 'nonfinite' note; wrap them in a dict")
        return out
    notes = {}
    out = _value(obj, "", notes, default)
    if notes:
        raise ValueError("certify.report.jsonio: a bare non-finite number cannot be written as JSON; wrap it "
                         "in a dict")
    return out


def _is_ndarray(x) -> bool:
    return type(x).__module__ == "numpy" and type(x).__name__ == "ndarray"


def _encode_dict(d: dict, default) -> dict:
    if NOTE in d:
        raise ValueError(f"certify.report.jsonio: {NOTE!r} is a reserved key (the note of non-finite numbers); "
                         f"rename the field (keys: {sorted(map(str, d))[:8]})")
    out: dict = {}
    notes: dict = {}
    for k, v in d.items():
        if not isinstance(k, str):
            if isinstance(k, (bool, int, float)) or k is None:
                k = json.dumps(k) if not isinstance(k, str) else k  # what json.dumps does with such keys
            else:
                raise TypeError(f"certify.report.jsonio: dict key {k!r} is not a string")
        try:
            out[k] = _value(v, _escape(k), notes, default)
        except NotJSONData as exc:
            exc.parts.insert(0, _escape(k))
            raise
    if notes:
        out[NOTE] = dict(sorted(notes.items()))
    return out


def _value(v, ptr: str, notes: dict, default):
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        notes[ptr] = _tag(v)
        return None
    if isinstance(v, dict):
        return _encode_dict(v, default)
    if isinstance(v, (list, tuple)):
        out = []
        for i, x in enumerate(v):
            try:
                out.append(_value(x, f"{ptr}/{i}" if ptr else str(i), notes, default))
            except NotJSONData as exc:
                exc.parts.insert(0, str(i))
                raise
        return out
    mod = type(v).__module__
    if mod == "numpy":
        import numpy as np

        if isinstance(v, np.ndarray):
            return _value(v.tolist() if v.dtype != object else list(v.tolist()), ptr, notes, default)
        if isinstance(v, np.bool_):
            return bool(v)
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, np.floating):
            return _value(float(v), ptr, notes, default)
    if default is not None:
        return _value(default(v), ptr, notes, None)
    raise NotJSONData(v)


def _restore(d: dict) -> dict:
    notes = d.get(NOTE)
    if not isinstance(notes, dict):
        return d
    del d[NOTE]
    for ptr, tag in notes.items():
        if tag not in _TAGS:
            raise ValueError(f"certify.report.jsonio: bad {NOTE!r} note {ptr!r}: {tag!r} (use inf, -inf or nan)")
        parts = [_unescape(p) for p in str(ptr).split("/")]
        holder: Any = d
        for p in parts[:-1]:
            holder = holder[p] if isinstance(holder, dict) else holder[int(p)]
        last = parts[-1]
        if isinstance(holder, dict):
            if holder.get(last, None) is not None:
                raise ValueError(f"certify.report.jsonio: {NOTE!r} note {ptr!r} names a field that is not null")
            holder[last] = _TAGS[tag]
        else:
            i = int(last)
            if holder[i] is not None:
                raise ValueError(f"certify.report.jsonio: {NOTE!r} note {ptr!r} names a value that is not null")
            holder[i] = _TAGS[tag]
    return d


def _reject_constant(name):
    raise ValueError(f"not strict JSON: bare {name} (certify writes non-finite numbers as null plus a "
                     f"{NOTE!r} note)")


def decode(data: Any) -> Any:
    """Put the non-finite numbers named by notes back into already-parsed JSON data (in place)."""
    if isinstance(data, dict):
        for v in data.values():
            decode(v)
        return _restore(data)
    if isinstance(data, list):
        for v in data:
            decode(v)
    return data


def _sorted(x):
    if isinstance(x, dict):
        return {k: _sorted(x[k]) for k in sorted(x)}
    if isinstance(x, list):
        return [_sorted(v) for v in x]
    return x


def dumps(obj: Any, *, default: Callable | None = None, indent: int | None = None, sort_keys: bool = True,
          lead: tuple = ()) -> str:
    """Strict JSON text of `obj` (one line unless `indent`); keys sorted at every level, except that the
    top-level keys named in `lead` come first, in that order (report.json opens with schema and findings)."""
    data = encode(obj, default)
    if sort_keys:
        data = _sorted(data)
    if lead and isinstance(data, dict):
        data = {**{k: data[k] for k in lead if k in data}, **{k: v for k, v in data.items() if k not in lead}}
    return json.dumps(data, allow_nan=False, indent=indent)


def loads(text: str | bytes) -> Any:
    """Parse strict JSON written by `dumps`, non-finite numbers restored."""
    return json.loads(text, parse_constant=_reject_constant, object_hook=_restore)


def dump(obj: Any, fh, *, default: Callable | None = None, indent: int | None = 1, sort_keys: bool = True,
         lead: tuple = ()) -> None:
    fh.write(dumps(obj, default=default, indent=indent, sort_keys=sort_keys, lead=lead))


def load(fh) -> Any:
    return loads(fh.read())


# ----------------------------------------------------------------------------- reports
def _legacy_number(x):
    if isinstance(x, str) and x in _TAGS:
        return _TAGS[x]
    return x


def _upgrade_v1(report: dict) -> dict:
    """A certify-report/1 report in the shape readers of /2 expect (in memory only)."""
    for c in report.get("claims") or []:
        if not isinstance(c, dict):
            continue
        c["ratio_extreme"] = _legacy_number(c.get("ratio_extreme"))
        c["margins"] = [_legacy_number(m) for m in c.get("margins") or []]
        ce = c.get("counterexample") if isinstance(c.get("counterexample"), dict) else {}
        for ex in [c.get("worst"), *ce.values()]:
            if isinstance(ex, dict) and "rel_margin" in ex:
                ex["rel_margin"] = _legacy_number(ex["rel_margin"])
        c.setdefault("tighten", None)
    from .findings import findings

    report["findings"] = findings(report.get("claims") or [])
    report["upgraded_from"] = report.get("schema")
    report["schema"] = SCHEMA
    return report


def load_report(path: str | Path) -> dict:
    """Read a report.json (a file, or a directory holding one) for certify's readers (HTML, replay)."""
    from ..errors import InvalidArgument

    p = Path(path)
    if p.is_dir():
        p = p / "report.json"
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidArgument(f"cannot read the report {str(p)!r} ({exc.strerror}); pass the directory given to "
                              "`certify run --report`") from None
    try:
        report = loads(text)
        schema = report.get("schema") if isinstance(report, dict) else None
    except ValueError as exc:
        try:  # a certify-report/1 report has bare NaN/Infinity: parse leniently, then look at its schema
            report = json.loads(text)
        except ValueError:
            raise InvalidArgument(f"{str(p)!r} is not valid JSON ({exc}); regenerate it with `certify run "
                                  "--report DIR`") from None
        schema = report.get("schema") if isinstance(report, dict) else None
        if schema not in LEGACY_SCHEMAS:
            raise InvalidArgument(f"{str(p)!r} is not strict JSON ({exc}); regenerate it with `certify run "
                                  "--report DIR`") from None
    if not isinstance(report, dict):
        raise InvalidArgument(f"{str(p)!r} is not a certify report (not a JSON object); pass a report.json "
                              "written by `certify run --report DIR`")
    if schema == SCHEMA:
        return report
    if schema in LEGACY_SCHEMAS:
        return _upgrade_v1(report)
    raise InvalidArgument(f"{str(p)!r} has schema {schema!r}; this certify reads {SCHEMA} (and "
                          f"{', '.join(LEGACY_SCHEMAS)}); regenerate it with `certify run --report DIR`")


@lru_cache(maxsize=1)
def report_schema() -> dict:
    """The JSON Schema of certify-report/2 (shipped as certify/report/schema.json)."""
    return json.loads((Path(__file__).parent / "schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = report_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _check(validator, data) -> None:
    import jsonschema

    err = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if err is not None:
        raise err


def validate_report(report: dict, *, encoded: bool = False, claims: bool = True) -> None:
    """Raise `jsonschema.ValidationError` (the first, best error) unless `report` follows certify-report/2.

    `report` is the in-memory form (non-finite floats allowed, they are encoded first) unless `encoded`.
    With ``claims=False`` the claim records are left out (a writer that validated each with `validate_record`
    as it arrived need not check them again on every rewrite)."""
    data = report if encoded else encode(report)
    if not claims:
        data = {**data, "claims": []}
    _check(_validator(), data)


@lru_cache(maxsize=1)
def _record_validator():
    import jsonschema

    schema = report_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls({"$schema": schema["$schema"], "$ref": "#/$defs/claim", "$defs": schema["$defs"]})


def validate_record(record: dict, *, encoded: bool = False) -> None:
    """Raise `jsonschema.ValidationError` unless one claim record follows the schema's claim definition."""
    _check(_record_validator(), record if encoded else encode(record))


def validate_on_write() -> bool:
    """Whether writers validate every report against the schema before writing it (the test suite sets
    ``CERTIFY_VALIDATE_REPORTS=1``; a report that does not validate then fails the run that wrote it)."""
    import os

    return os.environ.get("CERTIFY_VALIDATE_REPORTS", "") not in ("", "0")
