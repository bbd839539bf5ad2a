"""Fit the latent priors on a VAE's training posteriors: :class:`~tryon.models.latent_prior.MixturePrior`
(EM) and :class:`~tryon.models.latent_prior.AnchorPrior` (deduplicated codes and their nearest neighbours)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from tryon.metrics import checker_energy
from tryon.models.latent_prior import (ANCHORS_DIR, PRIOR_DIR, AnchorPrior, AnchorPriorConfig, MixturePrior,
                                      MixturePriorConfig)

__all__ = ["fit_mixture", "fit_anchors", "fit_and_save_priors", "decoded_checker_energy", "posterior_means",
           "COVARIANCE_FLOOR"]

COVARIANCE_FLOOR = 1e-3   # added to every covariance's diagonal: keeps small components invertible
MIN_RESPONSIBILITY = 1e-6  # a component whose codes vanish keeps this much weight (no NaN)


ENCODE_BATCH = 256          # garments encoded at once
NEIGHBOURS = 10             # AnchorPrior: neighbours kept per anchor
DUPLICATE_SHARE = 0.05      # a code closer than this share of the median distance to the NEIGHBOURS-th
                            # nearest code to an earlier one is a duplicate. VITON repeats most garments
                            # as near-copies (nearest code < 0.012 against > 2 for distinct ones), so the
                            # nearest neighbour's median would itself be a copy's distance
DISTANCE_CHUNK = 1024       # rows of the distance matrix computed at once
NOISY_SHARE = 0.2           # AnchorPrior: the share of codes whose decodings show the most checkerboard
                            # (tryon.metrics.checker_energy) left out: the decoder cannot draw them cleanly
DECODE_BATCH = 256          # codes decoded at once when scoring them


@torch.no_grad()
def posterior_means(vae, dataset, limit: int | None = None) -> torch.Tensor:
    """``(N, D)`` posterior means of the first ``limit`` (default all) garments of a
    :class:`tryon.data.GarmentDataset`, un-augmented."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    device = next(vae.parameters()).device
    vae = vae.eval()
    return torch.cat([vae.encode(dataset.stored_tensors(i, min(i + ENCODE_BATCH, n)).to(device))[0].float().cpu()
                      for i in range(0, n, ENCODE_BATCH)]) if n else torch.zeros(0, vae.config.latent_dim)


