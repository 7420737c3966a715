#!/usr/bin/env python3
"""Native HNSW beside `ferrofaiss bench --index HNSW{M}`: faiss-cpu's IndexHNSWFlat and
hnswlib on the same TEXMEX files, with the sections and metric names of the `hnsw_*`
records of `ferrofaiss bench --json` (hnsw_build: build_s; hnsw_search per efSearch:
qps, recall@10; hnsw_single per efSearch: latency_ms_median over the first QUERIES
queries, one at a time), one JSON object per line.

    python scripts/bench-hnsw-native.py BASE.fvecs QUERY.fvecs GT.ivecs M \
        [THREADS] [QUERIES] [EF,...] [faiss|hnswlib|both] [FAISS_FILE]

Both libraries build with efConstruction 40 (Faiss's default) on THREADS threads.
hnswlib's single-query timing runs with one thread, as Faiss's does. With FAISS_FILE,
Faiss reads that graph (e.g. one `ferrofaiss bench --save-index` wrote) instead of
building: the two libraries then search the very same graph.

Needs faiss-cpu, hnswlib and numpy (pip install hnswlib into the venv of
scripts/langchain-venv.sh).
"""
import json
import sys
import time

import numpy as np

from texmex_io import fvecs, ivecs  # scripts/texmex_io.py, beside this file


base, query, gt_path, m = sys.argv[1:5]
m = int(m)
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
single_n = int(sys.argv[6]) if len(sys.argv) > 6 else 200
efs = [int(x) for x in sys.argv[7].split(",")] if len(sys.argv) > 7 else [16, 64, 256]
which = sys.argv[8] if len(sys.argv) > 8 else "both"
faiss_file = sys.argv[9] if len(sys.argv) > 9 else None
xb, xq, gt = fvecs(base), fvecs(query), ivecs(gt_path)
n, d = xb.shape
k = 10


def recall(labels):
    return float(np.mean([len(set(labels[i]) & set(gt[i, :k])) / k for i in range(len(xq))]))


def emit(impl, section, params, metrics):
    print(json.dumps({"impl": impl, "section": section, "threads": threads,
                      "params": dict(params, M=m, N=n, d=d), "metrics": metrics}), flush=True)


def searches(impl, set_ef, set_threads, batch, one):
    """hnsw_search (all queries, THREADS threads) and hnsw_single (one thread) per ef."""
    for ef in efs:
        set_ef(ef)
        set_threads(threads)
        ts = []
        for _ in range(3):
            t0 = time.perf_counter()
            labels = batch(xq)
            ts.append(time.perf_counter() - t0)
        emit(impl, "hnsw_search", {"efSearch": ef},
             {"qps": len(xq) / float(np.median(ts)), "recall@10": recall(labels)})
        set_threads(1)
        lat = []
        for i in range(single_n):
            t0 = time.perf_counter()
            one(xq[i:i + 1])
            lat.append(time.perf_counter() - t0)
        set_threads(threads)
        emit(impl, "hnsw_single", {"efSearch": ef},
             {"latency_ms_median": float(np.median(lat)) * 1e3})


def run_faiss():
    import faiss
    faiss.omp_set_num_threads(threads)
    if faiss_file:
        index = faiss.read_index(faiss_file)
    else:
        index = faiss.IndexHNSWFlat(d, m)
        t0 = time.perf_counter()
        index.add(xb)
        emit("faiss", "hnsw_build", {}, {"build_s": time.perf_counter() - t0})

    def set_ef(ef):
        index.hnsw.efSearch = ef

    searches("faiss", set_ef, faiss.omp_set_num_threads,
             lambda q: index.search(q, k)[1], lambda q: index.search(q, k))


def run_hnswlib():
    import hnswlib
    index = hnswlib.Index(space="l2", dim=d)
    index.init_index(max_elements=n, ef_construction=40, M=m, random_seed=100)
    index.set_num_threads(threads)
    t0 = time.perf_counter()
    index.add_items(xb, np.arange(n))
    emit("hnswlib", "hnsw_build", {}, {"build_s": time.perf_counter() - t0})
    searches("hnswlib", lambda ef: index.set_ef(max(ef, k)), index.set_num_threads,
             lambda q: index.knn_query(q, k)[0], lambda q: index.knn_query(q, k))


if which in ("faiss", "both"):
    run_faiss()
if which in ("hnswlib", "both"):
    run_hnswlib()
