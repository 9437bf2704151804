"""Does language-model pre-training on the training text pay for its time?

Usage::

    python benchmarks/pretraining.py --corpora mr --repeats 2 --folds 3
    python benchmarks/pretraining.py --corpora mr,sst2 --lm-epochs 1,3

A probe for issue 20, item 4 (Dai and Le, 2015, "Semi-supervised sequence
learning"), judged by the selection protocol of ``selection.py`` (its splits,
training data only).  For each split, the pre-trained candidates first train
the defaults' embedding and recurrent layer as a next-word language model on
the split's training documents, then fit ``RNNTextClassifier`` from those
weights instead of a random start (the output layer starts as usual).  The
language model predicts each next token among the ``--lm-vocab`` most
frequent tokens of the split (the rest share one "other" class: an
affordable softmax), with Adam, no dropout, batches of 32 sentences.

The candidates are compared paired with the defaults, with the mean fit time
(pre-training included).  No unlabeled text beyond the training documents is
used: the sentence corpora here have none that is not someone's test set
(SST's sentences are MR's).
"""

import argparse
import time

import numpy as np
from _env import environment_lines, markdown_table
from selection import CORPORA
from sklearn.model_selection import StratifiedKFold

from skrnn import RNNTextClassifier
from skrnn._batching import length_sorted, pad_batch
from skrnn._optimizers import build_optimizer
from skrnn.nn._embedding import embedding_backward, embedding_forward
from skrnn.nn._recurrent import recurrent_backward, recurrent_forward


def _lm_loss_and_grad(params, ids, lengths, config, n_classes, target_of):
    """Mean next-token cross-entropy of a padded batch, and its gradients."""
    inputs = embedding_forward(params["embed.E"], ids)
    outputs, cache = recurrent_forward(
        params,
        inputs,
        lengths,
        dropout=0.0,
        rng=None,
        training=True,
        **config._recurrent_kwargs(),
    )
    n_steps = ids.shape[0]
    # position t predicts token t + 1 of the same sequence
    valid = np.arange(n_steps - 1)[:, None] < (lengths - 1)
    h = outputs[:-1][valid]
    targets = target_of[ids[1:][valid]]
    z = h @ params["lm.W"] + params["lm.b"]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = len(targets)
    loss = -np.log(p[np.arange(n), targets] + 1e-30).mean()
    dz = p
    dz[np.arange(n), targets] -= 1.0
    dz /= n
    grads = {"lm.W": h.T @ dz, "lm.b": dz.sum(axis=0)}
    doutputs = np.zeros_like(outputs)
    doutputs[:-1][valid] = dz @ params["lm.W"].T
    rec_grads, dinputs = recurrent_backward(
        doutputs,
        cache,
        params,
        n_vocab=config.n_vocab,
        **config._recurrent_kwargs(),
    )
    grads.update(rec_grads)
    grads["embed.E"] = embedding_backward(dinputs, ids, config.n_vocab)
    return float(loss), grads


def pretrain(weights, config, sequences, *, epochs, lm_vocab, seed):
    """Train ``weights``' embedding and recurrent layer as a language model."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(np.concatenate(sequences), minlength=config.n_vocab)
    counts[:2] = 0  # padding and unknown words are never a class of their own
    kept = np.argsort(-counts, kind="stable")[:lm_vocab]
    target_of = np.full(config.n_vocab, len(kept), dtype=np.intp)
    target_of[kept] = np.arange(len(kept))
    n_classes = len(kept) + 1
    width = weights["head.W_hy"].shape[0]
    dtype = weights["embed.E"].dtype
    params = {k: v.copy() for k, v in weights.items() if not k.startswith("head.")}
    params["lm.W"] = (rng.standard_normal((width, n_classes)) * 0.01).astype(dtype)
    params["lm.b"] = np.zeros(n_classes, dtype=dtype)
    optimizer = build_optimizer(
        params,
        {
            "solver": "adam",
            "learning_rate_init": 0.005,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-8,
        },
    )
    lengths = np.array([len(s) for s in sequences])
    usable = np.flatnonzero(lengths > 1)
    for _ in range(epochs):
        order = rng.permutation(usable)
        for start in range(0, len(order), 32):
            batch = length_sorted(lengths, order[start : start + 32])
            ids, lens = pad_batch([sequences[i] for i in batch])
            _, grads = _lm_loss_and_grad(
                params, ids, lens, config, n_classes, target_of
            )
            for g in grads.values():
                values = g.rows if hasattr(g, "rows") else g
                np.clip(values, -1.0, 1.0, out=values)
            optimizer.update_params(params, grads)
    return {k: v for k, v in params.items() if not k.startswith("lm.")}


class PretrainedClassifier(RNNTextClassifier):
    """The defaults, started from a language model of the training text."""

    lm_epochs = 3
    lm_vocab = 2000

    def fit(self, X, y, sample_weight=None):
        self._lm_documents = list(X)
        return super().fit(X, y, sample_weight=sample_weight)

    def _init_network(self, vectorizer, n_outputs, head, rng, dtype, vectors):
        weights, config, coverage = super()._init_network(
            vectorizer, n_outputs, head, rng, dtype, vectors
        )
        sequences = vectorizer.transform(self._lm_documents)
        learned = pretrain(
            weights,
            config,
            sequences,
            epochs=self.lm_epochs,
            lm_vocab=self.lm_vocab,
            seed=self.random_state,
        )
        weights.update(learned)
        return weights, config, coverage


def run(corpus, epochs_list, repeats, folds, lm_vocab):
    X, y = CORPORA[corpus]()
    X = list(X)
    y = np.asarray(y)
    rows = {}
    for r in range(repeats):
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=r)
        for train, val in splitter.split(X, y):
            X_train = [X[i] for i in train]
            X_val = [X[i] for i in val]
            for epochs in [0, *epochs_list]:
                if epochs:
                    cls = type(
                        "P",
                        (PretrainedClassifier,),
                        {"lm_epochs": epochs, "lm_vocab": lm_vocab},
                    )
                else:
                    cls = RNNTextClassifier
                t0 = time.perf_counter()
                clf = cls(random_state=r).fit(X_train, y[train])
                seconds = time.perf_counter() - t0
                acc = float(np.mean(clf.predict(X_val) == y[val]))
                rows.setdefault(epochs, []).append((acc, seconds))
                print(corpus, r, epochs, f"{acc:.4f}", f"{seconds:.1f}s", flush=True)
    base = np.array([a for a, _ in rows[0]])
    table = []
    for epochs, results in rows.items():
        acc = np.array([a for a, _ in results])
        diff = acc - base
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
        table.append(
            [
                corpus,
                "defaults" if epochs == 0 else f"LM pre-training, {epochs} epoch(s)",
                f"{100 * acc.mean():.2f}",
                "" if epochs == 0 else f"{100 * diff.mean():+.2f} ± {100 * se:.2f}",
                f"{np.mean([s for _, s in results]):.1f}",
            ]
        )
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", default="mr")
    parser.add_argument("--lm-epochs", default="3")
    parser.add_argument("--lm-vocab", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    epochs_list = [int(e) for e in args.lm_epochs.split(",")]
    print("\n".join(environment_lines()))
    table = []
    for corpus in args.corpora.split(","):
        table += run(corpus, epochs_list, args.repeats, args.folds, args.lm_vocab)
    print(
        markdown_table(
            ["corpus", "candidate", "accuracy %", "difference ± SE", "fit s"], table
        )
    )


if __name__ == "__main__":
    main()
