#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# `make bench`: CPU benchmark, our bhyve side by side with
# qemu-system-x86_64 -accel tcg, in the same run and on the same guest.
#
# bench/cpu.S is a multiboot kernel running a fixed 64-bit integer loop
# (INSNS_PER_ITER instructions per iteration, counted by hand in the
# source) for ITERS iterations.  Each round boots it once with ITERS=0
# (start-up cost) and once with ITERS under each VMM; the figures are the
# medians over ROUNDS rounds, start-up subtracted.  Both runs must print
# the same checksum.
#
#   ITERS=100000000 ROUNDS=3 bench/run.sh
set -u
B=${B:-build}
ITERS=${ITERS:-100000000}
ROUNDS=${ROUNDS:-3}
cd "$(dirname "$0")/.."
BHYVE=$PWD/$B/bhyve
OUT=$B/bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if ! command -v qemu-system-x86_64 >/dev/null; then
	bash scripts/deps.sh qemu-system-x86 || exit 1
fi
[ -x "$BHYVE" ] || { echo "bench: $BHYVE not built (make B=$B)"; exit 1; }

mkdir -p "$OUT"
cc -m32 -c -nostdlib -ffreestanding -Itests/guest -o "$OUT/cpu.o" \
    bench/cpu.S || exit 1
ld -m elf_i386 -T tests/guest/guest.ld -nostdlib -o "$OUT/cpu.elf" \
    "$OUT/cpu.o" || exit 1
ELF=$OUT/cpu.elf
PER=$(awk '$1 == "#define" && $2 == "INSNS_PER_ITER" { print $3 }' \
    bench/cpu.S)

# CMD=(the command line of VMM running the benchmark for N iterations)
set_cmd() {
	if [ "$1" = ours ]; then
		CMD=("$BHYVE" -H -m 64M -s 0,hostbridge -s 31,lpc -l com1,stdio
		    -o "boot.kernel=$ELF" -o "boot.cmdline=iters=$2" benchvm)
	else
		CMD=(qemu-system-x86_64 -accel tcg -m 64M -display none
		    -no-reboot -serial stdio -monitor none
		    -device isa-debug-exit,iobase=0xf4,iosize=1
		    -kernel "$ELF" -append "qemu iters=$2")
	fi
}

# run VMM N: wall seconds in $TMP/t, CPU seconds in $TMP/c, peak RSS
# (KiB, GNU time only) in $TMP/m, output in $TMP/out; fails unless the
# VMM exited as a passing guest does (bhyve 2, QEMU's isa-debug-exit 1).
run() {
	local vmm=$1 n=$2 rc want=2 TIMEFORMAT='%R %U %S -'
	[ "$vmm" = qemu ] && want=1
	set_cmd "$vmm" "$n"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -o "$TMP/time" -f '%e %U %S %M' "${CMD[@]}" \
		    >"$TMP/out" 2>"$TMP/err" </dev/null
		rc=$?
	else
		{ time "${CMD[@]}" >"$TMP/out" 2>"$TMP/err" </dev/null; } \
		    2>"$TMP/time"
		rc=$?
	fi
	read -r wall user sys rss < <(tail -n 1 "$TMP/time")
	echo "$wall" >"$TMP/t"
	echo "$user $sys" | awk '{ printf "%.3f\n", $1 + $2 }' >"$TMP/c"
	echo "$rss" >"$TMP/m"
	if [ "$rc" -ne "$want" ] ||
	    ! grep -q "^BENCH iterations=$n " "$TMP/out"; then
		echo "bench: $vmm: exit status $rc, the guest did not" \
		    "finish:" >&2
		tail -n 5 "$TMP/out" "$TMP/err" >&2
		return 1
	fi
	return 0
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A T0 T1 C0 C1 RSS SUM
for vmm in ours qemu; do
	RSS[$vmm]=""
	T0[$vmm]=""
	T1[$vmm]=""
	C0[$vmm]=""
	C1[$vmm]=""
done
echo "bench: cpu.elf, $ITERS iterations x $PER instructions, $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	for vmm in ours qemu; do
		run $vmm 0 || exit 1
		T0[$vmm]+="$(cat "$TMP/t") "
		C0[$vmm]+="$(cat "$TMP/c") "
		run $vmm "$ITERS" || exit 1
		T1[$vmm]+="$(cat "$TMP/t") "
		C1[$vmm]+="$(cat "$TMP/c") "
		RSS[$vmm]+="$(cat "$TMP/m") "
		SUM[$vmm]=$(sed -n 's/.*checksum=\(0x[0-9a-f]*\).*/\1/p' \
		    "$TMP/out")
		printf '  round %d %-4s %6.2f s wall, %6.2f s CPU\n' "$r" \
		    "$vmm" "$(cat "$TMP/t")" "$(cat "$TMP/c")"
	done
done
if [ "${SUM[ours]}" != "${SUM[qemu]}" ]; then
	echo "bench: checksums differ: ours ${SUM[ours]}, qemu ${SUM[qemu]}"
	exit 1
fi

insns=$((ITERS * PER))
# net MEDIAN_WITH MEDIAN_WITHOUT: the loop's share, at least 1 ms.
net() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = a - b; if (n < 0.001) n = 0.001;
	    printf "%.3f", n }'
}
med() { echo $1 | tr ' ' '\n' | median; }
for vmm in ours qemu; do
	w=$(net "$(med "${T1[$vmm]}")" "$(med "${T0[$vmm]}")")
	c=$(net "$(med "${C1[$vmm]}")" "$(med "${C0[$vmm]}")")
	eval "W_$vmm=$w C_$vmm=$c"
	awk -v v="$vmm" -v w="$w" -v c="$c" -v i="$insns" \
	    -v s="$(med "${T0[$vmm]}")" 'BEGIN {
		printf "%-4s: loop %7.3f s wall, %7.3f s CPU" \
		    " (start-up %.3f s); %.0f M guest instructions/s" \
		    " (wall), %.0f M/s (CPU)\n",
		    v, w, c, s, i / w / 1e6, i / c / 1e6 }'
	rss=$(med "${RSS[$vmm]}")
	[ "$rss" != - ] && printf '      peak RSS %d MiB (64 MiB guest)\n' \
	    $((rss / 1024))
done
# shellcheck disable=SC2154
awk -v ow="$W_ours" -v qw="$W_qemu" -v oc="$C_ours" -v qc="$C_qemu" 'BEGIN {
	printf "ratio ours/qemu: %.2f (wall), %.2f (CPU time); target <= 5\n",
	    ow / qw, oc / qc }'
echo "checksum: ${SUM[ours]} (same under both)"

# Boot benchmark: Debian's kernel to userspace, ours vs QEMU (boot.sh).
B=$B ROUNDS=${BOOT_ROUNDS:-$ROUNDS} bash bench/boot.sh
