"""Losses (hand-checked values, finite-difference gradients) and the tie-pessimistic accuracy."""

import math

import numpy as np
import pytest

from limitkit._errors import ConfigError
from limitkit.free.accuracy import topk_accuracy
from limitkit.free.config import FreeEmbeddingConfig
from limitkit.free.engine import value_and_grad
from limitkit.free.loss import loss_and_grad

# One query, three documents, relevant {0, 1}; T = 0.5 so the logits are L = S / T = [1, 0, -1].
# Z = e + 1 + 1/e = 2.718282 + 1 + 0.367879 = 4.086161, log Z = 1.407606.
S1 = np.array([[0.5, 0.0, -0.5]])
A1 = np.array([[True, True, False]])
# A second query: S = [-0.5, 0, 0.5] -> L = [-1, 0, 1] (same Z), relevant {2} only.
S2 = np.array([[0.5, 0.0, -0.5], [-0.5, 0.0, 0.5]])
A2 = np.array([[True, True, False], [False, False, True]])
LOG_Z = math.log(math.e + 1 + 1 / math.e)


@pytest.mark.parametrize("loss, expected", [
    # mean over the two positives of -log P: ((logZ - 1) + (logZ - 0)) / 2 = 1.407606 - 0.5 = 0.907606
    ("infonce-mean", 0.907606),
    # -log((e + 1) / Z) = 1.407606 - log(3.718282) = 1.407606 - 1.313262 = 0.094344
    ("infonce-multi", 0.094344),
    # mean of softplus(-z x): doc0 z=+1 x=1: log(1 + e^-1) = 0.313262; doc1 x=0: log 2 = 0.693147;
    # doc2 z=-1 x=-1: log(1 + e^-1) = 0.313262; (0.313262 + 0.693147 + 0.313262) / 3 = 0.439890
    ("sigmoid", 0.439890),
])
def test_three_document_loss_values(loss, expected):
    value, _ = loss_and_grad(S1, A1, loss, temperature=0.5)
    assert value == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("loss, expected", [
    # pairs (q1,d0) (q1,d1) (q2,d2): (3 logZ - 1 - 0 - 1) / 3 = (4.222818 - 2) / 3 = 0.740939
    ("infonce-mean", 0.740939),
    # per query: 0.094344 and logZ - 1 = 0.407606; mean = 0.250975
    ("infonce-multi", 0.250975),
    # every (query, doc) pair: q2 mirrors q1, so both rows sum to 1.319671; 2.639342 / 6 = 0.439890
    ("sigmoid", 0.439890),
])
def test_normalisation_over_queries_and_pairs(loss, expected):
    value, _ = loss_and_grad(S2, A2, loss, temperature=0.5)
    assert value == pytest.approx(expected, abs=1e-6)


def test_infonce_mean_gradient_by_hand():
    # d loss / d L_j = (K P_j - A_j) / N with K = N = 2, P = [e, 1, 1/e] / Z = [0.665241, 0.244728, 0.090031];
    # d / d S = that / T = 2 * [(1.330482 - 1) / 2, (0.489456 - 1) / 2, 0.180062 / 2]
    _, grad = loss_and_grad(S1, A1, "infonce-mean", temperature=0.5)
    np.testing.assert_allclose(grad, [[0.330482, -0.510544, 0.180062]], atol=1e-6)


