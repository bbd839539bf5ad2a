"""The learned try-on GAN as a training task: flow warper + U-Net generator vs a conditional D.

One batch (inside the loop's single ``accumulate`` block):

1. Pose maps from the (augmented) landmarks; :class:`~tryon.models.tryon_net.TryOnNet` refines
   the TPS-warped garment with its appearance flow and renders the person.
2. D phase: the multi-scale conditional PatchGAN sees ``[image, agnostic, pose maps]``, the
   real photo against the rendered one (hinge loss).
3. G phase through the frozen, bare D: hinge adversarial + feature matching, L1 (in the
   repaint region) and SSIM (whole frame), the warp loss on the ground-truth garment region
   (colour and coverage), flow smoothness (every level), and the composition mask pulled
   towards the visible garment.

An EMA of the network is kept and is what the sample grids show and :meth:`export` writes.
The parse maps enter only here, as ``gt_garment`` targets: never as an input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from tryon import constants as C
from tryon.losses import (
    d_hinge_loss,
    feature_matching_loss,
    g_hinge_loss,
    l1_loss,
    mask_regularization,
    ssim_loss,
    total_variation_loss,
)
from tryon.models.discriminator import DiscriminatorConfig, MultiScaleDiscriminator
from tryon.models.tryon_net import TryOnNet, TryOnNetConfig
from tryon.pose import POSE_CHANNELS, pose_maps
from tryon.region import COVERED_SKIN_KEY
from tryon.tensors import on_white
from tryon.training.ema import EMA
from tryon.training.grid import to_unit
from tryon.training.loop import StepContext, TrainingTask
from tryon.warp import MEASURED_LENGTHS, WARP_LENGTHS_KEY

__all__ = ["TryOnTask", "TryOnHyper", "net_inputs", "GRID_ITEMS"]

GRID_ITEMS = 6              # people in a sample grid


@dataclass
class TryOnHyper:
    """Loss weights and optimiser settings of the try-on GAN."""

    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    disc_channels: int = 32
    disc_scales: int = 2
    disc_layers: int = 3
    w_l1: float = 1.0           # L1 of the result in the repaint region
    w_ssim: float = 1.0         # kornia (1 - SSIM) / 2 in the repaint region
    w_adv: float = 0.1          # hinge adversarial
    w_feat: float = 1.0         # D feature matching
    w_warp: float = 1.0         # L1 of the refined garment's colour on the worn garment
    w_warp_mask: float = 0.0    # L1 of its alpha against the worn garment's region (not behind hair or
                                # arms). Off: asked for the worn silhouette, the flow squeezed garments
                                # up to it within 100-400 steps; the composition mask cuts the outline
    warp_own_losses: bool = True  # the render's losses do not reach the warper (through the composition
                                  # they taught the flow to cut holes where hands cover the garment and
                                  # to squeeze prints up: a 30 px median flow)
    w_tv: float = 0.5           # flow smoothness, every level
    w_mask: float = 0.2         # composition mask towards the visible garment
    ema_decay: float = 0.999


def net_inputs(batch: dict) -> dict[str, torch.Tensor]:
    """The network's keyword inputs from a :class:`~tryon.data.tryon_pairs.TryOnPairs` batch."""
    h, w = batch["agnostic"].shape[-2:]
    return {"agnostic": batch["agnostic"], "region": batch["region"], "revealed": batch["revealed"],
            "pose": pose_maps(batch["landmarks"].float(), (h, w)),
            "garment": batch["garment"], "codes": batch["codes"]}


