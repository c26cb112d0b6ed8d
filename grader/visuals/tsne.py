"""The assignment's t-SNE of the CNN embeddings, computed in the parent."""

from __future__ import annotations

import numpy as np

PERPLEXITY = 30.0
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


def tsne_points(embedding: np.ndarray, seed: int) -> np.ndarray:
    """2-D t-SNE coordinates of `embedding` (N, D), as the assignment asks: scikit-learn's
    TSNE, perplexity 30, PCA initialisation, seeded (the same map for the same embedding).

    Non-finite values (a diverged network) become 0, so a map is still drawn.
    """
    from sklearn.manifold import TSNE

    data = np.nan_to_num(np.asarray(embedding, dtype=np.float32).reshape(len(embedding), -1), nan=0.0,
                         posinf=0.0, neginf=0.0)  # fmt: skip
    perplexity = min(PERPLEXITY, max(1.0, (len(data) - 1) / 3))  # TSNE needs perplexity < N
    model = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed % (2**32 - 1))
    return np.asarray(model.fit_transform(data), dtype=np.float32)
