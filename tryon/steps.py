"""The step images a try-on returns beside its result: what each stage saw and made."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tryon import body as body_lib
from tryon.composite import composite
from tryon.fullres import FullResGarment
from tryon.parse import overlay
from tryon.pose import draw_pose

__all__ = ["STEP_PREVIEW_SIDE", "step_images"]

STEP_PREVIEW_SIDE = 512  # px: step images are shown at most this large


def _small(img: Image.Image) -> Image.Image:
    img = img.copy()
    img.thumbnail((STEP_PREVIEW_SIDE, STEP_PREVIEW_SIDE))
    return img


def step_images(person_img: Image.Image, pose, body, prepared, warped, labels) -> dict[str, Image.Image]:
    """``pose`` (landmarks over the photo), ``parse`` (with a parser), ``agnostic`` (the person
    without the old garment), ``garment`` (cut out, laid out) and ``warped`` (the garment on the
    body: at the photo's resolution when it was composed there, a
    :class:`~tryon.fullres.FullResGarment`, else in the frame), each at most
    :data:`STEP_PREVIEW_SIDE` px on a side."""
    if isinstance(warped, FullResGarment):
        on_white = warped.preview(STEP_PREVIEW_SIDE)
    else:
        on_white = Image.fromarray(composite(np.full_like(warped.rgb, 255), warped.rgb, warped.alpha))
    steps = {"pose": _small(draw_pose(person_img, pose))}
    if labels is not None:
        steps["parse"] = _small(overlay(body.image, labels))
    return steps | {
        "agnostic": _small(Image.fromarray(body_lib.agnostic_image(body.image, body.region, body.valid))),
        "garment": _small(Image.fromarray(prepared.rgb)),
        "warped": _small(on_white),
    }
