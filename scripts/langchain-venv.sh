#!/usr/bin/env bash
# Makes the Python that the LangChain round-trip test runs (crates/store/tests/python_roundtrip.rs,
# issue 13): a venv at .venv-langchain (ignored by git) with the versions
# specs/langchain-pickle.md was verified with. The last line printed on stdout is the
# venv's python, so `export FERROFAISS_PYTHON="$(bash scripts/langchain-venv.sh)"` works.
# Running it again with the venv in place only checks the imports and prints the path.
#
# Needs: python3 (3.9+) with the venv module, network access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$PWD/.venv-langchain"
python="$venv/bin/python"
log() { echo "langchain-venv: $*" >&2; }

check() {
    "$python" -c 'import faiss, langchain_community, langchain_core' >/dev/null 2>&1
}

if ! check; then
    log "creating $venv (faiss-cpu 1.15.1, langchain-community 0.4.2, langchain-core 1.7.2)"
    python3 -m venv "$venv"
    "$python" -m pip install --quiet --disable-pip-version-check \
        "faiss-cpu==1.15.1" "langchain-community==0.4.2" "langchain-core==1.7.2" >&2
    check || { log "the venv cannot import faiss and langchain_community"; exit 1; }
fi
echo "$python"
