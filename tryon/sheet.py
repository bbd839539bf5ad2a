"""Contact sheets: rows of pictures pasted side by side on white, for a person to look at
(``tryon eval --wild``, ``tryon generate --sheet``)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

__all__ = ["contact_sheet", "on_white_rgb", "save_sheet"]

BACKGROUND = "white"


def on_white_rgb(image: Image.Image) -> Image.Image:
    """An RGB copy of ``image``; an RGBA one (a garment, alpha = its mask) composited on white."""
    if image.mode in ("RGBA", "LA", "P"):
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


def save_sheet(images: list[Image.Image], path: str | Path, columns: int = 8) -> Path:
    """Save ``images`` as a contact sheet of ``columns`` per row at ``path`` (PNG or JPEG, by suffix)."""
    rows = [images[i:i + columns] for i in range(0, len(images), max(1, columns))]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows).save(path)
    return path
