"""Training runs: stopping rules, evaluation cadence, batching, determinism, backends, memory refusal."""

import math

import numpy as np
import pytest

from limitkit._errors import ConfigError, ResourceError
from limitkit.free import engine
from limitkit.free.config import FreeEmbeddingConfig, run_signature
from limitkit.free.memory import GB, estimate_bytes, plan_chunk
from limitkit.free.optimize import train, train_many
from limitkit.qrels import QrelMatrix


def test_early_stopping_on_a_scripted_loss_sequence():
    stop = engine.EarlyStopping(patience=3, min_delta=0.5)
    # 10 (first: improves), 9 (< 10 - 0.5: improves), 9.5, 9.0 (not < 9 - 0.5), 8.4 (improves),
    # 8.0, 7.9, 7.95 (three steps without a drop of more than 0.5) -> stop at the 8th loss
    script = [10, 9, 9.5, 9.0, 8.4, 8.0, 7.9, 7.95, 1.0]
    decisions = [stop.update(x) for x in script[:8]]
    assert decisions == [False] * 7 + [True]
    assert stop.best == 8.4
    # a drop of exactly min_delta is not an improvement
    s = engine.EarlyStopping(patience=1, min_delta=0.5)
    assert (s.update(10.0), s.update(9.5)) == (False, True)


def test_engine_applies_the_stopping_rule_to_its_losses(monkeypatch):
    # Replace the loss by a script with a zero gradient: the vectors never move, so the run ends by
    # early stopping exactly when the script says. Reference loop: update at i, then the patience
    # check; losses 10, 9, 9, 9, 9 with patience 3 stop after the update at i = 4 -> 5 steps.
    script = iter([10.0, 9.0] + [9.0] * 100)

    def scripted(L, blk, temperature, bias):
        L[...] = 0.0
        return next(script) * blk.nnz, None  # the engine divides by the number of positives

    monkeypatch.setitem(engine.KERNELS, "infonce-mean", scripted)
    r = train(12, 2, FreeEmbeddingConfig(patience=3, min_delta=0.5))
    assert (r.steps, r.stop_reason, r.success) == (5, "early_stop", False)
    assert r.final_loss == 9.0


def _exact_init(n):
    """Orthonormal documents, each pair query = normalised sum of its two documents."""
    V = np.eye(n)
    U = np.array([V[a] + V[b] for a in range(n) for b in range(a + 1, n)])
    return U / np.linalg.norm(U, axis=1, keepdims=True), V


def test_exact_init_is_solved_at_step_zero_with_the_right_margin():
    # relevant score 1/sqrt(2) = 0.707107, irrelevant 0 -> margin 0.707107
    r = train(4, 4, FreeEmbeddingConfig(max_steps=0), init=_exact_init(4))
    assert (r.success, r.steps, r.stop_reason) == (True, 0, "solved")
    assert r.min_margin == pytest.approx(1 / math.sqrt(2), abs=1e-6)
    assert r.best_accuracy == r.final_accuracy == 1.0
    # a required margin above 0.707 is not met
    r = train(4, 4, FreeEmbeddingConfig(max_steps=0, margin=0.8), init=_exact_init(4))
    assert (r.success, r.stop_reason) == (False, "max_steps")


def test_success_is_found_at_the_first_evaluation():
    # evaluations happen after updates 1, 51, 101, ... (reference: i % 50 == 0 after update i)
    r = train(4, 4, FreeEmbeddingConfig(), init=_exact_init(4))
    assert (r.success, r.steps) == (True, 1)
    r = train(4, 3, FreeEmbeddingConfig(), seed=0)
    assert r.success and r.steps % 50 == 1 and r.steps > 1


def test_batched_runs_equal_single_runs_bit_for_bit():
    cfg = FreeEmbeddingConfig(max_steps=4000)
    specs = [(4, 0), (7, 0), (9, 1), (6, 2)]  # solved, max_steps, early stop, max_steps
    batch = train_many(specs, 3, cfg)
    for (n, seed), b in zip(specs, batch):
        a = train(n, 3, cfg, seed=seed)
        assert (a.success, a.steps, a.final_loss, a.min_margin) == (b.success, b.steps, b.final_loss, b.min_margin)
        assert a.U.tobytes() == b.U.tobytes() and a.V.tobytes() == b.V.tobytes()
    assert {r.stop_reason for r in batch} == {"solved", "early_stop", "max_steps"}


def test_same_seed_same_bytes_other_seed_other_run():
    cfg = FreeEmbeddingConfig(max_steps=200)
    a, b, c = train(8, 3, cfg, seed=5), train(8, 3, cfg, seed=5), train(8, 3, cfg, seed=6)
    assert a.U.tobytes() == b.U.tobytes() and a.final_loss == b.final_loss
    assert a.U.tobytes() != c.U.tobytes()
    assert a.U.dtype == np.float32 and a.U.shape == (28, 3) and a.V.shape == (8, 3)
    assert run_signature(8, 3, 5, cfg) != run_signature(8, 3, 6, cfg)


