"""Read the plain tables stored in Hearthguard's model files, and nothing else.

A model file is a skops archive: a zip holding ``schema.json`` (a tree of typed nodes) and
one ``.npy`` member per numpy array. Hearthguard's files hold only plain tables, so this
reader rebuilds exactly these node kinds and refuses everything else before it is built:

- ``DictNode`` of ``builtins.dict`` with ``str`` (or ``int``) keys,
- ``ListNode`` of ``builtins.list`` and ``TupleNode`` of ``builtins.tuple``,
- ``JsonNode`` holding one ``str``, ``int``, ``float``, ``bool`` or ``None``,
- ``NdArrayNode`` of ``numpy.ndarray`` stored as an ``.npy`` member, read with
  ``numpy.load(..., allow_pickle=False)``, of a boolean, integer, float or string dtype.

No name in a file is ever imported or called, so a file cannot run code; reading needs
neither skops nor scikit-learn. Files are still written with ``skops.io.dump``
(``classifier.training``); protocols 0 to 2 store these node kinds the same way.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MAX_MEMBER_BYTES", "ModelFileError", "read_model_file"]

#: The largest uncompressed member (schema or array) a model file may hold.
MAX_MEMBER_BYTES = 256 * 1024 * 1024

_PROTOCOLS = range(0, 3)
_MAX_DEPTH = 32
_JSON_VALUE_CLASSES = frozenset({"str", "int", "float", "bool", "NoneType"})
_KEY_TYPES = {"str": str, "int": int}
# numpy dtype kinds a table may use: bool, signed/unsigned int, float, unicode string.
_ARRAY_KINDS = frozenset("biufU")


class ModelFileError(ValueError):
    """A model file that cannot be read, or that holds anything but a plain table."""


def read_model_file(path: str | Path) -> Any:
    """The table stored in the model file at ``path``: nested dicts, lists, tuples, plain
    values and numpy arrays, rebuilt without importing or calling anything the file names.

    Raises ``ModelFileError`` with a plain reason when the file is not a readable archive,
    names any other type or node kind, holds an object array, refers to a missing member,
    or is larger or deeper than a model table can be.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(_member(archive, "schema.json"))
            if not isinstance(schema, dict):
                raise ModelFileError("schema.json does not describe an object")
            protocol = schema.get("protocol")
            if isinstance(protocol, bool) or protocol not in _PROTOCOLS:
                raise ModelFileError(
                    f"skops protocol {protocol!r} is not one this reader knows "
                    f"({_PROTOCOLS.start} to {_PROTOCOLS.stop - 1})"
                )
            return _TableReader(archive).value(schema, 0)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise ModelFileError(
            f"not a readable skops model file ({type(error).__name__}: {error})"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"schema.json is not valid JSON ({error})") from None
    except RecursionError:
        raise ModelFileError("schema.json is nested too deeply") from None


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ModelFileError(f"the archive has no member {name!r}") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise ModelFileError(f"member {name!r} is {info.file_size:,} bytes, more than allowed")
    return archive.read(info)


class _TableReader:
    """Rebuilds one archive's node tree; holds the open archive for its ``.npy`` members."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive

    def value(self, node: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ModelFileError(f"the table is nested more than {_MAX_DEPTH} levels deep")
        if not isinstance(node, dict):
            raise ModelFileError(f"a node is not an object: {_short(node)}")
        loader = node.get("__loader__")
        type_name = f"{node.get('__module__')}.{node.get('__class__')}"
        if loader == "JsonNode" and node.get("__module__") == "builtins":
            if node.get("__class__") in _JSON_VALUE_CLASSES:
                return self._json_value(node)
        elif loader == "DictNode" and type_name == "builtins.dict":
            return self._dict(node, depth)
        elif loader == "ListNode" and type_name == "builtins.list":
            return [self.value(item, depth + 1) for item in _content(node, list)]
        elif loader == "TupleNode" and type_name == "builtins.tuple":
            return tuple(self.value(item, depth + 1) for item in _content(node, list))
        elif loader == "NdArrayNode" and type_name == "numpy.ndarray":
            return self._array(node)
        raise ModelFileError(f"refused untrusted type {type_name} ({loader})")

    def _json_value(self, node: dict[str, Any]) -> Any:
        text = node.get("content")
        if not isinstance(text, str):
            raise ModelFileError("a JsonNode has no JSON text")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ModelFileError(f"a JsonNode holds no valid JSON: {_short(text)}") from None
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ModelFileError(f"a JsonNode holds a {type(value).__name__}, not a plain value")
        return value

    def _dict(self, node: dict[str, Any], depth: int) -> dict[Any, Any]:
        content = _content(node, dict)
        key_types = node.get("key_types")
        if not isinstance(key_types, dict) or key_types.get("__loader__") != "ListNode":
            raise ModelFileError("a DictNode has no list of key types")
        declared = _content(key_types, list)
        if len(declared) != len(content):
            raise ModelFileError("a DictNode's key types do not match its keys")
        table: dict[Any, Any] = {}
        for type_node, (key, item) in zip(declared, content.items(), strict=True):
            table[self._key(type_node, key)] = self.value(item, depth + 1)
        return table

    def _key(self, type_node: Any, key: str) -> str | int:
        if (
            not isinstance(type_node, dict)
            or type_node.get("__loader__") != "TypeNode"
            or type_node.get("__module__") != "builtins"
            or type_node.get("__class__") not in _KEY_TYPES
        ):
            described = _short(type_node)
            raise ModelFileError(f"refused dictionary key type {described}")
        try:
            return _KEY_TYPES[type_node["__class__"]](key)
        except ValueError:
            raise ModelFileError(f"dictionary key {key!r} is not an integer") from None

    def _array(self, node: dict[str, Any]) -> np.ndarray:
        if node.get("type") != "numpy":
            raise ModelFileError(f"refused a numpy array stored as {node.get('type')!r}")
        name = node.get("file")
        if not isinstance(name, str):
            raise ModelFileError("a numpy array names no member")
        try:
            array = np.load(io.BytesIO(_member(self._archive, name)), allow_pickle=False)
        except (ValueError, EOFError, OSError) as error:
            raise ModelFileError(f"member {name!r} is not a plain numpy array ({error})") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in _ARRAY_KINDS:
            raise ModelFileError(f"member {name!r} has dtype {array.dtype}, not a table dtype")
        return array


def _content(node: dict[str, Any], kind: type) -> Any:
    content = node.get("content")
    if not isinstance(content, kind):
        raise ModelFileError(f"a {node.get('__loader__')} has no {kind.__name__} content")
    return content


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
