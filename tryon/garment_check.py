"""The garment check: is an upload a photo of a garment? A few explainable cues, one logistic model.

The garment VAE's size-normalised negative ELBO (:func:`tryon.anomaly.garment_score`) alone
flags real shop and in-the-wild garment photos (hoodies, prints, cluttered floors) as often as
it must flag people. So the check adds cheap cues a person would use, and weighs them with a
logistic model calibrated on held-apart photos (weights in the garment VAE's ``config.json``,
``extra["garment_check"]``; JSON, never pickle):

============  ============================================================================
feature       meaning (all read off the garment as segmented for the VAE, at its frame)
============  ============================================================================
``elbo``      :func:`tryon.anomaly.garment_score`: how unlike a VITON in-shop garment
``face``      1 when MediaPipe's face detector finds a face in the uploaded photo, else 0
``skin``      share of the segmented pixels with a skin colour (YCrCb box), ``[0, 1]``
``solidity``  mask area / its convex hull's area, ``[0, 1]`` (a garment is blocky)
``symmetry``  IoU of the mask with its left-right mirror, ``[0, 1]`` (a garment is symmetric)
``fill``      mask area / its bounding box's area, ``[0, 1]``
============  ============================================================================

The shipped model weighs :data:`MODEL_FEATURES`; the others are computed and reported.
``p(not a garment) = sigmoid(bias + sum_i weight_i * (feature_i - mean_i) / scale_i)``; the photo
is flagged when it is above ``threshold``. Each weighted term is kept in the verdict so that the
reason can be read off (:attr:`GarmentCheck.terms`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from tryon.anomaly import garment_score_from_parts

__all__ = ["FEATURES", "MODEL_FEATURES", "GarmentCheck", "LogisticCheck", "calibrate", "fit_logistic",
           "garment_features", "shape_features", "skin_share"]

FEATURES = ("elbo", "face", "skin", "solidity", "symmetry", "fill")
# What the shipped model weighs: skin took a negative weight (more skin, more garment-like: beige and
# pink garments) and solidity added nothing beside fill in cross-validation, so both are only reported.
MODEL_FEATURES = ("elbo", "face", "symmetry", "fill")
# Skin in OpenCV's 8-bit YCrCb (Chai & Ngan 1999): Cr in [133, 173], Cb in [77, 127].
SKIN_CR = (133, 173)
SKIN_CB = (77, 127)
MIN_MASK_PIXELS = 16          # a mask smaller than this has no meaningful shape: all shape cues 0


@dataclass
class GarmentCheck:
    """What the logistic check saw in one photo.

    Attributes:
        features: name -> value, the :data:`FEATURES`.
        terms: name -> its weighted, standardised contribution to the logit (positive = less
            like a garment).
        probability: ``p(not a garment)`` in ``[0, 1]``.
        flagged: ``probability > threshold``.
    """

    features: dict[str, float]
    terms: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    flagged: bool = False

    def strongest(self) -> str:
        """The feature that pushed hardest towards "not a garment"."""
        return max(self.terms, key=self.terms.get) if self.terms else ""


def skin_share(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Share of ``mask`` pixels of ``rgb`` with a skin colour.

    Args:
        rgb: ``(H, W, 3)`` uint8 RGB.
        mask: ``(H, W)`` bool.

    Returns:
        a share in ``[0, 1]``; 0 for an empty mask.
    """
    if not mask.any():
        return 0.0
    ycrcb = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YCrCb)[mask]
    cr, cb = ycrcb[:, 1], ycrcb[:, 2]
    skin = (cr >= SKIN_CR[0]) & (cr <= SKIN_CR[1]) & (cb >= SKIN_CB[0]) & (cb <= SKIN_CB[1])
    return float(skin.mean())


