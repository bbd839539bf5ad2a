"""What the networks are given, built by ONE set of functions for training and inference.

* The garment VAE's input: :func:`garment_rgba` / :func:`garment_tensor` of a prepared garment.
* The try-on network's input: :func:`frame_arrays` on a :class:`~tryon.body.BodyFrame` and a
  :class:`~tryon.warp.WarpedGarment`, then :func:`net_tensors`. The try-on cache
  (:mod:`tryon.data.tryon_pairs`) and :class:`pipelines.TryOnPipeline` both call them, so a
  shopper's photo reaches the network exactly as a training photo did.
* The VAE codes that condition the generator (:func:`vae_codes`), and the garment check
  (:class:`GarmentChecker`): one pass of the garment VAE gives the ELBO parts, hence the
  warning, and the mean code the network is given.

Images become tensors through :func:`tryon.tensors.to_tensor`, the one converter. ``tryon.data``
builds on this module; this module never imports ``tryon.data``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tryon.anomaly import AnomalyResult, elbo_parts, garment_verdict, logistic_verdict
from tryon.body import BodyFrame, agnostic_image, body_shape_input
from tryon.errors import TryOnError
from tryon.garment import PreparedGarment, resize_prepared
from tryon.garment_check import LogisticCheck, garment_features
from tryon.hub import load_extra
from tryon.models.vae import VAE
from tryon.pose import PoseResult
from tryon.tensors import UINT8_MAX, to_tensor
from tryon.warp import WarpedGarment

__all__ = ["garment_rgba", "garment_tensor", "frame_arrays", "net_tensors", "garment_code", "body_code",
           "check_code_dims", "vae_codes", "GarmentChecker"]


# ------------------------------------------------------------------------------ the garment VAE
def garment_rgba(prepared: PreparedGarment) -> np.ndarray:
    """A prepared garment as ``(H, W, 4)`` uint8: RGB (white off the garment), then the mask as 0 / 255."""
    return np.dstack([prepared.rgb, prepared.mask.astype(np.uint8) * UINT8_MAX])


def garment_tensor(prepared: PreparedGarment) -> torch.Tensor:
    """The garment VAE's input for one prepared garment, at inference and in training alike.

    Returns:
        ``(4, H, W)`` float32 in ``[-1, 1]``: RGB on a white (1) background, then the mask
        as exactly -1 (background) / 1 (garment).
    """
    return to_tensor(garment_rgba(prepared))


# ------------------------------------------------------------------------ the try-on network
def frame_arrays(body: BodyFrame, warped: WarpedGarment) -> dict[str, np.ndarray]:
    """The compact, storable form of one try-on input in the frame.

    Returns:
        ``{"person": (H, W, 3) uint8, "region": (H, W) bool, "revealed": (H, W) bool (the part
        of the region left visible: background and skin), "valid": (H, W) bool (the frame
        pixels shown as the photo; region and valid go on past the edge of a photo cut across the
        torso, :meth:`tryon.body.BodyFrame.shown_region`),
        "garment": (H, W, 4) uint8 (TPS-warped RGB, then alpha 0..255),
        "landmarks": (33, 3) float32 (x, y as fractions of the frame, visibility)}``.
    """
    alpha = np.clip(warped.alpha * UINT8_MAX + 0.5, 0, UINT8_MAX).astype(np.uint8)
    rgb = np.where(alpha[..., None] > 0, warped.rgb, 0).astype(np.uint8)
    region, valid = body.shown_region()
    return {
        "person": body.image,
        "region": region,
        "revealed": body.revealed.astype(bool),
        "valid": valid,
        "garment": np.dstack([rgb, alpha]),
        "landmarks": body.normalized_landmarks().astype(np.float32),
    }


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
    alpha = torch.from_numpy(np.ascontiguousarray(garment[..., 3])).float()[None] / UINT8_MAX
    rgb = to_tensor(garment[..., :3]) * (alpha > 0)
    return {
        "agnostic": to_tensor(agnostic),
        "region": torch.from_numpy(region.astype(np.float32))[None],
        "revealed": torch.from_numpy(revealed.astype(np.float32))[None],
        "garment": torch.cat([rgb, alpha], 0),
    }


# ------------------------------------------------------------------------------ VAE codes
def _at_vae_size(vae, prepared: PreparedGarment) -> PreparedGarment:
    size = tuple(vae.config.resolution)
    return prepared if prepared.mask.shape == size else resize_prepared(prepared, size)


@torch.no_grad()
def garment_code(vae, prepared: PreparedGarment) -> np.ndarray:
    """The garment VAE's mean code of a prepared garment: ``(latent_dim,)`` float32."""
    mu, _ = vae.encode(garment_tensor(_at_vae_size(vae, prepared))[None])
    return mu[0].float().numpy()


