"""The model file reader: plain tables come back as written, everything else is refused."""

from __future__ import annotations

import collections
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio

from classifier.models.loading import BUNDLED_MODEL_DIR
from classifier.models.modelfile import ModelFileError, read_model_file


def assert_same(read: Any, expected: Any) -> None:
    """Equal values of the same types, arrays with the same dtype."""
    assert type(read) is type(expected), (type(read), type(expected))
    if isinstance(expected, dict):
        assert list(read) == list(expected)
        for key in expected:
            assert_same(read[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert len(read) == len(expected)
        for left, right in zip(read, expected, strict=True):
            assert_same(left, right)
    elif isinstance(expected, np.ndarray):
        assert read.dtype == expected.dtype and read.shape == expected.shape
        np.testing.assert_array_equal(read, expected)
    else:
        assert read == expected


def test_a_plain_table_reads_back_as_skops_wrote_it(tmp_path: Path) -> None:
    table = {
        "kind": "linear-text",
        "ok": True,
        "missing": None,
        "ratio": 0.25,
        "count": -3,
        "range": [3, 5],
        "pair": ("a", 1.5),
        "nested": {"words": np.asarray(["caf\u00e9", "b"]).astype(str), "deep": [[{}]]},
        "weights": np.arange(12, dtype=np.float32).reshape(3, 4),
        "flags": np.asarray([True, False]),
        "ids": np.asarray([1, 2**40], dtype=np.int64),
        "bytes": np.asarray([1, 255], dtype=np.uint8),
    }
    sio.dump(table, tmp_path / "t.skops", compression=zipfile.ZIP_DEFLATED)
    assert_same(read_model_file(tmp_path / "t.skops"), table)


def test_int_keys_come_back_as_ints(tmp_path: Path) -> None:
    sio.dump({1: "one", 20: "twenty"}, tmp_path / "t.skops")
    assert read_model_file(tmp_path / "t.skops") == {1: "one", 20: "twenty"}


@pytest.mark.parametrize("name", ["url", "page", "chat"])
def test_shipped_files_read_as_skops_loads_them(name: str) -> None:
    path = BUNDLED_MODEL_DIR / f"{name}.skops"
    expected = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert_same(read_model_file(path), expected)


def test_read_arrays_are_plain_ndarrays(tmp_path: Path) -> None:
    sio.dump({"a": np.ma.masked_array([1.0, 2.0])}, tmp_path / "masked.skops")
    with pytest.raises(ModelFileError, match="untrusted"):
        read_model_file(tmp_path / "masked.skops")


class Pair(collections.namedtuple("Pair", "left right")):
    pass


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ({"f": print}, "builtins.print"),
        ({"s": {1, 2}}, "builtins.set"),
        ({"o": collections.OrderedDict(a=1)}, "collections.OrderedDict"),
        ({"d": collections.defaultdict(list)}, "collections.defaultdict"),
        ({"n": Pair(1, 2)}, "Pair"),
        ({"x": np.float64(1.5)}, "numpy.float64"),
        ({"x": np.asarray(["a", 1], dtype=object)}, "stored as 'json'"),
        ({"t": np.dtype("float32")}, "numpy.dtype"),
        ({"f": np.sum}, "numpy"),
        ({"r": np.random.default_rng(0)}, "Generator"),
        ({"b": b"raw"}, "builtins.bytes"),
    ],
)
def test_anything_but_a_plain_table_is_refused(tmp_path: Path, value: Any, refused: str) -> None:
    sio.dump(value, tmp_path / "bad.skops")
    with pytest.raises(ModelFileError, match=refused):
        read_model_file(tmp_path / "bad.skops")


def rewrite(
    source: Path,
    target: Path,
    schema: dict[str, Any] | None = None,
    members: dict[str, bytes] | None = None,
) -> None:
    """Copy a model archive, replacing its schema and members (``b""`` drops one)."""
    members = members or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "schema.json" and schema is not None:
                data = json.dumps(schema).encode()
            data = members.get(name, data)
            if data:
                new.writestr(name, data)


