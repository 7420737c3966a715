#!/usr/bin/env bash
# Installs the Debian packages named as arguments (none: nothing to do), through sudo
# when not root, without recommended packages. Used by .ci/run and scripts that
# install what they need when it is missing.
set -euo pipefail
(($#)) || exit 0
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
