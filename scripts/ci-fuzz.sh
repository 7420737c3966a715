#!/usr/bin/env bash
# CI step: builds the cargo-fuzz targets and runs each one briefly (default 20 s, or
# FUZZ_SECONDS) from its committed corpus, one at a time on one core, with the limits of
# docs/reliability.md. Installs the nightly toolchain and cargo-fuzz when missing; where
# nightly cannot be installed, builds with the default toolchain and RUSTC_BOOTSTRAP=1
# (the sanitizer flags are nightly-only options of the same compiler).
#
# Any crash, panic, leak, timeout or over-cap allocation fails the step, except one
# whose report matches a line of fuzz/known-defects.txt for that target (open defects
# being fixed elsewhere, each with a reproducer in fuzz/artifacts-known/): those are
# printed as KNOWN and the step goes on. The reproducers are replayed at the end, and
# the ones that no longer fail are named so their lines can be removed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"

export FUZZ_TOOLCHAIN=nightly
if ! rustup toolchain list | grep -q '^nightly'; then
    if ! rustup toolchain install nightly --profile minimal; then
        echo "no nightly toolchain: building the fuzz targets with RUSTC_BOOTSTRAP=1"
        FUZZ_TOOLCHAIN=bootstrap
    fi
fi
if [ "$FUZZ_TOOLCHAIN" = bootstrap ]; then
    fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
else
    fuzz=(cargo +nightly fuzz)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

echo "-- cargo fuzz build (all targets, $FUZZ_TOOLCHAIN)"
start=$(date +%s)
(cd fuzz && "${fuzz[@]}" build)
echo "fuzz build: $(($(date +%s) - start)) s"

# Prints the known-defect signatures of target $1, one per line.
signatures() {
    grep -v '^#' fuzz/known-defects.txt | sed -n "s/^$1: *//p"
}

# Whether the libFuzzer report in file $2 is a known defect of target $1: some line of
# fuzz/known-defects.txt for it has all its `&&`-separated parts in the report.
is_known() {
    local sig part all
    while IFS= read -r sig; do
        [ -n "$sig" ] || continue
        all=1
        while IFS= read -r part; do
            part="$(echo "$part" | sed 's/^ *//; s/ *$//')"
            grep -qF -- "$part" "$2" || all=0
        done < <(echo "$sig" | sed 's/ && /\n/g')
        [ "$all" = 1 ] && return 0
    done < <(signatures "$1")
    return 1
}

failed=()
log="$(mktemp)"
for target in $(cd fuzz && "${fuzz[@]}" list); do
    echo "-- fuzz $target for $seconds s"
    # The outer timeout guards against a libFuzzer that hangs while reporting (seen
    # after an RSS-limit report on the memo DAG reproducer).
    if timeout -s KILL $((seconds + 120)) bash scripts/fuzz.sh "$target" "$seconds" >"$log" 2>&1; then
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' "$log" || true
    elif is_known "$target" "$log"; then
        echo "KNOWN defect of $target (fuzz/known-defects.txt, docs/reliability.md):"
        grep -E '==ERROR|^SUMMARY|panicked at' "$log" | head -3 || true
    else
        echo "FAILED: $target found a new defect; report:"
        tail -60 "$log"
        failed+=("$target")
    fi
done
rm -f "$log"

echo "-- known defects: replaying fuzz/artifacts-known"
for dir in fuzz/artifacts-known/*/; do
    target="$(basename "$dir")"
    for repro in "$dir"*; do
        [ -f "$repro" ] || continue
        if (cd fuzz && timeout -s KILL 60 "${fuzz[@]}" run "$target" "../$repro" -- \
            -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10) >/dev/null 2>&1; then
            echo "FIXED? $repro no longer fails: drop its line from fuzz/known-defects.txt"
        else
            echo "still failing: $repro"
        fi
    done
done

if ((${#failed[@]})); then
    echo "fuzz targets with new defects: ${failed[*]}"
    exit 1
fi
