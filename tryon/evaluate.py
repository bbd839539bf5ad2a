"""Evaluation of the VAEs on held-out data: the figures that go into the model cards.

Every function returns a JSON-ready dict and never trains anything. :func:`garment_vae_report` and
:func:`body_vae_report` start from a data set folder (what ``tryon eval garment-vae|body-vae``
calls); :func:`eval_garment_vae` and :func:`eval_body_vae` measure given data sets.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from tryon import constants as C
from tryon.anomaly import elbo_score
from tryon.metrics import auroc, mask_iou, nearest_distances, ssim
from tryon.tensors import on_white

__all__ = ["garment_vae_report", "reconstruction_ssims", "small_garments", "small_images", "body_vae_report", "eval_garment_vae", "eval_body_vae", "natural_images",
           "WILD_SAMPLE", "NON_TOP_CLASSES"]

WILD_SAMPLE = 500          # in-the-wild photos scored per group
NN_SAMPLES = 500           # prior samples for the memorisation check
NN_SIZE = (64, 48)         # resolution of the nearest-neighbour comparison
NON_TOP_CLASSES = ("Dress", "Outwear", "Blazer")  # clothing_upper classes least like an in-shop top
BATCH = 64
SMALL_CHUNK = 1024         # stored garments turned into small images at once
NATURAL_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "cat", "immunohistochemistry")  # scikit-image's


# ----------------------------------------------------------------------------------------
# From a data set folder
# ----------------------------------------------------------------------------------------
def garment_vae_report(design, data: str | Path, *, split: str = "train", cache: Path | None = None,
                       n_val: int = C.VALIDATION_PAIRS, clothing: Path | None = None,
                       per_source: int = WILD_SAMPLE, extend=None) -> dict:
    """:func:`eval_garment_vae` on the held-out garments of a VITON-style data set; with
    ``extend``, also what it returns under ``"designer"`` (the design studio's figures:
    :func:`tryon.eval_designer.garment_vae_and_designer_report` passes it).

    Args:
        design: a :class:`pipelines.GarmentDesignPipeline` (the garment VAE and its check).
        data: the data set folder; ``split`` its split folder; ``cache`` the garment cache
            (default ``<data>/<split>/tryon-cache``).
        n_val: the last this-many pairs are held out; their garments and persons are scored.
        clothing: the ``clothing_upper`` folder for the in-the-wild figures, optional.
        per_source: photos the garment check scores per group, at most.
        extend: called with what the report was made from (``layout``, ``val``, ``train_set``,
            ``train_small``, ``cache_dir``, ``n_val``, ``report``, ``data``, ``clothing``,
            ``per_source``) and returning a dict.

    Raises:
        TryOnError: one sentence, when the data set is unusable.
    """
    from tryon.data import GarmentDataset, default_cache_dir, find_layout, train_garments, val_garments
    from tryon.data.split import val_persons

    layout = find_layout(data, split)
    cache_dir = cache or default_cache_dir(layout.split)
    # Every held-out garment counts (no cloth-mask filtering), so the figure is on all of them.
    val = GarmentDataset(layout, val_garments(layout, n_val), cache_dir=cache_dir, mask_check=False)
    train_set = GarmentDataset(layout, train_garments(layout, n_val), cache_dir=cache_dir)
    train_small = small_garments(train_set, "train set")
    persons = [layout.image / n for n in val_persons(layout, n_val)]
    report = eval_garment_vae(design, layout, train_set, val, clothing_dir=clothing, natural_images=natural_images(),
                              person_paths=persons, train_small=train_small, per_source=per_source)
    if extend is not None:
        report["designer"] = extend({"layout": layout, "val": val, "train_set": train_set, "train_small": train_small,
                                     "cache_dir": cache_dir, "n_val": n_val, "report": report, "data": Path(data),
                                     "clothing": clothing, "per_source": per_source})
    return report


def body_vae_report(data: str | Path, *, split: str = "train", cache: Path | None = None,
                    weights: Path | None = None, n_val: int = C.VALIDATION_PAIRS) -> dict:
    """:func:`eval_body_vae` of the body VAE in ``weights`` (default: the bundled one) on the
    held-out persons of a VITON-style data set that ``tryon prepare`` has cached; the report
    ends with ``weights``, the folder used.

    Raises:
        TryOnError: one sentence, when the data set or the weights are unusable.
    """
    from tryon.assets import weights_dir
    from tryon.data import BodyDataset, LandmarkCache, default_cache_dir, find_layout, val_persons
    from tryon.hub import load_extra
    from tryon.models.vae import VAE

    layout = find_layout(data, split)
    weights = weights or weights_dir() / "body-vae"
    vae = VAE.from_pretrained(weights)
    landmarks = LandmarkCache(cache or default_cache_dir(layout.split))
    val = BodyDataset(landmarks, [n for n in val_persons(layout, n_val) if n in landmarks])
    threshold = float(load_extra(weights)["anomaly_threshold"])
    return {**eval_body_vae(vae, val, anomaly_threshold=threshold, layout=layout), "weights": str(weights)}


def natural_images() -> list:
    """Public-domain photos that are not garments (from scikit-image, when installed)."""
    try:
        from PIL import Image
        from skimage import data
    except ImportError:
        return []
    return [Image.fromarray(getattr(data, n)()) for n in NATURAL_IMAGES if hasattr(data, n)]


# ----------------------------------------------------------------------------------------
# On given data sets
# ----------------------------------------------------------------------------------------


def _on_white(x: torch.Tensor) -> torch.Tensor:
    """``(B, 4, H, W)`` garment in [-1, 1] (mask too) -> ``(B, 3, H, W)`` on white in [0, 1]."""
    return on_white(x[:, :3], x[:, 3:], "signed")


def _scores_of_images(design, paths: list, desc: str) -> tuple[list[float], list[bool]]:
    """``design.anomaly`` of each image (what ``tryon check-garment`` says): scores, and whether
    each was flagged "not a garment"."""
    scores, flagged = [], []
    for p in tqdm(paths, desc=desc, unit="image", leave=False):
        result = design.anomaly(p)
        scores.append(result.score)
        flagged.append(not result.is_garment)
    return scores, flagged


def _pick(rng: random.Random, items: list, n: int) -> list:
    """At most ``n`` of ``items`` (all of them, in order, when there are no more)."""
    return list(items) if len(items) <= n else rng.sample(list(items), n)


def _finite(scores: list[float]) -> np.ndarray:
    a = np.asarray(scores, dtype=np.float64)
    return np.where(np.isfinite(a), a, np.finfo(np.float64).max)


@torch.no_grad()
def reconstruction_ssims(vae, dataset) -> list[float]:
    """SSIM of each garment of ``dataset`` against ``vae``'s decoding of its mean code, both
    composited on white at the VAE's resolution: one value in [-1, 1] per garment."""
    ssims = []
    for start in tqdm(range(0, len(dataset), BATCH), desc="reconstruct", unit="batch", leave=False):
        x = dataset.stored_tensors(start, start + BATCH)
        mu, _ = vae.encode(x)
        image, mask_logits = vae.decode(mu)
        recon = torch.cat([image.float(), torch.sigmoid(mask_logits.float()) * 2 - 1], 1)
        for a, b in zip(_on_white(recon), _on_white(x)):
            ssims.append(ssim(a[None], b[None]))
    return ssims


