"""Tests of tryon.io: every accepted mode and source, every refusal, and save_image."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from tryon.constants import MAX_FILE_BYTES, MAX_IMAGE_PIXELS, MIN_IMAGE_SIDE
from tryon.errors import InvalidImageError
from tryon.io import JPEG_QUALITY, load_image, save_image

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
WHAT = "person photo"
ORIENTATION = 0x0112  # EXIF tag


# -- helpers ------------------------------------------------------------------------------
def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def noise(height: int = 128, width: int = 128) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose IHDR (and its CRC) is patched to declare width x height."""
    data = bytearray(encode(Image.new("RGB", (1, 1)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image)


def refused(source, match: str, what: str = WHAT, **kwargs) -> InvalidImageError:
    """Assert load_image refuses ``source`` with one readable sentence naming ``what``."""
    with pytest.raises(InvalidImageError, match=match) as info:
        load_image(source, what=what, **kwargs)
    message = str(info.value)
    assert what in message
    assert message[0].isupper() and message.endswith(".")
    assert ". " not in message and "\n" not in message          # one sentence
    for jargon in ("Error", "Traceback", "PIL", "errno", "dtype", "None", "/tmp"):
        assert jargon not in message
    return info.value


# -- sources ------------------------------------------------------------------------------
@pytest.fixture
def rgb_png(tmp_path) -> tuple[Path, np.ndarray]:
    array = pixels(noise(40, 60))
    return write(tmp_path / "photo.png", encode(Image.fromarray(array), "PNG")), array


@pytest.mark.parametrize("kind", ["str", "path", "bytes", "bytearray", "memoryview",
                                  "file", "pil", "array"])
def test_every_source_type_gives_same_pixels(rgb_png, kind):
    path, array = rgb_png
    data = path.read_bytes()
    source = {"str": str(path), "path": path, "bytes": data, "bytearray": bytearray(data),
              "memoryview": memoryview(data), "file": io.BytesIO(data),
              "pil": Image.open(path), "array": array}[kind]
    image = load_image(source)
    assert image.mode == "RGB" and image.size == (60, 40)
    assert image.info == {"original_size": (60, 40)}
    np.testing.assert_array_equal(pixels(image), array)


def test_result_is_loaded_and_independent(tmp_path, rgb_png):
    path, array = rgb_png
    image = load_image(path)
    path.unlink()                      # no lazy read from the file afterwards
    assert pixels(image).shape == (40, 60, 3)

    source = Image.fromarray(array)
    out = load_image(source)
    out.putpixel((0, 0), (1, 2, 3))
    assert out is not source and source.getpixel((0, 0)) == tuple(array[0, 0])

    arr = array.copy()
    out = load_image(arr)
    arr[:] = 0
    np.testing.assert_array_equal(pixels(out), array)


def test_text_mode_file_object_is_refused(rgb_png):
    path, _ = rgb_png
    with path.open("r", encoding="latin-1") as fh:
        refused(fh, "not an image file we can read")


# -- modes --------------------------------------------------------------------------------
def test_rgba_is_composited_over_white_by_default():
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 255, 0))       # fully transparent blue
    rgba.putpixel((1, 0), (255, 0, 0, 128))     # half transparent red
    image = load_image(encode(rgba, "PNG"))
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == WHITE
    assert image.getpixel((1, 0)) == (255, 127, 127)
    assert image.getpixel((5, 5)) == RED


def test_rgba_keep_alpha_keeps_alpha():
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 255, 0))
    rgba.putpixel((1, 0), (0, 255, 0, 100))
    image = load_image(encode(rgba, "PNG"), keep_alpha=True)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((1, 0)) == (0, 255, 0, 100)
    assert image.getpixel((5, 5)) == (255, 0, 0, 255)


