"""Upload bytes -> upright 8-bit grey pixels, at about the size a digit needs.

    grey = decode(upload_bytes, max_pixels=40_000_000)  # (h, w) uint8, or ImageRejected

Pillow reads the header only: the format is sniffed from the bytes (not the name), and the size is
checked before any pixel is decoded, so a decompression bomb costs nothing. OpenCV decodes: it
releases the GIL, and it decodes a large JPEG at 1/2, 1/4 or 1/8 scale inside libjpeg's inverse
DCT (IMREAD_REDUCED_GRAYSCALE_*), which a phone photo of one digit can afford and a full decode
cannot. The EXIF orientation comes from the header Pillow read, and is applied to the decoded grey
(OpenCV applies it for some flags and not others). A PNG without a tRNS chunk, as the page's
canvas sends, is decoded by libspng (pyspng) into 8-bit RGBA: about twice as fast as OpenCV's libpng
on the 560x560 canvas, the one step that bounds it (scripts/bench_image_libraries.py; figures in
BENCHMARKS.md); what libspng refuses goes on to OpenCV. Pillow decodes only what OpenCV cannot: GIF,
animated WebP, grey PNGs whose transparency is a tRNS colour key, and files OpenCV refuses (a PNG
with a wrong CRC has intact pixels): its verdict on those is final.
"""

import io

import cv2
import numpy as np
import pyspng
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = "PNG, JPEG, GIF, BMP, WebP"
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF", b"BM": "BMP"}
DECODE_SIDE = 320  # a JPEG is decoded reduced, as far as its longer side stays at least this long
REDUCED = {2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4, 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}

# Silent: a corrupt upload is answered with a 400, and OpenCV's log would repeat it for each one.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
# One thread a call: the service runs requests at once on its threads and workers, which keep the
# CPUs busy; OpenCV's own thread pool on top of them would oversubscribe the CPUs.
cv2.setNumThreads(1)


class ImageRejected(ValueError):
    """An upload the service refuses; status_code is the HTTP status, detail says what was wrong."""

    def __init__(self, status_code: int, detail: str):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def sniff_format(data: bytes) -> str | None:
    """The image format that the first bytes announce (PIL's name for it), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


def decode(data: bytes, max_pixels: int) -> np.ndarray:
    """Upload bytes -> (h, w) uint8 grey, upright, transparency on white; ImageRejected (415, 413, 400)."""
    header = open_header(data, max_pixels)
    if header.format == "PNG" and "transparency" not in header.info:
        rgba = spng_rgba(data)
        if rgba is not None:
            return upright(on_white(rgba, cv2.COLOR_RGBA2GRAY), orientation(header))
    if header.format == "GIF" or getattr(header, "is_animated", False) or grey_colour_key(header):
        return pillow_grey(header)
    flags = cv2.IMREAD_UNCHANGED  # keeps alpha and 16 bits, which grey_levels reads
    if header.format == "JPEG":
        factor = reduction(*header.size)
        flags = REDUCED[factor] if factor > 1 else cv2.IMREAD_GRAYSCALE
    try:
        pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error:
        pixels = None
    if pixels is None or pixels.size == 0:  # Pillow is laxer (a PNG chunk's CRC, say): its word is final
        return pillow_grey(header)
    return upright(grey_levels(pixels), orientation(header))


def open_header(data: bytes, max_pixels: int) -> Image.Image:
    """Read an upload's header (not its pixels) and check its size, or raise ImageRejected."""
    kind = sniff_format(data)
    if kind is None:
        raise ImageRejected(415, f"not an image this service reads; allowed: {FORMATS}")
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:  # the warning, if made an error
        raise ImageRejected(413, f"image has too many pixels; the limit is {max_pixels:,}") from error
    except UnidentifiedImageError as error:  # its message names a BytesIO object: no use to the client
        raise ImageRejected(400, f"cannot read the {kind} header: it is malformed, truncated or zero-sized") from error
    except Exception as error:  # PIL raises many types on malformed headers
        raise ImageRejected(400, f"cannot read the {kind} header: {error}") from error
    width, height = image.size
    if width * height == 0:
        raise ImageRejected(400, f"image is {width}x{height}: it has no pixels")
    if width * height > max_pixels:
        raise ImageRejected(413, f"image is {width}x{height} pixels; the limit is {max_pixels:,} pixels")
    return image


