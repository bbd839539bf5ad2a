"""Sleeves laid along the arms: the piecewise fit used where one spline would fold the garment.

A single thin-plate spline through the neck, shoulders, hem and sleeve ends folds the garment
over itself when the sleeves must turn far from where the garment photo shows them (long
sleeves spread out on the photo, arms hanging by the body). Then each sleeve is cut out of the
garment (:func:`tryon.garment_keypoints.sleeve_masks`) and mapped along its arm on its own:
the sleeve's axis (from its armhole to its end) runs along the arm's polyline (shoulder ->
elbow -> wrist), bending at the elbow, at the garment's scale; distances across the axis keep
their scale and side, so the sleeve is never mirrored. The torso is fitted by the spline
through its own points; the sleeves lie under it, but over it along the forearm
(:func:`near_chain`; a forearm is in front of the body's sides, and a sleeve laid over the torso
from the shoulder crossed the chest with its armhole's far side). The same fit lays short
sleeves along bare arms when the pipeline asks (``tryon.warp.warp_garment(lay_sleeves=True)``).

Coordinates are frame pixels ``(x, y)``; sampling grids are normalised to ``[-1, 1]`` with
``align_corners=True``, as :func:`tryon.warp.tps_grid` makes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["SleeveAxis", "arc_position", "near_chain", "segment", "sleeve_axis", "sleeve_grid", "OFF_GARMENT"]

ROOT_SHARE = 0.15       # the sleeve's root: centroid of its pixels in the lowest 15% along its axis
ROOT_CAP = 0.25        # a sleeve starts at most this many half-widths before its root (no cap
                        # over the shoulder)
END_OVERSHOOT = 0.04    # a sleeve may reach this share of its length past its end (antialiasing)
WIDTH_SLACK = 1.6       # pixels farther across the arm than this many half-widths read nothing
MIN_DROP = -0.3         # a sleeve's axis points down, or at most this much up (sine of its angle)
MIN_HALF_WIDTH = 0.05   # a sleeve is at least this share of its length half-wide
OFF_GARMENT = 2.0       # normalised coordinate outside the garment: samples zero


@dataclass
class SleeveAxis:
    """A sleeve on the garment photo, in the garment's frame pixels.

    Attributes:
        root: ``(2,)`` where the sleeve leaves the torso (the middle of its armhole).
        end: ``(2,)`` the sleeve's end (the cuff's middle).
        half_width: half the sleeve's mean width, px.
    """

    root: np.ndarray
    end: np.ndarray
    half_width: float

    @property
    def length(self) -> float:
        return float(np.linalg.norm(self.end - self.root))


def sleeve_axis(sleeve: np.ndarray, end: tuple[float, float], shoulder: tuple[float, float]) -> SleeveAxis | None:
    """The axis of one sleeve.

    Args:
        sleeve: ``(H, W)`` bool, the sleeve's pixels.
        end: the sleeve end keypoint ``(x, y)``.
        shoulder: the garment's shoulder keypoint on that side ``(x, y)``.

    Returns:
        the :class:`SleeveAxis`, or None when the sleeve is too small to have one.
    """
    ys, xs = np.nonzero(sleeve)
    if xs.size < 4:
        return None
    pts = np.stack([xs, ys], 1).astype(np.float64)
    end_ = np.asarray(end, np.float64)
    direction = end_ - np.asarray(shoulder, np.float64)
    norm = float(np.linalg.norm(direction))
    if norm < 1.0:
        return None
    along = _dot(pts, direction / norm)
    near = along <= np.quantile(along, ROOT_SHARE)
    root = pts[near].mean(0)
    length = float(np.linalg.norm(end_ - root))
    if length < 1.0 or (end_[1] - root[1]) / length < MIN_DROP:
        return None  # a sleeve that points up from its armhole is a misread mask
    half_width = float(xs.size) / length / 2.0
    if half_width < MIN_HALF_WIDTH * length:
        return None  # a thread, not a sleeve (a strap, or the edge of a misread mask)
    return SleeveAxis(root, end_, half_width)


def _dot(points: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``points @ v`` for ``(N, 2)`` points and a ``(2,)`` vector, without BLAS: its threads woke
    for every such product and fought the network's for two cores (0.3 ms became 1.5-2.8 ms)."""
    return points[:, 0] * v[0] + points[:, 1] * v[1]


def _rot90(v: np.ndarray) -> np.ndarray:
    """Vectors ``(..., 2)`` turned by +90 degrees in image coordinates."""
    return np.stack([-v[..., 1], v[..., 0]], -1)


