#!/usr/bin/env bash
# Runs one cargo-fuzz target for a while on one core, with the limits of
# docs/reliability.md: usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#
# New inputs go to fuzz/corpus-work/TARGET (ignored by git), which starts from the
# committed corpus fuzz/corpus/TARGET; crashes go to fuzz/artifacts/TARGET/. Exits
# non-zero when libFuzzer reports a crash, a leak, a timeout or an allocation over the
# cap. Needs cargo-fuzz and the nightly toolchain; with FUZZ_TOOLCHAIN=bootstrap it uses
# the default toolchain with RUSTC_BOOTSTRAP=1 instead (how scripts/ci-fuzz.sh runs where
# no nightly can be installed).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
target="$1"
seconds="$2"
shift 2
if [ "${FUZZ_TOOLCHAIN:-nightly}" = bootstrap ]; then
    fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
else
    fuzz=(cargo +nightly fuzz)
fi
mkdir -p "corpus-work/$target" "artifacts/$target"
exec "${fuzz[@]}" run "$target" "corpus-work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
    -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" \
    "$@"
