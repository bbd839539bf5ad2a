"""GarmentDesignPipeline: sample, blend, vary, edit, encode and decode garments in the garment
designer's latent space, and tell a garment photo from something that is not one.

The generator is the garment designer (``assets/weights/garment-designer``): a garment VAE with
a learned prior (``prior/``, :class:`~tryon.models.latent_prior.MixturePrior`) that samples
where real garments' codes lie, and attribute sliders (``directions/``,
:class:`~tryon.models.latent_directions.LatentDirections`). The garment check stays the garment
VAE's (``assets/weights/garment-vae``), the one the try-on pipeline warns with.

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
from tryon.constants import DESIGN_OUTPUT_SIZE, SAMPLERS
from tryon.errors import GarmentError, TryOnError
from tryon.garment import PreparedGarment, prepare_garment, resize_prepared
from tryon.garment_framing import shop_frame
from tryon.hub import load_extra
from tryon.io import load_image
from tryon.models.garment_refiner import REFINER_DIR, GarmentRefiner
from tryon.models.latent_directions import LatentDirections
from tryon.models.latent_prior import ANCHORS_DIR, DIRECTIONS_DIR, PRIOR_DIR, AnchorPrior, MixturePrior
from tryon.models.vae import VAE
from tryon.tensors import to_uint8

__all__ = ["GarmentDesignPipeline", "AnomalyResult", "GARMENT_DESIGNER_DIR", "GARMENT_VAE_DIR", "slerp"]

GARMENT_DESIGNER_DIR = assets.path("weights", "garment-designer")  # the generator (+ prior/, directions/)
GARMENT_VAE_DIR = assets.path("weights", "garment-vae")            # the garment check
CHECK_KEYS = ("anomaly_threshold", "garment_check")  # a folder whose config holds these carries its own check
OUTPUT_SIZE = DESIGN_OUTPUT_SIZE  # returned garments (H, W): the try-on frame, whatever the VAE's resolution
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


def _seeded(seed: int | None) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) if seed is not None else torch.seed())


def _check_dir(generator_dir: Path) -> Path:
    """The folder whose garment check to use: ``generator_dir`` itself when its config carries a
    calibrated check (an old garment-vae folder passed as the generator), else the garment VAE."""
    try:
        extra = load_extra(generator_dir)
    except TryOnError:
        extra = {}
    return generator_dir if any(k in extra for k in CHECK_KEYS) else GARMENT_VAE_DIR


def _optional(model_class, folder: Path):
    """``model_class`` from ``folder`` when it holds weights, else None."""
    return model_class.from_pretrained(folder) if (folder / "model.safetensors").is_file() else None


class GarmentDesignPipeline:
    """Designer tools on the garment designer (a garment VAE, its prior and its sliders).

    Args:
        vae: the generator, a garment :class:`~tryon.models.vae.VAE` (RGB + mask).
        anomaly_threshold: the ``is_garment`` limit of a check built on ``vae`` (when no
            ``checker`` is given).
        prior: where garments' codes lie (a mixture): :meth:`vary` moves along its local spread,
            and :meth:`sample` draws from it when there are no ``anchors``; None: ``N(0, I)``.
        anchors: the training garments' codes and their neighbours: :meth:`sample` draws
            between similar real garments (cleaner than the mixture); None: the mixture samples.
        directions: the attribute sliders of :meth:`edit`; None: no sliders.
        checker: the garment check (default: one on ``vae`` with ``anomaly_threshold``).
        refiner: draws every decoding again at 256x192 as a shop photo, framed as VITON's are
            (:class:`~tryon.models.garment_refiner.GarmentRefiner`); None: the VAE's decodings are
            enlarged (bicubic).
    """

    def __init__(self, vae: VAE, *, anomaly_threshold: float = float("inf"), prior: MixturePrior | None = None,
                 anchors: AnchorPrior | None = None, directions: LatentDirections | None = None,
                 checker: GarmentChecker | None = None, refiner: GarmentRefiner | None = None) -> None:
        self.checker = checker if checker is not None else GarmentChecker(vae, anomaly_threshold)
        self.vae = vae
        self.anomaly_threshold = self.checker.threshold
        self.prior = prior
        self.anchors = anchors
        self.directions = directions
        self.refiner = refiner.float().eval() if refiner is not None else None
        self.size = tuple(vae.config.resolution)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> "GarmentDesignPipeline":
        """Load the generator from the bundled ``weights/garment-designer`` (or ``path``), with its
        ``prior/``, ``anchors/``, ``directions/`` and ``refiner/`` when there; the garment check is the bundled garment VAE's,
        or ``path``'s own when its config carries one (an old ``garment-vae`` folder)."""
        directory = Path(path) if path is not None else GARMENT_DESIGNER_DIR
        if not (directory / "model.safetensors").is_file():
            raise TryOnError(f"No garment designer weights in '{directory}'; train them with "
                             "`tryon train garment-designer` or use the bundled assets.")
        vae = VAE.from_pretrained(directory)
        checker = GarmentChecker.from_pretrained(_check_dir(directory))
        return cls(vae, prior=_optional(MixturePrior, directory / PRIOR_DIR),
                   anchors=_optional(AnchorPrior, directory / ANCHORS_DIR),
                   directions=_optional(LatentDirections, directory / DIRECTIONS_DIR), checker=checker,
                   refiner=_optional(GarmentRefiner, directory / REFINER_DIR))

    @property
    def attributes(self) -> tuple[str, ...]:
        """The sliders :meth:`edit` takes (empty without ``directions/``)."""
        return self.directions.names if self.directions is not None else ()

    @property
    def attribute_units(self) -> dict[str, str]:
        """Slider name -> what one unit of it is (``hue``: degrees; the others: training standard
        deviations of the attribute)."""
        return dict(zip(self.attributes, self.directions.config.units)) if self.directions is not None else {}

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
        size = OUTPUT_SIZE[::-1]  # (W, H) for OpenCV
        for c, a in zip(rgb, alpha):
            rgba = np.dstack([c, (a * 255 + 0.5).astype(np.uint8)])
            if rgba.shape[:2] != OUTPUT_SIZE:
                rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_CUBIC)
            out.append(Image.fromarray(rgba, "RGBA"))
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
            if self.refiner is not None:  # framed as shop photos frame garments, then drawn sharp
                image, mask = self.refiner(*shop_frame(image.float(), mask.float()))
            out += self._to_rgba(image, mask)
        return out

    def sample_codes(self, n: int = 4, seed: int | None = 0, temperature: float = 1.0,
                     sampler: str = "auto") -> torch.Tensor:
        """``(n, latent_dim)`` codes from a prior. ``sampler``: ``"anchors"`` (between a training
        garment and one of its neighbours; ``temperature`` scales the step: 0 gives training
        garments, 1 reaches the neighbour), ``"mixture"`` (``temperature`` scales each component's
        spread; 0 gives component means), ``"normal"`` (``N(0, temperature^2 I)``), or ``"auto"``:
        the first of these the designer has."""
        if n < 1 or temperature < 0:
            raise ValueError("n must be >= 1 and temperature >= 0")
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, not '{sampler}'")
        if sampler == "auto":
            sampler = "anchors" if self.anchors is not None else "mixture" if self.prior is not None else "normal"
        g = _seeded(seed)
        if sampler == "normal":
            return torch.randn(n, self.vae.config.latent_dim, generator=g) * temperature
        if not self.has_sampler(sampler):
            raise ValueError(f"this garment designer has no {sampler} prior (refit it with `tryon fit-design`)")
        prior = self.anchors if sampler == "anchors" else self.prior
        return prior.sample(n, generator=g, temperature=temperature)

    def has_sampler(self, sampler: str) -> bool:
        """Whether :meth:`sample_codes` can draw from ``sampler`` (one of :data:`tryon.constants.SAMPLERS`;
        ``"auto"`` and ``"normal"`` always can)."""
        return {"anchors": self.anchors, "mixture": self.prior}.get(sampler, True) is not None

    def sample(self, n: int = 4, seed: int | None = 0, temperature: float = 1.0,
               sampler: str = "auto") -> list[Image.Image]:
        """``n`` new garments from a prior (:meth:`sample_codes`); same seed, same garments."""
        return self.decode(self.sample_codes(n, seed, temperature, sampler))

    def interpolate(self, a: Any, b: Any, steps: int = 5) -> list[Image.Image]:
        """``steps`` garments blending ``a`` into ``b`` (photos or codes), spherically, ends included."""
        if steps < 2:
            raise ValueError("steps must be at least 2")
        za, zb = self._code(a), self._code(b)
        return self.decode(torch.stack([slerp(za, zb, t) for t in np.linspace(0.0, 1.0, steps)]))

    def blend(self, a: Any, b: Any, t: float) -> Image.Image:
        """One garment ``t`` of the way from ``a`` to ``b`` (spherical)."""
        return self.decode(slerp(self._code(a), self._code(b), float(np.clip(t, 0.0, 1.0))))[0]

    def _local_spread(self, z: torch.Tensor) -> torch.Tensor:
        """``(D, D)``: the Cholesky factor of the covariance of ``z``'s most likely prior component
        (the identity without a prior)."""
        if self.prior is None:
            return torch.eye(z.shape[0])
        joint = self.prior.component_log_prob(z[None]) + self.prior.log_weights.float()   # (1, K)
        return self.prior.scale_tril.float()[int(joint.argmax())]

    def vary(self, garment: Any, strength: float = 0.5, n: int = 4, seed: int | None = 0) -> list[Image.Image]:
        """``n`` variations: ``z = code + strength * L eps``, ``eps ~ N(0, I)``, ``L`` the spread of
        the code's most likely prior component (garments vary along the directions real garments
        vary in); 0 keeps the garment, 1 roams as far as that component reaches."""
        if n < 1 or strength < 0:
            raise ValueError("n must be >= 1 and strength >= 0")
        z0 = self._code(garment)
        eps = torch.randn(n, z0.shape[0], generator=_seeded(seed))
        return self.decode(z0 + strength * eps @ self._local_spread(z0).T)

    def edit_codes(self, codes: torch.Tensor, **attributes: float) -> torch.Tensor:
        """Codes ``(N, D)`` moved by the attribute sliders (see :meth:`edit`): ``(N, D)``."""
        if self.directions is None:
            raise TryOnError("These garment designer weights have no attribute sliders (no directions/ "
                             "folder); fit them with `tryon fit-design`.")
        self.directions.check_names(attributes)
        bad = [k for k, v in attributes.items() if not isinstance(v, (int, float)) or not np.isfinite(v)]
        if bad:
            raise TryOnError(f"The value of {bad[0]!r} must be a finite number, not {attributes[bad[0]]!r}.")
        return self.directions.apply(codes, {k: float(v) for k, v in attributes.items()})

    def edit(self, garment_or_code: Any, **attributes: float) -> Image.Image:
        """The garment (a photo, a prepared garment or a ``(latent_dim,)`` code) with attributes
        changed: ``hue`` in degrees (turns the colour; grey garments stay grey), ``lightness``,
        ``sleeve_length``, ``garment_length`` and ``neckline`` in training standard deviations of
        that attribute (see :attr:`attribute_units`; about -2 to 2 stays among real garments).
        Each slider leaves the others' attributes nearly as they were; no values: the garment's
        decoding. Unknown names raise a one-sentence :class:`TryOnError` naming the sliders."""
        z = self._code(garment_or_code)
        return self.decode(self.edit_codes(z[None], **attributes))[0]

    def anomaly(self, image: Any) -> AnomalyResult:
        """Score how unlike a garment photo ``image`` is; ``is_garment`` from the calibrated threshold.

        The same :class:`~tryon.conditioning.GarmentChecker` the try-on pipeline warns with."""
        try:
            prepared = self._prepare(image)
        except GarmentError as err:
            return AnomalyResult(float("inf"), self.anomaly_threshold, False, str(err))
        return self.checker.check(prepared)