@torch.no_grad()
def body_code(vae, pose: PoseResult) -> np.ndarray:
    """The body-shape VAE's mean code of a person's pose: ``(latent_dim,)`` float32."""
    x, _ = body_shape_input(pose, tuple(vae.config.resolution))
    mu, _ = vae.encode(torch.from_numpy(x)[None])
    return mu[0].float().numpy()


def check_code_dims(net, garment_vae, body_vae) -> None:
    """Raise :class:`~tryon.errors.TryOnError` when the try-on network ``net`` expects codes of
    another length than the garment and body VAEs (either may be None) give together."""
    if net is None or not net.config.code_dim:
        return
    dims = sum(vae.config.latent_dim for vae in (garment_vae, body_vae) if vae is not None)
    if dims != net.config.code_dim:
        raise TryOnError(f"The try-on network expects {net.config.code_dim}-number VAE codes but the "
                         f"garment and body VAEs give {dims}; load the VAEs it was trained with.")


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


class GarmentChecker:
    """The garment VAE and its calibrated check: is an upload a garment photo, and its code.

    Used by both pipelines: :class:`pipelines.TryOnPipeline` warns on a garment photo that is not
    one and gives the network :attr:`AnomalyResult.code`; :class:`pipelines.GarmentDesignPipeline`
    answers ``anomaly()``. One encode + decode gives both (:func:`tryon.anomaly.elbo_parts`).

    With ``logistic`` (stored as ``extra["garment_check"]`` beside the weights), the verdict weighs
    the ELBO with cheap cues (a face, skin colour, the mask's shape: :mod:`tryon.garment_check`),
    holds limits on others (how much of the photo the cut-out covers, its roundness, its texture:
    :mod:`tryon.garment_cues`), and :attr:`AnomalyResult.score` is its log-odds of "not a
    garment"; without it, the ELBO alone
    against ``threshold``.

    Args:
        vae: the garment :class:`~tryon.models.vae.VAE` (RGB + mask).
        threshold: the ELBO's ``is_garment`` limit stored with the weights (``inf``: all pass).
        logistic: the calibrated :class:`~tryon.garment_check.LogisticCheck`, or None.
    """

    def __init__(self, vae, threshold: float = float("inf"), logistic: LogisticCheck | None = None) -> None:
        self.vae = vae.eval()
        self.threshold = threshold
        self.logistic = logistic

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "GarmentChecker":
        """The VAE in ``directory`` with the ``anomaly_threshold`` and ``garment_check`` saved beside it."""
        extra = load_extra(directory)
        logistic = LogisticCheck.from_json(extra["garment_check"]) if "garment_check" in extra else None
        return cls(VAE.from_pretrained(directory), float(extra.get("anomaly_threshold", "inf")), logistic)

    @torch.no_grad()
    def check(self, prepared: PreparedGarment) -> AnomalyResult:
        """Score a prepared garment (any size: resized to the VAE's); the result carries its code."""
        if self.logistic is None:  # the ELBO alone: no cue is computed
            return garment_verdict(elbo_parts(self.vae, garment_tensor(_at_vae_size(self.vae, prepared))[None]),
                                   self.threshold)
        return self.check_with_features(prepared)[0]

    @torch.no_grad()
    def check_with_features(self, prepared: PreparedGarment) -> tuple[AnomalyResult, dict[str, float]]:
        """:meth:`check` and the cues it read (:data:`tryon.garment_check.FEATURES`).

        A garment the learned cutter cut out of a busy photo is judged on GrabCut's cut-out of it
        (:attr:`~tryon.garment.PreparedGarment.checked`): the check was calibrated on those, and its cues rely on how
        GrabCut fails on what is no garment (on a texture it shrinks to its centre seed), while the
        cutter finds a clean object in a cup or a logo too (with the cutter's own cut-outs, 91% of
        the held-out scikit-image non-garments were flagged, not 96%, recalibrated 93%). The code
        for the network is the cutter's garment's."""
        at_vae = _at_vae_size(self.vae, prepared)
        parts = elbo_parts(self.vae, garment_tensor(at_vae)[None])
        judged, judged_parts = prepared, parts
        if prepared.checked is not None:
            judged = prepared.checked
            at_vae = _at_vae_size(self.vae, judged)
            judged_parts = elbo_parts(self.vae, garment_tensor(at_vae)[None])
        features = garment_features(judged_parts, at_vae.rgb, at_vae.mask, judged.source, judged.source_mask,
                                    prepared.source_faces)
        if self.logistic is None:
            return garment_verdict(parts, self.threshold), features
        return logistic_verdict(self.logistic(features), self.logistic.threshold, parts["code"][0]), features

