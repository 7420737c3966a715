#!/usr/bin/env python3
"""Faiss's side of `ferrofaiss bench`'s `io_read` records: how long `faiss.read_index`
takes to open a saved index, and to open it and answer one k = 10 query, with a copy
(the default) and, where faiss has it, mapped (`IO_FLAG_MMAP_IFC`). Four rounds each,
the median of the last three printed.

    python scripts/faiss-open.py INDEX.faiss QUERY.fvecs

Needs faiss-cpu and numpy (the venv of scripts/langchain-venv.sh has both).
"""
import os
import statistics
import sys
import time

import faiss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from texmex_io import fvecs  # noqa: E402  (scripts/texmex_io.py, beside this file)

path, queries = sys.argv[1], sys.argv[2]
xq = fvecs(queries)[:1].copy()
faiss.omp_set_num_threads(1)


def run(flags, label):
    opened, answered = [], []
    for _ in range(4):
        t0 = time.perf_counter()
        index = faiss.read_index(path, flags)
        t1 = time.perf_counter()
        index.search(xq, 10)
        t2 = time.perf_counter()
        opened.append(t1 - t0)
        answered.append(t2 - t0)
        del index
    print(label, "read_s", statistics.median(opened[1:]),
          "read_and_first_search_s", statistics.median(answered[1:]))


run(0, "faiss.read_index")
flag = getattr(faiss, "IO_FLAG_MMAP_IFC", None)
if flag is not None:
    run(flag, "faiss.read_index[IO_FLAG_MMAP_IFC]")
