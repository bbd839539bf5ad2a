"""The garment VAE-GAN (Larsen et al. 2016) as a training task.

A VAE encodes a garment (RGB + mask at 128x96) into a latent code and decodes it back; a
multi-scale PatchGAN judges real garments against reconstructions AND against decodings of
prior samples (so generated garments, not only reconstructions, look real). The
discriminator's features give the learned-similarity reconstruction loss, on top of pixel L1,
SSIM and the mask's binary cross-entropy. The KL term is annealed in linearly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from tryon import constants as C
from tryon.anomaly import garment_score
from tryon.losses import (
    d_hinge_loss,
    feature_matching_loss,
    g_hinge_loss,
    kl_anneal,
    kl_divergence,
    l1_loss,
    mask_bce_loss,
    ssim_loss,
)
from tryon.models.discriminator import DiscriminatorConfig, MultiScaleDiscriminator
from tryon.models.vae import VAE, VAEConfig
from tryon.tensors import on_white
from tryon.training.loop import StepContext, TrainingTask

__all__ = ["GarmentVAETask", "GarmentVAEHyper", "garment_rgba_preview", "garment_input", "ANOMALY_QUANTILE"]

ANOMALY_QUANTILE = 0.98  # the is_garment threshold lets 98% of held-out garments through. With
                         # garment_score, on the calibration persons (training-split photos) and 300
                         # in-the-wild garment photos: 0.95 flags 99% of persons but 53% of wild
                         # garments; 0.98 flags 92% of persons and 21% of wild garments.


@dataclass
class GarmentVAEHyper:
    """Model size and loss weights of the garment VAE-GAN."""

    latent_dim: int = 128
    channels: tuple[int, ...] = (32, 64, 128, 256)
    res_levels: int = 1         # tryon.models.vae.VAEConfig.res_levels
    bottleneck_channels: int = 0  # tryon.models.vae.VAEConfig.bottleneck_channels (0: none)
    disc_channels: int = 32     # 0.93 M parameters: 3x cheaper than 64 on a CPU
    disc_scales: int = 2
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    w_l1: float = 1.0          # pixel L1 on RGB
    w_ssim: float = 1.0        # kornia's (1 - SSIM) / 2
    w_mask: float = 0.5        # mask BCE
    w_feat: float = 1.0        # discriminator-feature reconstruction loss (Larsen)
    w_adv: float = 0.05        # hinge adversarial loss, reconstructions and prior samples
    kl_max: float = 5e-4       # KL weight (on the sum over latent dims) after warm-up
    kl_warmup: int = 2000      # steps of linear KL warm-up
    augment: bool = True
    extra: dict = field(default_factory=dict)


def garment_rgba_preview(image: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """A decoded garment on white for grids: ``image`` ``(B, 3, H, W)`` in ``[-1, 1]``,
    ``mask_logits`` ``(B, 1, H, W)`` -> ``(B, 3, H, W)`` in ``[0, 1]``."""
    return on_white(image, mask_logits, "logits")


def garment_input(image: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """A decoded garment as the discriminator sees real ones: ``(B, 3, H, W)`` in ``[-1, 1]`` and
    ``(B, 1, H, W)`` mask logits -> ``(B, 4, H, W)`` in ``[-1, 1]`` (the mask as ``sigmoid * 2 - 1``)."""
    return torch.cat([image, torch.sigmoid(mask_logits) * 2 - 1], 1)


class GarmentVAETask(TrainingTask):
    """Trains :class:`VAE` + :class:`MultiScaleDiscriminator` on VITON's in-shop garments.

    Args:
        train_set: dataset of ``{"garment": (4, H, W) in [-1, 1]}`` (train garments only).
        val_set: the held-out garments (for grids and the anomaly threshold).
        hyper: model size and loss weights.
    """

    name = "garment-vae"

    def __init__(self, train_set, val_set, hyper: GarmentVAEHyper | None = None) -> None:
        self.hyper = hyper or GarmentVAEHyper()
        self.train_set, self.val_set = train_set, val_set
        h, w = C.GARMENT_VAE_SIZE
        self.vae_config = VAEConfig(in_channels=4, image_channels=3, mask_channels=1, resolution=(h, w),
                                    channels=tuple(self.hyper.channels), latent_dim=self.hyper.latent_dim,
                                    res_levels=self.hyper.res_levels,
                                    bottleneck_channels=self.hyper.bottleneck_channels)
        self.disc_config = DiscriminatorConfig(in_channels=4, channels=self.hyper.disc_channels,
                                               num_scales=self.hyper.disc_scales)

    def config(self) -> dict:
        return {"hyper": asdict(self.hyper), "vae": asdict(self.vae_config), "disc": asdict(self.disc_config),
                "train_items": len(self.train_set), "val_items": len(self.val_set)}

    def build_models(self):
        return {"vae": VAE(self.vae_config), "disc": MultiScaleDiscriminator(self.disc_config)}

    def build_optimizers(self, models):
        h = self.hyper
        return {name: torch.optim.Adam(m.parameters(), lr=h.lr, betas=h.betas) for name, m in models.items()}

    def train_dataset(self):
        return self.train_set

    def sample_batch(self) -> dict:
        items = [self.val_set[i] for i in range(min(8, len(self.val_set)))]
        return torch.utils.data.default_collate(items)

    @staticmethod
    def _as_input(image: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
        return garment_input(image, mask_logits)

    def train_step(self, ctx: StepContext, batch: dict) -> dict[str, torch.Tensor]:
        x = batch["garment"]                       # (B, 4, H, W) in [-1, 1]
        out = ctx.models["vae"](x)
        return self.adversarial_step(ctx, x, out, self.other_fakes(ctx, out))

    def other_fakes(self, ctx: StepContext, out) -> torch.Tensor:
        """Fakes besides the reconstructions, ``(B, 4, H, W)``: decodings of prior samples."""
        bare = ctx.unwrap("vae")  # decode() is not a forward: call it on the bare module
        z_prior = torch.randn(out.mu.shape[0], bare.config.latent_dim, device=out.mu.device)
        return self._as_input(*bare.decode(z_prior))

    def generator_loss(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        """The VAE's total loss from its terms, and any extra statistics to log."""
        h = self.hyper
        beta = kl_anneal(ctx.step, h.kl_warmup, h.kl_max)
        return (h.w_l1 * terms["l1"] + h.w_ssim * terms["ssim"] + h.w_mask * terms["mask"]
                + h.w_feat * terms["feat"] + h.w_adv * terms["adv"] + beta * terms["kl"]), {}

    def adversarial_step(self, ctx: StepContext, x: torch.Tensor, out, other: torch.Tensor) -> dict[str, torch.Tensor]:
        """One D step (real ``x`` vs the reconstructions in ``out`` and ``other``), then one VAE
        step through the frozen discriminator with :meth:`generator_loss`."""
        acc, disc = ctx.accelerator, ctx.models["disc"]
        opt_vae, opt_d = ctx.optimizers["vae"], ctx.optimizers["disc"]
        rgb, mask = x[:, :3], (x[:, 3:] > 0).float()
        fakes = torch.cat([self._as_input(out.image, out.mask_logits), other])

        real_d = disc(x)
        loss_d = d_hinge_loss(_logits(real_d), _logits(disc(fakes.detach())))
        acc.backward(loss_d)
        opt_d.step()
        opt_d.zero_grad(set_to_none=True)

        d = ctx.unwrap("disc").requires_grad_(False)
        with torch.no_grad():
            real_feats = [f for f, _ in d(x)]
        fake_out = d(fakes)
        recon_feats = [[t[: x.shape[0]] for t in f] for f, _ in fake_out]
        terms = {"adv": g_hinge_loss(_logits(fake_out)), "feat": feature_matching_loss(real_feats, recon_feats),
                 "l1": l1_loss(out.image, rgb), "ssim": ssim_loss(out.image, rgb),
                 "mask": mask_bce_loss(out.mask_logits, mask), "kl": kl_divergence(out.mu, out.logvar)}
        loss_g, extra = self.generator_loss(ctx, terms)
        acc.backward(loss_g)
        d.requires_grad_(True)
        opt_vae.step()
        opt_vae.zero_grad(set_to_none=True)
        return {"d": loss_d.detach(), **{k: v.detach() for k, v in terms.items()}, **extra}

    def sample_grid(self, models, batch):
        vae = models["vae"]
        x = batch["garment"]
        out = vae(x, sample=False)
        g = torch.Generator(device="cpu").manual_seed(0)
        z = torch.randn(x.shape[0], vae.config.latent_dim, generator=g).to(x.device)
        prior_image, prior_mask = vae.decode(z)
        real = on_white(x[:, :3], (x[:, 3:] > 0).float(), "unit")  # mask thresholded at 0
        return [real, garment_rgba_preview(out.image, out.mask_logits),
                garment_rgba_preview(prior_image, prior_mask)]

    def anomaly_threshold(self, vae) -> float:
        """The score below which ``ANOMALY_QUANTILE`` of held-out garments fall."""
        loader = torch.utils.data.DataLoader(self.val_set, batch_size=64)
        device = next(vae.parameters()).device
        scores = torch.cat([garment_score(vae.eval(), b["garment"].to(device)).cpu() for b in loader])
        return float(np.quantile(scores.numpy(), ANOMALY_QUANTILE))

    def export(self, models, directory: Path) -> None:
        vae = models["vae"]
        threshold = self.anomaly_threshold(vae)
        vae.save_pretrained(Path(directory) / "garment-vae", dtype=torch.float16,
                            extra={"anomaly_threshold": threshold, "anomaly_quantile": ANOMALY_QUANTILE,
                                   "score": "size-normalised negative ELBO (tryon.anomaly.garment_score)", **self.hyper.extra})


def _logits(d_out) -> list[torch.Tensor]:
    """Patch logits per scale from a discriminator output."""
    return [logits for _, logits in d_out]
