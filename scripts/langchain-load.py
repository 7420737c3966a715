#!/usr/bin/env python3
"""LangChain's side of `store_calls`' `load_local` figures: a FAISS store built with
`from_embeddings` from `n` random `d`-dimensional vectors (texts `doc {i}`, metadata
`{"page": i % 10}`, as `shared/bench/langchain_store.py` builds it), saved with
`save_local`, then the median seconds of three `FAISS.load_local` calls.

    python scripts/langchain-load.py N D

Needs langchain-community, faiss-cpu and numpy (the venv of scripts/langchain-venv.sh).
"""
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
from langchain_community.vectorstores import FAISS
from langchain_core.embeddings import Embeddings

warnings.filterwarnings("ignore")


class Emb(Embeddings):
    def __init__(self, d):
        self.d = d

    def embed_documents(self, texts):
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text):
        return np.zeros(self.d, dtype="float32").tolist()


n, d = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
x = rng.standard_normal((n, d)).astype("float32")
texts = [f"doc {i}" for i in range(n)]
metas = [{"page": i % 10} for i in range(n)]
db = FAISS.from_embeddings(list(zip(texts, x.tolist())), Emb(d), metadatas=metas)
with tempfile.TemporaryDirectory() as folder:
    db.save_local(folder)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        back = FAISS.load_local(folder, Emb(d), allow_dangerous_deserialization=True)
        times.append(time.perf_counter() - t)
        assert back.index.ntotal == n
        del back
print(f"n={n} d={d}: load_local {statistics.median(times):.3f}s")
