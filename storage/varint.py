"""Variable-length integers (LEB128: 7 bits per byte, high bit = more follows) and zig-zag signed integers, the
number encoding of packed paragraph ids (models.pack_ids) and skeleton deltas (repo.make_delta). A storage
format: existing rows depend on it."""
from __future__ import annotations

from collections.abc import Iterable


def zigzag(n: int) -> int:
    """A signed integer as an unsigned one (0, -1, 1, -2 … → 0, 1, 2, 3 …)."""
    return (n << 1) ^ (n >> 63)


def unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


def write(numbers: Iterable[int], out: bytearray) -> None:
    """Append non-negative ``numbers`` to ``out`` as varints."""
    for n in numbers:
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)


def read(data: bytes, count: int | None = None, pos: int = 0) -> tuple[list[int], int]:
    """``count`` varints (all of them when None) from ``data`` at ``pos``; the numbers and the position after."""
    numbers: list[int] = []
    n = shift = 0
    while (count is None or len(numbers) < count) and pos < len(data):
        byte = data[pos]
        pos += 1
        n |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            numbers.append(n)
            n = shift = 0
    return numbers, pos
