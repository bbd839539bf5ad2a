"""The cloth-agnostic person: align a photo into the model frame, decide what to repaint,
and paste a rendered frame back into the original photo.

Coordinates: pixel ``(x, y)``, origin at the top-left pixel centre. The model frame is
``(H, W)`` (256x192 by default); :func:`align` rotates the torso upright and scales it to the
VITON proportions measured in :mod:`tryon.constants`, so frame rows run along the torso.
Body-relative lengths are in units of ``U``, the body's shoulder width estimate
(``max(shoulder width, torso length x 0.649)``), so they hold at any frame size.

This module puts the pieces together (:class:`BodyFrame`, :func:`prepare_person`,
:func:`body_shape_input`) and re-exports them from where they live:

- :mod:`tryon.alignment`: the photo -> frame transform (:func:`align`, :func:`warp_to_frame`,
  :func:`rescale`) and the body unit U (:func:`body_unit`);
- :mod:`tryon.region`: what to repaint and what stays visible (:func:`repaint_region`,
  :func:`keep_region`, :func:`skin_pixels`, :func:`revealed_pixels`, :func:`agnostic_image`);
- :mod:`tryon.masks`: mask morphology (:func:`erode`, :func:`feather`);
- :mod:`tryon.paste`: :func:`paste_back` into the original photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tryon import constants as C
from tryon.alignment import Alignment, align, body_unit, rescale, warp_to_frame
from tryon.masks import erode, feather
from tryon.paste import paste_back
from tryon.pose import PoseResult
from tryon.region import (
    AGNOSTIC_FILL,
    BACKGROUND_MARGIN,
    OFF_PHOTO_FILL,
    agnostic_image,
    keep_region,
    repaint_region,
    revealed_pixels,
    shown_past_the_edge,
    skin_pixels,
)

if TYPE_CHECKING:
    from tryon.bare_arms import BareArms
    from tryon.old_garment import OldColours

__all__ = [
    "Alignment",
    "BodyFrame",
    "align",
    "warp_to_frame",
    "prepare_person",
    "repaint_region",
    "revealed_pixels",
    "agnostic_image",
    "erode",
    "feather",
    "paste_back",
    "body_shape_input",
    "rescale",
    # re-exported for callers that reach them through tryon.body
    "body_unit",
    "keep_region",
    "skin_pixels",
    "AGNOSTIC_FILL",
    "OFF_PHOTO_FILL",
    "BACKGROUND_MARGIN",
]


@dataclass
class BodyFrame:
    """A person photo aligned into the model frame, with everything the renderers need.

    Attributes:
        alignment: the photo -> frame transform.
        image: ``(H, W, 3)`` uint8 RGB person in the frame (edges replicated off-photo).
        person_mask: ``(H, W)`` float32 in ``[0, 1]``, MediaPipe segmentation in the frame.
        valid: ``(H, W)`` bool, True where the frame shows the photo (not off its edges).
        landmarks: ``(33, 3)`` float32 frame pixels ``(x, y)`` and visibility.
        region: ``(H, W)`` bool, what to repaint (torso, arms, clothing); see :func:`repaint_region`.
        revealed: ``(H, W)`` bool, the part of ``region`` that is surely not clothing
            (background and skin) and stays visible to the learned renderer; see
            :func:`revealed_pixels`.
        dressed: ``(H, W)`` float32 in ``[0, 1]`` or None: the new sleeves' coverage over bare
            arms they dress (:func:`tryon.sleeve_cover.dressed_arms`), set with the try-on's region.
        covered: ``(H, W)`` float32 in ``{0, 1}`` or None: the old garment the new one replaces
            (:func:`tryon.sleeve_cover.covered_clothes`), set with the try-on's region.
        room: ``(H, W)`` bool or None: the lower-body clothes in the try-on's region (the new
            garment's room over them, :func:`tryon.region.parsed_region`), set with the region.
        hidden_skin: ``(H, W)`` bool or None: the neck and chest skin the new garment covers,
            greyed for the network (:func:`tryon.region.covered_skin`), set with the region.
        bared: :class:`tryon.bare_arms.BareArms` or None: the arms a shorter new sleeve bares
            (:func:`tryon.bare_arms.bared_arms`), set with the try-on's region.
        old_colours: :class:`tryon.old_garment.OldColours` or None: the old garment's colours,
            set with the try-on's region (the seam at full resolution never shows them).
        in_front: ``(H, W)`` bool or None: bare arms the new garment leaves as the photo has them
            (:func:`tryon.sleeve_cover.arms_in_front`), set with the try-on's region.
    """

    alignment: Alignment
    image: np.ndarray
    person_mask: np.ndarray
    valid: np.ndarray
    landmarks: np.ndarray
    region: np.ndarray
    revealed: np.ndarray
    dressed: np.ndarray | None = None
    covered: np.ndarray | None = None
    room: np.ndarray | None = None
    hidden_skin: np.ndarray | None = None
    bared: BareArms | None = None
    old_colours: OldColours | None = None
    in_front: np.ndarray | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[:2]

    def shown_region(self) -> tuple[np.ndarray, np.ndarray]:
        """``(region, valid)`` as the network is shown them: on a photo cropped across the
        torso, the region goes on past the photo's edge (:func:`tryon.region.shown_past_the_edge`)."""
        return shown_past_the_edge(self.region, self.revealed, self.valid, self.landmarks, self.room)

    def normalized_landmarks(self) -> np.ndarray:
        """``(33, 3)`` landmarks with ``(x, y)`` as fractions of the frame (for pose maps)."""
        h, w = self.size
        out = self.landmarks.copy()
        out[:, 0] /= w
        out[:, 1] /= h
        return out