def test_opaque_rgba_with_keep_alpha_is_rgb():
    image = load_image(encode(Image.new("RGBA", (40, 40), (1, 2, 3, 255)), "PNG"),
                       keep_alpha=True)
    assert image.mode == "RGB" and image.getpixel((3, 3)) == (1, 2, 3)


def test_la_image():
    la = Image.new("LA", (40, 40), (100, 255))
    la.putpixel((0, 0), (0, 0))
    kept = load_image(encode(la, "PNG"), keep_alpha=True)
    assert kept.mode == "RGBA" and kept.getpixel((0, 0))[3] == 0
    assert kept.getpixel((5, 5)) == (100, 100, 100, 255)
    flat = load_image(encode(la, "PNG"))
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == WHITE
    assert flat.getpixel((5, 5)) == (100, 100, 100)


def _palette_image() -> Image.Image:
    p = Image.new("P", (40, 40), 1)
    p.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 9))
    p.paste(2, (0, 0, 10, 10))        # a blue square in the top left corner
    return p


def test_palette_without_transparency():
    image = load_image(encode(_palette_image(), "PNG"), keep_alpha=True)
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == BLUE and image.getpixel((20, 20)) == RED


def test_palette_with_transparency_keep_alpha_is_rgba():
    data = encode(_palette_image(), "PNG", transparency=2)   # the blue square is clear
    image = load_image(data, keep_alpha=True)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((9, 9))[3] == 0
    assert image.getpixel((20, 20)) == (255, 0, 0, 255)
    flat = load_image(data)
    assert flat.mode == "RGB" and flat.getpixel((0, 0)) == WHITE
    assert flat.getpixel((20, 20)) == RED


def test_rgb_with_transparency_colour():
    rgb = Image.new("RGB", (40, 40), RED)
    rgb.paste(GREEN, (0, 0, 4, 4))
    image = load_image(encode(rgb, "PNG", transparency=GREEN), keep_alpha=True)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((10, 10)) == (*RED, 255)


def test_gray_l():
    gray = Image.fromarray(np.tile(np.arange(0, 200, 5, dtype=np.uint8), (40, 1)))
    out = pixels(load_image(encode(gray, "PNG")))
    assert out.shape == (40, 40, 3)
    np.testing.assert_array_equal(out[..., 0], pixels(gray))
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_bilevel_1():
    bw = Image.new("1", (40, 40), 0)
    bw.paste(1, (0, 0, 20, 40))
    image = load_image(encode(bw, "PNG"))
    assert image.getpixel((0, 0)) == WHITE and image.getpixel((30, 0)) == (0, 0, 0)


def test_16bit_gray_png_uses_full_range(tmp_path):
    gradient = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (40, 1))
    path = write(tmp_path / "deep.png", encode(Image.fromarray(gradient), "PNG"))
    assert Image.open(path).mode == "I;16"
    out = pixels(load_image(path))[0, :, 0]
    assert out[0] == 0 and out[-1] == 255 and out[128] == 128
    assert np.all(np.diff(out.astype(int)) >= 0)
    assert len(np.unique(out)) == 256            # not clipped at 255: every level is used


def test_32bit_int_i_mode_in_16bit_range():
    values = np.tile(np.linspace(0, 65535, 64).astype(np.int32), (40, 1))
    image = Image.fromarray(values)
    assert image.mode == "I"
    out = pixels(load_image(image))[0, :, 0]
    assert out[0] == 0 and out[-1] == 255 and out[32] == round(32 / 63 * 255)


def test_float_f_mode_in_unit_range():
    values = np.tile(np.linspace(0.0, 1.0, 64, dtype=np.float32), (40, 1))
    image = Image.fromarray(values)
    assert image.mode == "F"
    out = pixels(load_image(image))[0, :, 0]
    assert out[0] == 0 and out[-1] == 255 and out[21] == round(21 / 63 * 255)


