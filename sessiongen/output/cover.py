"""Cover art: a calm default cover drawn with numpy and encoded as PNG by hand, and a user's own image
(checked by decoding it whole with Pillow, within MAX_COVER_PIXELS, before its bytes are embedded).

The default cover is a soft vertical gradient in muted blue, teal or lavender, a few large translucent
circles and a gentle horizon. Colours and shapes come from a hash of the title, so each technique looks
distinct while the family stays consistent. The default PNG is written with zlib and struct.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np

from sessiongen.errors import SessiongenError, display_path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
MAX_COVER_BYTES = 5 * 1024 * 1024
MAX_COVER_PIXELS = 4096 * 4096  # 50 MB decoded as RGB; players show covers at 3000 x 3000 at most
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey + alpha, RGBA
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))  # x0, y0, dx, dy
HUE_RANGE_DEG = (175.0, 275.0)  # teal through blue to lavender


def default_cover(title: str, size_px: int = 600) -> bytes:
    """PNG bytes of a square default cover for `title`; the same title always gives the same image."""
    if not 16 <= size_px <= 4096:
        raise ValueError(f"cover size must be 16 to 4096 px, not {size_px}")
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(title.encode("utf-8")).digest()[:8], "big"))
    hue_deg = rng.uniform(*HUE_RANGE_DEG)
    rgb = _gradient(size_px, hue_deg, rng)
    for _ in range(int(rng.integers(3, 5))):
        rgb = _soft_circle(rgb, hue_deg, rng)
    rgb = _horizon(rgb, hue_deg, rng)
    return encode_png(_to_8bit(rgb))


BAYER_4X4 = (np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]]) + 0.5) / 16.0 - 0.5


def _to_8bit(rgb: np.ndarray) -> np.ndarray:
    """Quantise with a 4x4 ordered dither so the soft gradients show no bands (and still compress)."""
    size_px = rgb.shape[0]
    repeats = -(-size_px // 4)
    threshold = np.tile(BAYER_4X4, (repeats, repeats))[:size_px, :size_px, None]
    return np.clip(np.floor(rgb * 255.0 + 0.5 + threshold), 0, 255).astype(np.uint8)


def _colour(hue_deg: float, saturation: float, value: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb((hue_deg % 360.0) / 360.0, saturation, value))


def _gradient(size_px: int, hue_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Lighter, airier sky at the top easing into a deeper tone at the bottom."""
    top = _colour(hue_deg - rng.uniform(5, 20), rng.uniform(0.18, 0.28), rng.uniform(0.86, 0.93))
    bottom = _colour(hue_deg + rng.uniform(10, 30), rng.uniform(0.32, 0.45), rng.uniform(0.48, 0.60))
    t = np.linspace(0.0, 1.0, size_px)[:, None, None]
    t = t * t * (3.0 - 2.0 * t)  # smoothstep: no hard band in the middle
    return np.broadcast_to(top * (1.0 - t) + bottom * t, (size_px, size_px, 3)).copy()


