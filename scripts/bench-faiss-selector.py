#!/usr/bin/env python3
"""Native Faiss beside `benches/src/bin/exact_filter.rs`: an IndexFlatL2 of ROWS random
vectors of DIM dimensions, searched one query at a time (k = 10) without a selector, with
an IDSelectorBatch of one tenant's rows (every TENANTS-th row) and with an
IDSelectorBitmap of half the tenants' rows, through SearchParameters(sel=...), which is
how Faiss restricts a search. Prints one JSON object per case, as the Rust binary does.

    python scripts/bench-faiss-selector.py [ROWS] [DIM] [TENANTS] [QUERIES] [THREADS]

Needs faiss-cpu and numpy (the LangChain venv of scripts/langchain-venv.sh has both).
"""
import json
import sys
import time

import faiss
import numpy as np

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
dim = int(sys.argv[2]) if len(sys.argv) > 2 else 128
tenants = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
queries = int(sys.argv[4]) if len(sys.argv) > 4 else 30
threads = int(sys.argv[5]) if len(sys.argv) > 5 else faiss.omp_get_max_threads()
faiss.omp_set_num_threads(threads)

rng = np.random.default_rng(7)
xb = rng.random((rows, dim), dtype=np.float32)
xq = rng.random((queries + 1, dim), dtype=np.float32)
index = faiss.IndexFlatL2(dim)
index.add(xb)

tenant = np.arange(rows) % tenants
one = np.flatnonzero(tenant == 7).astype(np.int64)
half_mask = tenant < tenants // 2
bits = np.packbits(half_mask, bitorder="little")
cases = [
    ("unfiltered", None),
    ("exact_one_tenant", faiss.SearchParameters(sel=faiss.IDSelectorBatch(one))),
    ("exact_half_indexed", faiss.SearchParameters(sel=faiss.IDSelectorBitmap(rows, faiss.swig_ptr(bits)))),
]
base = None
for name, params in cases:
    t = time.perf_counter()
    index.search(xq[:1], 10, params=params)
    first = (time.perf_counter() - t) * 1e3
    times = []
    for i in range(1, queries + 1):
        t = time.perf_counter()
        _, labels = index.search(xq[i : i + 1], 10, params=params)
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    median = times[len(times) // 2]
    base = base or median
    print(json.dumps({
        "case": name, "engine": "faiss " + faiss.__version__, "rows": rows, "dim": dim,
        "tenants": tenants, "queries": queries, "threads": threads,
        "median_ms": median, "p90_ms": times[min(len(times) * 9 // 10, len(times) - 1)],
        "first_ms": first, "results_median": int((labels >= 0).sum()),
        "speedup_vs_unfiltered": base / median,
    }))