def reduction(width: int, height: int) -> int:
    """The JPEG scale denominator (1, 2, 4 or 8) that keeps the longer side at least DECODE_SIDE."""
    return next((factor for factor in (8, 4, 2) if max(width, height) >= factor * DECODE_SIDE), 1)


def orientation(header: Image.Image) -> int:
    """The EXIF orientation (1-8) that the header carries; 1 (as stored) when it has none, or a
    malformed one: the pixels are fine even when the tag is not."""
    if "exif" not in header.info:  # JPEG, WebP and PNG (eXIf before the pixels) have it in the header
        return 1
    try:
        value = header.getexif().get(0x0112, 1)
    except Exception:  # PIL raises many types on a malformed EXIF block
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(grey: np.ndarray, orientation: int) -> np.ndarray:
    """(h, w) pixels as stored -> as displayed, for an EXIF orientation 1-8."""
    if orientation in (5, 7):  # transposed, then 7 is also turned by 180 degrees
        grey = cv2.transpose(grey)
        return cv2.rotate(grey, cv2.ROTATE_180) if orientation == 7 else grey
    turns = {3: cv2.ROTATE_180, 6: cv2.ROTATE_90_CLOCKWISE, 8: cv2.ROTATE_90_COUNTERCLOCKWISE}
    flips = {2: 1, 4: 0}  # 1: left-right, 0: top-bottom
    if orientation in turns:
        return cv2.rotate(grey, turns[orientation])
    return cv2.flip(grey, flips[orientation]) if orientation in flips else grey


def grey_colour_key(header: Image.Image) -> bool:
    """A grey PNG made transparent by a tRNS colour key, which OpenCV would ignore."""
    return header.format == "PNG" and header.mode in ("1", "L", "I", "I;16") and "transparency" in header.info


def spng_rgba(data: bytes) -> np.ndarray | None:
    """A PNG -> (h, w, 4) uint8 RGBA (any colour type or depth, 16 bits to 8), or None where libspng
    refuses it. Its size was checked in the header: a bomb never reaches here."""
    try:
        rgba: np.ndarray = pyspng.load(data, "RGBA")
    except RuntimeError:  # libspng's errors: a truncated or malformed stream
        return None
    return rgba


def grey_levels(pixels: np.ndarray) -> np.ndarray:
    """OpenCV's decoded pixels ((h, w), (h, w, 3) BGR or (h, w, 4) BGRA; 8 or 16 bits) -> (h, w)
    uint8 grey with transparency composited onto white; 16 bits scaled (not clipped) to 8."""
    if pixels.dtype == np.uint16:
        pixels = cv2.convertScaleAbs(pixels, alpha=1 / 257)  # rounds 0..65535 to 0..255
    if pixels.ndim == 2:
        return pixels
    if pixels.shape[2] == 4:
        return on_white(pixels, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)


def on_white(pixels: np.ndarray, to_grey: int) -> np.ndarray:
    """(h, w, 4) uint8 BGRA or RGBA, as `to_grey` (an OpenCV conversion code) reads it -> (h, w) uint8
    grey composited onto white: grey a + 255 (1 - a)."""
    alpha = cv2.extractChannel(pixels, 3)
    grey = cv2.cvtColor(pixels, to_grey)
    if cv2.minMaxLoc(alpha)[0] == 255:  # opaque, as the page's canvas is
        return grey
    return cv2.add(cv2.multiply(grey, alpha, scale=1 / 255), cv2.bitwise_not(alpha))  # ... + 255 (1 - a)


def pillow_grey(image: Image.Image) -> np.ndarray:
    """What OpenCV does not decode (the first frame of a GIF or an animated WebP, a grey PNG with
    a colour key, a damaged file whose pixels Pillow can still read) -> (h, w) uint8 grey,
    upright, transparency on white; ImageRejected (400) if Pillow cannot decode it either."""
    try:
        image.load()  # the first frame of an animation
        ImageOps.exif_transpose(image, in_place=True)
        if image.mode in ("I", "I;16", "I;16L", "I;16B"):  # 16-bit grey: 0..65535
            return cv2.convertScaleAbs(np.asarray(image, dtype=np.float32), alpha=1 / 257)
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, image.convert("RGBA"))
        return np.asarray(image.convert("L"))
    except Exception as error:  # truncated or corrupt data: PIL raises OSError, SyntaxError, ValueError...
        raise ImageRejected(400, f"cannot decode the {image.format} image: {error}") from error
