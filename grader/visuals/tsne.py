"""The assignment's t-SNE of the CNN embeddings, computed in the parent."""

from __future__ import annotations

import numpy as np

PERPLEXITY = 30.0
ITERATIONS = 500  # scikit-learn's least is 250; 1000 (its default) costs twice as long for a map hardly better
POINTS = 500  # test digits on the map, as in the assignment


def tsne_indices(n_test: int, points: int = POINTS) -> np.ndarray:
    """Which test digits go on the map: `points` of them spread evenly over the test set.

    Test sets are often sorted by label (the embedded one is), so the first 500
    would show half of the digits.

    >>> tsne_indices(1000, 4).tolist()
    [0, 250, 500, 750]
    """
    if n_test <= points:
        return np.arange(n_test)
    return (np.arange(points) * n_test) // points


def tsne_points(embedding: np.ndarray, seed: int) -> np.ndarray | None:
    """2-D t-SNE coordinates of `embedding` (N, D), as the assignment asks: scikit-learn's
    TSNE, perplexity 30, PCA initialisation, seeded (the same map for the same embedding).

    The embedding comes from student code, so it is made safe first: scikit-learn's
    Barnes-Hut t-SNE crashes the whole process on degenerate data (all points equal, values
    that overflow). Non-finite values become 0, the data is centred and scaled to unit
    spread, and a seeded jitter far below that spread separates identical points. None
    when the points do not differ at all: there is nothing to map.
    """
    from sklearn.manifold import TSNE

    data = np.nan_to_num(np.asarray(embedding, dtype=np.float64).reshape(len(embedding), -1), nan=0.0,
                         posinf=0.0, neginf=0.0)  # fmt: skip
    if len(data) < 5 or data.shape[1] == 0:
        return None
    data = data - np.median(data, axis=0)
    scale = float(np.max(np.abs(data)))
    if not np.isfinite(scale) or scale == 0.0:
        return None
    data = data / scale  # now within [-1, 1]: no overflow in the distances
    spread = float(np.std(data))
    if not np.isfinite(spread) or spread < 1e-12:
        return None
    data = data / spread
    data += np.random.default_rng(seed).normal(scale=1e-4, size=data.shape)
    perplexity = min(PERPLEXITY, max(1.0, (len(data) - 1) / 3))  # TSNE needs perplexity < N
    model = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed % (2**32 - 1),
                 max_iter=ITERATIONS)  # fmt: skip
    points = np.asarray(model.fit_transform(data.astype(np.float32)), dtype=np.float32)
    return points if np.all(np.isfinite(points)) else None
