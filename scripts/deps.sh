#!/bin/sh
# SPDX-License-Identifier: MIT
# Make sure the Debian packages blehost needs are installed.
# As root: installs what is missing with apt-get (non-interactive).
# Otherwise: prints the one apt-get line needed and fails.
# Usage: scripts/deps.sh [extra-package ...]
set -eu

pkgs="cmake ninja-build gcc make libc6-dev libmbedtls-dev python3 python3-dev tshark $*"
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "deps: missing Debian packages. Run:"
    echo "  sudo apt-get install -y$missing"
    exit 1
fi
