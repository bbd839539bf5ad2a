"""Fit :class:`~tryon.models.latent_prior.MixturePrior` on a VAE's training posteriors (EM)."""

from __future__ import annotations

import torch

from tryon.models.latent_prior import MixturePrior, MixturePriorConfig

__all__ = ["fit_mixture", "posterior_means", "COVARIANCE_FLOOR"]

COVARIANCE_FLOOR = 1e-3   # added to every covariance's diagonal: keeps small components invertible
MIN_RESPONSIBILITY = 1e-6  # a component whose codes vanish keeps this much weight (no NaN)


ENCODE_BATCH = 256          # garments encoded at once


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