class TryOnTask(TrainingTask):
    """Trains :class:`TryOnNet` against a :class:`MultiScaleDiscriminator`.

    Args:
        train_set: a :class:`~tryon.data.tryon_pairs.TryOnPairs` (augmented).
        val_set: the held-out pairs (sample grids only).
        net_config: the network's config (``code_dim`` must match the data's codes).
        hyper: loss weights.
        init_from: a folder of exported try-on weights the network starts from (fine-tuning; the
            discriminator starts afresh); its config replaces ``net_config``. A resumed run
            takes its checkpoint instead.
        reset_flow: with ``init_from``, zero the warper's flow heads first
            (:meth:`~tryon.models.warper.FlowWarper.reset_flow`): for a fine-tune whose spline
            changed (the flow the weights learned corrects the old spline's errors).
    """

    name = "tryon"

    def __init__(self, train_set, val_set, net_config: TryOnNetConfig | None = None,
                 hyper: TryOnHyper | None = None, init_from: str | Path | None = None,
                 reset_flow: bool = False) -> None:
        self.train_set, self.val_set = train_set, val_set
        self.hyper = hyper or TryOnHyper()
        self.init_from = Path(init_from) if init_from is not None else None
        self.reset_flow = reset_flow
        self._init_net: TryOnNet | None = None  # the loaded weights, until build_models hands them over
        if self.init_from is not None:
            self._init_net = TryOnNet.from_pretrained(self.init_from)
            net_config = self._init_net.config
        self.net_config = net_config or TryOnNetConfig(pose_channels=POSE_CHANNELS, code_dim=train_set.code_dim,
                                                       resolution=tuple(C.FRAME_SIZE))
        if self.net_config.code_dim != train_set.code_dim:
            raise ValueError(f"the network expects {self.net_config.code_dim}-d codes, the data has "
                             f"{train_set.code_dim}")
        self.disc_config = DiscriminatorConfig(in_channels=3 + 3 + self.net_config.pose_channels,
                                               channels=self.hyper.disc_channels,
                                               n_layers=self.hyper.disc_layers,
                                               num_scales=self.hyper.disc_scales)
        self.ema: EMA | None = None

    def config(self) -> dict:
        return {"hyper": asdict(self.hyper), "net": asdict(self.net_config), "disc": asdict(self.disc_config),
                "train_items": len(self.train_set), "val_items": len(self.val_set),
                "region": getattr(self.train_set, "region", "pose"),
                "init_from": str(self.init_from) if self.init_from else None, "reset_flow": self.reset_flow}

    def build_models(self):
        if self.init_from is None:
            net = TryOnNet(self.net_config)
        else:  # the weights __init__ loaded (read again only if asked a second time)
            net = self._init_net if self._init_net is not None else TryOnNet.from_pretrained(self.init_from)
            self._init_net = None
            if self.reset_flow:
                net.warper.reset_flow()
            net.train()
        return {"net": net, "disc": MultiScaleDiscriminator(self.disc_config)}

    def build_optimizers(self, models):
        h = self.hyper
        return {"net": torch.optim.Adam(models["net"].parameters(), lr=h.lr_g, betas=h.betas),
                "disc": torch.optim.Adam(models["disc"].parameters(), lr=h.lr_d, betas=h.betas)}

    def train_dataset(self):
        return self.train_set

    def sample_batch(self) -> dict:
        items = [self.val_set[i] for i in range(min(GRID_ITEMS, len(self.val_set)))]
        return torch.utils.data.default_collate(items)

    def checkpoint_objects(self, models):
        self.ema = EMA(models["net"], self.hyper.ema_decay)
        return [self.ema]

    def after_step(self, ctx: StepContext) -> None:
        if self.ema is not None:
            self.ema.update(ctx.unwrap("net"))

    def train_step(self, ctx: StepContext, batch: dict) -> dict[str, torch.Tensor]:
        h, acc = self.hyper, ctx.accelerator
        net, disc = ctx.models["net"], ctx.models["disc"]
        opt_g, opt_d = ctx.optimizers["net"], ctx.optimizers["disc"]
        inputs = net_inputs(batch)
        region = inputs["region"]
        # The target: the photo in the repaint region, the agnostic person elsewhere (they differ
        # only off the photo's edge, where the photo is edge-replicated and the agnostic white).
        person = batch["person"] * region + inputs["agnostic"] * (1 - region)
        cond = torch.cat([inputs["agnostic"], inputs["pose"]], 1)

        out = net(**inputs, detach_warp=h.warp_own_losses)

        # D phase: real photos vs rendered ones, both with their condition.
        real_d = disc(torch.cat([person, cond], 1))
        fake_d = disc(torch.cat([out.image.detach(), cond], 1))
        loss_d = d_hinge_loss([l for _, l in real_d], [l for _, l in fake_d])
        acc.backward(loss_d)
        opt_d.step()
        opt_d.zero_grad(set_to_none=True)

        # G phase through the frozen bare D.
        d = ctx.unwrap("disc").requires_grad_(False)
        with torch.no_grad():
            real_feats = [f for f, _ in d(torch.cat([person, cond], 1))]
        fake_out = d(torch.cat([out.image, cond], 1))
        loss_adv = g_hinge_loss([l for _, l in fake_out])
        loss_feat = feature_matching_loss(real_feats, [f for f, _ in fake_out])
        loss_l1 = l1_loss(out.image, person, mask=region)
        loss_ssim = ssim_loss(out.image, person, mask=region)
        gt = batch["gt_garment"] * region
        loss_warp = l1_loss(out.warped[:, :3], batch["person"], mask=gt)
        # Where hair or an arm lies in front of the worn garment, its alpha is not asked for: the
        # garment goes on behind them (asked for a hole there, the flow squeezed prints away).
        loss_warp_mask = l1_loss(out.warped[:, 3:], gt, mask=1 - batch["gt_occluder"])
        loss_tv = sum(total_variation_loss(f) for f in out.flows)
        loss_mask = mask_regularization(out.mask, gt)
        loss_g = (h.w_l1 * loss_l1 + h.w_ssim * loss_ssim + h.w_adv * loss_adv + h.w_feat * loss_feat
                  + h.w_warp * loss_warp + h.w_warp_mask * loss_warp_mask + h.w_tv * loss_tv
                  + h.w_mask * loss_mask)
        acc.backward(loss_g)
        d.requires_grad_(True)
        opt_g.step()
        opt_g.zero_grad(set_to_none=True)
        return {"d": loss_d.detach(), "adv": loss_adv.detach(), "feat": loss_feat.detach(),
                "l1": loss_l1.detach(), "ssim": loss_ssim.detach(), "warp": loss_warp.detach(),
                "warp_mask": loss_warp_mask.detach(), "tv": loss_tv.detach(), "mask": loss_mask.detach()}

    @torch.no_grad()
    def sample_grid(self, models, batch):
        """Rows: agnostic person, TPS garment, refined garment, result (EMA), ground truth."""
        net = self.ema.shadow if self.ema is not None else models["net"]
        out = net(**net_inputs(batch))
        tps, refined = batch["garment"], out.warped  # (B, 4, H, W): RGB in [-1, 1], alpha in [0, 1]
        return [to_unit(batch["agnostic"]), on_white(tps[:, :3], tps[:, 3:], "unit"),
                on_white(refined[:, :3], refined[:, 3:], "unit"), to_unit(out.image), to_unit(batch["person"])]

    def export(self, models, directory: Path) -> None:
        net = self.ema.shadow if self.ema is not None else models["net"]
        region = getattr(self.train_set, "region", "pose")
        net.save_pretrained(Path(directory) / "tryon", dtype=torch.float16,
                            extra={"codes": ["garment-vae", "body-vae"][: 2 if net.config.code_dim else 0],
                                   "frame": list(C.FRAME_SIZE),
                                   "region": region,
                                   WARP_LENGTHS_KEY: MEASURED_LENGTHS._asdict(),
                                   # (the parse's items grey it: tryon.data.tryon_pairs.HIDE_NECK_PROBABILITY)
                                   COVERED_SKIN_KEY: region == "parse"})
