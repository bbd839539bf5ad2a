"""The design studio's generator measured as a user and the issue's checker see it (issue 15, point 4).

:func:`designer_report` takes a generator folder (``assets/weights/garment-designer``, or the
garment VAE folder itself for the before/after) and reports, on a held-out portion of VITON:

* ``two_sample_accuracy``: :mod:`tryon.two_sample` (HOG + colour histogram, logistic regression,
  5-fold CV) on the generated garments exactly as ``tryon generate --n N --seed S --weights DIR``
  writes them (RGBA PNGs, composited on white) against held-out real ``cloth/`` photos at the same
  size; the generator VAE's reconstructions of those garments against the photos; and two halves
  of the photos (a sanity figure near 0.5). Classes are balanced; 0.5 = indistinguishable.
  Two more say what the cut-out alone gives away: the samples against real garments delivered
  as the generator delivers its own (each photo cut out with its cloth-mask and put on white),
  and the real photos against those very cut-outs (the same garments: their background and
  mask edge are all that differ). A one-off check (``tryon.two_sample`` on 150 + 150 validation
  photos, not a command): with only their near-white (>= 250) pixels set to 255 and nothing cut,
  real photos are told from real photos with 0.797 accuracy, so the photo's faint background
  noise, which HOG's block normalisation makes full-strength, is most of what gives a cut-out away.
* ``diversity``: mean pairwise L2 distance among the samples and among the real garments.
* ``novelty``: median L2 distance of each sample to its nearest training garment, beside the
  real held-out garments' (as :func:`tryon.evaluate._memorisation`).
* ``reconstruction_ssim``: of the held-out garments by the generator's VAE and by the garment VAE
  (at the VAE's 128x96), and ``output``: of what the generator returns (its refiner's 256x192, or
  the VAE's decoding enlarged) against the garment's own shop photo, on the photo's framing.
* ``false_warnings``: shares the garment check flags "not a garment": the held-out sources of
  :mod:`tryon.eval_garment_check` and the generator's own samples.

Distances are on 64x48 RGB in [0, 1] on white (:data:`tryon.evaluate.NN_SIZE`), flattened.
"""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from tryon import constants as C
from tryon.errors import TryOnError
from tryon.garment_framing import mask_boxes
from tryon.metrics import nearest_distances
from tryon.tensors import UINT8_MAX, on_white as tensor_on_white, to_tensor

__all__ = ["SAMPLES", "SEED", "PORTIONS", "CHECK_PER_SOURCE", "on_white", "designer_samples",
           "portion_garments", "mean_pairwise_distance", "designer_report", "summary_lines"]

SAMPLES = 300             # generated garments and real garments compared (the count)
SEED = 11                 # the issue's `tryon generate --seed`
PORTIONS = ("val", "test")
CHECK_PER_SOURCE = 30     # photos per source (and samples) for the false-warning rates
TARGET_ACCURACY = 0.80    # issue 15: at most
TARGET_SSIM = 0.85        # issue 15: at least
PAIRWISE_CHUNK = 512      # rows per block of the pairwise distances


def on_white(image: Image.Image) -> np.ndarray:
    """A PIL image (any mode; RGBA's alpha is used) composited on white: ``(H, W, 3)`` uint8.

    The PIL adapter of :func:`tryon.tensors.on_white`; the same pixels as PIL's ``alpha_composite``
    over white (``round((v * a + 255 * (255 - a)) / 255)``, checked on every ``(v, a)``).
    """
    rgba = to_tensor(np.asarray(image.convert("RGBA")))[None]  # (1, 4, H, W) in [-1, 1]
    unit = tensor_on_white(rgba[:, :3], rgba[:, 3:], "signed")[0]
    return (unit * UINT8_MAX + 0.5).byte().permute(1, 2, 0).numpy()


def designer_samples(design, n: int = SAMPLES, seed: int = SEED) -> list[Image.Image]:
    """The RGBA garments ``tryon generate --n n --seed seed`` writes for this pipeline (same call)."""
    return design.sample(n, seed)


