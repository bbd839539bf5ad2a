"""What sleeves a garment has: sleeveless, short or long.

Where the garment photo's mask shows its sleeves (:func:`tryon.garment_keypoints.garment_keypoints`
finds them), their length there decides: short below :data:`tryon.garment_keypoints.LONG_SLEEVE`.
Where it shows none, a camisole cannot be told by its outline from a long-sleeved top whose
sleeves hang beside its body, or from a T-shirt whose stubby sleeves merge with its sides. The
sleeve reader (:class:`tryon.models.sleeve_reader.SleeveReader`), trained on the sleeves VITON's
wearers show and on wild photos by class, decides those when it is sure (:data:`MIN_CONFIDENCE`):
long, sleeveless, or short (short or none, when it is sure only that they are not long); or long
when it leans that way and the photo shows a sleeve hanging beside the body on each side.
Long sleeves the mask does not show hang beside the body: :func:`hang_sleeves` cuts them out of it,
so that they are laid along the wearer's arms. A garment read sleeveless whose sides drop into
armholes below its straps has its shoulders put on the straps (:func:`strap_fit`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tryon.conditioning import garment_tensor
from tryon.garment import PreparedGarment, resize_prepared
from tryon.garment_keypoints import LONG_SLEEVE, hangs_from_straps, hanging_sleeves, sleeve_length, strap_shoulders
from tryon.models.sleeve_reader import SLEEVE_KINDS, SleeveReader

__all__ = ["MIN_CONFIDENCE", "hang_sleeves", "load_reader", "read_sleeves", "sleeve_kind", "strap_fit"]

MIN_CONFIDENCE = 0.8    # the reader's probability of a kind (or of sleeveless + short) below which the
                        # sleeves stay untold (chosen on the validation garments and held-out wild photos)...
HANG_LEAN = 0.5         # ...unless it leans long this much: then long where a sleeve hangs beside the body
                        # on both sides, else short (short or none: no long sleeve shows in the photo)


def load_reader(directory: str | Path) -> SleeveReader:
    """The sleeve reader saved in ``directory`` (``config.json`` + ``model.safetensors``), in eval mode."""
    return SleeveReader.from_pretrained(directory).eval()


@torch.no_grad()
def read_sleeves(reader: SleeveReader, prepared: PreparedGarment) -> np.ndarray:
    """``(K,)`` float32: the reader's probability of each of :data:`SLEEVE_KINDS` for a garment."""
    size = tuple(reader.config.resolution)
    small = prepared if prepared.mask.shape == size else resize_prepared(prepared, size)
    logits = reader(garment_tensor(small)[None])
    return torch.softmax(logits.float(), dim=1)[0].numpy()


def sleeve_kind(prepared: PreparedGarment, reader: SleeveReader | None = None) -> str | None:
    """``"sleeveless"``, ``"short"`` or ``"long"``, or None when they cannot be told.

    Args:
        prepared: the garment, with its keypoints.
        reader: the sleeve reader, asked only when the mask shows no sleeve nor two thin straps
            (:func:`tryon.garment_keypoints.hangs_from_straps`: sleeveless; None: such a
            garment's sleeves stay untold). Its kind must reach :data:`MIN_CONFIDENCE`; where
            only sleeveless and short together do, the garment reads short; long needs only
            :data:`HANG_LEAN` where :func:`tryon.garment_keypoints.hanging_sleeves` cuts two
            sleeves, and a garment leaning that long without them reads short.
    """
    share = sleeve_length(prepared.keypoints)
    if share is None:
        return None
    if share > 0:
        return "short" if share < LONG_SLEEVE else "long"
    if hangs_from_straps(prepared.mask, prepared.keypoints):
        return "sleeveless"      # two thin straps: no sleeve, whatever the reader leans to
    if reader is None:
        return None
    p = dict(zip(SLEEVE_KINDS, read_sleeves(reader, prepared)))
    if p["long"] >= MIN_CONFIDENCE:
        return "long"
    if p["sleeveless"] >= MIN_CONFIDENCE:
        return "sleeveless"
    if p["long"] >= HANG_LEAN:  # leaning long, and a sleeve hangs on either side of the body
        hanging = hanging_sleeves(prepared.rgb, prepared.mask, prepared.analysis)
        if hanging is not None and all(hanging.keypoints[n] is not None for n in ("sleeve_l", "sleeve_r")):
            return "long"
        # Leaning long, yet no long sleeve anywhere in the photo (neither on the mask nor hanging
        # beside the body): the lean is not taken (the bundled camisole leans 0.76 long).
        return "short"
    # Short sleeves or none (the reader torn between the two): on a garment whose mask shows no
    # sleeve, both leave the arm below the shoulder to the person.
    return "short" if p["sleeveless"] + p["short"] >= MIN_CONFIDENCE else None


def hang_sleeves(prepared: PreparedGarment) -> bool:
    """Cut the long sleeves of a garment whose photo shows them hanging beside its body out of its
    torso (:func:`tryon.garment_keypoints.hanging_sleeves`): its keypoints and analysis then have
    them, and the warp lays them along the arms. Only for long sleeves (``prepared.sleeves``, once
    :func:`sleeve_kind` has read them) that the mask shows on one side or neither, of a garment
    photographed on its own (not cut from a photo of someone wearing it, :mod:`tryon.worn`).

    Returns:
        whether the sleeves were cut (``prepared`` is changed in place then).
    """
    if prepared.sleeves != "long" or prepared.method == "worn":  # a worn garment is laid out by its wearer's arms
        return False
    analysis = hanging_sleeves(prepared.rgb, prepared.mask, prepared.analysis, assume=True)
    if analysis is None:
        return False
    prepared.keypoints, prepared.analysis = dict(analysis.keypoints), analysis
    return True


def strap_fit(prepared: PreparedGarment) -> bool:
    """Put the shoulders of a garment read sleeveless on its straps' tops
    (:func:`tryon.garment_keypoints.strap_shoulders`), for a garment photographed on its own. Not
    for one read short: a T-shirt laid flat with its short sleeves sloping down from its shoulders
    looks as deep at its sides (on held-out `clothing_upper` photos, 5 of 60 T-shirts and 4 of 48
    polos would have moved; of the undershirts, only ones read sleeveless did).

    Returns:
        whether the shoulders moved (``prepared.keypoints`` is changed in place then).
    """
    if prepared.sleeves != "sleeveless" or prepared.method == "worn":
        return False
    moved = strap_shoulders(prepared.mask, prepared.keypoints)
    if moved == prepared.keypoints:
        return False
    prepared.keypoints = moved
    return True
