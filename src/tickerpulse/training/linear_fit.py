"""Fitting the linear sentiment models: design matrices, logistic regression, calibration.

- :func:`design_matrix`: feature lists → sparse rows with unit L2 norm (as
  :class:`~tickerpulse.enrich.sentiment.linear.LinearScorer` scores them);
- :func:`fit_offset_logistic`: multinomial logistic regression on top of fixed
  per-row logits (the per-mention model learns what a mention's clause adds to
  its text's logits), L2-penalised, by L-BFGS;
- :func:`fit_temperature`: the softmax temperature that minimises log loss on dev.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.optimize
import scipy.sparse as sp

from tickerpulse.enrich.sentiment.linear import Matrix, softmax


def vocabulary(feature_lists: Sequence[Sequence[str]], min_count: int = 2) -> list[str]:
    """Features seen in at least ``min_count`` rows, sorted (deterministic order)."""
    counts = Counter(f for features in feature_lists for f in set(features))
    return sorted(f for f, c in counts.items() if c >= min_count)


def design_matrix(
    feature_lists: Sequence[Sequence[str]], vocab: Sequence[str], *, counts: bool = False
) -> sp.csr_matrix:
    """Rows scaled by 1/sqrt(n) over the known features, as the scorer scales them.

    Binary (each feature once, unit L2 norm), or with ``counts`` every occurrence
    (n the number of occurrences).
    """
    index = {f: i for i, f in enumerate(vocab)}
    indptr, indices = [0], []
    for features in feature_lists:
        known = [index[f] for f in features if f in index]
        indices += sorted(known if counts else set(known))
        indptr.append(len(indices))
    sizes = np.diff(np.asarray(indptr))
    data = np.repeat(1.0 / np.sqrt(np.maximum(sizes, 1)), sizes)
    matrix = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), indptr), (len(indptr) - 1, len(vocab))
    )
    matrix.sum_duplicates()
    return matrix


def fit_offset_logistic(
    x: sp.csr_matrix,
    y: npt.NDArray[np.int64],
    offset: Matrix,
    l2: float,
    classes: int = 3,
) -> tuple[Matrix, Matrix]:
    """Weights (features × classes) and bias of softmax(x·W + b + offset), L2 on W."""
    n, d = x.shape
    onehot = np.eye(classes)[y]

    def loss(theta: Matrix) -> tuple[float, Matrix]:
        w = theta[: d * classes].reshape(d, classes)
        b = theta[d * classes :]
        probs = softmax(x @ w + b + offset)
        nll = -np.log(np.maximum(probs[np.arange(n), y], 1e-12)).sum()
        diff = probs - onehot
        grad_w = x.T @ diff + l2 * w
        grad = np.concatenate([np.asarray(grad_w).ravel(), diff.sum(axis=0)])
        return float(nll + 0.5 * l2 * (w * w).sum()), grad

    result = scipy.optimize.minimize(
        loss, np.zeros(d * classes + classes), jac=True, method="L-BFGS-B",
        options={"maxiter": 500},
    )  # fmt: skip
    theta = result.x
    return theta[: d * classes].reshape(d, classes), theta[d * classes :]


def fit_temperature(logits: Matrix, y: npt.NDArray[np.int64]) -> float:
    """The temperature in [0.25, 4] that minimises dev log loss (grid, then refined)."""

    def nll(t: float) -> float:
        probs = softmax(logits, t)
        return float(-np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12)).mean())

    grid = np.exp(np.linspace(np.log(0.25), np.log(4.0), 41))
    best = float(grid[int(np.argmin([nll(float(t)) for t in grid]))])
    found = scipy.optimize.minimize_scalar(nll, bounds=(best / 1.2, best * 1.2), method="bounded")
    return round(float(found.x), 4)
