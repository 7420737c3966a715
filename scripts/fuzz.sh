#!/usr/bin/env bash
# Runs one cargo-fuzz target for a while on one core, with the limits of
# docs/reliability.md: usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#
# New inputs go to fuzz/corpus-work/TARGET (ignored by git), which starts from the
# committed corpus fuzz/corpus/TARGET; crashes go to fuzz/artifacts/TARGET/. Exits
# non-zero when libFuzzer reports a crash, a leak, a timeout or an allocation over the
# cap. Needs the nightly toolchain and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
target="$1"
seconds="$2"
shift 2
mkdir -p "corpus-work/$target" "artifacts/$target"
exec cargo +nightly fuzz run "$target" "corpus-work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
    -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" \
    "$@"
