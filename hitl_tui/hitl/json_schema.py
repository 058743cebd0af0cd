"""Check a JSON value against a JSON schema, strictly and without changing it.

An operator's edit is sent exactly as written, so it is only checked, never coerced: a
string where the tool wants an integer is refused here, not converted on the way. The
schemas come from the graph itself (a tool's argument schema, a per-call
`response_schema`), so the subset of JSON Schema that pydantic emits is what is needed.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def first_error(value: Any, schema: Any) -> str | None:
    """Why `value` does not fit `schema` ("where: what"), or None when it fits."""
    if not isinstance(schema, dict):
        return None
    return _check(value, schema, schema, "")


def _resolve(schema: dict, root: dict) -> dict:
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < 20:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra}
        seen += 1
    return schema


def _check(value: Any, schema: dict, root: dict, where: str) -> str | None:
    schema = _resolve(schema, root)
    here = f"{where}: " if where else ""
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if isinstance(options, list) and options:
            chosen = _discriminated(value, schema, options, root)
            if chosen is not None:
                return _check(value, chosen, root, where)
            errors = [_check(value, option, root, where) for option in options]
            if all(errors):
                return errors[0] if len(options) == 1 else f"{here}matches none of the choices"
    for option in schema.get("allOf") or []:
        error = _check(value, option, root, where)
        if error:
            return error
    if "const" in schema and value != schema["const"]:
        return f"{here}must be {schema['const']!r}"
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return f"{here}must be one of {', '.join(repr(e) for e in schema['enum'])}"
    wanted = schema.get("type")
    if wanted is not None:
        names = wanted if isinstance(wanted, list) else [wanted]
        if not any(_TYPES.get(name, lambda v: True)(value) for name in names):
            return f"{here}must be {' or '.join(map(str, names))}, got {_type_name(value)}"
    if isinstance(value, dict):
        return _check_object(value, schema, root, where)
    if isinstance(value, list):
        return _check_array(value, schema, root, where)
    if isinstance(value, str):
        return _check_string(value, schema, here)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _check_number(value, schema, here)
    return None


def _discriminated(value: Any, schema: dict, options: list, root: dict) -> dict | None:
    """The one branch a `discriminator` names, so an error speaks about that branch."""
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, dict) or not isinstance(value, dict):
        return None
    tag = value.get(discriminator.get("propertyName"))
    mapping = discriminator.get("mapping") or {}
    if isinstance(tag, str) and tag in mapping:
        return {"$ref": mapping[tag]}
    return None


def _check_object(value: dict, schema: dict, root: dict, where: str) -> str | None:
    properties = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if name not in value:
            return f"{_join(where, name)}: is required"
    for name, item in value.items():
        if name in properties:
            error = _check(item, properties[name], root, _join(where, name))
            if error:
                return error
        elif schema.get("additionalProperties") is False:
            return f"{_join(where, name)}: is not expected here"
        elif isinstance(schema.get("additionalProperties"), dict):
            error = _check(item, schema["additionalProperties"], root, _join(where, name))
            if error:
                return error
    return None


def _check_array(value: list, schema: dict, root: dict, where: str) -> str | None:
    here = f"{where}: " if where else ""
    if isinstance(schema.get("minItems"), int) and len(value) < schema["minItems"]:
        return f"{here}needs at least {schema['minItems']} items"
    if isinstance(schema.get("maxItems"), int) and len(value) > schema["maxItems"]:
        return f"{here}allows at most {schema['maxItems']} items"
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            error = _check(item, items, root, _join(where, str(index)))
            if error:
                return error
    return None


def _check_string(value: str, schema: dict, here: str) -> str | None:
    if isinstance(schema.get("minLength"), int) and len(value) < schema["minLength"]:
        return f"{here}needs at least {schema['minLength']} characters"
    if isinstance(schema.get("maxLength"), int) and len(value) > schema["maxLength"]:
        return f"{here}allows at most {schema['maxLength']} characters"
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, value) is None:
                return f"{here}does not match {pattern!r}"
        except re.error:
            return None
    return None


def _check_number(value: float, schema: dict, here: str) -> str | None:
    bounds = (
        ("minimum", lambda b: value >= b, "at least"),
        ("maximum", lambda b: value <= b, "at most"),
        ("exclusiveMinimum", lambda b: value > b, "greater than"),
        ("exclusiveMaximum", lambda b: value < b, "less than"),
    )
    for keyword, holds, words in bounds:
        bound = schema.get(keyword)
        if isinstance(bound, int | float) and not isinstance(bound, bool) and not holds(bound):
            return f"{here}must be {words} {bound}"
    return None


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _type_name(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _TYPES[name](value):
            return name
    return type(value).__name__


# -- reading a HumanInTheLoopMiddleware per-call `response_schema` ---------------------------
def _branches(schema: dict) -> list[dict]:
    options = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(options, list):
        return [_resolve(o, schema) for o in options if isinstance(o, dict)]
    return [_resolve(schema, schema)]


def _tag(branch: dict, root: dict) -> str | None:
    prop = _resolve((branch.get("properties") or {}).get("type") or {}, root)
    if isinstance(prop.get("const"), str):
        return prop["const"]
    enum = prop.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def decision_types(schema: Any) -> tuple[str, ...] | None:
    """The decision `type`s a response schema accepts, or None when it names none."""
    if not isinstance(schema, dict):
        return None
    tags = [_tag(branch, schema) for branch in _branches(schema)]
    if not tags or any(tag is None for tag in tags):
        return None
    return tuple(dict.fromkeys(tags))  # type: ignore[arg-type]


def edit_args_schema(schema: Any) -> dict | None:
    """The argument schema of the edit branch (`edited_action.args`), with its `$defs`."""
    if not isinstance(schema, dict):
        return None
    for branch in _branches(schema):
        if _tag(branch, schema) != "edit":
            continue
        action = _resolve((branch.get("properties") or {}).get("edited_action") or {}, schema)
        args = (action.get("properties") or {}).get("args")
        if isinstance(args, dict):
            return {**_resolve(args, schema), "$defs": schema.get("$defs", {})}
    return None
