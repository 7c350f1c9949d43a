"""Images given to multimodal embedding functions: numpy arrays, sent to services as PNG.

Upstream converts with Pillow; a PNG of 8-bit pixels is simple enough to write with zlib,
so image inputs need no extra package.
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import numpy as np

__all__ = ["is_document", "is_image", "png_base64"]

_COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)


def is_document(item: Any) -> bool:
    return isinstance(item, str)


def is_image(item: Any) -> bool:
    return isinstance(item, np.ndarray) and item.ndim in (2, 3)


def png_base64(image: Any) -> str:
    """The base64 text of a PNG holding `image` (H x W, or H x W x 1/2/3/4 channels, values 0-255)."""
    return base64.b64encode(png_bytes(image)).decode("ascii")


def png_bytes(image: Any) -> bytes:
    if not isinstance(image, np.ndarray):
        raise ValueError(f"Expected image input to be a numpy array, got {type(image).__name__}")
    pixels = image if image.ndim == 3 else image[:, :, None]
    if pixels.ndim != 3 or pixels.shape[2] not in _COLOUR_TYPES or 0 in pixels.shape:
        raise ValueError(f"Cannot encode an image of shape {image.shape}: expected H x W or H x W x 1-4.")
    if pixels.dtype != np.uint8:
        if not np.issubdtype(pixels.dtype, np.number) or pixels.min() < 0 or pixels.max() > 255:
            raise ValueError("Image values must be 8-bit (0-255).")
        pixels = pixels.astype(np.uint8)
    height, width, channels = pixels.shape
    # Each scanline starts with filter byte 0 (none).
    raw = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, width * channels)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[channels], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw.tobytes())) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
