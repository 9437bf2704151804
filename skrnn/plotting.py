"""Plots of explained predictions; needs matplotlib, an optional dependency."""

from typing import Any

import numpy as np

from ._explain import Explanation, _displayed

__all__ = ["plot_explanation"]


def plot_explanation(
    explanation: Explanation,
    ax: Any = None,
    *,
    cmap: str = "RdBu",
    colorbar: bool = True,
) -> Any:
    """Draw the tokens coloured by attribution over the belief curve.

    Above the axes, each token (as the table of ``to_text`` shows it: a
    blank or unprintable one as its literal) on a patch whose colour is its
    attribution
    (blue for tokens that pushed towards the predicted class, red for those
    that pushed away, on a scale symmetric around 0); in the axes, the
    probability of the predicted class after reading each token, with the
    chance level ``1 / n_classes`` dashed.

    Parameters
    ----------
    explanation : Explanation
        As returned by ``RNNTextClassifier.explain``.
    ax : matplotlib Axes, default=None
        Where to draw; None creates a new figure sized to the sentence.
    cmap : str, default="RdBu"
        A diverging matplotlib colormap; its upper end marks positive
        attributions.
    colorbar : bool, default=True
        Whether to add a colorbar of the attributions.

    Returns
    -------
    matplotlib Axes
        The axes drawn on.

    Raises
    ------
    TypeError
        If ``explanation`` is not a classifier's, such as a regressor's.
    ValueError
        If it is a multi-label explanation, which has no single predicted
        class, or ``cmap`` names no colormap (before any figure is made).
    ImportError
        If matplotlib is not installed.
    """
    if not isinstance(explanation, Explanation):
        raise TypeError(
            "plot_explanation draws the Explanation of a classifier "
            f"(RNNTextClassifier.explain); got a {type(explanation).__name__}. "
            "Print a regressor's explanation for its table: "
            "print(regressor.explain(text))."
        )
    try:
        import matplotlib.pyplot as plt
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize
    except ImportError as exc:
        raise ImportError(
            "plot_explanation needs matplotlib, an optional dependency of "
            "skrnn: pip install matplotlib"
        ) from exc

    tokens = explanation.tokens
    n_tokens = len(tokens)
    # (the arguments refused before a figure is made, which would stay open)
    k = explanation.predicted_index
    colormap = plt.get_cmap(cmap)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 0.7 * n_tokens + 2.0), 3.0))
    attributions = np.asarray(explanation.attributions, dtype=float)
    limit = max(float(np.abs(attributions).max(initial=0.0)), 1e-12)
    norm = Normalize(vmin=-limit, vmax=limit)

    steps = np.arange(n_tokens)
    ax.plot(steps, explanation.staged_proba[:, k], marker="o", color="black")
    ax.axhline(1 / len(explanation.classes), color="grey", linestyle="--", lw=1)
    ax.set_xlim(-0.6, max(n_tokens, 1) - 0.4)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(steps)
    ax.set_xticklabels([str(t + 1) for t in steps])
    ax.set_xlabel("tokens read")
    ax.set_ylabel(f"p({explanation.prediction})", parse_math=False)
    rotation = 0 if n_tokens <= 12 else 60
    for t, token in enumerate(tokens):
        face = colormap(norm(attributions[t]))
        luminance = 0.299 * face[0] + 0.587 * face[1] + 0.114 * face[2]
        ax.text(
            t,
            1.04,
            _displayed(token),
            parse_math=False,
            transform=ax.get_xaxis_transform(),
            ha="center" if rotation == 0 else "left",
            va="bottom",
            rotation=rotation,
            rotation_mode="anchor",
            color="white" if luminance < 0.5 else "black",
            bbox={
                "boxstyle": "round,pad=0.3",
                "facecolor": face,
                "edgecolor": "none",
            },
        )
    if colorbar:
        mappable = ScalarMappable(norm=norm, cmap=colormap)
        ax.figure.colorbar(
            mappable, ax=ax, label=f"{explanation.method} attribution", pad=0.02
        )
    return ax