def _chain_positions(chain: np.ndarray, q: np.ndarray, axis: SleeveAxis, scale: float,
                     length_share: float = 1.0, width_share: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Where each point of ``q`` ``(N, 2)`` reads the sleeve, blended over the arm's segments.

    Each segment of ``chain`` carries the sleeve's axis (rotation and ``scale``; lengths along
    it times ``length_share``, across it times ``width_share``): a
    point's arc length along the segment's line (from the chain's start) and its signed
    distance across it become a position along and across the sleeve. The positions of the
    segments are blended with weights falling off with the distance to each segment (as
    linear blend skinning does for limbs), so the sleeve bends smoothly at the elbow instead of
    fanning out or folding.

    Returns:
        ``(pos, dist)``: ``(N, 2)`` garment pixel positions, and ``(N,)`` each point's distance
        to the arm's polyline (body px).
    """
    unit_g = (axis.end - axis.root) / axis.length
    across_g = _rot90(unit_g)
    total = np.zeros((len(q), 2))
    weight = np.zeros(len(q))
    dist = np.full(len(q), np.inf)
    start = 0.0
    soft = max(axis.half_width * scale * width_share, 1.0)  # the blend's falloff distance, body px
    for a, b in zip(chain[:-1], chain[1:]):
        length = max(float(np.linalg.norm(b - a)), 1e-6)
        unit = (b - a) / length
        qa = q - a
        t, d = _dot(qa, unit), _dot(qa, _rot90(unit))
        gap = np.maximum(np.maximum(-t, t - length), 0.0)  # how far past the segment's ends
        to_seg = np.hypot(gap, d)
        dist = np.minimum(dist, to_seg)
        w_seg = 1.0 / (1.0 + (to_seg / soft) ** 4)
        s = start + t
        total += w_seg[:, None] * (axis.root + (s / (scale * length_share))[:, None] * unit_g
                                   + (d / (scale * width_share))[:, None] * across_g)
        weight += w_seg
        start += length
    return total / weight[:, None], dist


def sleeve_grid(axis: SleeveAxis, chain: np.ndarray, scale: float, size: tuple[int, int], *,
                length_share: float = 1.0, width_share: float = 1.0) -> torch.Tensor:
    """The sampling grid that lays one sleeve along an arm.

    Args:
        axis: the sleeve on the garment photo (garment frame pixels).
        chain: ``(M, 2)`` the arm on the body, from the shoulder joint (frame pixels), M >= 2.
        scale: body pixels per garment pixel (the fit's shoulder-width ratio).
        size: ``(H, W)`` of both frames.
        length_share: the share of the sleeve's scaled length worn along the arm (its width keeps
            ``scale``), :attr:`tryon.warp.LengthScales.sleeve`.
        width_share: the share of its scaled width worn across the arm.

    Returns:
        ``(H, W, 2)`` float32 normalised grid (output pixel -> garment position); pixels the
        sleeve does not reach read :data:`OFF_GARMENT`.
    """
    h, w = size
    chain = np.asarray(chain, np.float64)
    grid = np.full((h, w, 2), OFF_GARMENT, np.float32)
    # Only pixels within the reach of the arm's polyline can read the sleeve: compute there alone.
    margin = WIDTH_SLACK * axis.half_width * scale * width_share
    x0, y0 = np.maximum(np.floor(chain.min(0) - margin), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(chain.max(0) + margin), (w - 1, h - 1)).astype(int)
    if x1 < x0 or y1 < y0:
        return torch.from_numpy(grid)
    ys, xs = np.mgrid[y0:y1 + 1, x0:x1 + 1]
    q = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float64)
    pos, dist = _chain_positions(chain, q, axis, scale, length_share, width_share)
    rel = pos - axis.root
    unit = (axis.end - axis.root) / axis.length
    along, across = _dot(rel, unit), _dot(rel, _rot90(unit))
    reach = ((along >= -ROOT_CAP * axis.half_width) & (along <= (1 + END_OVERSHOOT) * axis.length)
             & (np.abs(across) <= WIDTH_SLACK * axis.half_width) & (dist <= margin))
    box = np.stack([2 * pos[:, 0] / max(w - 1, 1) - 1, 2 * pos[:, 1] / max(h - 1, 1) - 1], 1)
    box[~reach] = OFF_GARMENT
    grid[y0:y1 + 1, x0:x1 + 1] = box.reshape(y1 - y0 + 1, x1 - x0 + 1, 2)
    return torch.from_numpy(grid)


def segment(xs: np.ndarray, ys: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's fraction along ``a -> b`` (clamped to [0, 1]) and its distance to the segment;
    ``xs`` ``(1, W)`` and ``ys`` ``(H, 1)`` are the pixel coordinates (float64), broadcast to ``(H, W)``."""
    ab = b - a
    dx, dy = xs - a[0], ys - a[1]
    f = np.clip((dx * ab[0] + dy * ab[1]) / max(float(ab @ ab), 1e-6), 0.0, 1.0)
    return f, np.hypot(dx - f * ab[0], dy - f * ab[1])


def near_chain(chain: np.ndarray, radius: float, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool: the pixels within ``radius`` px of the polyline ``chain`` ``(M, 2)`` (frame
    px); none for a single point."""
    h, w = size
    out = np.zeros((h, w), bool)
    chain = np.asarray(chain, np.float64)
    x0, y0 = np.maximum(np.floor(chain.min(0) - radius), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(chain.max(0) + radius), (w - 1, h - 1)).astype(int)
    if len(chain) < 2 or x1 < x0 or y1 < y0:
        return out
    # Only where the polyline can reach.
    xs, ys = np.arange(x0, x1 + 1, dtype=np.float64)[None, :], np.arange(y0, y1 + 1, dtype=np.float64)[:, None]
    dist = np.minimum.reduce([segment(xs, ys, a, b)[1] for a, b in zip(chain[:-1], chain[1:])])
    out[y0:y1 + 1, x0:x1 + 1] = dist <= radius
    return out


def arc_position(chain: np.ndarray, point: np.ndarray) -> float:
    """How far along the polyline ``chain`` ``(M, 2)`` (px from its start) the point nearest ``point`` lies."""
    best, best_d, start = 0.0, np.inf, 0.0
    for a, b in zip(chain[:-1], chain[1:]):
        f, d = segment(np.array([[point[0]]], np.float64), np.array([[point[1]]], np.float64), a, b)
        if float(d[0, 0]) < best_d:
            best, best_d = start + float(f[0, 0]) * float(np.linalg.norm(b - a)), float(d[0, 0])
        start += float(np.linalg.norm(b - a))
    return best
