"""Evaluation metrics: SSIM, PSNR, masked L1, mask IoU, anomaly AUROC, nearest-neighbour distances.

Inputs may be numpy arrays or torch tensors; nothing here records gradients. Images are
``(B, C, H, W)`` batches or single ``(H, W, C)`` (or ``(H, W)``) images, with values in
``[0, data_range]`` (``data_range=1.0`` for floats in ``[0, 1]``, ``255.0`` for uint8, ``2.0``
for ``[-1, 1]``). Scalar metrics return Python floats; per-element results keep the input's
kind (numpy in, numpy out; torch in, torch out).
"""

from __future__ import annotations

import math

import kornia
import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "SSIM_WINDOW",
    "ssim",
    "ssim_map",
    "psnr",
    "masked_l1",
    "mask_iou",
    "auroc",
    "nearest_distances",
    "confusion_matrix",
    "iou_per_class",
]

SSIM_WINDOW = 11         # Gaussian window taps (kornia's sigma is 1.5), as in Wang et al. 2004
NEAREST_CHUNK = 256      # rows per block in nearest_distances: a block of distances is 256 x 256


def _as_tensor(x) -> torch.Tensor:
    t = x.detach() if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))
    return t.to(torch.float64) if t.dtype == torch.float64 else t.to(torch.float32)


def _to_bchw(x) -> tuple[torch.Tensor, bool]:
    """Image(s) -> ``(B, C, H, W)`` float tensor, and whether the input was a single channels-last image."""
    t = _as_tensor(x)
    if t.ndim == 4:
        return t, False
    if t.ndim == 3:
        return t.permute(2, 0, 1).unsqueeze(0), True
    if t.ndim == 2:
        return t[None, None], True
    raise ValueError(f"expected (B, C, H, W), (H, W, C) or (H, W) images, got shape {tuple(t.shape)}")


@torch.no_grad()
def ssim_map(a, b, data_range: float = 1.0):
    """Per-pixel SSIM map (:func:`kornia.metrics.ssim`, Gaussian window 11, sigma 1.5, reflect padding).

    Args:
        a: ``(B, C, H, W)``, ``(H, W, C)`` or ``(H, W)`` image(s) in ``[0, data_range]``.
        b: same shape as ``a``.
        data_range: ``L`` of the SSIM constants ``c1 = (0.01 L)^2``, ``c2 = (0.03 L)^2``.

    Returns:
        The map in ``[-1, 1]`` (1 where the images agree), laid out like ``a`` (``(H, W)``
        input gives ``(H, W, 1)``); numpy for numpy input, torch for torch input. Average it
        under a mask for a region's SSIM.
    """
    ta, single = _to_bchw(a)
    tb, _ = _to_bchw(b)
    if ta.shape != tb.shape:
        raise ValueError(f"images differ in shape: {tuple(ta.shape)} vs {tuple(tb.shape)}")
    # eps=0: the exact SSIM (c1 * c2 > 0 already keeps the denominator positive).
    out = kornia.metrics.ssim(ta, tb, SSIM_WINDOW, max_val=float(data_range), eps=0.0)
    if single:
        out = out[0].permute(1, 2, 0)
    return out if isinstance(a, torch.Tensor) else out.numpy()


def ssim(a, b, data_range: float = 1.0) -> float:
    """Mean SSIM over pixels, channels and the batch, in ``[-1, 1]`` (1: identical). See :func:`ssim_map`."""
    return float(np.asarray(ssim_map(a, b, data_range)).mean())


