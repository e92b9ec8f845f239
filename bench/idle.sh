#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Host CPU used by an idle guest (issue 7): bench/idle.S halts with a
# 100 Hz LAPIC timer tick; after a settling second, the bhyve process's
# user + system CPU time over SECONDS_IDLE seconds (default 10) is read
# from /proc and printed with the share of one host CPU.  A measurement,
# not a test: HLT must sleep, so this should stay well under 5%.
#
#   B=build bash bench/idle.sh
set -u
B=${B:-build}
SECS=${SECONDS_IDLE:-10}
cd "$(dirname "$0")/.."
BHYVE=$PWD/$B/bhyve
OUT=$B/bench
[ -x "$BHYVE" ] || { echo "bench: $BHYVE not built (make B=$B)"; exit 1; }
mkdir -p "$OUT"
cc -m32 -c -nostdlib -ffreestanding -Itests/guest -o "$OUT/idle.o" \
    bench/idle.S || exit 1
ld -m elf_i386 -T tests/guest/guest.ld -nostdlib -o "$OUT/idle.elf" \
    "$OUT/idle.o" || exit 1

cputime() {	# cputime PID: utime + stime in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

"$BHYVE" -H -m 64M -s 0,hostbridge -s 31,lpc -l com1,stdio \
    -o "boot.kernel=$OUT/idle.elf" idlebench </dev/null >"$OUT/idle.out" 2>&1 &
pid=$!
sleep 1
t0=$(cputime "$pid") || exit 1
sleep "$SECS"
t1=$(cputime "$pid") || exit 1
kill -TERM "$pid"
wait "$pid"
rc=$?
hz=$(getconf CLK_TCK)
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$SECS" -v rc="$rc" 'BEGIN {
	printf "idle guest, 100 Hz tick: %.2f s host CPU in %d s (%.1f%% of one CPU); exit %d on SIGTERM\n",
	    d / hz, s, 100 * d / hz / s, rc
}'