def page_schema() -> dict[str, Any]:
    with zipfile.ZipFile(BUNDLED_MODEL_DIR / "page.skops") as archive:
        schema: dict[str, Any] = json.loads(archive.read("schema.json"))
    return schema


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_a_missing_member_is_refused(tmp_path: Path) -> None:
    member = page_schema()["content"]["weights"]["file"]
    rewrite(BUNDLED_MODEL_DIR / "page.skops", tmp_path / "p.skops", members={member: b""})
    with pytest.raises(ModelFileError, match="no member"):
        read_model_file(tmp_path / "p.skops")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.asarray([{"a": 1}], dtype=object), "not a plain numpy array"),
        (np.zeros(2, dtype=[("x", "f4"), ("y", "i4")]), "dtype"),
        (np.asarray(["2024-01-01"], dtype="datetime64[D]"), "dtype"),
        (np.asarray([1 + 1j]), "dtype"),
        (np.asarray([b"raw"]), "dtype"),
    ],
)
def test_members_that_are_not_table_arrays_are_refused(
    tmp_path: Path, array: np.ndarray, message: str
) -> None:
    member = page_schema()["content"]["weights"]["file"]
    data = npy(array, allow_pickle=array.dtype == object)
    rewrite(BUNDLED_MODEL_DIR / "page.skops", tmp_path / "p.skops", members={member: data})
    with pytest.raises(ModelFileError, match=message):
        read_model_file(tmp_path / "p.skops")


def test_a_member_that_is_not_npy_is_refused(tmp_path: Path) -> None:
    member = page_schema()["content"]["weights"]["file"]
    rewrite(BUNDLED_MODEL_DIR / "page.skops", tmp_path / "p.skops", members={member: b"\x80\x04K."})
    with pytest.raises(ModelFileError, match="not a plain numpy array"):
        read_model_file(tmp_path / "p.skops")


def _set(path: str, value: Any) -> Any:
    """A schema edit: put ``value`` at a ``/``-separated path."""

    def change(schema: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = schema
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return change


_JSON_DICT = {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("protocol", 99), "protocol 99"),
        (_set("protocol", True), "protocol True"),
        (_set("__loader__", "ObjectNode"), "untrusted type builtins.dict"),
        (_set("__module__", "os"), "untrusted type os.dict"),
        (_set("content/weights/__loader__", "CachedNode"), "CachedNode"),
        (_set("content/weights/type", "json"), "stored as 'json'"),
        (_set("content/weights/file", "../../etc/passwd"), "no member"),
        (_set("content/weights/file", 7), "names no member"),
        (_set("content/classes", {**_JSON_DICT, "content": '{"a": 1}'}), "holds a dict"),
        (_set("content/classes", {**_JSON_DICT, "content": "[1, 2]"}), "holds a list"),
        (_set("content/classes", {**_JSON_DICT, "content": "{nope"}), "no valid JSON"),
        (_set("content/classes", {**_JSON_DICT, "__class__": "type"}), "builtins.type"),
        (_set("content/classes", "plain string"), "not an object"),
        (_set("key_types/content/0/__class__", "eval"), "key type"),
        (_set("key_types/content/0/__class__", "int"), "not an integer"),
        (_set("key_types/content", []), "do not match"),
        (_set("key_types", None), "key types"),
        (_set("content", ["not", "a", "dict"]), "no dict content"),
    ],
)
def test_crafted_schemas_are_refused(tmp_path: Path, change: Any, message: str) -> None:
    schema = page_schema()
    change(schema)
    rewrite(BUNDLED_MODEL_DIR / "page.skops", tmp_path / "p.skops", schema=schema)
    with pytest.raises(ModelFileError, match=message):
        read_model_file(tmp_path / "p.skops")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    node: dict[str, Any] = {**_JSON_DICT, "content": "1"}
    for _ in range(40):
        node = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                "content": [node]}  # fmt: skip
    node["protocol"] = 2
    with zipfile.ZipFile(tmp_path / "deep.skops", "w") as archive:
        archive.writestr("schema.json", json.dumps(node))
    with pytest.raises(ModelFileError, match="nested"):
        read_model_file(tmp_path / "deep.skops")


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip", b"PK\x03\x04" + b"\x00" * 40],
)
def test_unreadable_archives_are_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.skops").write_bytes(content)
    with pytest.raises(ModelFileError, match="not a readable skops model file"):
        read_model_file(tmp_path / "bad.skops")


def test_an_archive_without_schema_or_with_bad_json_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "none.skops", "w") as archive:
        archive.writestr("other.txt", "x")
    with pytest.raises(ModelFileError, match="schema.json"):
        read_model_file(tmp_path / "none.skops")
    with zipfile.ZipFile(tmp_path / "json.skops", "w") as archive:
        archive.writestr("schema.json", "{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        read_model_file(tmp_path / "json.skops")


def test_a_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="FileNotFoundError"):
        read_model_file(tmp_path / "nowhere.skops")
