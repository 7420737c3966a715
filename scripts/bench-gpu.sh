#!/usr/bin/env bash
# Batch flat and IVF1024,Flat search on a real GPU: ours (wgpu) beside our CPU path and beside faiss-gpu,
# on one shared/bench data folder, as issue 10 asks. Run it on a machine with a GPU:
#
#   bash scripts/bench-gpu.sh [DATA_DIR] [NQ] [ROUNDS]
#
# DATA_DIR defaults to ~/.cache/ferrofaiss-bench/data/clustered-d128-n1m (make it with
# `python3 ../shared/bench/gen_data.py`). Prints JSON records, one per device, then
# faiss-gpu's, when `import faiss` has GPUs (pip install faiss-gpu-cu12); otherwise it
# says faiss-gpu is missing. Software Vulkan (lavapipe) runs it too, but is no benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-$HOME/.cache/ferrofaiss-bench/data/clustered-d128-n1m}"
nq="${2:-1000}"
rounds="${3:-3}"
[ -f "$data/base.fvecs" ] || { echo "bench-gpu: no $data/base.fvecs" >&2; exit 2; }

cargo build --release -q -p ferrofaiss-gpu --example flat_bench
./target/release/examples/flat_bench "$data" "$nq" "$rounds" 1024

python3 - "$data" "$nq" "$rounds" <<'PY'
import json, sys, time
sys.path.insert(0, "scripts")
from texmex_io import fvecs, ivecs
data, nq, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    import faiss
    ngpu = faiss.get_num_gpus()
except Exception as e:  # faiss missing or CPU-only
    print(f"bench-gpu: faiss-gpu unavailable ({e!r})", file=sys.stderr)
    sys.exit(0)
if ngpu == 0:
    print("bench-gpu: faiss has no GPU here (pip install faiss-gpu-cu12)", file=sys.stderr)
    sys.exit(0)
xb, xq, gt = fvecs(f"{data}/base.fvecs"), fvecs(f"{data}/query.fvecs")[:nq], ivecs(f"{data}/gt.ivecs")
res = faiss.StandardGpuResources()
d = xb.shape[1]


def timed(index, label, nprobe):
    index.search(xq, 10)
    qps = []
    for _ in range(max(rounds, 1)):
        t = time.perf_counter()
        _, labels = index.search(xq, 10)
        qps.append(len(xq) / (time.perf_counter() - t))
    qps.sort()
    recall = sum(len(set(labels[i]) & set(gt[i][:10])) for i in range(len(xq))) / (10 * len(xq))
    print(json.dumps({"section": "batch", "device": "faiss-gpu", "qps": round(qps[len(qps) // 2], 1),
                      "recall@10": round(recall, 4),
                      "params": {"device": "faiss-gpu", "index": label, "nprobe": nprobe,
                                 "n": int(xb.shape[0]), "d": int(d), "nq": int(len(xq)), "k": 10,
                                 "faiss": faiss.__version__}}))


flat = faiss.GpuIndexFlatL2(res, d)
flat.add(xb)
timed(flat, "Flat", 0)
del flat
nlist = 1024
ivf = faiss.GpuIndexIVFFlat(res, d, nlist, faiss.METRIC_L2)
ivf.train(xb[: 256 * nlist])
ivf.add(xb)
for nprobe in (1, 16, 64):
    ivf.nprobe = nprobe
    timed(ivf, f"IVF{nlist},Flat", nprobe)
PY
