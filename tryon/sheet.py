"""Contact sheets: rows of pictures pasted side by side on white, for a person to look at
(``tryon eval --wild``, ``tryon generate --sheet``)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tryon.constants import SHEET_COLUMNS

__all__ = ["contact_sheet", "on_white_rgb", "save_sheet", "sheet_format_known", "SHEET_COLUMNS"]

BACKGROUND = "white"


def on_white_rgb(image: Image.Image) -> Image.Image:
    """An RGB copy of ``image``; one with transparency (a garment, alpha = its mask) composited on white."""
    if "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, BACKGROUND)
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")


def contact_sheet(rows: list[list[Image.Image]]) -> Image.Image:
    """One RGB picture of ``rows`` of pictures: each row's pictures side by side, left-aligned,
    rows one under another, each row as high as its tallest picture; RGBA pictures on white."""
    rows = [r for r in rows if r]
    if not rows:
        raise ValueError("a contact sheet needs at least one picture")
    width = max(sum(im.width for im in r) for r in rows)
    heights = [max(im.height for im in r) for r in rows]
    out = Image.new("RGB", (width, sum(heights)), BACKGROUND)
    y = 0
    for row, h in zip(rows, heights):
        x = 0
        for im in row:
            out.paste(on_white_rgb(im), (x, y))
            x += im.width
        y += h
    return out


def sheet_format_known(path: str | Path) -> bool:
    """Whether Pillow can write a picture named ``path`` (by its suffix: .png, .jpg, .webp, ...)."""
    Image.init()
    return Path(path).suffix.lower() in Image.registered_extensions()


def save_sheet(images: list[Image.Image], path: str | Path, columns: int = SHEET_COLUMNS) -> Path:
    """Save ``images`` as a contact sheet of ``columns`` per row at ``path`` (PNG, JPEG, ...: by suffix)."""
    if columns < 1:
        raise ValueError(f"columns must be at least 1, not {columns}")
    rows = [images[i:i + columns] for i in range(0, len(images), columns)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows).save(path)
    return path
