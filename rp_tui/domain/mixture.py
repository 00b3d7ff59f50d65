"""Gaussian mixtures fitted by expectation-maximisation, and sampled, for Monte Carlo risk.

Daily returns have fatter tails than one normal law; a mixture of two or three normals (a
calm and a stressed regime) captures much of that while staying cheap to fit and sample
(G. McLachlan and D. Peel (2000), "Finite Mixture Models", Wiley, ch. 2-3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cholesky, solve_triangular

_LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True)
class GaussianMixture:
    """A fitted mixture.

    Attributes:
        weights: component probabilities, ``(k,)``, summing to 1.
        means: ``(k, d)``; covariances: ``(k, d, d)``, each positive definite.
        log_likelihood: mean log-likelihood per observation at the fit.
        converged: EM met its tolerance before ``max_iter``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    log_likelihood: float
    converged: bool

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` independent draws, ``(n, d)``, from ``rng`` (seeded: reproducible)."""
        counts = rng.multinomial(n, self.weights)
        parts = []
        for mean, cov, count in zip(self.means, self.covariances, counts, strict=True):
            lower = cholesky(cov, lower=True)
            parts.append(rng.standard_normal((count, len(mean))) @ lower.T + mean)
        draws = np.concatenate(parts)
        return draws[rng.permutation(n)]  # components interleaved, as independent draws are

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """Log density of each row of ``x`` ``(n, d)`` under the mixture, ``(n,)``."""
        return np.logaddexp.reduce(_component_log_densities(x, self), axis=1)


def _component_log_densities(x: np.ndarray, mixture: GaussianMixture) -> np.ndarray:
    """``log(π_k) + log N(x | μ_k, Σ_k)`` per row and component, ``(n, k)``."""
    n, d = x.shape
    out = np.empty((n, len(mixture.weights)))
    for j, (pi, mean, cov) in enumerate(
        zip(mixture.weights, mixture.means, mixture.covariances, strict=True)
    ):
        lower = cholesky(cov, lower=True)
        z = solve_triangular(lower, (x - mean).T, lower=True)
        log_det = 2.0 * np.log(np.diag(lower)).sum()
        out[:, j] = np.log(pi) - 0.5 * ((z * z).sum(axis=0) + d * _LOG_2PI + log_det)
    return out


def fit_gaussian_mixture(
    x: np.ndarray, components: int = 2, seed: int = 0, max_iter: int = 200, tol: float = 1e-8
) -> GaussianMixture:
    """Fit a full-covariance Gaussian mixture to ``x`` by EM.

    Starts from k-means++ seeding (Arthur & Vassilvitskii 2007) with hard assignments, then
    alternates E and M steps until the mean log-likelihood improves by less than ``tol``.
    Each covariance gets a ridge of 1e-6 × the mean variance of ``x`` so a component
    cannot collapse onto a few points.

    Args:
        x: observations ``(n_obs, d)``, e.g. daily returns of the assets.
        components: k ≥ 1; seed: for the seeding; max_iter, tol: stopping rule.

    Returns:
        A :class:`GaussianMixture`.

    Raises:
        ValueError: fewer observations than ``2 × components`` or non-finite data.
    """
    x = np.asarray(x, dtype=float)
    n, d = x.shape
    if n < 2 * components or not np.isfinite(x).all():
        raise ValueError(f"need ≥ {2 * components} finite observations, got {n}")
    rng = np.random.default_rng(seed)
    ridge = 1e-6 * float(x.var(axis=0).mean()) * np.eye(d)

    centres = [x[rng.integers(n)]]
    for _ in range(1, components):  # k-means++: far points are likelier next centres
        gap = np.min([((x - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(x[rng.choice(n, p=gap / gap.sum())])
    labels = np.argmin([((x - c) ** 2).sum(axis=1) for c in centres], axis=0)
    resp = np.eye(components)[labels] + 1e-3  # soft, so no component starts empty
    resp /= resp.sum(axis=1, keepdims=True)

    previous, converged, mixture = -np.inf, False, None
    for _ in range(max_iter):
        mass = resp.sum(axis=0)
        means = (resp.T @ x) / mass[:, None]
        covariances = np.empty((components, d, d))
        for j in range(components):
            centred = x - means[j]
            covariances[j] = (resp[:, j, None] * centred).T @ centred / mass[j] + ridge
        mixture = GaussianMixture(mass / n, means, covariances, previous, False)
        log_joint = _component_log_densities(x, mixture)
        log_norm = np.logaddexp.reduce(log_joint, axis=1)
        resp = np.exp(log_joint - log_norm[:, None])
        current = float(log_norm.mean())
        if abs(current - previous) < tol:
            converged = True
            break
        previous = current
    return GaussianMixture(mixture.weights, mixture.means, mixture.covariances, current, converged)