@pytest.mark.parametrize("loss", ["infonce-mean", "infonce-multi", "sigmoid"])
@pytest.mark.parametrize("temperature", [0.1, 0.02])  # 0.02 takes the row-max shifted path
def test_score_gradient_matches_finite_differences(loss, temperature):
    rng = np.random.default_rng(1)
    S = rng.uniform(-1, 1, (5, 6))
    A = rng.random((5, 6)) < 0.35
    A[0] = False  # a query without relevant documents
    A[1, :2] = True
    value, grad = loss_and_grad(S, A, loss, temperature, sigmoid_bias=0.2)
    h = 1e-6
    for i, j in np.ndindex(S.shape):
        Sp, Sm = S.copy(), S.copy()
        Sp[i, j] += h
        Sm[i, j] -= h
        fd = (loss_and_grad(Sp, A, loss, temperature, 0.2)[0] - loss_and_grad(Sm, A, loss, temperature, 0.2)[0]) / (2 * h)
        assert grad[i, j] == pytest.approx(fd, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("loss", ["infonce-mean", "infonce-multi", "sigmoid"])
def test_engine_vector_gradient_matches_finite_differences(loss):
    # the gradient w.r.t. U and V of one engine step, with 2-query blocks so they accumulate
    rng = np.random.default_rng(2)
    n, d = 5, 3
    U = rng.standard_normal((7, d))
    V = rng.standard_normal((n, d))
    indptr = np.array([0, 2, 4, 5, 5, 7, 9, 10])  # query 3 has no relevant document
    indices = np.array([0, 1, 2, 4, 3, 0, 4, 1, 2, 0])
    cfg = FreeEmbeddingConfig(loss=loss, dtype="float64", sigmoid_bias=0.1)
    value, gU, gV = value_and_grad(U, V, indptr, indices, cfg, chunk=2)
    h = 1e-6
    for X, G in ((U, gU), (V, gV)):
        for idx in np.ndindex(X.shape):
            old = X[idx]
            X[idx] = old + h
            up = value_and_grad(U, V, indptr, indices, cfg)[0]
            X[idx] = old - h
            down = value_and_grad(U, V, indptr, indices, cfg)[0]
            X[idx] = old
            assert G[idx] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("loss", ["infonce-mean", "infonce-multi", "sigmoid"])
def test_engine_gradient_matches_torch_autograd(loss):
    torch = pytest.importorskip("torch")
    from limitkit.free._torch_engine import _loss_sum

    rng = np.random.default_rng(3)
    U, V = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    # unit rows as in training (kept as a realistic case)
    U, V = U / np.linalg.norm(U, axis=1, keepdims=True), V / np.linalg.norm(V, axis=1, keepdims=True)
    indptr, indices = np.array([0, 2, 3, 5, 6, 6, 8]), np.array([0, 3, 1, 2, 4, 0, 1, 2])
    cfg = FreeEmbeddingConfig(loss=loss, dtype="float64", sigmoid_bias=-0.3)
    value, gU, gV = value_and_grad(U, V, indptr, indices, cfg)
    tU, tV = torch.tensor(U, requires_grad=True), torch.tensor(V, requires_grad=True)
    rows = np.repeat(np.arange(6), np.diff(indptr))
    flat = torch.tensor(rows * 5 + indices)
    has = torch.tensor(np.diff(indptr) > 0)
    norm = {"infonce-mean": 8, "infonce-multi": 5, "sigmoid": 30}[loss]
    total = _loss_sum(torch, tU @ tV.T / cfg.temperature, flat, has, cfg) / norm
    total.backward()
    assert value == pytest.approx(float(total.detach()), rel=1e-9)
    np.testing.assert_allclose(gU, tU.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gV, tV.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_loss_rejects_bad_input():
    with pytest.raises(ConfigError, match="unknown loss 'hinge'"):
        loss_and_grad(S1, A1, "hinge")
    with pytest.raises(ConfigError, match="equal 2-D shapes"):
        loss_and_grad(S1, A2)


# ---- accuracy --------------------------------------------------------------------------------

def test_accuracy_counts_ties_against_success():
    S = np.array([[0.9, 0.8, 0.8, 0.1],   # rel {0,1}: irrelevant doc 2 ties doc 1 and ranks first -> 1 hit
                  [0.9, 0.8, 0.7, 0.1],   # rel {0,2}: top-2 = {0,1} -> 1 hit, gap 0.7 - 0.8 = -0.1
                  [0.9, 0.8, 0.7, 0.1]])  # rel {0,1}: 2 hits, gap 0.8 - 0.7 = 0.1
    A = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0]], dtype=bool)
    acc, margin = topk_accuracy(S, A)
    assert acc == pytest.approx((0.5 + 0.5 + 1) / 3)  # mean of hits / K
    assert margin == pytest.approx(-0.1)  # min over queries of (min relevant - max irrelevant)
    acc, margin = topk_accuracy(S[[0]], A[[0]])
    assert (acc, margin) == (0.5, 0.0)  # a tie: not solved


def _slow_accuracy(S, A):
    """Sort each row by (score desc, irrelevant first) and count relevant in the first K."""
    shares, gaps = [], []
    for s, a in zip(S, A):
        k = int(a.sum())
        if k == 0:
            continue
        order = sorted(range(len(s)), key=lambda j: (-s[j], bool(a[j])))
        shares.append(sum(bool(a[j]) for j in order[:k]) / k)
        irr = s[~a]
        gaps.append(s[a].min() - (irr.max() if len(irr) else -np.inf))
    return sum(shares) / len(shares), min(gaps)


def test_accuracy_matches_a_slow_sort_with_many_ties():
    rng = np.random.default_rng(4)
    for _ in range(30):
        S = rng.integers(0, 4, (6, 7)).astype(float)  # few distinct values: ties everywhere
        A = rng.random((6, 7)) < 0.4
        A[0, 0] = True
        acc, margin = topk_accuracy(S, A)
        slow_acc, slow_margin = _slow_accuracy(S, A)
        assert acc == pytest.approx(slow_acc)
        assert margin == slow_margin
