#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo (`make demo`): blesim, the virtual controller, carries a BLE
# session between two MicroPython programs run on CPython by
# scripts/blehost-python: examples/demo/temp_sensor.py (a peripheral with an
# Environmental Sensing service whose temperature notifies) and
# examples/demo/temp_client.py (a central that scans, connects, discovers,
# reads, subscribes, prints DEMO_NOTIFICATIONS notifications, disconnects).
# Prints a transcript, each line prefixed by who said it, and the btsnoop
# captures; exits 0 on success, 1 on any failure or timeout. Bounded: each
# program stops itself within ~25 s and is killed at DEMO_TIMEOUT.
#
# Usage: scripts/demo.sh [BUILD_DIR]   (default build/asan)
# Environment: DEMO_OUT (output directory, default BUILD_DIR/demo),
#   DEMO_NOTIFICATIONS (5), DEMO_TIMEOUT (seconds per program, 35).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build/asan}
blesim="$build/tools/blesim/blesim"
hci_info="$build/examples/hci_info"
pydir="$build/bindings/python"
out=${DEMO_OUT:-$build/demo}
count=${DEMO_NOTIFICATIONS:-5}
limit=${DEMO_TIMEOUT:-35}

say() { echo "demo: $*"; }
die() { echo "demo: FAILED: $*" >&2; exit 1; }

for f in "$blesim" "$hci_info"; do
    [ -x "$f" ] || die "$f not built (cmake --build $build)"
done
ls "$pydir"/bluetooth*.so >/dev/null 2>&1 ||
    die "no bluetooth module in $pydir (CMake found no Python3 development files?)"

# A module built with -DBH_SANITIZE=ON needs the ASan runtime preloaded into
# the (uninstrumented) python3, as bindings/python/CMakeLists.txt says.
asan_preload() {
    grep -q '^BH_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null || return 0
    cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
    lib=libasan.so
    if "$cc" --version 2>/dev/null | grep -qi clang; then
        lib=libclang_rt.asan-$(uname -m).so
    fi
    "$cc" -print-file-name="$lib"
}
preload=$(asan_preload)
asan_options=${ASAN_OPTIONS:-detect_leaks=0}

