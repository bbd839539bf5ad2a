"""What the learned try-on network is given, built by ONE set of functions for training and inference.

The try-on cache (:mod:`tryon.data.tryon_pairs`) and :class:`pipelines.TryOnPipeline` both call
:func:`frame_arrays` on a :class:`~tryon.body.BodyFrame` and a :class:`~tryon.warp.WarpedGarment`,
then :func:`net_tensors` on the result, so a shopper's photo reaches the network exactly as a
training photo did. :func:`vae_codes` gives the garment and body codes that condition the generator.
"""

from __future__ import annotations

import numpy as np
import torch

from tryon.body import BodyFrame, agnostic_image, body_shape_input
from tryon.garment import PreparedGarment, resize_prepared
from tryon.pose import PoseResult
from tryon.warp import WarpedGarment

__all__ = ["frame_arrays", "net_tensors", "vae_codes", "garment_code", "body_code", "UINT8_MAX"]

UINT8_MAX = 255


def frame_arrays(body: BodyFrame, warped: WarpedGarment) -> dict[str, np.ndarray]:
    """The compact, storable form of one try-on input in the frame.

    Returns:
        ``{"person": (H, W, 3) uint8, "region": (H, W) bool, "revealed": (H, W) bool (the part
        of the region left visible: background and skin), "valid": (H, W) bool,
        "garment": (H, W, 4) uint8 (TPS-warped RGB, then alpha 0..255),
        "landmarks": (33, 3) float32 (x, y as fractions of the frame, visibility)}``.
    """
    alpha = np.clip(warped.alpha * UINT8_MAX + 0.5, 0, UINT8_MAX).astype(np.uint8)
    rgb = np.where(alpha[..., None] > 0, warped.rgb, 0).astype(np.uint8)
    return {
        "person": body.image,
        "region": body.region.astype(bool),
        "revealed": body.revealed.astype(bool),
        "valid": body.valid.astype(bool),
        "garment": np.dstack([rgb, alpha]),
        "landmarks": body.normalized_landmarks().astype(np.float32),
    }


def _unit(array: np.ndarray) -> torch.Tensor:
    """``(H, W, C)`` uint8 -> ``(C, H, W)`` float32 in ``[-1, 1]``."""
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1))).float().div_(UINT8_MAX / 2).sub_(1.0)


def net_tensors(person: np.ndarray, region: np.ndarray, valid: np.ndarray, garment: np.ndarray,
                revealed: np.ndarray) -> dict[str, torch.Tensor]:
    """Network inputs (no batch dimension) from :func:`frame_arrays`' arrays.

    Returns:
        ``{"agnostic": (3, H, W) in [-1, 1]`` (the person, repaint region grey except the
        revealed pixels, off-photo white), ``"region": (1, H, W) in {0, 1}``,
        ``"revealed": (1, H, W) in {0, 1}``, ``"garment": (4, H, W)`` (RGB in ``[-1, 1]``, 0
        where there is no garment, then alpha in ``[0, 1]``)``}``. Pose maps are made per batch
        with :func:`tryon.pose.pose_maps` (after augmentation).
    """
    revealed = revealed & region
    agnostic = agnostic_image(person, region, valid, revealed)
    g = torch.from_numpy(np.ascontiguousarray(garment.transpose(2, 0, 1))).float()
    alpha = g[3:] / UINT8_MAX
    rgb = (g[:3] / (UINT8_MAX / 2) - 1.0) * (alpha > 0)
    return {
        "agnostic": _unit(agnostic),
        "region": torch.from_numpy(region.astype(np.float32))[None],
        "revealed": torch.from_numpy(revealed.astype(np.float32))[None],
        "garment": torch.cat([rgb, alpha], 0),
    }


@torch.no_grad()
def garment_code(vae, prepared: PreparedGarment) -> np.ndarray:
    """The garment VAE's mean code of a prepared garment: ``(latent_dim,)`` float32."""
    from tryon.data.garments import garment_tensor

    size = tuple(vae.config.resolution)
    small = prepared if prepared.mask.shape == size else resize_prepared(prepared, size)
    mu, _ = vae.encode(garment_tensor(small)[None])
    return mu[0].float().numpy()


@torch.no_grad()
def body_code(vae, pose: PoseResult) -> np.ndarray:
    """The body-shape VAE's mean code of a person's pose: ``(latent_dim,)`` float32."""
    x, _ = body_shape_input(pose, tuple(vae.config.resolution))
    mu, _ = vae.encode(torch.from_numpy(x)[None])
    return mu[0].float().numpy()


def vae_codes(garment_vae, body_vae, prepared: PreparedGarment, pose: PoseResult) -> np.ndarray:
    """The generator's conditioning: garment code then body code, ``(D_g + D_b,)`` float32.

    A missing VAE contributes nothing (``None`` -> no columns).
    """
    parts = []
    if garment_vae is not None:
        parts.append(garment_code(garment_vae, prepared))
    if body_vae is not None:
        parts.append(body_code(body_vae, pose))
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
