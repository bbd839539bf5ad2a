"""The garment refiner as a training task: the designer's coarse decodings drawn as shop photos at 256x192.

Each training garment, prepared at the designer's 128x96 as the designer saw it, is encoded and
decoded by the frozen garment designer; that coarse decoding, moved onto the framing of the
garment's own ``cloth/`` photo (:func:`tryon.garment_framing.reframe`, both boxes known), is the
refiner's input, and the photo itself (256x192, with its cloth-mask) its target
(:class:`tryon.data.shop_photos.ShopPhotos`). At inference the coarse decoding is framed as the
photos frame garments (:func:`tryon.garment_framing.shop_frame`). Shop photos, not garments
as ``prepare_garment`` lays them out, are the targets: its framing and hard mask edges alone let
a HOG classifier tell garments from their own photos with 0.99 accuracy. The refiner (:class:`~tryon.models.garment_refiner.GarmentRefiner`) learns with

- pixel L1 and (1 - SSIM) / 2 on RGB, and the mask's binary cross-entropy (what the coarse
  decoding still says about the garment);
- a 2-scale PatchGAN at 256x192 (hinge loss) and its feature-matching loss (pix2pixHD): edges,
  seams and fabric shading the coarse decoding cannot hold. The adversarial weight is balanced
  against the pixel terms at the refiner's last layer (Esser et al. 2021), as the designer's is.

Fakes shown to the discriminator are the refined reconstructions AND refined decodings of codes
between two garments of the batch (a random convex mix of their posterior means): what prior
samples, blends and edits give the refiner at inference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from tryon.garment_framing import reframe, shop_frame
from tryon.losses import (adaptive_weight, d_hinge_loss, feature_matching_loss, g_hinge_loss, l1_loss, mask_bce_loss,
                          ssim_loss)
from tryon.models.discriminator import DiscriminatorConfig, MultiScaleDiscriminator
from tryon.models.garment_refiner import REFINER_DIR, GarmentRefiner, GarmentRefinerConfig
from tryon.models.vae import VAE
from tryon.tensors import on_white
from tryon.training.garment_designer import DESIGNER_DIR_NAME
from tryon.training.garment_vae import garment_input
from tryon.training.loop import StepContext, TrainingTask

__all__ = ["RefinerHyper", "GarmentRefinerTask", "coarse_decoding"]

GRID_ITEMS = 8            # garments per sample grid


@dataclass
class RefinerHyper:
    """Model size and loss weights of the refiner."""

    channels: int = 32
    depth: int = 2
    disc_channels: int = 32
    disc_scales: int = 2
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    w_l1: float = 1.0
    w_ssim: float = 1.0
    w_mask: float = 0.5
    w_feat: float = 2.0
    w_adv: float = 0.5         # times the balanced weight
    extra: dict = field(default_factory=dict)


@torch.no_grad()
def coarse_decoding(designer: VAE, garment: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The designer's decoding of ``garment`` ``(B, 4, h, w)`` in ``[-1, 1]`` (prepared at its
    resolution): ``(image (B, 3, h, w), mask_logits (B, 1, h, w), mu (B, D))``."""
    mu, _ = designer.encode(garment)
    image, mask_logits = designer.decode(mu)
    return image.float(), mask_logits.float(), mu


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when inside it (no machine's absolute path in a config)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class GarmentRefinerTask(TrainingTask):
    """Trains :class:`GarmentRefiner` + :class:`MultiScaleDiscriminator` behind a frozen designer.

    Args:
        train_set: :class:`tryon.data.shop_photos.ShopPhotos` of the training garments (augmented).
        val_set: the same of held-out garments (grids).
        designer_dir: the exported garment designer whose decodings are refined.
        hyper: model size and loss weights.
    """

    name = "garment-refiner"

    def __init__(self, train_set, val_set, designer_dir: str | Path, hyper: RefinerHyper | None = None) -> None:
        self.hyper = hyper or RefinerHyper()
        self.train_set, self.val_set = train_set, val_set
        self.designer_dir = Path(designer_dir)
        self.designer = VAE.from_pretrained(self.designer_dir).float().eval().requires_grad_(False)
        self.refiner_config = GarmentRefinerConfig(coarse=self.designer.config.resolution,
                                                   channels=self.hyper.channels, depth=self.hyper.depth)
        self.disc_config = DiscriminatorConfig(in_channels=4, channels=self.hyper.disc_channels,
                                               num_scales=self.hyper.disc_scales)

    def config(self) -> dict:
        return {"hyper": asdict(self.hyper), "refiner": asdict(self.refiner_config), "disc": asdict(self.disc_config),
                "designer": str(self.designer_dir), "train_items": len(self.train_set), "val_items": len(self.val_set)}

    def build_models(self):
        return {"refiner": GarmentRefiner(self.refiner_config), "disc": MultiScaleDiscriminator(self.disc_config)}

    def build_optimizers(self, models):
        h = self.hyper
        return {name: torch.optim.Adam(m.parameters(), lr=h.lr, betas=h.betas) for name, m in models.items()}

    def train_dataset(self):
        return self.train_set

    def sample_batch(self) -> dict:
        items = [self.val_set[i] for i in range(min(GRID_ITEMS, len(self.val_set)))]
        return torch.utils.data.default_collate(items)

    def _inputs(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The refiner's inputs for a batch: the coarse decodings moved onto their photos' framing,
        then decodings of codes between two garments of the batch framed as shop photos (half a
        batch: the refiner's cost is per garment). ``(image, mask_logits, mu)``."""
        x = batch["garment"]
        if next(self.designer.parameters()).device != x.device:
            self.designer.to(x.device)
        image, mask_logits, mu = coarse_decoding(self.designer, x)
        image, mask_logits = reframe(image, mask_logits, batch["source"], batch["target"])
        with torch.no_grad():
            half = max(1, mu.shape[0] // 2)
            t = torch.rand(half, 1, device=mu.device)
            mix = self.designer.decode(t * mu[:half] + (1 - t) * mu.roll(1, 0)[:half])
            mix_image, mix_mask = shop_frame(mix[0].float(), mix[1].float())
        return torch.cat([image, mix_image]), torch.cat([mask_logits, mix_mask]), mu

    def train_step(self, ctx: StepContext, batch: dict) -> dict[str, torch.Tensor]:
        photo, photo_mask = batch["photo"], batch["photo_mask"]   # (B, 3, H, W), (B, 1, H, W) in [-1, 1]
        real = torch.cat([photo, photo_mask], 1)
        image, mask_logits, _ = self._inputs(batch)
        refiner, disc = ctx.models["refiner"], ctx.models["disc"]
        out_image, out_mask = refiner(image, mask_logits)
        fakes = garment_input(out_image, out_mask)                   # (B + B/2, 4, H, W): reconstructions, then mixes
        acc, opt_r, opt_d = ctx.accelerator, ctx.optimizers["refiner"], ctx.optimizers["disc"]

        loss_d = d_hinge_loss(disc(real), disc(fakes.detach()))
        acc.backward(loss_d)
        opt_d.step()
        opt_d.zero_grad(set_to_none=True)

        d = ctx.unwrap("disc").requires_grad_(False)
        with torch.no_grad():
            real_feats = [f for f, _ in d(real)]
        fake_out = d(fakes)
        b = photo.shape[0]
        recon_feats = [[t[:b] for t in f] for f, _ in fake_out]
        terms = {"adv": g_hinge_loss(fake_out), "feat": feature_matching_loss(real_feats, recon_feats),
                 "l1": l1_loss(out_image[:b], photo), "ssim": ssim_loss(out_image[:b], photo),
                 "mask": mask_bce_loss(out_mask[:b], (photo_mask > 0).float())}
        h = self.hyper
        loss_rec = h.w_l1 * terms["l1"] + h.w_ssim * terms["ssim"] + h.w_mask * terms["mask"] + h.w_feat * terms["feat"]
        balance = adaptive_weight(ctx.unwrap("refiner").to_residual.conv.weight, loss_rec, terms["adv"])
        acc.backward(loss_rec + h.w_adv * balance * terms["adv"])
        d.requires_grad_(True)
        opt_r.step()
        opt_r.zero_grad(set_to_none=True)
        return {"d": loss_d.detach(), "balance": balance, **{k: v.detach() for k, v in terms.items()}}

    @torch.no_grad()
    def sample_grid(self, models, batch):
        """Rows: held-out shop photos; the designer's decodings on their framing, enlarged
        (bilinear); refined; refined decodings of codes between garments of the batch."""
        refiner = models["refiner"]
        photo = batch["photo"]
        image, mask_logits, _ = self._inputs(batch)
        b, size = photo.shape[0], photo.shape[-2:]
        enlarged = (F.interpolate(image[:b], size=size, mode="bilinear", align_corners=False),
                    F.interpolate(mask_logits[:b], size=size, mode="bilinear", align_corners=False))
        out_image, out_mask = refiner(image, mask_logits)
        return [((photo + 1) / 2).clamp(0, 1), on_white(*enlarged, "logits"),
                on_white(out_image[:b], out_mask[:b], "logits"), on_white(out_image[b:], out_mask[b:], "logits")]

    def export(self, models, directory: Path) -> None:
        """Write ``<directory>/garment-designer/refiner/``: the designer folder it belongs in."""
        models["refiner"].save_pretrained(Path(directory) / DESIGNER_DIR_NAME / REFINER_DIR, dtype=torch.float16,
                                          extra={"designer": _shown(self.designer_dir), **self.hyper.extra})
