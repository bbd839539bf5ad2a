"""Try-ons on your own photos: every person with every garment, a contact sheet to look at, and
the texture ratio of each garment (:func:`tryon.metrics.texture_ratio`).

There is no ground truth for a shopper's own photo, so the sheet is for the eye; the texture
ratio says, per garment, how much of its print or stripes survives at the photo's resolution
(about 1: kept; low: blurred). Photos are used at their own size; the sheet shows each cell
:data:`CELL_HEIGHT` px high: person, garment, result.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

from tryon.errors import TryOnError
from tryon.garment_segmentation import segment_garment
from tryon.io import load_image
from tryon.metrics import texture_ratio
from tryon.sheet import contact_sheet

__all__ = ["evaluate_wild", "CELL_HEIGHT", "PHOTO_SUFFIXES"]

CELL_HEIGHT = 320
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
REFUSED_COLOUR = (200, 40, 40)


def _photos(folder: Path, what: str) -> list[Path]:
    if not Path(folder).is_dir():
        raise TryOnError(f"The {what} folder '{folder}' does not exist.")
    found = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not found:
        raise TryOnError(f"The {what} folder '{folder}' holds no .png, .jpg or .webp photos.")
    return found


def _cell(image: Image.Image) -> Image.Image:
    w = max(1, round(image.width * CELL_HEIGHT / image.height))
    return image.convert("RGB").resize((w, CELL_HEIGHT), Image.Resampling.LANCZOS)


def _note(text: str, width: int) -> Image.Image:
    cell = Image.new("RGB", (width, CELL_HEIGHT), "white")
    ImageDraw.Draw(cell).multiline_text((8, 8), "\n".join(text[i:i + 40] for i in range(0, len(text), 40)),
                                        fill=REFUSED_COLOUR)
    return cell


def evaluate_wild(pipe, persons: str | Path, garments: str | Path, sheet: str | Path,
                  *, progress: bool = True) -> dict:
    """Dress every photo in ``persons`` in every garment in ``garments``.

    Args:
        pipe: a :class:`pipelines.TryOnPipeline`.
        persons, garments: folders of photos.
        sheet: the contact sheet's path (PNG or JPEG); one row per person and garment.

    Returns:
        A JSON-ready dict: ``texture_ratio`` per garment (median over the persons),
        ``median`` over every try-on, ``tryons`` (each: person, garment, size, texture ratio or
        the sentence it was refused with) and ``sheet``.
    """
    people, clothes = _photos(Path(persons), "persons"), _photos(Path(garments), "garments")
    rows, tryons, per_garment = [], [], {g.name: [] for g in clothes}
    masks, cells = {}, {}
    for g in clothes:
        image = load_image(g, what="garment image")
        masks[g.name] = (np.asarray(image.convert("RGB")), segment_garment(image)[0])
        cells[g.name] = _cell(image)
    for person in tqdm(people, desc="wild", unit="person", disable=not progress):
        photo_img = load_image(person, what="person photo")
        photo = np.asarray(photo_img)
        person_cell = _cell(photo_img)
        for g in clothes:
            row = [person_cell, cells[g.name]]
            entry = {"person": person.name, "garment": g.name, "size": list(photo_img.size)}
            try:
                result = pipe(photo, g, output_type="np").image
            except TryOnError as err:
                entry["refused"] = str(err)
                row.append(_note(str(err), row[0].width))
            else:
                ratio = texture_ratio(result, photo, *masks[g.name])
                entry["texture_ratio"] = None if math.isnan(ratio) else round(ratio, 3)
                if entry["texture_ratio"] is not None:
                    per_garment[g.name].append(ratio)
                row.append(_cell(Image.fromarray(result)))
            tryons.append(entry)
            rows.append(row)
    Path(sheet).parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(rows).save(sheet)
    ratios = [v for vs in per_garment.values() for v in vs]
    return {
        "texture_ratio": {k: (round(float(np.median(v)), 3) if v else None) for k, v in per_garment.items()},
        "median": round(float(np.median(ratios)), 3) if ratios else None,
        "tryons": tryons,
        "sheet": str(sheet),
    }
