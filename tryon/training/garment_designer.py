"""The garment designer: the garment VAE-GAN fine-tuned for sharp decodings, plus a learned prior.

Warm-started from the garment VAE (``assets/weights/garment-vae``), it trains the same VAE-GAN
with the weights moved from "a smooth latent space with an ELBO that flags non-garments" to
"decodings a designer would keep":

- a small KL weight (:attr:`DesignerHyper.kl_max`): codes may drift from ``N(0, I)``, since
  sampling uses the learned prior (:class:`~tryon.models.latent_prior.MixturePrior`) fitted on
  the training posteriors at export, not ``N(0, I)``;
- an adversarial weight balanced against the reconstruction terms at the decoder's last layer
  (Esser et al. 2021, "Taming transformers", eq. 7), so the discriminator's pull on edges and
  flat colours stays as strong as the pixel losses' pull towards the blurry mean;
- fakes shown to the discriminator are reconstructions and decodings of codes BETWEEN two
  training garments (a random convex mix of posterior means): what blends and prior samples
  decode.

The garment VAE itself stays as it is: its codes condition the try-on network and its ELBO is
what the garment check was calibrated on, so the designer is its own model (``garment-designer``).

Without a warm start (``init_from=None``, ``tryon train garment-designer --latent-dim N``) it
trains a fresh VAE with a longer code (:meth:`DesignerHyper.fresh`): a 128-number code cannot
hold a garment's print, whatever the decoder. A 1x1 bottleneck keeps the linear layers of a
long code as small as the garment VAE's, and the adversarial term waits
:data:`FRESH_ADV_START` steps until the reconstructions have a shape to sharpen. On a lent H200
(6 minutes, bf16, batch 64, three runs sharing it), fresh 512- and 256-number designers
reconstructed the 500 validation garments at SSIM 0.805 and 0.823 after ~3,800 steps, where the
warm 128-number one reached 0.855 (a one-off script on that machine, on WebP copies of the
garments): a fresh designer needs a longer run than a lease gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from tryon.losses import adaptive_weight
from tryon.models.vae import VAE
from tryon.training.garment_vae import GarmentVAEHyper, GarmentVAETask
from tryon.training.loop import StepContext
from tryon.training.prior_fit import fit_and_save_priors, posterior_means

__all__ = ["DesignerHyper", "GarmentDesignerTask", "DESIGNER_DIR_NAME", "FRESH_ADV_START"]

DESIGNER_DIR_NAME = "garment-designer"
FRESH_LR = 2e-4            # a fresh designer learns at the garment VAE's rate, a warm one at half
FRESH_RES_LEVELS = 2       # residual blocks at the two deepest levels (the garment VAE: one)
FRESH_BOTTLENECK = 64      # channels of the 1x1 bottleneck before and after the linear layers
FRESH_ADV_START = 1500     # steps of reconstruction alone before the adversarial term joins in


@dataclass
class DesignerHyper(GarmentVAEHyper):
    """Loss weights of the fine-tune (the architecture is the warm start's)."""

    lr: float = 1e-4
    w_feat: float = 1.0
    w_adv: float = 0.5            # times the balanced weight (tryon.losses.ADAPTIVE_MAX caps the product / w_adv)
    kl_max: float = 1e-4          # 5x below the garment VAE's: sharper, the prior does the sampling
    kl_warmup: int = 0
    prior_components: int = 32
    adv_start: int = 0            # steps before the adversarial term joins the VAE's loss

    @classmethod
    def fresh(cls, latent_dim: int) -> "DesignerHyper":
        """The hyper-parameters of a designer trained from scratch with a ``latent_dim``-number code."""
        return cls(latent_dim=latent_dim, lr=FRESH_LR, res_levels=FRESH_RES_LEVELS,
                   bottleneck_channels=FRESH_BOTTLENECK, adv_start=FRESH_ADV_START)


class GarmentDesignerTask(GarmentVAETask):
    """Fine-tunes the garment VAE for design. Same data as :class:`GarmentVAETask`.

    Args:
        train_set: augmented training garments ``{"garment": (4, H, W) in [-1, 1]}``.
        val_set: the held-out garments (grids).
        prior_set: the training garments without augmentation; their posterior means fit the prior.
        init_from: the exported garment VAE (or designer) to start from; ``None``: a fresh VAE
            of ``hyper``'s size (see :meth:`DesignerHyper.fresh`).
    """

    name = "garment-designer"

    def __init__(self, train_set, val_set, prior_set, init_from: str | Path | None,
                 hyper: DesignerHyper | None = None) -> None:
        super().__init__(train_set, val_set, hyper or DesignerHyper())
        self.prior_set = prior_set
        self.init_from = Path(init_from) if init_from is not None else None
        if self.init_from is not None:
            self.vae_config = VAE.from_pretrained(self.init_from).config

    def config(self) -> dict:
        return {**super().config(), "init_from": str(self.init_from) if self.init_from else None}

    def build_models(self):
        models = super().build_models()
        if self.init_from is not None:
            models["vae"] = VAE.from_pretrained(self.init_from).train()
        return models

    def other_fakes(self, ctx: StepContext, out) -> torch.Tensor:
        """Decodings of codes between two garments of the batch: a random convex mix of posterior means."""
        t = torch.rand(out.mu.shape[0], 1, device=out.mu.device)
        z_mix = t * out.mu + (1 - t) * out.mu.roll(1, 0)
        return self._as_input(*ctx.unwrap("vae").decode(z_mix))

    def generator_loss(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        h = self.hyper
        loss_rec = h.w_l1 * terms["l1"] + h.w_ssim * terms["ssim"] + h.w_mask * terms["mask"] + h.w_feat * terms["feat"]
        if ctx.step < h.adv_start:
            return loss_rec + h.kl_max * terms["kl"], {"balance": torch.zeros((), device=loss_rec.device)}
        balance = adaptive_weight(ctx.unwrap("vae").decoder.to_output.conv.weight, loss_rec, terms["adv"])
        return loss_rec + h.w_adv * balance * terms["adv"] + h.kl_max * terms["kl"], {"balance": balance}

    def export(self, models, directory: Path) -> None:
        vae = models["vae"]
        target = Path(directory) / DESIGNER_DIR_NAME
        vae.save_pretrained(target, dtype=torch.float16,
                            extra={"init_from": str(self.init_from) if self.init_from else None})
        fit_and_save_priors(posterior_means(vae, self.prior_set), target, components=self.hyper.prior_components,
                            vae=vae)
