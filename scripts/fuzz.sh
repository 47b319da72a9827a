#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every libFuzzer target of a fuzz build for a short time, seeded from
# tests/fuzz/corpus/<name> (and tools/blesim/fuzz/corpus/<name> if present).
# Usage: scripts/fuzz.sh FUZZ_BUILD_DIR SECONDS
set -eu
build=$1
secs=${2:-15}
top=$(cd "$(dirname "$0")/.." && pwd)
found=0
for f in $(find "$build" -type f -name 'fuzz_*' -perm -u+x | sort); do
    name=$(basename "$f")
    found=$((found + 1))
    work=$(mktemp -d)
    for seed in "$top/tests/fuzz/corpus/$name" "$top/tools/blesim/fuzz/corpus/$name"; do
        [ -d "$seed" ] && cp "$seed"/* "$work"/ 2>/dev/null || true
    done
    echo "fuzz: $name for ${secs}s"
    if ! "$f" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 "$work" \
        >"$work.log" 2>&1; then
        tail -40 "$work.log"
        echo "fuzz: $name FAILED (reproducer in $work)"
        exit 1
    fi
    grep -E "^Done|DONE" "$work.log" | tail -1 || true
    rm -rf "$work" "$work.log"
done
echo "fuzz: $found targets ran clean"
