"""GarmentDesignPipeline: sample, blend, vary, encode and decode garments in the garment VAE's
latent space, and tell a garment photo from something that is not one.

Every garment it returns is an RGBA ``PIL.Image``: the garment's colours and its mask as alpha,
ready for ``TryOnPipeline(garment=...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from PIL import Image

from tryon import assets
from tryon.anomaly import AnomalyResult
from tryon.conditioning import GarmentChecker, garment_code
from tryon.errors import GarmentError, TryOnError
from tryon.garment import PreparedGarment, prepare_garment, resize_prepared
from tryon.io import load_image
from tryon.models.vae import VAE
from tryon.tensors import to_uint8

__all__ = ["GarmentDesignPipeline", "AnomalyResult", "GARMENT_VAE_DIR", "slerp"]

GARMENT_VAE_DIR = assets.path("weights", "garment-vae")
OUTPUT_SCALE = 2          # returned garments are 2x the VAE resolution (256x192)
ALPHA_FLOOR = 0.08        # alpha below this becomes fully transparent (no haze around a garment)
MAX_BATCH = 64            # garments decoded at once
SLERP_EPS = 1e-4          # below this angle, spherical interpolation falls back to linear


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between latent codes ``a`` and ``b`` (``(D,)``), ``t`` in [0, 1]."""
    cos = torch.clamp((a @ b) / (a.norm() * b.norm() + 1e-12), -1.0, 1.0)
    omega = torch.arccos(cos)
    if omega.abs() < SLERP_EPS:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


class GarmentDesignPipeline:
    """Designer tools on the garment VAE.

    Args:
        vae: the garment :class:`~tryon.models.vae.VAE` (RGB + mask).
        anomaly_threshold: the ``is_garment`` limit stored with the weights.
    """

    def __init__(self, vae: VAE, *, anomaly_threshold: float = float("inf")) -> None:
        self.checker = GarmentChecker(vae, anomaly_threshold)  # the same check the try-on pipeline runs
        self.vae = self.checker.vae
        self.anomaly_threshold = anomaly_threshold
        self.size = tuple(vae.config.resolution)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> "GarmentDesignPipeline":
        """Load the garment VAE from the bundled ``weights/garment-vae`` (or ``path``)."""
        directory = Path(path) if path is not None else GARMENT_VAE_DIR
        if not (directory / "model.safetensors").is_file():
            raise TryOnError(f"No garment VAE weights in '{directory}'; train them with "
                             "`tryon train garment-vae` or use the bundled assets.")
        checker = GarmentChecker.from_pretrained(directory)
        design = cls(checker.vae, anomaly_threshold=checker.threshold)
        design.checker = checker  # the calibrated check (the ELBO and its cues), as the try-on pipeline's
        return design

    # ------------------------------------------------------------------ conversions
    def _prepare(self, garment: Any) -> PreparedGarment:
        if isinstance(garment, PreparedGarment):
            return garment if garment.mask.shape == self.size else resize_prepared(garment, self.size)
        return prepare_garment(load_image(garment, keep_alpha=True, what="garment image"), size=self.size)

    def _to_rgba(self, image: torch.Tensor, mask_logits: torch.Tensor) -> list[Image.Image]:
        rgb = to_uint8(image)
        alpha = torch.sigmoid(mask_logits.float())[:, 0].cpu().numpy()
        alpha = np.where(alpha < ALPHA_FLOOR, 0.0, alpha)
        out = []
        h, w = self.size
        size = (w * OUTPUT_SCALE, h * OUTPUT_SCALE)
        for c, a in zip(rgb, alpha):
            rgba = np.dstack([c, (a * 255 + 0.5).astype(np.uint8)])
            out.append(Image.fromarray(cv2.resize(rgba, size, interpolation=cv2.INTER_CUBIC), "RGBA"))
        return out

    def _code(self, garment_or_code: Any) -> torch.Tensor:
        if isinstance(garment_or_code, (torch.Tensor, np.ndarray)) and np.ndim(garment_or_code) == 1:
            return torch.as_tensor(np.asarray(garment_or_code), dtype=torch.float32)
        return torch.from_numpy(self.encode(garment_or_code))

    # ------------------------------------------------------------------ the tools
    @torch.no_grad()
    def encode(self, garment: Any) -> np.ndarray:
        """The latent code (mean of q(z|x)) of a garment photo: ``(latent_dim,)`` float32."""
        return garment_code(self.vae, self._prepare(garment))

    @torch.no_grad()
    def decode(self, codes: np.ndarray | torch.Tensor) -> list[Image.Image]:
        """Garments from latent codes ``(N, latent_dim)`` or ``(latent_dim,)``: RGBA images."""
        z = torch.as_tensor(np.asarray(codes), dtype=torch.float32)
        z = z[None] if z.ndim == 1 else z
        out: list[Image.Image] = []
        for chunk in z.split(MAX_BATCH):
            image, mask = self.vae.decode(chunk)
            out += self._to_rgba(image, mask)
        return out

    def sample(self, n: int = 4, seed: int | None = 0, temperature: float = 1.0) -> list[Image.Image]:
        """``n`` new garments from the prior, z ~ N(0, temperature^2 I); same seed, same garments."""
        if n < 1 or temperature < 0:
            raise ValueError("n must be >= 1 and temperature >= 0")
        g = torch.Generator().manual_seed(int(seed) if seed is not None else torch.seed())
        z = torch.randn(n, self.vae.config.latent_dim, generator=g) * temperature
        return self.decode(z)

    def interpolate(self, a: Any, b: Any, steps: int = 5) -> list[Image.Image]:
        """``steps`` garments blending ``a`` into ``b`` (photos or codes), spherically, ends included."""
        if steps < 2:
            raise ValueError("steps must be at least 2")
        za, zb = self._code(a), self._code(b)
        return self.decode(torch.stack([slerp(za, zb, t) for t in np.linspace(0.0, 1.0, steps)]))

    def blend(self, a: Any, b: Any, t: float) -> Image.Image:
        """One garment ``t`` of the way from ``a`` to ``b`` (spherical)."""
        return self.decode(slerp(self._code(a), self._code(b), float(np.clip(t, 0.0, 1.0))))[0]

    def vary(self, garment: Any, strength: float = 0.5, n: int = 4, seed: int | None = 0) -> list[Image.Image]:
        """``n`` variations: z = code + strength * N(0, I); 0 keeps the garment, 1 roams widely."""
        if n < 1 or strength < 0:
            raise ValueError("n must be >= 1 and strength >= 0")
        z0 = self._code(garment)
        g = torch.Generator().manual_seed(int(seed) if seed is not None else torch.seed())
        return self.decode(z0 + strength * torch.randn(n, z0.shape[0], generator=g))

    def anomaly(self, image: Any) -> AnomalyResult:
        """Score how unlike a garment photo ``image`` is; ``is_garment`` from the calibrated threshold.

        The same :class:`~tryon.conditioning.GarmentChecker` the try-on pipeline warns with."""
        try:
            prepared = self._prepare(image)
        except GarmentError as err:
            return AnomalyResult(float("inf"), self.anomaly_threshold, False, str(err))
        return self.checker.check(prepared)