rm -rf "$out"
mkdir -p "$out/sim"
# A unix socket path must fit in sun_path (108 bytes with its NUL).
sock="$out/sim.sock"
sockdir=""
if [ ${#sock} -gt 100 ]; then
    sockdir=$(mktemp -d /tmp/blehost-demo.XXXXXX)
    sock="$sockdir/sim.sock"
fi
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for f in "$out"/*.pid; do
        if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
    done
    [ -z "$sockdir" ] || rm -rf "$sockdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# blesim: one controller per client of the socket, a capture per controller.
"$blesim" --listen "unix:$sock" --btsnoop "$out/sim" >"$out/blesim.log" 2>&1 &
simpid=$!
pids=$simpid
i=0
until grep -q '^blesim: listening' "$out/blesim.log"; do
    kill -0 $simpid 2>/dev/null || die "blesim did not start: $(cat "$out/blesim.log")"
    i=$((i + 1))
    [ $i -lt 100 ] || die "blesim did not start within 10 s"
    sleep 0.1
done
say "blesim listening on unix:$sock"
export BLEHOST_HCI="unix:$sock"

# Step 1: the host's HCI init against a controller, from C.
hci_rc=0
timeout 10 "$hci_info" "$BLEHOST_HCI" >"$out/hci_info.log" 2>&1 || hci_rc=$?
sed 's/^/hci_info: /' "$out/hci_info.log"
[ $hci_rc -eq 0 ] || die "hci_info exit status $hci_rc"

# Step 2: the two MicroPython programs, side by side. run NAME CMD... runs
# CMD with its output prefixed by NAME; CMD's pid and exit status land in
# $out/NAME.pid and $out/NAME.rc.
run() {
    name=$1
    shift
    {
        "$@" 2>&1 &
        echo $! >"$out/$name.pid"
        wait $! && rc=0 || rc=$?
        echo "$rc" >"$out/$name.rc"
    } | prefix "$name" "$out/$name.log"
}
# prefix NAME LOG: copy stdin to LOG, and to stdout with "NAME: " before each
# line, line by line as it arrives (awk would buffer its input).
prefix() {
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s: %s\n' "$1" "$line"
        printf '%s\n' "$line" >>"$2"
    done
}
py="$root/scripts/blehost-python"
# shellcheck disable=SC2317 # called through run()
pyenv() {   # exec: so that the pid run() records is timeout's
    exec env BLEHOST_PYTHONPATH="$pydir" LD_PRELOAD="$preload" ASAN_OPTIONS="$asan_options" "$@"
}
run sensor pyenv BLEHOST_BTSNOOP="$out/sensor.btsnoop" \
    timeout -k 2 "$limit" "$py" "$root/examples/demo/temp_sensor.py" &
pids="$pids $!"
run client pyenv BLEHOST_BTSNOOP="$out/client.btsnoop" \
    timeout -k 2 "$limit" "$py" "$root/examples/demo/temp_client.py" "$count" &
pids="$pids $!"

# wait_rc NAME SECONDS: NAME's exit status, or "timeout".
wait_rc() {
    n=0
    while [ ! -s "$out/$1.rc" ] && [ $n -lt $(($2 * 10)) ]; do
        sleep 0.1
        n=$((n + 1))
    done
    if [ -s "$out/$1.rc" ]; then cat "$out/$1.rc"; else echo timeout; fi
}
client_rc=$(wait_rc client $((limit + 5)))
sensor_rc=$(wait_rc sensor 8)   # it ends when the client disconnects
cleanup
wait 2>/dev/null || true
pids=""
rm -f "$out"/*.pid

# A sanitizer report or an exception in a handler fails the demo even when
# the program went on to exit 0.
reported() {
    grep -q 'AddressSanitizer\|runtime error:\|Unhandled exception' "$out/$1.log" 2>/dev/null
}
if reported sensor; then sensor_rc="error report in its output"; fi
if reported client; then client_rc="error report in its output"; fi

describe() {
    case $1 in
        0) echo "ok" ;;
        124|137|timeout) echo "timed out" ;;
        [0-9]*) echo "exit status $1" ;;
        *) echo "$1" ;;
    esac
}

# The captures: packet counts, and whether Wireshark decodes every frame
# without a malformed packet or an error-level expert note.
say "btsnoop captures:"
for f in "$out/sensor.btsnoop" "$out/client.btsnoop" "$out"/sim/*.btsnoop; do
    [ -f "$f" ] || continue
    if command -v tshark >/dev/null 2>&1; then
        if dump=$(tshark -r "$f" -T fields -e frame.number -e _ws.malformed \
                  -e _ws.expert.severity 2>/dev/null); then
            n=$(printf '%s\n' "$dump" | grep -c . || true)
            bad=$(printf '%s\n' "$dump" | awk -F'\t' '$2 != "" || $3 ~ /8388608/' | wc -l)
            if [ "$bad" -eq 0 ]; then
                echo "  $f: $n packets, decode cleanly"
            else
                echo "  $f: $n packets, $bad NOT decoded cleanly"
                [ "$client_rc" != 0 ] || client_rc="malformed capture"
            fi
        else
            echo "  $f: tshark cannot read it"
            [ "$client_rc" != 0 ] || client_rc="unreadable capture"
        fi
    else
        echo "  $f"
    fi
done

if [ "$client_rc" = 0 ] && [ "$sensor_rc" = 0 ]; then
    say "OK"
    exit 0
fi
case $client_rc in *capture) die "$client_rc" ;; esac
die "client $(describe "$client_rc"), sensor $(describe "$sensor_rc") (transcripts: $out/*.log)"