def small_images(x: torch.Tensor) -> np.ndarray:
    """``(B, 3, H, W)`` images in [0, 1] (garments on white) -> ``(B, 3 * 64 * 48)`` float32 numpy in
    [0, 1], area-resized to :data:`NN_SIZE`: what the nearest-neighbour distances compare."""
    return F.interpolate(x, size=NN_SIZE, mode="area").flatten(1).numpy()


def _small(x: torch.Tensor) -> np.ndarray:
    """``(B, 4, H, W)`` garments in [-1, 1] -> ``(B, 3 * 64 * 48)`` on white in [0, 1] (area-resized)."""
    return small_images(_on_white(x))


def small_garments(dataset, desc: str = "garments") -> np.ndarray:
    """Every garment of a :class:`tryon.data.GarmentDataset` on white at :data:`NN_SIZE`:
    ``(N, 3 * 64 * 48)`` float32 in [0, 1], in the dataset's order (area-resized)."""
    out = []
    for start in tqdm(range(0, len(dataset), SMALL_CHUNK), desc=desc, unit="chunk", leave=False):
        out.append(_small(dataset.stored_tensors(start, start + SMALL_CHUNK)))
    return np.concatenate(out) if out else np.zeros((0, 3 * NN_SIZE[0] * NN_SIZE[1]), np.float32)