@torch.no_grad()
def psnr(a, b, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio ``10 log10(data_range^2 / MSE)`` in dB.

    Args:
        a: ``(B, C, H, W)`` batch (PSNR per image, then the mean) or one ``(H, W, C)`` / ``(H, W)`` image.
        b: same shape as ``a``.
        data_range: peak value.

    Returns:
        dB in ``(-inf, inf]``; ``inf`` when the images are identical.
    """
    ta, _ = _to_bchw(a)
    tb, _ = _to_bchw(b)
    if ta.shape != tb.shape:
        raise ValueError(f"images differ in shape: {tuple(ta.shape)} vs {tuple(tb.shape)}")
    mse = (ta.double() - tb.double()).square().flatten(1).mean(dim=1)
    values = [math.inf if m == 0 else 10.0 * math.log10(data_range**2 / m) for m in mse.tolist()]
    return float(np.mean(values))


@torch.no_grad()
def masked_l1(a, b, mask) -> float:
    """Mean absolute difference over the masked pixels.

    Args:
        a: ``(B, C, H, W)`` or ``(H, W, C)`` images.
        b: same shape as ``a``.
        mask: weights in ``[0, 1]`` (or bool), ``(B, 1, H, W)`` / ``(H, W)`` / any shape that
            broadcasts to ``a`` after the same layout conversion; broadcast over channels.

    Returns:
        ``sum(mask * |a - b|) / sum(mask broadcast to a)``, in the units of ``a``; ``nan`` for an empty mask.
    """
    ta, _ = _to_bchw(a)
    tb, _ = _to_bchw(b)
    tm, _ = _to_bchw(_as_tensor(mask))
    diff = (ta.double() - tb.double()).abs()
    weights = tm.double().expand_as(diff)
    total = float(weights.sum())
    return float((diff * weights).sum()) / total if total > 0 else math.nan


def _as_bool_array(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    return x if x.dtype == bool else x > 0.5


def mask_iou(pred, target) -> float:
    """Intersection over union of binary masks.

    Args:
        pred: ``(H, W)`` mask or a batch ``(B, H, W)`` / ``(B, 1, H, W)``; bool, or numbers
            thresholded at 0.5.
        target: same shape as ``pred``.

    Returns:
        IoU in ``[0, 1]``; for a batch the mean of the per-mask IoUs. Two empty masks score 1.0.
    """
    p, t = _as_bool_array(pred), _as_bool_array(target)
    if p.shape != t.shape:
        raise ValueError(f"masks differ in shape: {p.shape} vs {t.shape}")
    if p.ndim == 2:
        p, t = p[None], t[None]
    p, t = p.reshape(len(p), -1), t.reshape(len(t), -1)
    inter = np.logical_and(p, t).sum(axis=1)
    union = np.logical_or(p, t).sum(axis=1)
    ious = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return float(ious.mean())


def auroc(scores_negative, scores_positive) -> float:
    """Area under the ROC curve for an anomaly score, rank based (Mann-Whitney U), ties counted half.

    ``AUROC = P(score_pos > score_neg) + 0.5 P(score_pos == score_neg)``, where positives are
    the anomalies (e.g. uploads that are not garments) and a higher score means "more anomalous".

    Args:
        scores_negative: 1-D scores of normal inputs.
        scores_positive: 1-D scores of anomalous inputs.

    Returns:
        AUROC in ``[0, 1]``: 1.0 when every anomaly scores above every normal input, 0.0 when
        below, 0.5 for a useless (or constant) score.
    """
    neg = np.asarray(_as_tensor(scores_negative).double().cpu()).ravel()
    pos = np.asarray(_as_tensor(scores_positive).double().cpu()).ravel()
    if neg.size == 0 or pos.size == 0:
        raise ValueError("auroc needs at least one negative and one positive score")
    if np.isnan(neg).any() or np.isnan(pos).any():
        raise ValueError("auroc scores must not be NaN")
    scores = np.concatenate([neg, pos])
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # Mid-ranks: every member of a group of equal scores gets the group's mean rank (1-based).
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    rank_sum_pos = ranks[len(neg):].sum()
    u = rank_sum_pos - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


@torch.no_grad()
def nearest_distances(queries, references, *, chunk_size: int = NEAREST_CHUNK,
                      return_indices: bool = False):
    """For each query, the Euclidean distance to its nearest reference (memorisation check).

    Both sets are flattened to vectors, ``(N, ...) -> (N, D)``, and compared in float64 in
    blocks of ``chunk_size x chunk_size`` so memory stays small for large sets.

    Args:
        queries: ``(N, ...)`` e.g. generated garments ``(N, C, H, W)``.
        references: ``(M, ...)`` with the same trailing size, e.g. the training garments.
        chunk_size: rows per block.
        return_indices: also return the index of each query's nearest reference.

    Returns:
        ``(N,)`` float64 distances ``>= 0`` (and ``(N,)`` int64 indices into ``references``
        when ``return_indices``); numpy for numpy queries, torch for torch queries.
    """
    q, r = _as_tensor(queries).double(), _as_tensor(references).double()
    q = q.reshape(len(q), -1) if q.ndim > 1 else q[:, None]  # 1-D input: N scalars
    r = r.reshape(len(r), -1) if r.ndim > 1 else r[:, None]
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} values each, references {r.shape[1]}")
    if len(r) == 0:
        raise ValueError("nearest_distances needs at least one reference")
    best = torch.full((len(q),), math.inf, dtype=torch.float64)
    best_idx = torch.zeros(len(q), dtype=torch.int64)
    r_sq = r.square().sum(dim=1)
    for i in range(0, len(q), chunk_size):
        qi = q[i:i + chunk_size]
        qi_sq = qi.square().sum(dim=1, keepdim=True)
        for j in range(0, len(r), chunk_size):
            d2 = (qi_sq + r_sq[None, j:j + chunk_size] - 2.0 * qi @ r[j:j + chunk_size].T).clamp_min_(0.0)
            val, idx = d2.min(dim=1)
            better = val < best[i:i + chunk_size]
            best[i:i + chunk_size] = torch.where(better, val, best[i:i + chunk_size])
            best_idx[i:i + chunk_size] = torch.where(better, idx + j, best_idx[i:i + chunk_size])
    dist = best.sqrt()
    if not isinstance(queries, torch.Tensor):
        dist, best_idx = dist.numpy(), best_idx.numpy()
    return (dist, best_idx) if return_indices else dist


@torch.no_grad()
def masked_ssim(a, b, mask, data_range: float = 1.0) -> float:
    """SSIM inside a region: the :func:`ssim_map` averaged under ``mask`` (e.g. the try-on region).

    The SSIM map is computed on the whole images, so windows at the region's edge still see
    the pixels around it; only the averaging is restricted.

    Args:
        a: ``(B, C, H, W)``, ``(H, W, C)`` or ``(H, W)`` image(s) in ``[0, data_range]``.
        b: same shape as ``a``.
        mask: weights in ``[0, 1]`` (or bool), ``(B, 1, H, W)`` / ``(H, W)``; broadcast over channels.
        data_range: as in :func:`ssim_map`.

    Returns:
        ``sum(mask * map) / sum(mask broadcast to the map)`` in ``[-1, 1]``; ``nan`` for an empty mask.
    """
    smap, _ = _to_bchw(ssim_map(_as_tensor(a), _as_tensor(b), data_range))
    tm, _ = _to_bchw(_as_tensor(mask))
    weights = tm.double().expand_as(smap)
    total = float(weights.sum())
    return float((smap.double() * weights).sum()) / total if total > 0 else math.nan


__all__.append("masked_ssim")


def confusion_matrix(pred, target, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts: row = true class, column = predicted class.

    Args:
        pred, target: integer label maps of one shape, values in ``[0, num_classes)``.
    """
    p = np.asarray(pred, np.int64).ravel()
    t = np.asarray(target, np.int64).ravel()
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """Intersection over union of each class from a confusion matrix; NaN for a class absent
    from both the truth and the prediction."""
    tp = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def _mean_gradient(grey: np.ndarray, mask: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of ``grey`` (float32, levels of 255) inside ``mask``."""
    import cv2

    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return float(np.sqrt(gx * gx + gy * gy)[mask].mean()) if mask.any() else math.nan


def texture_ratio(result: np.ndarray, photo: np.ndarray, garment: np.ndarray,
                  garment_mask: np.ndarray, *, min_change: int = 8) -> float:
    """How much of a garment's texture a try-on keeps, at the photo's own resolution.

    Inside the region of ``result`` that changed (any channel by more than ``min_change``
    levels from ``photo``, eroded by 2 px so the seam does not count), the mean Sobel gradient
    magnitude of the result's grey, divided by the same measure of the garment photo, resized
    to the changed region's width and taken inside its (eroded) mask. A blurred render scores
    low; one that keeps the garment's texture about 1; far above 1 is noise.

    Args:
        result, photo: ``(h, w, 3)`` uint8, the try-on and the person photo it was made from.
        garment: ``(hg, wg, 3)`` uint8 garment photo; ``garment_mask``: ``(hg, wg)`` bool.

    Returns:
        The ratio, or NaN when nothing changed or the garment has no texture to keep.
    """
    import cv2

    changed = (np.abs(result.astype(np.int16) - photo.astype(np.int16)).max(-1) > min_change).astype(np.uint8)
    changed = cv2.erode(changed, np.ones((5, 5), np.uint8)).astype(bool)
    if changed.sum() < 16:
        return math.nan
    xs = np.nonzero(changed.any(0))[0]
    width = int(xs.max() - xs.min() + 1)
    ys, xg = np.nonzero(garment_mask)
    crop = garment[ys.min():ys.max() + 1, xg.min():xg.max() + 1]
    crop_mask = garment_mask[ys.min():ys.max() + 1, xg.min():xg.max() + 1].astype(np.uint8)
    scale = width / crop.shape[1]
    size = (width, max(1, round(crop.shape[0] * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, size, interpolation=interp)
    small_mask = cv2.erode(cv2.resize(crop_mask, size, interpolation=cv2.INTER_NEAREST),
                           np.ones((5, 5), np.uint8)).astype(bool)
    grey = lambda im: cv2.cvtColor(im, cv2.COLOR_RGB2GRAY).astype(np.float32)  # noqa: E731
    reference = _mean_gradient(grey(small), small_mask)
    if not reference > 0:
        return math.nan
    return _mean_gradient(grey(result), changed) / reference


__all__.append("texture_ratio")


def checker_energy(image: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """How much of a decoding is a 2x2 checkerboard (the artefact of strided upsampling): the mean
    absolute response of the ``[[1, -1], [-1, 1]] / 4`` filter over the channels, weighted by alpha.

    Args:
        image: ``(B, C, H, W)`` in ``[-1, 1]``.
        alpha: ``(B, 1, H, W)`` in ``[0, 1]`` (where the garment is).

    Returns:
        ``(B,)``, 0 for flat colour; about 0.002 for a clean plain garment decoding and above 0.01 for
        one with visible dots (the garment designer's decodings).
    """
    c = image.shape[1]
    kernel = torch.tensor([[1.0, -1.0], [-1.0, 1.0]], dtype=image.dtype, device=image.device)
    kernel = kernel.view(1, 1, 2, 2).repeat(c, 1, 1, 1) / 4
    response = F.conv2d(image, kernel, groups=c).abs().mean(1, keepdim=True)        # (B, 1, H-1, W-1)
    weight = alpha[..., 1:, 1:]
    return (response * weight).sum((1, 2, 3)) / weight.sum((1, 2, 3)).clamp_min(1.0)


__all__.append("checker_energy")
