#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo: start blesim, bring blehost up against it, print a transcript and
# where the btsnoop captures are. Usage: scripts/demo.sh BUILD_DIR
set -eu
build=${1:-build/asan}
blesim="$build/tools/blesim/blesim"
hci_info="$build/examples/hci_info"
out=${DEMO_OUT:-$build/demo}
rm -rf "$out"
mkdir -p "$out/sim"

mkfifo "$out/fifo"
"$blesim" --listen "unix:$out/sim.sock" --btsnoop "$out/sim" >"$out/fifo" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out/fifo"' EXIT
exec 3<"$out/fifo"
IFS= read -r line <&3
echo "$line"
cat <&3 >"$out/blesim.log" &

echo "== blehost: HCI init against blesim"
"$hci_info" --btsnoop "$out/host.btsnoop" "unix:$out/sim.sock"
echo "== captures"
for f in "$out/host.btsnoop" "$out"/sim/*; do
    [ -f "$f" ] || continue
    if command -v tshark >/dev/null 2>&1; then
        echo "$f ($(tshark -r "$f" 2>/dev/null | wc -l) packets)"
    else
        echo "$f"
    fi
done