@torch.no_grad()
def eval_garment_vae(design, layout, train_set, val_set, *, clothing_dir: Path | None = None,
                     natural_images: list | None = None, person_paths: list[Path] | None = None,
                     seed: int = 0, train_small: np.ndarray | None = None, per_source: int = WILD_SAMPLE) -> dict:
    """Reconstruction, anomaly detection and memorisation figures of the garment VAE.

    Args:
        design: a :class:`pipelines.GarmentDesignPipeline` (its VAE and anomaly threshold).
        layout: the VITON layout (for person photos of the held-out pairs).
        train_set, val_set: :class:`tryon.data.GarmentDataset` of train / held-out garments.
        clothing_dir: the ``clothing_upper`` folder (``images/`` + ``images.csv``), optional.
        natural_images: extra non-garment images (PIL or paths), optional.
        person_paths: VITON person photos to score; default: the held-out pairs' persons.
        train_small: :func:`small_garments` of ``train_set`` when already computed.
        per_source: photos scored by the garment check per group (held-out garments, persons,
            each in-the-wild group; seeded pick), at most.
    """
    vae = design.vae
    rng = random.Random(seed)
    # 1. Reconstruction SSIM of held-out garments, as a person sees them (on white).
    ssims = reconstruction_ssims(vae, val_set)
    # Held-out garments are scored as a shopper's upload would be (the photo, segmented
    # automatically): the same path as every other group below, so the AUROC compares like with like.
    val_scores, val_flagged = _scores_of_images(design, _pick(rng, [layout.cloth / n for n in val_set.names],
                                                              per_source), "garments")
    checker = design.checker
    report: dict = {
        "held_out_garments": len(val_set),
        "checked_held_out_garments": len(val_scores),
        "reconstruction_ssim": {"mean": float(np.mean(ssims)), "median": float(np.median(ssims))},
        "garment_check": "logistic over the ELBO and cues (tryon.garment_check)" if checker.logistic
        else "ELBO threshold",
        "anomaly_threshold": checker.threshold if checker.logistic is None else checker.logistic.threshold,
        "held_out_garments_flagged": float(np.mean(val_flagged)),
    }
    # 2. Anomaly AUROC: held-out garments (negatives) vs other images (positives); the flagged
    # shares are what `tryon check-garment` says (see also `python -m tryon.eval_garment_check`).
    groups: dict[str, tuple[list[float], list[bool]]] = {}
    persons = person_paths if person_paths is not None else [layout.image / n for n in _val_persons(layout)]
    groups["viton_person_photos"] = _scores_of_images(design, _pick(rng, persons, per_source), "persons")
    if clothing_dir is not None and (Path(clothing_dir) / "images.csv").is_file():
        rows = list(csv.DictReader(open(Path(clothing_dir) / "images.csv")))
        wild = [r for r in rows if r["label"] not in NON_TOP_CLASSES]
        non_top = [r for r in rows if r["label"] in NON_TOP_CLASSES]
        for name, group in (("in_the_wild_garment_photos", wild), ("in_the_wild_dresses_outerwear_blazers", non_top)):
            pick = _pick(rng, group, per_source)
            paths = [Path(clothing_dir) / "images" / f"{r['image']}.jpg" for r in pick]
            groups[name] = _scores_of_images(design, paths, name)
    if natural_images:
        groups["natural_non_garment_images"] = _scores_of_images(design, _pick(rng, natural_images, per_source),
                                                                 "natural")
    report["anomaly_auroc"] = {name: auroc(_finite(val_scores), _finite(s)) for name, (s, _) in groups.items()}
    report["flagged_as_not_garment"] = {name: float(np.mean(f)) for name, (_, f) in groups.items()}
    report["scored"] = {name: len(s) for name, (s, _) in groups.items()}
    # 3. Memorisation: prior samples' nearest training garment vs held-out garments' nearest.
    train_small = small_garments(train_set, "train set") if train_small is None else train_small
    report["nearest_training_garment_distance"] = _memorisation(vae, train_small, val_set, seed)
    return report


