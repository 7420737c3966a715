#!/usr/bin/env python3
"""Native Faiss scalar quantizers beside `ferrofaiss bench --index SQ8` (and SQfp16,
Flat, IVF{n},SQ8): the same TEXMEX files, the same sections and metric names as the
`sq_*` records of `ferrofaiss bench --json` (sq_train, sq_add, sq_single, sq_batch;
for IVF: ivf_train, ivf_add, ivf_search / ivf_single per nprobe), one JSON object per
line. One-query latency is the median over the first QUERIES queries.

    python scripts/bench-faiss-sq.py BASE.fvecs QUERY.fvecs GT.ivecs FACTORY \
        [THREADS] [QUERIES] [NPROBE,...]

FACTORY may instead name a saved index file (`*.faiss`, e.g. one `ferrofaiss bench
--save-index` wrote): it is read with faiss.read_index and only searched, so the two
libraries can be timed alternately on the very same index.

Needs faiss-cpu and numpy (the venv of scripts/langchain-venv.sh has both).
"""
import json
import sys
import time

import faiss
import numpy as np

from texmex_io import fvecs, ivecs  # scripts/texmex_io.py, beside this file


base, query, gt_path, factory = sys.argv[1:5]
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
single_n = int(sys.argv[6]) if len(sys.argv) > 6 else 100
nprobes = [int(x) for x in sys.argv[7].split(",")] if len(sys.argv) > 7 else [1, 16, 64]
faiss.omp_set_num_threads(threads)
xb, xq, gt = fvecs(base), fvecs(query), ivecs(gt_path)
n, d = xb.shape
k = 10
impl = f"faiss {faiss.__version__} {factory}"


def emit(section, params, metrics):
    params = dict(params, index=factory, N=n, d=d)
    print(json.dumps({"section": section, "impl": impl, "threads": threads,
                      "params": params, "metrics": metrics}), flush=True)


def recall(labels):
    hits = sum(len(set(labels[q, :k]) & set(gt[q, :k])) for q in range(labels.shape[0]))
    return hits / (labels.shape[0] * k)


def single(index, params=None):
    lat, labels = [], []
    for q in range(min(single_n, xq.shape[0])):
        t0 = time.perf_counter()
        _, i = index.search(xq[q:q + 1], k, params=params)
        lat.append(time.perf_counter() - t0)
        labels.append(i[0])
    return {"latency_ms_median": float(np.median(lat) * 1e3),
            "qps": 1.0 / float(np.median(lat)),
            "recall@10": recall(np.array(labels))}


loaded = factory.endswith(".faiss")
if loaded:
    index = faiss.read_index(factory)
    is_ivf = isinstance(faiss.try_extract_index_ivf(index), faiss.IndexIVF)
else:
    index = faiss.index_factory(d, factory)
    is_ivf = factory.startswith("IVF")
prefix = "ivf" if is_ivf else "sq"
if not loaded:
    t0 = time.perf_counter()
    index.train(xb)
    emit(f"{prefix}_train", {}, {"train_s": time.perf_counter() - t0})
    t0 = time.perf_counter()
    index.add(xb)
    emit(f"{prefix}_add", {}, {"add_s": time.perf_counter() - t0})
if not is_ivf:
    emit("sq_single", {"k": k}, single(index))
    t0 = time.perf_counter()
    _, labels = index.search(xq, k)
    dt = time.perf_counter() - t0
    emit("sq_batch", {"k": k, "nq": xq.shape[0]},
         {"qps": xq.shape[0] / dt, "ms_per_batch": dt * 1e3, "recall@10": recall(labels)})
else:
    for nprobe in nprobes:
        p = faiss.SearchParametersIVF(nprobe=nprobe)
        t0 = time.perf_counter()
        _, labels = index.search(xq, k, params=p)
        dt = time.perf_counter() - t0
        emit("ivf_search", {"nprobe": nprobe, "nq": xq.shape[0]},
             {"qps": xq.shape[0] / dt, "recall@10": recall(labels)})
        emit("ivf_single", {"nprobe": nprobe, "k": k}, single(index, p))
