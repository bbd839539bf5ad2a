"""The body-shape VAE as a training task.

Input: the person's aligned silhouette (MediaPipe segmentation) and 15 landmark heatmaps,
framed by the same ``tryon.body.align`` as a try-on (``tryon.body.body_shape_input``). Output:
a small latent code (32 dims) and the decoded silhouette. Its ELBO flags unusual try-on photos.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from tryon import constants as C
from tryon.anomaly import elbo_score
from tryon.losses import kl_anneal, kl_divergence, mask_bce_loss
from tryon.models.vae import VAE, VAEConfig
from tryon.training.loop import StepContext, TrainingTask

__all__ = ["BodyVAETask", "BodyVAEHyper", "BODY_ANOMALY_QUANTILE"]

BODY_ANOMALY_QUANTILE = 0.99  # photos scoring above 99% of held-out persons get a warning


@dataclass
class BodyVAEHyper:
    latent_dim: int = 32
    channels: tuple[int, ...] = (32, 64, 128, 256)
    lr: float = 1e-3
    w_dice: float = 1.0      # soft Dice on the silhouette, for crisp edges (IoU)
    kl_max: float = 2e-3     # KL weight on the sum over latent dims, after warm-up
    kl_warmup: int = 1000


def _dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(logits.float()).flatten(1)
    t = target.float().flatten(1)
    return (1 - (2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1)).mean()


class BodyVAETask(TrainingTask):
    """Trains the body-shape :class:`VAE` on ``{"body": (16, H, W), "silhouette": (1, H, W)}``."""

    name = "body-vae"

    def __init__(self, train_set, val_set, hyper: BodyVAEHyper | None = None) -> None:
        self.hyper = hyper or BodyVAEHyper()
        self.train_set, self.val_set = train_set, val_set
        self.vae_config = VAEConfig(in_channels=1 + len(C.POSE_MAP_LANDMARKS), image_channels=0,
                                    mask_channels=1, resolution=tuple(C.BODY_VAE_SIZE),
                                    channels=tuple(self.hyper.channels), latent_dim=self.hyper.latent_dim)

    def config(self) -> dict:
        return {"hyper": asdict(self.hyper), "vae": asdict(self.vae_config),
                "train_items": len(self.train_set), "val_items": len(self.val_set)}

    def build_models(self):
        return {"vae": VAE(self.vae_config)}

    def build_optimizers(self, models):
        return {"vae": torch.optim.Adam(models["vae"].parameters(), lr=self.hyper.lr)}

    def train_dataset(self):
        return self.train_set

    def sample_batch(self) -> dict:
        items = [self.val_set[i] for i in range(min(8, len(self.val_set)))]
        return torch.utils.data.default_collate(items)

    def train_step(self, ctx: StepContext, batch: dict) -> dict[str, torch.Tensor]:
        h = self.hyper
        out = ctx.models["vae"](batch["body"])
        target = batch["silhouette"]
        loss_bce = mask_bce_loss(out.mask_logits, target)
        loss_dice = _dice_loss(out.mask_logits, target)
        loss_kl = kl_divergence(out.mu, out.logvar)
        loss = loss_bce + h.w_dice * loss_dice + kl_anneal(ctx.step, h.kl_warmup, h.kl_max) * loss_kl
        ctx.accelerator.backward(loss)
        ctx.optimizers["vae"].step()
        ctx.optimizers["vae"].zero_grad(set_to_none=True)
        return {"bce": loss_bce.detach(), "dice": loss_dice.detach(), "kl": loss_kl.detach()}

    def sample_grid(self, models, batch):
        vae = models["vae"]
        out = vae(batch["body"], sample=False)
        g = torch.Generator(device="cpu").manual_seed(0)
        z = torch.randn(batch["body"].shape[0], vae.config.latent_dim, generator=g).to(batch["body"].device)
        _, prior = vae.decode(z)
        heat = ((batch["body"][:, 1:] + 1) / 2).amax(1, keepdim=True)
        return [batch["silhouette"].float(), heat, torch.sigmoid(out.mask_logits.float()),
                torch.sigmoid(prior.float())]

    def export(self, models, directory: Path) -> None:
        vae = models["vae"].eval()
        loader = torch.utils.data.DataLoader(self.val_set, batch_size=64)
        device = next(vae.parameters()).device
        scores = torch.cat([elbo_score(vae, b["body"].to(device)).cpu() for b in loader]).numpy()
        vae.save_pretrained(Path(directory) / "body-vae", dtype=torch.float16,
                            extra={"anomaly_threshold": float(np.quantile(scores, BODY_ANOMALY_QUANTILE)),
                                   "anomaly_quantile": BODY_ANOMALY_QUANTILE,
                                   "score": "negative ELBO (tryon.anomaly.elbo_score)"})