def _soft_circle(rgb: np.ndarray, hue_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Blend in one large pale disc whose edge fades out over a fifth of its radius."""
    size_px = rgb.shape[0]
    centre_x, centre_y = rng.uniform(0.1, 0.9, 2) * size_px
    radius_px = rng.uniform(0.15, 0.38) * size_px
    y, x = np.mgrid[0:size_px, 0:size_px]
    distance_px = np.hypot(x - centre_x, y - centre_y)
    edge = np.clip((radius_px - distance_px) / (0.2 * radius_px), 0.0, 1.0)
    alpha = (edge * edge * (3.0 - 2.0 * edge) * rng.uniform(0.10, 0.20))[..., None]
    tint = _colour(hue_deg + rng.uniform(-25, 25), rng.uniform(0.05, 0.2), 0.97)
    return rgb * (1.0 - alpha) + tint * alpha


def _horizon(rgb: np.ndarray, hue_deg: float, rng: np.random.Generator) -> np.ndarray:
    """A low, gently rolling hill line in the lower third, soft-edged and translucent."""
    size_px = rgb.shape[0]
    x = np.linspace(0.0, 2.0 * np.pi, size_px)
    line = size_px * (rng.uniform(0.68, 0.78) + 0.03 * np.sin(x * rng.uniform(0.6, 1.2) + rng.uniform(0, 2 * np.pi)))
    y = np.arange(size_px)[:, None]
    below = np.clip((y - line[None, :]) / (0.012 * size_px), 0.0, 1.0)[..., None]
    shade = _colour(hue_deg + rng.uniform(15, 35), rng.uniform(0.30, 0.42), rng.uniform(0.36, 0.46))
    alpha = below * rng.uniform(0.35, 0.55)
    return rgb * (1.0 - alpha) + shade * alpha


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes for an 8-bit RGB array of shape (height, width, 3); rows use the 'Up' filter."""
    height_px, width_px, _ = pixels.shape
    rows = pixels.reshape(height_px, width_px * 3).astype(np.int16)
    up = np.diff(rows, axis=0, prepend=np.zeros((1, width_px * 3), np.int16)) % 256
    filtered = np.hstack([np.full((height_px, 1), 2, np.uint8), up.astype(np.uint8)])
    header = struct.pack(">IIBBBBB", width_px, height_px, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(filtered.tobytes(), 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def read_cover(path: Path | str) -> tuple[bytes, str]:
    """(data, mime) of a user's JPEG or PNG cover; anything else is a SessiongenError."""
    path = Path(path)
    shown = display_path(path)
    if not path.is_file():
        raise SessiongenError(f"cover image {shown} not found: check the path, or leave the cover out to use the default")
    if path.stat().st_size > MAX_COVER_BYTES:
        raise SessiongenError(f"cover image {shown} is over 5 MB: use a smaller .jpg or .png file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SessiongenError(f"cover image {shown} cannot be read ({exc.strerror}): use a readable .jpg or .png file") from exc
    mime = image_mime(data)
    if not mime:
        raise SessiongenError(f"{shown} is not a JPEG or PNG image: use a .jpg or .png file")
    damaged = f"{shown} is cut short or damaged: save the image again, or leave the cover out to use the default"
    if not _complete(data, mime) or image_size_px(data) == (0, 0):
        raise SessiongenError(damaged)
    _decode(data, mime, shown, damaged)
    return data, mime


def _decode(data: bytes, mime: str, shown: str, damaged: str) -> None:
    """Decode the image whole (Pillow), its size bounded first: a cover that players would fail
    on, or that claims more pixels than MAX_COVER_PIXELS, is never embedded."""
    from PIL import Image  # Pillow comes with matplotlib; loaded only for a user's cover

    width_px, height_px = image_size_px(data)
    if width_px * height_px > MAX_COVER_PIXELS:
        raise SessiongenError(
            f"{shown} is {width_px} x {height_px} px, over {MAX_COVER_PIXELS / 1e6:.1f} million pixels: use a smaller image (3000 x 3000 px is plenty)"
        )
    if mime == "image/png" and not _png_pixels_complete(data):
        raise SessiongenError(damaged)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if (image.format, image.size) != (mime.split("/")[1].upper(), (width_px, height_px)):
                    raise SessiongenError(damaged)
                image.verify()  # chunk checksums, structure
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # every pixel decoded
    except SessiongenError:
        raise
    except Exception:  # noqa: BLE001 - Pillow raises many kinds (OSError, SyntaxError, ValueError, zlib.error, ...)
        raise SessiongenError(damaged) from None


def _png_pixels_complete(data: bytes) -> bool:
    """Whether the PNG's pixel data (its IDAT chunks, joined) inflates to exactly the size its
    header declares. Pillow takes a stream that ends early and paints the rest black. Inflated
    a megabyte at a time and counted, never kept."""
    width_px, height_px, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    expected = _png_raw_bytes(width_px, height_px, depth * PNG_CHANNELS.get(colour, 0), interlace)
    chunks, at = [], 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    inflater, pending, produced = zlib.decompressobj(), b"".join(chunks), 0
    try:
        while produced <= expected:
            out = inflater.decompress(pending, 1 << 20)
            produced, pending = produced + len(out), inflater.unconsumed_tail
            if not out and not pending:
                break
    except zlib.error:
        return False
    return produced == expected and inflater.eof


def _png_raw_bytes(width_px: int, height_px: int, bits_per_pixel: int, interlace: int) -> int:
    """Bytes of filtered rows (a filter byte each) a PNG of this size and depth inflates to."""
    total = 0
    for x0, y0, dx, dy in ADAM7 if interlace else ((0, 0, 1, 1),):
        columns, rows = max(0, -(-(width_px - x0) // dx)), max(0, -(-(height_px - y0) // dy))
        if columns and rows:
            total += rows * (1 + -(-(columns * bits_per_pixel) // 8))
    return total


def _complete(data: bytes, mime: str) -> bool:
    """A PNG ends with its IEND chunk, a JPEG with its end-of-image marker."""
    if mime == "image/png":
        return b"IEND" in data[-12:]
    return data.rstrip(b"\x00").endswith(b"\xff\xd9")


def image_mime(data: bytes) -> str:
    """'image/png', 'image/jpeg' or '' from the magic bytes."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(JPEG_SIGNATURE):
        return "image/jpeg"
    return ""


def image_size_px(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or baseline/progressive JPEG; (0, 0) when it cannot be found."""
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data.startswith(JPEG_SIGNATURE):
        return _jpeg_size_px(data)
    return 0, 0


def _jpeg_size_px(data: bytes) -> tuple[int, int]:
    """Walk the JPEG markers up to the first start-of-frame (SOF0..SOF15 except DHT, JPG, DAC)."""
    at = 2
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height_px, width_px = struct.unpack(">HH", data[at + 5 : at + 9])
            return width_px, height_px
        at += 2 + length
    return 0, 0