def test_cmyk_tiff():
    cmyk = Image.new("CMYK", (40, 40), (0, 255, 255, 0))   # red ink mix
    cmyk.paste((0, 0, 0, 255), (0, 0, 10, 10))               # black
    image = load_image(encode(cmyk, "TIFF"))
    assert image.mode == "RGB"
    assert image.getpixel((20, 20)) == RED and image.getpixel((0, 0)) == (0, 0, 0)


def test_ycbcr():
    ycc = Image.new("RGB", (40, 40), (200, 50, 30)).convert("YCbCr")
    image = load_image(ycc)
    assert image.mode == "RGB" and image.getpixel((0, 0)) == ycc.convert("RGB").getpixel((0, 0))


def test_exif_orientation_is_applied(tmp_path):
    stored = Image.new("RGB", (60, 40), RED)
    stored.paste(BLUE, (30, 0, 60, 40))      # left half red, right half blue
    exif = Image.Exif()
    exif[ORIENTATION] = 6                    # shown turned 90 degrees clockwise
    path = write(tmp_path / "phone.jpg", encode(stored, "JPEG", exif=exif.tobytes()))
    image = load_image(path)
    assert image.size == (40, 60) and image.info["original_size"] == (40, 60)
    top, bottom = image.getpixel((20, 5)), image.getpixel((20, 55))
    assert top[0] > 200 and top[2] < 50          # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 50


def test_animated_gif_first_frame():
    frames = [Image.new("P", (40, 40), 0) for _ in range(3)]
    for frame, colour in zip(frames, (RED, GREEN, BLUE)):
        frame.putpalette(list(colour) + [0] * 765)
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert load_image(data).getpixel((5, 5)) == RED


