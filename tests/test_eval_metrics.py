import math

import numpy as np
import pytest

from limitkit._errors import ConfigError, DataFormatError
from limitkit.evaluation.metrics import (evaluate_run, mrr_at_k, ndcg_at_k, ranked_gains, rank_documents,
                                         recall_at_k, recall_kernel)

# Toy: 3 queries.
#   q1 relevant {a, b}; run a .9, x .8, b .7            -> ranks a, x, b
#   q2 relevant {c};    run c .5, z .5 (a tie)          -> trec_eval tie rule (id descending): z, c
#   q3 relevant {d, e}; absent from the run             -> retrieves nothing
QRELS = {"q1": {"a": 1, "b": 1}, "q2": {"c": 1}, "q3": {"d": 1, "e": 1}}
RUN = {"q1": {"a": 0.9, "x": 0.8, "b": 0.7}, "q2": {"c": 0.5, "z": 0.5}}


def test_tie_rule_is_trec_eval_descending_id():
    assert rank_documents({"c": 0.5, "z": 0.5, "m": 0.9}) == ["m", "z", "c"]
    assert rank_documents({"b": 1.0, "a": 1.0, "c": 1.0}) == ["c", "b", "a"]


def test_recall_macro_micro_hand_computed():
    # recall@2: q1 1/2 (a), q2 1/1 (c at rank 2), q3 0  -> macro (0.5 + 1 + 0) / 3 = 0.5
    assert recall_at_k(RUN, QRELS, 2) == pytest.approx(0.5)
    # micro pools hits: (1 + 1 + 0) / (2 + 1 + 2) = 0.4
    assert recall_at_k(RUN, QRELS, 2, average="micro") == pytest.approx(0.4)
    # recall@1: q1 1/2, q2 0 (z wins the tie), q3 0 -> 1/6
    assert recall_at_k(RUN, QRELS, 1) == pytest.approx(1 / 6)
    # recall@3: q1 2/2, q2 1, q3 0 -> 2/3
    assert recall_at_k(RUN, QRELS, 3) == pytest.approx(2 / 3)
    assert recall_at_k(RUN, QRELS, 2, average="none") == {"q1": 0.5, "q2": 1.0, "q3": 0.0}


def test_ndcg_and_mrr_hand_computed():
    # nDCG@2: q1 DCG = 1/log2(2) = 1, IDCG = 1 + 1/log2(3) -> 1 / 1.63093 = 0.61315
    #         q2 DCG = 1/log2(3) = 0.63093, IDCG = 1      -> 0.63093 ; q3 0
    expected = (1 / (1 + 1 / math.log2(3)) + 1 / math.log2(3)) / 3
    assert ndcg_at_k(RUN, QRELS, 2) == pytest.approx(expected)
    # MRR@2: q1 1/1, q2 1/2, q3 0 -> 0.5 ; MRR@1: q1 1, q2 0 (tie lost) -> 1/3
    assert mrr_at_k(RUN, QRELS, 2) == pytest.approx(0.5)
    assert mrr_at_k(RUN, QRELS, 1) == pytest.approx(1 / 3)


def test_graded_ndcg_uses_linear_gain():
    # grades a=2, b=1; ranking b, a: DCG = 1 + 2/log2(3); IDCG = 2 + 1/log2(3)
    qrels = {"q": {"a": 2, "b": 1}}
    run = {"q": {"b": 2.0, "a": 1.0}}
    expected = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(run, qrels, 2) == pytest.approx(expected)
    assert evaluate_run(run, qrels, (2,), engine="pytrec_eval").aggregate["ndcg@2"] == pytest.approx(expected)


def test_kernel_on_arrays():
    gains = np.array([[1, 0, 1], [0, 0, 0]], dtype=float)
    n_rel = np.array([2, 0])
    # row 0: 1 hit in top 2 of 2 relevant -> 0.5 ; row 1 has no relevant -> 0 (trec_eval convention)
    assert recall_kernel(gains, n_rel, 2).tolist() == [0.5, 0.0]
    rg = ranked_gains(RUN, QRELS, 3)
    assert rg.query_ids == ("q1", "q2", "q3")
    assert rg.gains.tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert rg.n_rel.tolist() == [2, 1, 2]


@pytest.mark.parametrize("engine", ["simple", "pytrec_eval"])
def test_both_engines_on_the_toy(engine):
    m = evaluate_run(RUN, QRELS, (1, 2, 3), engine=engine)
    assert m.aggregate["recall@2"] == pytest.approx(0.5)
    assert m.aggregate["recall_micro@2"] == pytest.approx(0.4)
    assert m.aggregate["mrr@1"] == pytest.approx(1 / 3)
    assert m.per_query["q2"]["recall@1"] == 0.0 and m.per_query["q2"]["recall@2"] == 1.0
    assert set(m.per_query) == {"q1", "q2", "q3"}


def test_ours_match_pytrec_eval_on_random_runs_with_ties():
    rng = np.random.default_rng(0)
    docs = [f"d{j}" for j in range(30)]
    for trial in range(5):
        qrels, run = {}, {}
        for i in range(40):
            rel = rng.choice(30, size=rng.integers(1, 5), replace=False)
            qrels[f"q{i}"] = {docs[j]: int(rng.integers(1, 3)) for j in rel}
            if rng.random() < 0.1:
                continue  # some queries retrieve nothing
            got = rng.choice(30, size=rng.integers(1, 30), replace=False)
            # coarse scores -> many ties
            run[f"q{i}"] = {docs[j]: float(rng.integers(0, 4)) for j in got}
        ks = (1, 2, 3, 5, 10, 20)
        ours = evaluate_run(run, qrels, ks, engine="simple")
        ref = evaluate_run(run, qrels, ks, engine="pytrec_eval")
        for name, value in ref.aggregate.items():
            assert ours.aggregate[name] == pytest.approx(value, abs=1e-12), (trial, name)
        for q in qrels:
            for name, value in ref.per_query[q].items():
                assert ours.per_query[q][name] == pytest.approx(value, abs=1e-12), (trial, q, name)


def test_bad_inputs_raise_typed_errors():
    with pytest.raises(DataFormatError, match="qrels are empty"):
        recall_at_k(RUN, {}, 2)
    with pytest.raises(ConfigError, match="positive"):
        recall_at_k(RUN, QRELS, 0)
    with pytest.raises(ConfigError, match="average"):
        recall_at_k(RUN, QRELS, 2, average="weird")
    with pytest.raises(ConfigError, match="engine"):
        evaluate_run(RUN, QRELS, (2,), engine="nope")
