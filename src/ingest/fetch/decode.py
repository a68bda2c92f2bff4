"""Content-Encoding decoded by us, in bounded steps, so a compression bomb stops at the cap.

httpx's decoders inflate a whole network chunk in one call (0.28 turned an 809-byte brotli body
into 512 MiB). Here every decompressor call is given an output limit (:data:`STEP` bytes): zlib's
``decompress(data, max_length)`` with its ``unconsumed_tail``, brotli's
``process(data, output_buffer_limit=…)`` drained until ``can_accept_more_data()``. Decoded
chunks are produced lazily, so the reader that counts bytes against ``max_bytes`` stops the whole
chain the moment the cap is passed: peak memory stays near the cap, whatever the ratio.

Accepted: ``gzip`` (``x-gzip``), ``deflate`` (zlib-wrapped or raw, as servers send both), ``br``
and ``identity``, at most :data:`MAX_STACKED` of them. Anything else is refused before the body
is read.
"""

from __future__ import annotations

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_STACKED",
    "STEP",
    "BodyDecoder",
    "DecodeError",
    "parse_content_encoding",
]

import zlib
from typing import TYPE_CHECKING, Protocol

import brotli  # type: ignore[import-untyped]  # ships no stubs or py.typed

if TYPE_CHECKING:
    from collections.abc import Iterator

ACCEPT_ENCODING = "gzip, deflate, br"
"""The ``Accept-Encoding`` header we send: exactly what :class:`BodyDecoder` can bound."""
MAX_STACKED = 2
"""Most content codings accepted on one response (``gzip, br`` is fine; three is not)."""
STEP = 64 * 1024
"""Most bytes a single decompressor call may produce (brotli: about, see :class:`_Brotli`)."""

_KNOWN = frozenset({"gzip", "x-gzip", "deflate", "br"})


class DecodeError(ValueError):
    """A Content-Encoding we refuse (unknown, stacked too deep) or a body that does not decode."""


def parse_content_encoding(value: str | None) -> tuple[str, ...]:
    """The codings of a ``Content-Encoding`` header in the order applied, ``identity`` dropped.

    Raises :class:`DecodeError` for an unknown coding or more than :data:`MAX_STACKED`.
    """
    if not value:
        return ()
    codings = tuple(
        token
        for part in value.split(",")
        if (token := part.strip().lower()) not in {"", "identity"}
    )
    unknown = [coding for coding in codings if coding not in _KNOWN]
    if unknown:
        raise DecodeError(f"unsupported Content-Encoding {', '.join(unknown)!r}")
    if len(codings) > MAX_STACKED:
        raise DecodeError(f"{len(codings)} stacked Content-Encodings (at most {MAX_STACKED})")
    return codings


class _Stage(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...


class _Zlib:
    """gzip or deflate, each call producing at most :data:`STEP` bytes."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding in {"gzip", "x-gzip"}
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while pending:
            try:
                out = self._inflater.decompress(pending, STEP)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise DecodeError(f"bad {'gzip' if self._gzip else 'deflate'} data") from exc
                # "deflate" without the zlib wrapper (RFC 9110 says wrapped; many send raw)
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                continue
            self._started = True
            pending = self._inflater.unconsumed_tail
            if out:
                yield out
            if self._inflater.eof:
                return  # trailing bytes after the stream end are ignored, as httpx does
            while len(out) == STEP and not pending:
                out = self._inflater.decompress(b"", STEP)
                if out:
                    yield out


class _Brotli:
    """brotli, each call producing at most about :data:`STEP` bytes.

    brotli 1.2's ``output_buffer_limit`` stops growing the buffer once it reaches the limit
    (so a piece may be up to one growth step larger), and pending output must be drained with
    empty input: ``can_accept_more_data()`` turns true before the output is all out.
    """

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._decompressor
        try:
            if decompressor.is_finished():
                return  # trailing bytes after the stream end are ignored
            out = decompressor.process(data, output_buffer_limit=STEP)
            while out:
                yield out
                if decompressor.is_finished():
                    return
                out = decompressor.process(b"", output_buffer_limit=STEP)
        except brotli.error as exc:
            raise DecodeError("bad brotli data") from exc


class BodyDecoder:
    """Decode a body's Content-Encoding chunk by chunk, lazily and in bounded steps."""

    def __init__(self, codings: tuple[str, ...]) -> None:
        # the last coding applied is the first to undo
        self._stages: list[_Stage] = [
            _Brotli() if coding == "br" else _Zlib(coding) for coding in reversed(codings)
        ]

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of raw chunk ``data``; stop iterating to stop decoding."""
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            if data:
                yield data
            return
        for piece in self._stages[index].feed(data):
            yield from self._through(index + 1, piece)
