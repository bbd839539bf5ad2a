"""The garment cutter: a small U-Net that finds the garment in a photo taken anywhere.

A shopper's garment photo is often not an in-shop shot on white: a T-shirt laid on a bed, a
camisole on a wooden floor, a jacket on a hanger against a wardrobe. Where the photo's border is
not plain, :mod:`tryon.garment_segmentation` used GrabCut seeded at the centre, which loses thin
straps, dark garments on dark floors and prints on busy sheets. This network learns the cut
instead: VITON's in-shop garments, with their masks, laid on the floors and beds of real garment
photos (:mod:`tryon.data.garment_cuts`).

It is the body parser's network (:class:`tryon.models.parser.BodyParser`) with two classes
(background, garment) and a decoder that climbs to half resolution, so that a strap two or three
pixels wide at the working size survives.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tryon.models.parser import BodyParser, ParserConfig

__all__ = ["CutterConfig", "GarmentCutter", "CUT_SIZE", "GARMENT_CLASS"]

CUT_SIZE = 256        # px: the cutter works on the photo with its longer side at this size
GARMENT_CLASS = 1     # class 0 is background


@dataclass
class CutterConfig(ParserConfig):
    """Size of the cutter (the defaults are the shipped model)."""

    num_classes: int = 2
    decoder_channels: tuple[int, ...] = (16, 32, 48, 64)  # from 1/2 (the stem's scale) to 1/16
    resolution: tuple[int, int] = (CUT_SIZE, CUT_SIZE)     # (H, W) it is traced at


class GarmentCutter(BodyParser):
    """Photo -> garment logits.

    Shape:
        - Input: ``(B, 3, H, W)`` RGB in ``[-1, 1]``; ``H`` and ``W`` multiples of 32.
        - Output: ``(B, 2, H, W)`` logits (background, garment).
    """

    config_class = CutterConfig

    def __init__(self, config: CutterConfig | None = None) -> None:
        super().__init__(config or CutterConfig())

    @torch.no_grad()
    def probability(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` in ``[-1, 1]`` -> ``(B, H, W)`` garment probability in ``[0, 1]``."""
        return self(x).softmax(1)[:, GARMENT_CLASS]
