from limitkit.evaluation.published import PAPER_RESULTS, paper_dataset, paper_rows, paper_value


def test_published_numbers_and_source():
    # transcribed from arXiv:2508.21038v2, Appendix G, Tables 4 and 5
    assert paper_value("limit-small", "bm25", "recall@2") == 97.8
    assert paper_value("LIMIT", "BM25", "recall@100") == 93.6
    assert paper_value("limit", "GTE-ModernColBERT", "recall@2") == 23.1
    assert paper_value("limit-small", "Promptriever Llama3 8B", "recall@20") == 97.7
    assert paper_value("limit-small", "BM25", "recall@100") is None  # Table 4 reports @20, not @100
    assert "2508.21038" in PAPER_RESULTS["source"]["paper"]
    for ds in PAPER_RESULTS["datasets"].values():
        for row in ds["rows"]:
            assert all(0 <= row[m] <= 100 for m in ds["metrics"])


def test_dataset_names_are_matched_loosely():
    assert paper_dataset("limit-small") == "LIMIT-small"
    assert paper_dataset("orionweller/LIMIT-small") == "LIMIT-small"
    assert paper_dataset("LIMIT") == "LIMIT"
    assert paper_dataset("limit-dense-n46-m1000-k2-seed0") is None
    assert paper_rows("toy") == []
    assert len(paper_rows("limit")) == 8