def portion_garments(layout, portion: str, n_val: int = C.VALIDATION_PAIRS,
                     n_test: int = C.TEST_PAIRS) -> list[str]:
    """Garment names of the validation pairs (``"val"``) or of the untouched test pairs (``"test"``).

    Raises:
        TryOnError: an unknown portion.
    """
    from tryon.data.split import test_pairs, val_garments

    if portion == "val":
        return val_garments(layout, n_val)
    if portion == "test":
        return list(dict.fromkeys(g for _, g in test_pairs(layout, n_val, n_test)))
    raise TryOnError(f"The portion must be one of {', '.join(PORTIONS)}, not '{portion}'.")


def _cut_out(layout, name: str, size: tuple[int, int]) -> np.ndarray:
    """A ``cloth/`` photo as the generator delivers a garment: cut out with its cloth-mask
    (thresholded as the garments are prepared) and put on white, at ``size`` ``(W, H)``."""
    return _photo_and_cut_out(layout, name, size)[1]


def _photo_and_cut_out(layout, name: str, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A ``cloth/`` photo as it is in the data set and as :func:`_cut_out`, both at ``size``
    ``(W, H)``, from one read of the photo: two ``(H, W, 3)`` uint8."""
    from tryon.data.garments import MASK_THRESHOLD

    with Image.open(layout.cloth_mask / name) as im:
        mask = np.asarray(im.convert("L")) >= MASK_THRESHOLD
    with Image.open(layout.cloth / name) as im:
        photo = np.asarray(im.convert("RGB"))
    cut = np.where(mask[..., None], _sized(photo, (mask.shape[1], mask.shape[0])), np.uint8(UINT8_MAX))
    return _sized(photo, size), _sized(cut, size)


def _sized(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``a`` (``(H, W, C)``) at ``size`` ``(W, H)``: itself if it already is, else area-resized."""
    return a if (a.shape[1], a.shape[0]) == size else cv2.resize(a, size, interpolation=cv2.INTER_AREA)


def _small(images: list[np.ndarray]) -> np.ndarray:
    """``(H, W, 3)`` uint8 images -> ``(N, 3 * 64 * 48)`` float32 in [0, 1] (area-resized)."""
    from tryon.evaluate import small_images

    return small_images(torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / UINT8_MAX)


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs ``i < j`` of the rows of ``x`` ``(N, D)``, ``N >= 2``."""
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    total = 0.0
    for i in range(0, len(t), PAIRWISE_CHUNK):
        d = torch.cdist(t[i:i + PAIRWISE_CHUNK], t)
        rows = torch.arange(i, i + len(d))[:, None]
        total += float(d[rows < torch.arange(len(t))[None]].sum())
    return total / (len(t) * (len(t) - 1) / 2)


@torch.no_grad()
def output_ssims(design, shop) -> list[float]:
    """SSIM of what ``design`` returns for each garment of ``shop`` (a
    :class:`tryon.data.shop_photos.ShopPhotos`: the garment prepared at the VAE's size, encoded
    and decoded) against the garment's own shop photo, on the photo's framing: the returned
    garment, composed on white, is moved so that its mask's box lies on the photo mask's box
    (placement is not content). One value in [-1, 1] per garment."""
    from tryon.evaluate import BATCH
    from tryon.garment_framing import reframe
    from tryon.metrics import ssim

    out: list[float] = []
    for start in tqdm(range(0, len(shop), BATCH), desc="reconstruct (shop photos)", unit="batch", leave=False):
        items = [shop[i] for i in range(start, min(start + BATCH, len(shop)))]
        mu, _ = design.vae.encode(torch.stack([it["garment"] for it in items]))
        for image, item in zip(design.decode(mu), items):
            rgba = torch.from_numpy(np.array(image.convert("RGBA"))).permute(2, 0, 1)[None].float() / UINT8_MAX
            if tuple(rgba.shape[-2:]) != tuple(item["photo"].shape[-2:]):
                rgba = F.interpolate(rgba, size=item["photo"].shape[-2:], mode="bilinear", align_corners=False)
            logits = torch.logit(rgba[:, 3:].clamp(1e-4, 1 - 1e-4))
            moved, logits = reframe(rgba[:, :3] * 2 - 1, logits, mask_boxes(logits), item["target"][None])
            target = ((item["photo"][None] + 1) / 2).clamp(0, 1)
            out.append(ssim(tensor_on_white(moved, logits, "logits"), target))
    return out


@torch.no_grad()
def _reconstructions(design, dataset, rows: list[int]) -> list[np.ndarray]:
    """The pipeline's VAE decoding of each garment's mean code, as ``design.decode`` returns it
    (RGBA, the PNG size), on white."""
    from tryon.evaluate import BATCH

    out: list[np.ndarray] = []
    for i in range(0, len(rows), BATCH):
        x = torch.stack([dataset[r]["garment"] for r in rows[i:i + BATCH]])
        mu, _ = design.vae.encode(x)
        out += [on_white(im) for im in design.decode(mu)]
    return out


def _flagged_share(checker_design, images: list[Image.Image]) -> float:
    """Share of ``images`` the garment check calls "not a garment" (as ``tryon check-garment``)."""
    flags = [not checker_design.anomaly(im).is_garment for im in tqdm(images, desc="check samples", leave=False)]
    return float(np.mean(flags))


def _false_warnings(checker_design, samples: list[Image.Image], *, data: Path, clothing: Path | None,
                    per_source: int, seed: int, n_val: int) -> dict:
    """Held-out shares flagged per source (:mod:`tryon.eval_garment_check`) and of the first
    ``per_source`` samples (scored as ``tryon check-garment`` scores their PNGs)."""
    from tryon.eval_garment_check import HELD_OUT, rates, samples as check_samples, score_samples

    items = check_samples(HELD_OUT, viton=data, clothing=clothing, per_source=per_source, seed=seed, n_val=n_val)
    items = _cap(items, per_source)
    by_source = {k: {"photos": v["photos"], "flagged": v["flagged"]}
                 for k, v in rates(score_samples(checker_design.checker, items)).items()}
    return {"portion": f"{HELD_OUT} (tryon.eval_garment_check)", "per_source": per_source, "sources": by_source,
            "designer_samples": {"photos": len(samples[:per_source]),
                                 "flagged": round(_flagged_share(checker_design, samples[:per_source]), 4)}}


def _cap(items: list, n: int) -> list:
    """At most ``n`` items of each ``.source`` (the bundled examples too), in order."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        seen[item.source] = seen.get(item.source, 0) + 1
        if seen[item.source] <= n:
            out.append(item)
    return out


def _accuracy(a: list[np.ndarray], b: list[np.ndarray], seed: int) -> float | None:
    """:func:`tryon.two_sample.two_sample_accuracy`, or None with fewer than 2 images in a set."""
    from tryon.two_sample import two_sample_accuracy

    return two_sample_accuracy(a, b, seed=seed) if min(len(a), len(b)) >= 2 else None


def _ssim_summary(values: list[float]) -> dict:
    return {"mean": float(np.mean(values)), "median": float(np.median(values)), "garments": len(values)}


def designer_report(generator, garment_design, *, folder: Path, layout, portion: str, portion_set,
                    train_small: np.ndarray, train_names: list[str], data: Path, clothing: Path | None = None,
                    samples: int = SAMPLES, seed: int = SEED, check_per_source: int = CHECK_PER_SOURCE,
                    n_val: int = C.VALIDATION_PAIRS, garment_vae_ssim: dict | None = None,
                    portion_shop=None) -> dict:
    """The figures of the module docstring for one generator.

    Args:
        generator: ``GarmentDesignPipeline.from_pretrained(folder)``, the generator measured.
        garment_design: the garment VAE's pipeline (its check warns; its VAE's SSIM is the reference).
        layout: the VITON layout; ``portion``: ``"val"`` or ``"test"`` (:func:`portion_garments`);
            ``portion_set``: :class:`tryon.data.GarmentDataset` of that portion's garments.
        train_small: ``(M, 3 * 64 * 48)`` training garments on white in [0, 1]; ``train_names`` theirs.
        data, clothing: folders for the false-warning sources.
        samples: generated and real garments compared; ``seed``: the generator's seed (picks too).
        garment_vae_ssim: the garment VAE's SSIM summary on ``portion_set`` when already measured.
        portion_shop: ``portion_set``'s garments beside their shop photos at the returned size
            (:class:`tryon.data.shop_photos.ShopPhotos`), for the returned garments' SSIM.
    """
    from tryon.evaluate import reconstruction_ssims, small_garments

    gen = designer_samples(generator, samples, seed)
    fake = [on_white(im) for im in gen]
    size = (fake[0].shape[1], fake[0].shape[0])
    rows = sorted(random.Random(seed).sample(range(len(portion_set)), min(samples, len(portion_set))))
    both = [_photo_and_cut_out(layout, portion_set.names[r], size)
            for r in tqdm(rows, desc="real garments", leave=False)]
    real, cut = [b[0] for b in both], [b[1] for b in both]
    recon = _reconstructions(generator, portion_set, rows)
    half, mixed = len(real) // 2, random.Random(seed).sample(real, len(real))  # random halves, not file order
    accuracy = {"samples_vs_real": _accuracy(fake, real, seed), "reconstructions_vs_real": _accuracy(recon, real, seed),
                "real_half_vs_half": _accuracy(mixed[:half], mixed[half:2 * half], seed),
                "samples_vs_real_cut_outs": _accuracy(fake, cut, seed),
                "real_vs_own_cut_outs": _accuracy(real, cut, seed)}
    real_small = small_garments(portion_set)
    held = set(portion_set.names)
    refs = train_small[[i for i, n in enumerate(train_names) if n not in held]]
    fake_small = _small(fake)
    return {
        "generator": str(folder), "portion": portion, "seed": seed,
        "samples": len(fake), "real_garments": len(real), "image_size": [size[1], size[0]],
        "two_sample_accuracy": accuracy,
        "diversity": {"samples": mean_pairwise_distance(fake_small),
                      "real_held_out": mean_pairwise_distance(real_small[rows])},
        "novelty": {"samples_median": float(np.median(nearest_distances(fake_small, refs))),
                    "real_held_out_median": float(np.median(nearest_distances(real_small[rows], refs))),
                    "training_garments": len(refs)},
        "reconstruction_ssim": {"generator_vae": _ssim_summary(reconstruction_ssims(generator.vae, portion_set)),
                                "garment_vae": garment_vae_ssim or _ssim_summary(
                                    reconstruction_ssims(garment_design.vae, portion_set)),
                                "output": (_ssim_summary(output_ssims(generator, portion_shop))
                                           if portion_shop is not None else None),
                                "output_refined": generator.refiner is not None},
        "false_warnings": _false_warnings(garment_design, gen, data=data, clothing=clothing,
                                          per_source=check_per_source, seed=seed, n_val=n_val),
        "targets": {"two_sample_accuracy_at_most": TARGET_ACCURACY, "reconstruction_ssim_at_least": TARGET_SSIM},
        "notes": {"two_sample": "HOG (cv2, 8px cells, 16px blocks, 9 bins) + 8x8x8 RGB histogram, L2 logistic "
                                "regression on standardised features, 5-fold CV; balanced; 0.5 = cannot tell apart",
                  "distances": "L2 on 64x48 RGB in [0,1], garments on white, flattened"},
    }


def _row(name: str, value: float | None, beside: str = "", target: str = "") -> str:
    shown = "-" if value is None else f"{value:.3f}"
    return f"{name:<44}{shown:>8}  {beside:<26}{target}"


def summary_lines(report: dict) -> list[str]:
    """The printed table of a :func:`designer_report` (under ``report["designer"]``) and the
    garment VAE's own figures."""
    lines = [_row("garment VAE: reconstruction SSIM (val)", report["reconstruction_ssim"]["mean"]),
             _row("garment VAE: held-out garments flagged", report["held_out_garments_flagged"])]
    d = report.get("designer")
    if d is None:
        return lines + ["(no generator folder: the designer figures were not measured)"]
    acc, div, nov = d["two_sample_accuracy"], d["diversity"], d["novelty"]
    ssim, warn = d["reconstruction_ssim"], d["false_warnings"]
    lines += [f"generator {d['generator']} ({d['samples']} samples, seed {d['seed']}, "
              f"{d['real_garments']} real {d['portion']} garments, {d['image_size'][0]}x{d['image_size'][1]})",
              _row("two-sample accuracy: samples vs real", acc["samples_vs_real"], "", f"<= {TARGET_ACCURACY}"),
              _row("two-sample accuracy: reconstructions vs real", acc["reconstructions_vs_real"], "",
                   f"<= {TARGET_ACCURACY}"),
              _row("two-sample accuracy: real half vs half", acc["real_half_vs_half"], "", "~0.5 (sanity)"),
              _row("two-sample accuracy: samples vs cut-outs", acc.get("samples_vs_real_cut_outs"), "",
                   "(real garments cut out, on white)"),
              _row("two-sample accuracy: real vs own cut-outs", acc.get("real_vs_own_cut_outs"), "",
                   "(what the cut-out alone gives away)"),
              _row("diversity: mean pairwise L2, samples", div["samples"], f"real {div['real_held_out']:.3f}"),
              _row("novelty: median L2 to nearest training", nov["samples_median"],
                   f"real {nov['real_held_out_median']:.3f}"),
              _row("reconstruction SSIM: generator's VAE", ssim["generator_vae"]["mean"],
                   f"garment VAE {ssim['garment_vae']['mean']:.3f}", f">= {TARGET_SSIM}"),
              _row("reconstruction SSIM: returned garments", (ssim.get("output") or {}).get("mean"),
                   "refined 256x192" if ssim.get("output_refined") else "enlarged", f">= {TARGET_SSIM}"),
              _row("flagged 'not a garment': generator samples", warn["designer_samples"]["flagged"])]
    lines += [_row(f"flagged 'not a garment': {k} ({v['photos']})", v["flagged"]) for k, v in warn["sources"].items()]
    return lines


def garment_vae_and_designer_report(design, data: str | Path, *, generator, generator_folder: Path | None = None,
                                    portion: str = "val", samples: int = 300, seed: int = 11,
                                    n_test: int = C.TEST_PAIRS, **kwargs) -> dict:
    """:func:`tryon.evaluate.garment_vae_report` (``kwargs`` go to it), with the design studio's
    figures (:func:`designer_report`) under ``"designer"``.

    Args:
        design: the garment VAE's pipeline (its check).
        generator: the generator's pipeline (``GarmentDesignPipeline.from_pretrained(generator_folder)``).
        portion: ``"val"`` or ``"test"`` (the ``n_test`` pairs before validation) for the
            generator's figures; ``samples`` generated and real garments; ``seed`` the generator's.
    """
    from tryon.data import GarmentDataset
    from tryon.data.shop_photos import ShopPhotos
    from tryon.evaluate import garment_vae_report

    def extend(ctx: dict) -> dict:
        layout, val, report = ctx["layout"], ctx["val"], ctx["report"]
        names = portion_garments(layout, portion, ctx["n_val"], n_test)
        held = val if portion == "val" else GarmentDataset(layout, names, cache_dir=ctx["cache_dir"], mask_check=False)
        shop = ShopPhotos(layout, held, C.DESIGN_OUTPUT_SIZE)
        return designer_report(
            generator, design, folder=generator_folder, layout=layout, portion=portion, portion_set=held,
            train_small=ctx["train_small"], train_names=ctx["train_set"].names, data=ctx["data"],
            clothing=ctx["clothing"], samples=samples, seed=seed, check_per_source=ctx["per_source"],
            n_val=ctx["n_val"], portion_shop=shop,
            garment_vae_ssim={**report["reconstruction_ssim"], "garments": len(val)} if portion == "val" else None)

    return garment_vae_report(design, data, extend=extend, **kwargs)
