#!/bin/sh
# SPDX-License-Identifier: MIT
# The HCI init sequence against blesim, three times in one process, with
# captures on both sides; tshark must decode every packet cleanly.
# Usage: hci_init_blesim.sh BLESIM HCI_INFO
set -eu
blesim=$1
hci_info=$2
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

# blesim prints "listening on" once its socket accepts: wait for that line
# (a blocking read on a FIFO, no polling), then keep draining its output.
mkdir -p "$dir/sim"
mkfifo "$dir/fifo"
"$blesim" --listen "unix:$dir/sim.sock" --btsnoop "$dir/sim" >"$dir/fifo" 2>&1 &
pid=$!
exec 3<"$dir/fifo"
IFS= read -r line <&3 || { echo "blesim exited before listening"; exit 1; }
echo "$line"
case "$line" in *"listening on"*) ;; *) echo "unexpected: $line"; exit 1 ;; esac
cat <&3 >"$dir/blesim.log" &

"$hci_info" --repeat 3 --btsnoop "$dir/host.btsnoop" "unix:$dir/sim.sock" | tee "$dir/out"
grep -q "identity address" "$dir/out"

if command -v tshark >/dev/null 2>&1; then
    for f in "$dir/host.btsnoop" "$dir"/sim/*; do
        [ -f "$f" ] || continue
        n=$(tshark -r "$f" 2>/dev/null | wc -l)
        echo "$(basename "$f"): $n packets"
        [ "$n" -gt 0 ]
        if tshark -r "$f" -V 2>&1 | grep -qi "malformed"; then
            echo "malformed packet in $f"
            exit 1
        fi
    done
    # The host's capture holds the whole init sequence, three times.
    [ "$(tshark -r "$dir/host.btsnoop" -Y 'bthci_cmd.opcode == 0x0c03' 2>/dev/null | wc -l)" -eq 3 ]
fi
echo "hci init against blesim: ok"