def _init_means(codes: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k-means++ seeding: each next mean is a code drawn with probability ~ squared distance."""
    first = torch.randint(len(codes), (1,), generator=generator)
    means = [codes[first[0]]]
    dist = (codes - means[0]).pow(2).sum(1)
    for _ in range(1, k):
        idx = torch.multinomial(dist / dist.sum(), 1, generator=generator)[0]
        means.append(codes[idx])
        dist = torch.minimum(dist, (codes - codes[idx]).pow(2).sum(1))
    return torch.stack(means)


def fit_mixture(codes: torch.Tensor, components: int = 32, iterations: int = 60, seed: int = 0,
                tolerance: float = 1e-4) -> tuple[MixturePrior, dict]:
    """EM for a full-covariance Gaussian mixture.

    Args:
        codes: ``(N, D)`` posterior means of training items.
        components: ``K``; at most ``N // 4``.
        iterations: EM iterations at most; stops earlier when the mean log-likelihood gains less
            than ``tolerance`` nats per code.
        seed: the k-means++ seeding's seed.

    Returns:
        The fitted prior and ``{"iterations", "log_likelihood"}`` (mean nats per code).
    """
    x = codes.double()
    n, d = x.shape
    k = max(1, min(components, n // 4))
    prior = MixturePrior(MixturePriorConfig(latent_dim=d, components=k)).double()
    g = torch.Generator().manual_seed(seed)
    prior.means.copy_(_init_means(x, k, g))
    eye = torch.eye(d, dtype=x.dtype)
    scale = x.var(0).mean().sqrt()
    prior.scale_tril.copy_(eye.repeat(k, 1, 1) * scale)
    previous, ll, it = -float("inf"), -float("inf"), 0
    for it in range(1, iterations + 1):
        joint = prior.component_log_prob(x) + prior.log_weights          # (N, K)
        norm = torch.logsumexp(joint, 1, keepdim=True)
        ll = float(norm.mean())
        resp = (joint - norm).exp()                                       # E step
        nk = resp.sum(0).clamp_min(MIN_RESPONSIBILITY)                    # M step
        means = (resp.T @ x) / nk[:, None]
        for j in range(k):
            diff = x - means[j]
            cov = (resp[:, j, None] * diff).T @ diff / nk[j] + COVARIANCE_FLOOR * eye
            prior.scale_tril[j] = torch.linalg.cholesky(cov)
        prior.means.copy_(means)
        prior.log_weights.copy_((nk / nk.sum()).log())
        if ll - previous < tolerance:
            break
        previous = ll
    return prior.float(), {"iterations": it, "log_likelihood": ll, "components": k}


def _nearest(codes: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Each code's ``k`` nearest other codes: distances and indices, ``(N, k)`` each, nearest first."""
    dists, idx = [], []
    for start in range(0, len(codes), DISTANCE_CHUNK):
        d = torch.cdist(codes[start:start + DISTANCE_CHUNK], codes)
        d[torch.arange(len(d)), torch.arange(start, start + len(d))] = float("inf")   # not itself
        top = d.topk(k, dim=1, largest=False)
        dists.append(top.values)
        idx.append(top.indices)
    return torch.cat(dists), torch.cat(idx)


@torch.no_grad()
def decoded_checker_energy(vae, codes: torch.Tensor) -> torch.Tensor:
    """:func:`tryon.metrics.checker_energy` of ``vae``'s decodings of ``(N, D)`` codes: ``(N,)`` on
    the codes' device (each batch is decoded on the VAE's, e.g. a GPU at the end of training)."""
    out = []
    device = next(vae.parameters()).device
    for z in codes.split(DECODE_BATCH):
        image, mask_logits = vae.decode(z.to(device))
        out.append(checker_energy(image.float(), torch.sigmoid(mask_logits.float())).to(codes.device))
    return torch.cat(out)


@torch.no_grad()
def fit_anchors(codes: torch.Tensor, neighbours: int = NEIGHBOURS,
                noise: Callable[[torch.Tensor], torch.Tensor] | None = None) -> tuple[AnchorPrior, dict]:
    """An :class:`AnchorPrior` on ``(N, D)`` codes: exact copies dropped, then near copies (the later of
    two codes closer than :data:`DUPLICATE_SHARE` of the median distance to each code's
    ``neighbours``-th nearest code, a scale copies cannot shrink while fewer than ``neighbours``
    copies of a garment exist); with
    ``noise`` (codes ``(M, D)`` -> ``(M,)``, e.g. :func:`decoded_checker_energy`), the
    :data:`NOISY_SHARE` noisiest of the rest too; then each kept code's ``neighbours`` nearest kept
    codes (all the others when fewer).

    Returns:
        The prior and ``{"codes", "anchors", "duplicates", "noisy", "median_neighbour_distance"}``.
    """
    x = codes.float()
    if len(x) < 2:
        raise ValueError(f"need at least 2 codes, got {len(x)}")
    order = torch.arange(len(x))
    _, inverse = torch.unique(x, dim=0, return_inverse=True)      # exact copies first (cdist rounds)
    first = torch.full((int(inverse.max()) + 1,), len(x)).scatter_reduce(0, inverse, order, "amin")
    distinct = x[first[inverse] == order]                         # the first of each, in order
    if len(distinct) < 2:
        raise ValueError("all codes are duplicates of one: nothing to mix")
    d, i = _nearest(distinct, min(neighbours, len(distinct) - 1))
    tol = DUPLICATE_SHARE * float(d[:, -1].median())              # the scale of distinct codes' distances
    near = ((d < tol) & (i < torch.arange(len(distinct))[:, None])).any(1)   # an earlier code is nearly it
    kept, noisy = distinct[~near], 0
    if noise is not None and len(kept) > 2:
        score = noise(kept)
        clean = score <= score.quantile(1.0 - NOISY_SHARE)
        kept, noisy = kept[clean], int((~clean).sum())
    if len(kept) < 2:
        raise ValueError("all codes are duplicates of one: nothing to mix")
    neighbours = min(neighbours, len(kept) - 1)   # a small set: every other code
    dist, idx = _nearest(kept, neighbours)
    prior = AnchorPrior(AnchorPriorConfig(latent_dim=x.shape[1], anchors=len(kept), neighbours=neighbours))
    prior.anchors.copy_(kept)
    prior.neighbours.copy_(idx)
    return prior, {"codes": len(x), "anchors": len(kept), "duplicates": len(x) - len(distinct) + int(near.sum()),
                   "noisy": noisy,
                   "median_neighbour_distance": float(dist[:, 0].median())}


def fit_and_save_priors(codes: torch.Tensor, folder: str | Path, components: int = 32, vae=None) -> dict:
    """Fit both priors on ``(N, D)`` training codes and save them in a designer ``folder``:
    ``prior/`` (:func:`fit_mixture`) and ``anchors/`` (:func:`fit_anchors`, float16; with ``vae``,
    the codes it decodes worst left out, :func:`decoded_checker_energy`).

    Returns:
        ``{"mixture": fit info, "anchors": fit info}``.
    """
    folder = Path(folder)
    mixture, mixture_info = fit_mixture(codes, components=components)
    mixture.save_pretrained(folder / PRIOR_DIR, extra={"fit": mixture_info, "codes": len(codes)})
    noise = (lambda z: decoded_checker_energy(vae.eval(), z)) if vae is not None else None
    anchors, anchors_info = fit_anchors(codes, noise=noise)
    anchors.save_pretrained(folder / ANCHORS_DIR, dtype=torch.float16, extra={"fit": anchors_info})
    return {"mixture": mixture_info, "anchors": anchors_info}