def prepare_person(
    image: np.ndarray, pose: PoseResult, frame_size: tuple[int, int] = C.FRAME_SIZE
) -> BodyFrame:
    """Align a person photo into the frame and compute the repaint region.

    Args:
        image: ``(h, w, 3)`` uint8 RGB photo (the one ``pose`` was detected on).
        pose: its :class:`~tryon.pose.PoseResult`.
        frame_size: ``(H, W)`` of the frame.
    """
    al = align(pose, frame_size)
    frame = warp_to_frame(image, al, replicate=True)
    mask = warp_to_frame(pose.mask, al)
    valid = warp_to_frame(np.ones(image.shape[:2], np.uint8), al, nearest=True).astype(bool)
    lm = pose.pixels()
    lm[:, :2] = al.to_frame(lm[:, :2])
    region = repaint_region(lm, mask) & valid
    revealed = revealed_pixels(frame, mask, lm, region)
    return BodyFrame(al, frame, mask, valid, lm, region, revealed)


def body_shape_input(
    pose: PoseResult, size: tuple[int, int] = C.BODY_VAE_SIZE, *, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """What the body-shape VAE sees: the aligned silhouette and landmark heatmaps.

    The same :func:`align` as the try-on, at ``size`` (the frame scaled down), so a shopper's
    photo and a training photo are framed alike.

    Args:
        pose: a :class:`~tryon.pose.PoseResult` (from MediaPipe, or rebuilt from the cache).
        size: ``(H, W)`` of the VAE input.
        scale: scale the aligned frame about the shoulder anchor (training augmentation).

    Returns:
        ``(x, silhouette)``: ``x`` is ``(1 + K, H, W)`` float32 in ``[-1, 1]`` (the silhouette,
        then K = len(POSE_MAP_LANDMARKS) heatmaps); ``silhouette`` is ``(H, W)`` bool.
    """
    import torch

    from tryon.pose import heatmaps

    al = align(pose, size)
    if scale != 1.0:
        al = rescale(al, scale)
    silhouette = warp_to_frame(pose.mask.astype(np.float32), al) > 0.5
    lm = pose.pixels()
    lm[:, :2] = al.to_frame(lm[:, :2])
    lm[:, 0] /= size[1]
    lm[:, 1] /= size[0]
    maps = heatmaps(torch.from_numpy(lm)[None], size)[0].numpy()
    x = np.concatenate([silhouette[None].astype(np.float32), maps], 0) * 2.0 - 1.0
    return x.astype(np.float32), silhouette