def test_chunked_queries_give_the_same_run():
    cfg = FreeEmbeddingConfig(max_steps=300, dtype="float64")
    a = train(10, 3, cfg)
    b = train(10, 3, FreeEmbeddingConfig(max_steps=300, dtype="float64", chunk_size=7))
    np.testing.assert_allclose(a.U, b.U, atol=1e-9)
    assert a.final_loss == pytest.approx(b.final_loss, rel=1e-12)


@pytest.mark.parametrize("loss", ["infonce-mean", "infonce-multi", "sigmoid"])
def test_torch_backend_follows_the_numpy_trajectory(loss):
    pytest.importorskip("torch")
    cfg = FreeEmbeddingConfig(loss=loss, dtype="float64", max_steps=120)
    a = train(9, 3, cfg)
    b = train(9, 3, FreeEmbeddingConfig(loss=loss, dtype="float64", max_steps=120, backend="torch"))
    np.testing.assert_allclose(a.U, b.U, atol=1e-10)
    assert a.final_loss == pytest.approx(b.final_loss, rel=1e-10)
    assert (a.success, a.steps, a.best_accuracy) == (b.success, b.steps, b.best_accuracy)


def test_arbitrary_qrels_and_subsampled_queries():
    A = np.array([[1, 0, 0, 0, 1], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 0, 0, 0]])
    q = QrelMatrix.from_dense(A)
    r = train(5, 3, FreeEmbeddingConfig(max_steps=2000), qrels=q)
    assert r.m == 4 and r.U.shape == (4, 3)
    assert r.success  # three sets in 3-d are easy
    with pytest.raises(ConfigError, match="qrels has 5 documents but n=6"):
        train(6, 3, qrels=q)
    cfg = FreeEmbeddingConfig(num_queries=10, query_seed=3, max_steps=50)
    a, b = train(12, 3, cfg), train(12, 3, cfg)
    assert a.m == 10 and a.U.tobytes() == b.U.tobytes()


def test_bad_settings_raise_config_errors_naming_the_value():
    with pytest.raises(ConfigError, match="loss='hinge'"):
        FreeEmbeddingConfig(loss="hinge")
    with pytest.raises(ConfigError, match="lr=-1"):
        FreeEmbeddingConfig(lr=-1)
    with pytest.raises(ConfigError, match="device='gpu'"):
        FreeEmbeddingConfig(device="gpu")
    with pytest.raises(ConfigError, match="k=3 relevant documents per query need n >= 3"):
        train(2, 2, FreeEmbeddingConfig(k=3))
    with pytest.raises(ConfigError, match="init must be"):
        train(4, 2, init=(np.ones((6, 3)), np.ones((4, 3))))
    with pytest.raises(ConfigError, match="unknown FreeEmbeddingConfig fields"):
        FreeEmbeddingConfig.from_dict({"lr": 0.1, "learning_rate": 0.1})


def test_memory_estimate_and_refusal_for_two_million_queries():
    n, d, m = 2000, 64, 1_999_000
    cfg = FreeEmbeddingConfig()
    chunk = plan_chunk(n, m, 2 * m, d, cfg)
    assert estimate_bytes(n, m, 2 * m, d, cfg, chunk) < 8 * GB  # the default limit holds it
    with pytest.raises(ResourceError, match=r"over memory_limit_gb=1; no chunk size fits"):
        train(n, d, FreeEmbeddingConfig(memory_limit_gb=1))
    with pytest.raises(ResourceError, match=r"chunk_size=1000000 needs about \d+\.\d+ GB, over memory_limit_gb=8; "
                                            r"chunk_size=\d+ fits"):
        train(n, d, FreeEmbeddingConfig(chunk_size=1_000_000))


def test_sampled_queries_unrank_like_the_full_list():
    from limitkit.free._relevance import k_subsets, subset_queries, unrank_subsets

    for n, k in [(2, 2), (5, 2), (40, 2), (9, 3), (12, 4), (7, 1), (6, 6)]:
        every = k_subsets(n, k)
        assert np.array_equal(unrank_subsets(np.arange(len(every)), n, k), every)
    # a million documents: 1000 sampled pairs without listing the 5e11 pairs
    indptr, indices = subset_queries(10 ** 6, 2, 1000, query_seed=0)
    pairs = indices.reshape(-1, 2)
    assert len(pairs) == 1000 and (pairs[:, 0] < pairs[:, 1]).all() and len({tuple(p) for p in pairs}) == 1000
