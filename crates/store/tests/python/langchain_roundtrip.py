#!/usr/bin/env python3
"""Opens a folder ferrofaiss saved in LangChain's format with the real LangChain
(`FAISS.load_local`) and prints, as JSON, what Python sees: the docstore, the
row-to-id map and the answers to the queries. Run by crates/store/tests/python_roundtrip.rs.

    python langchain_roundtrip.py REQUEST.json

REQUEST: {"folder": ..., "distance_strategy": "EUCLIDEAN_DISTANCE", "k": 3,
          "queries": [...], "filtered": [[query, {filter}], ...], "resave": folder-or-null}
"""
import json
import sys

from langchain_community.vectorstores import FAISS
from langchain_community.vectorstores.utils import DistanceStrategy
from langchain_core.embeddings import Embeddings


class CountEmbeddings(Embeddings):
    """The fixtures' embedder: [len(text), #'a', #'e', #' '] (exact small integers)."""

    def _e(self, t):
        return [float(len(t)), float(t.count("a")), float(t.count("e")), float(t.count(" "))]

    def embed_documents(self, texts):
        return [self._e(t) for t in texts]

    def embed_query(self, text):
        return self._e(text)


def hits(results):
    return [{"id": d.id, "page_content": d.page_content, "metadata": d.metadata,
             "score": float(s)} for d, s in results]


def main():
    req = json.load(open(sys.argv[1]))
    vs = FAISS.load_local(req["folder"], CountEmbeddings(),
                          allow_dangerous_deserialization=True,
                          distance_strategy=DistanceStrategy[req["distance_strategy"]])
    rows = vs.index_to_docstore_id
    assert all(type(k) is int for k in rows), "index_to_docstore_id keys must be ints"
    out = {
        "ntotal": vs.index.ntotal,
        "index_to_docstore_id": [rows[i] for i in range(len(rows))],
        "docstore": [[k, {"id": d.id, "page_content": d.page_content, "metadata": d.metadata,
                          "type": d.type, "fields_set": sorted(d.model_fields_set)}]
                     for k, d in vs.docstore._dict.items()],
        "searches": [hits(vs.similarity_search_with_score(q, k=req["k"]))
                     for q in req["queries"]],
        "filtered": [hits(vs.similarity_search_with_score(q, k=req["k"], filter=f))
                     for q, f in req["filtered"]],
    }
    if req.get("resave"):
        vs.save_local(req["resave"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
