"""Images for always-on tests: the public-domain astronaut and synthetic garments."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
ASTRONAUT = ROOT / "assets" / "examples" / "person" / "astronaut.png"

# A front-view T-shirt on a 192x256 canvas, (x, y) pixels, clockwise from the left neckline.
TSHIRT = np.array([
    (78, 40), (60, 44), (30, 60), (12, 100), (38, 112), (46, 92),
    (46, 220), (146, 220), (146, 92), (154, 112), (180, 100), (162, 60), (132, 44), (114, 40),
    (96, 52),
], np.int32)


def astronaut() -> Image.Image:
    """skimage.data.astronaut() (NASA, public domain) as a 512x512 RGB image."""
    if ASTRONAUT.exists():
        return Image.open(ASTRONAUT).convert("RGB")
    from skimage import data

    return Image.fromarray(data.astronaut())


def tshirt(colour=(200, 30, 40), background=(255, 255, 255), size=(256, 192)) -> Image.Image:
    """A flat-coloured T-shirt (with a darker stripe) on a uniform background."""
    h, w = size
    img = np.zeros((256, 192, 3), np.uint8)
    img[:] = background
    cv2.fillPoly(img, [TSHIRT], colour)
    stripe = np.zeros((256, 192), np.uint8)
    stripe[120:140] = 1
    poly = np.zeros((256, 192), np.uint8)
    cv2.fillPoly(poly, [TSHIRT], 1)
    img[(stripe & poly).astype(bool)] = (np.array(colour) * 0.5).astype(np.uint8)
    return Image.fromarray(cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA))
