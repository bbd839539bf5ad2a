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


def hanging_arms_landmarks() -> np.ndarray:
    """``(33, 3)`` landmarks of a frontal person in the 256x192 model frame, arms hanging straight
    beside the torso: shoulders, elbows, wrists and hips seen (visibility 1), the hands small
    at the wrists, the face unseen. Frame pixels ``(x, y)`` and visibility."""
    from tryon import constants as C

    lm = np.zeros((33, 3), np.float32)
    body = [C.LEFT_SHOULDER, C.RIGHT_SHOULDER, C.LEFT_ELBOW, C.RIGHT_ELBOW, C.LEFT_WRIST, C.RIGHT_WRIST,
            C.LEFT_HIP, C.RIGHT_HIP]
    lm[body, 2] = 1.0
    lm[C.LEFT_SHOULDER, :2], lm[C.RIGHT_SHOULDER, :2] = (130, 80), (62, 80)
    lm[C.LEFT_ELBOW, :2], lm[C.RIGHT_ELBOW, :2] = (140, 135), (52, 135)
    lm[C.LEFT_WRIST, :2], lm[C.RIGHT_WRIST, :2] = (144, 190), (48, 190)
    lm[C.LEFT_HIP, :2], lm[C.RIGHT_HIP, :2] = (120, 190), (72, 190)
    for hand in (C.LEFT_HAND_LANDMARKS, C.RIGHT_HAND_LANDMARKS):
        lm[list(hand), :2] = lm[hand[0], :2] + np.array([0, 4]) * np.arange(len(hand))[:, None]
    return lm