def shape_features(mask: np.ndarray) -> dict[str, float]:
    """Solidity, left-right symmetry and box fill of a garment mask ``(H, W)`` bool.

    The mask is laid out centred in its frame (:func:`tryon.garment.layout`), so its mirror is
    taken about its own bounding box's centre. Each value is in ``[0, 1]``; all 0 when the
    mask has fewer than :data:`MIN_MASK_PIXELS` pixels.
    """
    area = int(mask.sum())
    if area < MIN_MASK_PIXELS:
        return {"solidity": 0.0, "symmetry": 0.0, "fill": 0.0}
    ys, xs = np.nonzero(mask)
    box = mask[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    mirrored = box[:, ::-1]
    symmetry = (box & mirrored).sum() / max(1, (box | mirrored).sum())
    hull = np.zeros(mask.shape, np.uint8)  # the hull filled as pixels, comparable with the mask's count
    cv2.fillConvexPoly(hull, cv2.convexHull(np.stack([xs, ys], 1).astype(np.int32)), 1)
    return {"solidity": float(min(1.0, area / max(int(hull.sum()), 1))), "symmetry": float(symmetry),
            "fill": float(area / box.size)}


def garment_features(parts: dict[str, torch.Tensor], rgb: np.ndarray, mask: np.ndarray,
                     photo: np.ndarray | None) -> dict[str, float]:
    """The :data:`FEATURES` of one garment.

    Args:
        parts: :func:`tryon.anomaly.elbo_parts` of the garment (batch of one).
        rgb: ``(H, W, 3)`` uint8, the garment on white at the VAE's frame.
        mask: ``(H, W)`` bool, the garment at that frame.
        photo: ``(h, w, 3)`` uint8, the uploaded photo (for the face detector), or None (then
            ``face`` is 0).
    """
    from tryon.pose import has_face  # MediaPipe loads lazily, once

    return {"elbo": float(garment_score_from_parts(parts)[0]),
            "face": float(photo is not None and has_face(photo)),
            "skin": skin_share(rgb, mask), **shape_features(mask)}


@dataclass
class LogisticCheck:
    """A logistic model over :data:`FEATURES`; its JSON form is :meth:`to_json`.

    Attributes:
        mean, scale: per-feature standardisation (scale > 0).
        weight: per-feature weight on the standardised feature.
        bias: the logit's constant.
        threshold: flag when ``p(not a garment)`` is above this, in ``(0, 1)``.
        calibration: free-form provenance (data, split, measured rates), stored as is.
    """

    mean: dict[str, float]
    scale: dict[str, float]
    weight: dict[str, float]
    bias: float
    threshold: float
    calibration: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> "LogisticCheck":
        """Rebuild from :meth:`to_json`'s dict; raises ``KeyError`` / ``ValueError`` when malformed."""
        names = set(data["weight"])
        if not names <= set(FEATURES) or set(data["mean"]) != names or set(data["scale"]) != names:
            raise ValueError(f"garment_check names {sorted(names)} must be among {FEATURES}")
        return cls({k: float(v) for k, v in data["mean"].items()}, {k: float(v) for k, v in data["scale"].items()},
                   {k: float(v) for k, v in data["weight"].items()}, float(data["bias"]),
                   float(data["threshold"]), dict(data.get("calibration") or {}))

    def to_json(self) -> dict:
        """A JSON-ready dict (what ``config.json``'s ``extra["garment_check"]`` holds)."""
        return {"features": list(self.weight), "mean": self.mean, "scale": self.scale, "weight": self.weight,
                "bias": self.bias, "threshold": self.threshold, "calibration": self.calibration}

    def terms(self, features: dict[str, float]) -> dict[str, float]:
        """Each feature's contribution to the logit: ``weight * (value - mean) / scale``."""
        return {k: w * (features[k] - self.mean[k]) / self.scale[k] for k, w in self.weight.items()}

    def __call__(self, features: dict[str, float]) -> GarmentCheck:
        """The verdict on one photo's features (a non-finite feature flags it)."""
        if not all(math.isfinite(features[k]) for k in self.weight):
            return GarmentCheck(features, {}, 1.0, True)
        terms = self.terms(features)
        logit = self.bias + sum(terms.values())
        p = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))
        return GarmentCheck(features, terms, p, p > self.threshold)


# ------------------------------------------------------------------------------ calibration
L2 = 1e-2                   # ridge on the standardised weights (keeps them small and readable)
NEWTON_STEPS = 50
FALSE_WARNING_TARGET = 0.02  # calibration: at most this share of each garment source is flagged


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Weighted, ridge-penalised logistic regression by Newton's method.

    Args:
        x: ``(N, D)`` standardised features; y: ``(N,)`` in {0, 1} (1 = not a garment);
        w: ``(N,)`` sample weights (> 0).

    Returns:
        ``(weights (D,), bias)``.
    """
    xb = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(xb.shape[1])
    ridge = np.diag([l2] * x.shape[1] + [0.0])
    for _ in range(NEWTON_STEPS):
        p = 1 / (1 + np.exp(-np.clip(xb @ beta, -60, 60)))
        grad = xb.T @ (w * (p - y)) + ridge @ beta
        hess = (xb * (w * p * (1 - p))[:, None]).T @ xb + ridge
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def calibrate(rows: list[dict], garment_sources: tuple[str, ...], flag_sources: tuple[str, ...],
              features: tuple[str, ...] = MODEL_FEATURES, target: float = FALSE_WARNING_TARGET) -> LogisticCheck:
    """Fit the check on scored calibration photos.

    Args:
        rows: dicts with ``source`` and ``features`` (None: refused by the segmentation, skipped),
            as :func:`tryon.eval_garment_check.score_samples` makes them.
        garment_sources: sources that are garments (label 0); flag_sources: those that are not (1).
            Each source weighs the same in the fit, however many photos it has.
        target: the threshold is the lowest that flags at most this share of every garment source.
    """
    rows = [r for r in rows if r["features"] is not None and r["source"] in garment_sources + flag_sources]
    x = np.array([[r["features"][k] for k in features] for r in rows], np.float64)
    y = np.array([r["source"] in flag_sources for r in rows], np.float64)
    sources = [r["source"] for r in rows]
    counts = {s: sources.count(s) for s in set(sources)}
    w = np.array([1.0 / counts[s] for s in sources]) * len(rows) / len(counts)
    mean, scale = x.mean(0), x.std(0) + 1e-6
    weight, bias = fit_logistic((x - mean) / scale, y, w)
    check = LogisticCheck(dict(zip(features, mean.tolist())), dict(zip(features, scale.tolist())),
                          dict(zip(features, weight.tolist())), bias, 0.5)
    probs = np.array([check(r["features"]).probability for r in rows])
    by_source = {s: probs[[i for i, t in enumerate(sources) if t == s]] for s in counts}
    check.threshold = float(max(np.quantile(by_source[s], 1 - target) for s in garment_sources if s in by_source))
    check.calibration = {"photos": counts, "false_warning_target": target,
                         "flagged": {s: round(float((p > check.threshold).mean()), 4) for s, p in by_source.items()}}
    return check