def test_animated_webp_first_frame():
    frames = [Image.new("RGB", (40, 40), c) for c in (GREEN, RED, BLUE)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert load_image(data).getpixel((5, 5)) == GREEN


def test_multipage_tiff_first_page():
    pages = [Image.new("RGB", (40, 40), c) for c in (BLUE, RED)]
    data = encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    assert load_image(data).getpixel((5, 5)) == BLUE


# -- arrays -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(40, 50), (40, 50, 1)])
def test_array_gray_uint8(shape):
    array = np.arange(40 * 50, dtype=np.uint8).reshape(shape)
    out = pixels(load_image(array))
    assert out.shape == (40, 50, 3)
    np.testing.assert_array_equal(out[..., 1], array.reshape(40, 50))


def test_array_rgba_uint8():
    array = np.zeros((40, 50, 4), np.uint8)
    array[..., 0], array[..., 3] = 255, 255
    array[0, 0] = (0, 0, 0, 0)
    kept = load_image(array, keep_alpha=True)
    assert kept.mode == "RGBA" and kept.getpixel((0, 0))[3] == 0
    assert load_image(array).getpixel((0, 0)) == WHITE


def test_array_uint16_is_scaled():
    array = np.zeros((40, 50, 3), np.uint16)
    array[0, 0] = (65535, 32896, 257)
    out = pixels(load_image(array))
    assert tuple(out[0, 0]) == (255, 128, 1) and tuple(out[1, 1]) == (0, 0, 0)


def test_array_bool():
    array = np.zeros((40, 50), bool)
    array[:, :10] = True
    image = load_image(array)
    assert image.getpixel((0, 0)) == WHITE and image.getpixel((20, 0)) == (0, 0, 0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_array_float_unit_range(dtype):
    array = np.zeros((40, 50, 3), dtype)
    array[0, 0] = (1.0, 0.5, 0.0)
    assert load_image(array).getpixel((0, 0)) == (255, 128, 0)


# -- size limits --------------------------------------------------------------------------
def test_downscale_keeps_aspect_and_records_original_size():
    image = load_image(Image.new("RGB", (600, 300), GREEN), max_side=200)
    assert image.size == (200, 100) and image.info["original_size"] == (600, 300)
    assert image.getpixel((100, 50)) == GREEN


def test_downscale_of_rotated_jpeg_uses_display_orientation():
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    data = encode(Image.new("RGB", (400, 200), BLUE), "JPEG", exif=exif.tobytes())
    image = load_image(data, max_side=100)       # 4x smaller: JPEG draft path
    assert image.size == (50, 100) and image.info["original_size"] == (200, 400)
    assert np.abs(np.subtract(image.getpixel((25, 50)), BLUE)).max() <= 3


def test_image_at_limits_is_accepted():
    image = load_image(np.zeros((MIN_IMAGE_SIDE, 2 * MIN_IMAGE_SIDE), np.uint8))
    assert image.size == (2 * MIN_IMAGE_SIDE, MIN_IMAGE_SIDE)


def test_max_side_below_min_side_is_a_programming_error():
    with pytest.raises(ValueError, match="max_side"):
        load_image(np.zeros((40, 40), np.uint8), max_side=MIN_IMAGE_SIDE - 1)


@pytest.mark.parametrize("size", [(8, 8), (2000, 10)])
def test_too_small_is_refused(size):
    refused(encode(Image.new("RGB", size), "PNG"), rf"too small \({size[0]} x {size[1]}")


def test_too_narrow_after_downscale_is_refused():
    refused(np.zeros((40, 3000), np.uint8), "too long and narrow", max_side=1000)


@pytest.mark.parametrize("size", [
    (8000, 8000),        # over our limit, under Pillow's: our header check
    (10000, 10000),      # over Pillow's warning limit: the warning becomes our error
    (100000, 100000),    # over Pillow's error limit: DecompressionBombError
])
def test_decompression_bomb_is_refused_from_header(size):
    assert size[0] * size[1] > MAX_IMAGE_PIXELS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refused(bomb_png(*size), "too large.*megapixels")
    assert caught == []                          # no DecompressionBombWarning leaks


def test_pixel_limit_applies_to_pil_images():
    image = Image.new("1", (10000, 5001))        # 50.01 MP, 6 MB in mode "1"
    refused(image, r"too large \(10000 x 5001")


def test_pillow_global_state_is_untouched(tmp_path):
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    for bad in (bomb_png(10000, 10000), encode(noise(), "JPEG")[:2000]):
        with pytest.raises(InvalidImageError):
            load_image(bad)
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES,
            list(warnings.filters)) == before


# -- refusals: files and bytes ------------------------------------------------------------
NOT_AN_IMAGE = "not an image file we can read"
DAMAGED = "damaged or incomplete"


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photo.txt", "not a photo")
    return buf.getvalue()


@pytest.mark.parametrize("name,data,match", [
    ("empty.png", b"", "is empty"),
    ("notes.png", b"just some text, no pixels here\n", NOT_AN_IMAGE),
    ("page.jpg", b"<!DOCTYPE html><html><body>404</body></html>", NOT_AN_IMAGE),
    ("doc.png", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", NOT_AN_IMAGE),
    ("archive.png", _zip_bytes(), NOT_AN_IMAGE),
    ("art.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n", NOT_AN_IMAGE),
    ("png-header.png", b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"garbage" * 10,
     f"{NOT_AN_IMAGE}|{DAMAGED}"),
    ("half.jpg", encode(noise(), "JPEG")[:2000], DAMAGED),
    ("half.png", encode(noise(), "PNG")[:20000], DAMAGED),
])
def test_bad_files_are_refused(tmp_path, name, data, match):
    path = write(tmp_path / name, data)
    refused(path, match)
    refused(data, match, what="garment image")


def test_file_over_size_limit_is_refused_before_reading(tmp_path):
    path = write(tmp_path / "huge.png", encode(Image.new("RGB", (40, 40)), "PNG"))
    with path.open("r+b") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)          # sparse: cheap on disk
    refused(path, "larger than 25 MB")


def test_bytes_and_stream_over_size_limit_are_refused():
    data = b"\0" * (MAX_FILE_BYTES + 1)
    refused(data, "larger than 25 MB")
    refused(io.BytesIO(data), "larger than 25 MB")


def test_missing_path_is_refused(tmp_path):
    err = refused(tmp_path / "nope.jpg", "couldn't find")
    assert "nope.jpg" in str(err) and isinstance(err.__cause__, FileNotFoundError)


def test_directory_is_refused(tmp_path):
    refused(tmp_path, "is a folder")


@pytest.mark.parametrize("source", [None, 42, 3.5, [[0, 1], [1, 0]], object()])
def test_unsupported_source_types_are_refused(source):
    refused(source, NOT_AN_IMAGE)


# -- refusals: arrays ---------------------------------------------------------------------
@pytest.mark.parametrize("array,match", [
    (np.full((40, 40, 3), np.nan, np.float32), "pixel values"),
    (np.full((40, 40), np.inf), "pixel values"),
    (np.full((40, 40, 3), 2.0), "pixel values"),           # float outside 0..1
    (np.full((40, 40, 3), -0.5), "pixel values"),
    (np.zeros((40, 40, 3), np.int64), "pixel values"),
    (np.zeros((40, 40), np.complex64), "pixel values"),
    (np.zeros(1600, np.uint8), "layout"),                  # rank 1
    (np.zeros((2, 40, 40, 3), np.uint8), "layout"),        # rank 4
    (np.zeros((40, 40, 2), np.uint8), "layout"),           # 2 channels
    (np.zeros((40, 40, 5), np.uint8), "layout"),           # 5 channels
    (np.zeros((0, 0, 3), np.uint8), "is empty"),
    (np.zeros((8, 100, 3), np.uint8), "too small"),
])
def test_bad_arrays_are_refused(array, match):
    refused(array, match)


# -- save_image ---------------------------------------------------------------------------
def test_save_png_creates_parents_and_round_trips(tmp_path):
    rgba = Image.new("RGBA", (40, 30), (10, 20, 30, 40))
    path = save_image(rgba, tmp_path / "a" / "b" / "out.png")
    assert path == tmp_path / "a" / "b" / "out.png"
    with Image.open(path) as back:
        assert back.format == "PNG" and back.mode == "RGBA"
        assert back.getpixel((0, 0)) == (10, 20, 30, 40)
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.png"]   # no temp left


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".JPG"])
def test_save_jpeg_drops_alpha_over_white_at_quality_95(tmp_path, suffix):
    rgba = Image.new("RGBA", (40, 40), (0, 0, 255, 255))
    rgba.paste((0, 0, 0, 0), (0, 0, 20, 40))
    path = save_image(rgba, tmp_path / f"out{suffix}")
    with Image.open(path) as back:
        assert back.format == "JPEG" and back.mode == "RGB"
        assert min(back.getpixel((5, 20))) >= 250          # white, not black
        assert back.getpixel((35, 20))[2] >= 250
        reference = Image.open(io.BytesIO(encode(back.convert("RGB"), "JPEG",
                                                 quality=JPEG_QUALITY)))
        assert back.quantization == reference.quantization


def test_save_webp(tmp_path):
    path = save_image(Image.new("RGBA", (40, 40), (0, 255, 0, 0)), tmp_path / "out.webp")
    with Image.open(path) as back:
        assert back.format == "WEBP" and back.mode == "RGBA"


@pytest.mark.parametrize("name", ["out.gif", "out.bmp", "out"])
def test_save_unknown_suffix_is_refused(tmp_path, name):
    with pytest.raises(InvalidImageError, match=r"\.png, \.jpg or \.webp\.$"):
        save_image(Image.new("RGB", (40, 40)), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_existing_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = save_image(Image.new("RGB", (40, 40), RED), tmp_path / "out.png")
    before = path.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_image(Image.new("RGB", (40, 40), BLUE), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]
