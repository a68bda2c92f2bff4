"""Bounded Content-Encoding decoding: which codings are accepted, and steps never exceed STEP."""

from __future__ import annotations

import gzip
import zlib

import brotli  # type: ignore[import-untyped]  # ships no stubs or py.typed
import pytest

from ingest.fetch.decode import STEP, BodyDecoder, DecodeError, parse_content_encoding


@pytest.mark.parametrize(
    ("header", "codings"),
    [
        (None, ()),
        ("", ()),
        ("identity", ()),
        ("GZIP", ("gzip",)),
        ("gzip, br", ("gzip", "br")),
        ("x-gzip,identity, deflate", ("x-gzip", "deflate")),
    ],
)
def test_parse_content_encoding(header, codings):
    """Codings come back lower-cased in the order applied, identity dropped."""
    assert parse_content_encoding(header) == codings


@pytest.mark.parametrize("header", ["compress", "zstd", "gzip, gzip, gzip", "br, snappy"])
def test_parse_content_encoding_refuses(header):
    """Unknown codings and more than two stacked are refused."""
    with pytest.raises(DecodeError):
        parse_content_encoding(header)


@pytest.mark.parametrize(
    ("codings", "encode"),
    [
        (("gzip",), lambda d: gzip.compress(d, mtime=0)),
        (("deflate",), zlib.compress),
        (("br",), brotli.compress),
        (("br", "gzip"), lambda d: gzip.compress(brotli.compress(d), mtime=0)),
    ],
)
def test_decoding_yields_bounded_steps(codings, encode):
    """A 1 MiB body fed in one chunk comes out intact in pieces of about STEP bytes.

    (brotli's buffer may pass the limit by one growth step, never by the body's size.)
    """
    data = bytes(range(256)) * 4096
    pieces = list(BodyDecoder(codings).feed(encode(data)))
    assert b"".join(pieces) == data
    assert max(len(piece) for piece in pieces) <= 2 * STEP
    assert len(pieces) >= len(data) // (2 * STEP)


def test_decoding_stops_when_the_reader_stops():
    """Decoding is lazy: taking one piece of a huge gzip stream inflates only that piece."""
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    payload = compressor.compress(bytes(64 << 20)) + compressor.flush()
    first = next(iter(BodyDecoder(("gzip",)).feed(payload)))
    assert len(first) == STEP


def test_decoding_split_input_matches_whole():
    """Feeding the compressed body in small chunks gives the same bytes as in one go."""
    data = b"hello world " * 10_000
    blob = brotli.compress(gzip.compress(data, mtime=0))
    decoder = BodyDecoder(("gzip", "br"))
    out = b"".join(piece for i in range(0, len(blob), 7) for piece in decoder.feed(blob[i : i + 7]))
    assert out == data