@torch.no_grad()
def _memorisation(vae, train_small: np.ndarray, val_set, seed: int) -> dict:
    """How far prior samples are from their nearest training garment (``train_small``, see
    :func:`small_garments`), beside held-out garments."""
    small = _small
    val_small = small_garments(val_set)
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(NN_SAMPLES, vae.config.latent_dim, generator=g)
    samples = []
    for chunk in z.split(BATCH):
        image, mask_logits = vae.decode(chunk)
        samples.append(small(torch.cat([image.float(), torch.sigmoid(mask_logits.float()) * 2 - 1], 1)))
    d_samples = nearest_distances(np.concatenate(samples), train_small)
    d_val = nearest_distances(val_small, train_small)
    return {
        "resolution": list(NN_SIZE),
        "prior_samples_median": float(np.median(d_samples)),
        "held_out_garments_median": float(np.median(d_val)),
        "samples": NN_SAMPLES,
        "note": "L2 in [0,1] RGB-on-white pixels; samples as far from training garments as held-out "
                "garments are means the VAE does not copy its training set",
    }


def _val_persons(layout) -> list[str]:
    from tryon.data.split import val_persons

    return val_persons(layout)


UNUSUAL_SAMPLE = 150      # held-out persons turned into unusual photos for the body check
CROP_KEEP = 0.5           # "cropped body": only the top half of the photo is kept


def _unusual_scores(vae, layout, names: list[str]) -> dict[str, list[float]]:
    """Body scores of held-out photos as they are, cropped at the chest, and doubled (two people)."""
    from PIL import Image

    from tryon.anomaly import body_score
    from tryon.errors import TryOnError
    from tryon.pose import detect_pose

    out: dict[str, list[float]] = {"normal": [], "cropped_at_chest": [], "two_people": []}
    for name in tqdm(names, desc="unusual photos", unit="photo", leave=False):
        img = Image.open(layout.image / name).convert("RGB")
        w, h = img.size
        crop = img.crop((0, 0, w, int(h * CROP_KEEP))).resize((w, h))
        pair = Image.new("RGB", (2 * w, h), (255, 255, 255))
        pair.paste(img, (0, 0))
        pair.paste(img.transpose(Image.FLIP_LEFT_RIGHT), (w, 0))
        for key, photo in (("normal", img), ("cropped_at_chest", crop), ("two_people", pair)):
            try:
                out[key].append(body_score(vae, detect_pose(np.asarray(photo))))
            except TryOnError:
                continue  # no person found at all: refused before the body VAE is asked
    return out


@torch.no_grad()
def eval_body_vae(vae, val_set, *, anomaly_threshold: float, layout=None, seed: int = 0) -> dict:
    """Silhouette IoU of held-out persons (decoding the mean code), their anomaly scores, and
    (with ``layout``) how often unusual versions of held-out photos are flagged."""
    ious, scores = [], []
    for batch in tqdm(torch.utils.data.DataLoader(val_set, batch_size=BATCH), desc="bodies", unit="batch", leave=False):
        mu, _ = vae.encode(batch["body"])
        _, mask_logits = vae.decode(mu)
        pred = (torch.sigmoid(mask_logits.float()) > 0.5).numpy()
        target = (batch["silhouette"] > 0.5).numpy()
        ious += [mask_iou(p, t) for p, t in zip(pred, target)]
        scores += elbo_score(vae, batch["body"]).tolist()
    return {
        "held_out_persons": len(val_set),
        "silhouette_iou": {"mean": float(np.mean(ious)), "median": float(np.median(ious)),
                           "p10": float(np.percentile(ious, 10))},
        "anomaly_threshold": anomaly_threshold,
        "held_out_flagged": float(np.mean(np.asarray(scores) > anomaly_threshold)),
        "latent_dim": vae.config.latent_dim,
        "resolution": list(C.BODY_VAE_SIZE),
        **(_unusual_report(vae, layout, val_set, anomaly_threshold, seed) if layout is not None else {}),
    }


def _unusual_report(vae, layout, val_set, threshold: float, seed: int) -> dict:
    names = random.Random(seed).sample(list(val_set.names), min(UNUSUAL_SAMPLE, len(val_set.names)))
    groups = _unusual_scores(vae, layout, names)
    normal = np.asarray(groups["normal"])
    return {"unusual_photos": {
        key: {"photos": len(v), "flagged": float(np.mean(np.asarray(v) > threshold)) if v else None,
              "auroc_vs_normal": auroc(normal, np.asarray(v)) if v and key != "normal" else None}
        for key, v in groups.items()}}
