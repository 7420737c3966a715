#!/usr/bin/env bash
# Builds the kernel crate's tests (and the index crate's) for aarch64-unknown-linux-gnu
# and runs them under user-mode QEMU, so the NEON tier is executed, not only
# type-checked. Installs what it needs when missing (Debian's qemu-user,
# gcc-aarch64-linux-gnu and the aarch64 C library it links against, the Rust target).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-unknown-linux-gnu

missing=()
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing+=(gcc-aarch64-linux-gnu)
# The cross C library (crt files, libc) is only a recommendation of the compiler package.
[ -e /usr/aarch64-linux-gnu/lib/crti.o ] || missing+=(libc6-dev-arm64-cross)
bash scripts/apt-install.sh "${missing[@]}"
if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
cargo test --target "$target" -p flatl2-kernel -p ferrofaiss-index "$@"
