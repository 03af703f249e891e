"""Compression bombs for tests: a page's beginning followed by a huge run of zero bytes.

Built quickly and exactly, without compressing gigabytes: a raw deflate stream flushed with
``Z_FULL_FLUSH`` after every mebibyte repeats the same bytes for every zero mebibyte, so the
gzip member is assembled by repetition with the right CRC and length.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from functools import cache

import brotli
import zstandard

MIB = 1 << 20
_ZEROS = b"\0" * MIB


@cache
def gzip_bomb(head: bytes, mebibytes: int) -> bytes:
    """One gzip member: ``head`` then ``mebibytes`` MiB of zeros (about 1 KB per MiB)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(_ZEROS) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(mebibytes):
        crc = zlib.crc32(_ZEROS, crc)
    size = (len(head) + mebibytes * MIB) & 0xFFFFFFFF
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + first + block * mebibytes + end + struct.pack("<II", crc, size)


@cache
def double_gzip_bomb(head: bytes, mebibytes: int) -> bytes:
    """``Content-Encoding: gzip, gzip``: a few KB that inflate to ``mebibytes`` MiB."""
    return gzip.compress(gzip_bomb(head, mebibytes), 9)


@cache
def brotli_bomb(head: bytes, mebibytes: int) -> bytes:
    """``head`` then zeros, brotli at quality 1 (about 190 KB per GiB)."""
    compressor = brotli.Compressor(quality=1)
    parts = [compressor.process(head)]
    parts += [compressor.process(_ZEROS) for _ in range(mebibytes)]
    parts.append(compressor.finish())
    return b"".join(parts)


@cache
def zstd_bomb(head: bytes, mebibytes: int) -> bytes:
    """``head`` then zeros, zstd (about 32 KB per GiB)."""
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    parts = [compressor.compress(head)]
    parts += [compressor.compress(_ZEROS) for _ in range(mebibytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


@cache
def websocket_deflate_bomb(mebibytes: int) -> bytes:
    """One server WebSocket text frame, compressed (RSV1, permessage-deflate), whose message
    inflates to ``mebibytes`` MiB of zeros (about 1 KB per MiB)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(_ZEROS) + deflate.flush(zlib.Z_FULL_FLUSH)  # ends 00 00 ff ff
    payload = (block * mebibytes)[:-4]  # the message's last 4 bytes are implied
    return b"\xc1\x7f" + struct.pack(">Q", len(payload)) + payload
