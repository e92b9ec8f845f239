#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Boot benchmark: time from starting the VMM to the line "bhyve-linux:
# init reached" that the initramfs's /init prints, for our bhyve and for
# qemu-system-x86_64 -accel tcg, on the same Debian cloud kernel and
# busybox initramfs (scripts/fetch-kernel.sh, scripts/mkinitramfs.sh),
# alternating in the same run, ROUNDS rounds, medians and their ratio.
#
# Memory: when the marker appears, /proc/PID/smaps of the VMM is read;
# guest RAM is the mapping of the guest's size (our memfd segment,
# QEMU's pc.ram; MEM up to 3G, all low memory), the VMM's overhead the
# rest of the RSS (for QEMU that includes its 1 GiB TCG code buffer).
#
#   ROUNDS=3 CPUS=1 MEM=512M bench/boot.sh
set -u
B=${B:-build}
ROUNDS=${ROUNDS:-3}
CPUS=${CPUS:-1}
MEM=${MEM:-512M}
TIMEOUT=${TIMEOUT:-900}
cd "$(dirname "$0")/.."
BHYVE=$PWD/$B/bhyve
OUT=$B/bench
mkdir -p "$OUT"

[ -x "$BHYVE" ] || { echo "bench/boot: $BHYVE not built"; exit 1; }
command -v qemu-system-x86_64 >/dev/null ||
	bash scripts/deps.sh qemu-system-x86 || exit 1
bash scripts/deps.sh busybox-static cpio || exit 1
if ! kv=$(bash scripts/fetch-kernel.sh cloud); then
	echo "bench/boot: no kernel (no network?); skipped"
	exit 0
fi
KERNEL=$(echo "$kv" | sed -n 's/^KERNEL=//p')
ROOT=$(echo "$kv" | sed -n 's/^ROOT=//p')
INITRD=cache/initramfs-$(basename "$ROOT").cpio.gz
bash scripts/mkinitramfs.sh "$ROOT" "$INITRD" || exit 1
APPEND="console=ttyS0 panic=-1 loglevel=4 bhyvetest=marker"
memk=$(echo "$MEM" | awk '/[Gg]$/ { print $0 * 1048576; next }
	/[Mm]$/ { print $0 * 1024; next } { print $0 / 1024 }')

# Guest RAM and the rest of the RSS of PID, in KiB: "guest other".
rss_split() {
	awk -v m="$memk" '
		/^[0-9a-f]+-[0-9a-f]+ / { big = 0 }
		/^Size:/ { big = ($2 >= m && $2 <= m + 8192) }
		/^Rss:/ { if (big) g += $2; else o += $2 }
		END { printf "%d %d\n", g, o }' "/proc/$1/smaps" 2>/dev/null
}

# boot VMM LOG: sets T (seconds to the marker, or "-") and MEMSPLIT.
boot() {
	local vmm=$1 log=$2 t0 now pid l
	local cmd

	if [ "$vmm" = ours ]; then
		cmd=("$BHYVE" -c "$CPUS" -m "$MEM" -H -s 0,hostbridge
		    -s 31,lpc -l com1,stdio -o "boot.kernel=$KERNEL"
		    -o "boot.initrd=$INITRD" -o "boot.cmdline=$APPEND" bootbench)
	else
		cmd=(qemu-system-x86_64 -accel tcg -smp "$CPUS" -m "$MEM"
		    -display none -serial stdio -monitor none -no-reboot
		    -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND")
	fi
	T=-
	MEMSPLIT="- -"
	t0=$EPOCHREALTIME
	"${cmd[@]}" </dev/null >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$T" = - ] && grep -q 'bhyve-linux: init reached' "$log"
		then
			now=$EPOCHREALTIME
			MEMSPLIT=$(rss_split "$pid")
			T=$(awk -v a="$t0" -v b="$now" \
			    'BEGIN { printf "%.2f", b - a }')
		fi
		now=$EPOCHREALTIME
		if awk -v a="$t0" -v b="$now" -v m="$TIMEOUT" \
		    'BEGIN { exit !(b - a > m) }'; then
			kill -KILL "$pid"
			break
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g |
	awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : "-") }'; }

declare -A TS GM OM
TS[ours]=""; TS[qemu]=""; GM[ours]=""; GM[qemu]=""; OM[ours]=""; OM[qemu]=""
echo "bench/boot: $(basename "$KERNEL"), $CPUS vCPU, $MEM, $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	for vmm in ours qemu; do
		boot "$vmm" "$OUT/boot-$vmm-$r.log"
		if [ "$T" = - ]; then
			echo "bench/boot: $vmm never reached the marker; log:"
			tail -5 "$OUT/boot-$vmm-$r.log" | sed 's/^/    /'
			continue
		fi
		read -r g o <<<"$MEMSPLIT"
		TS[$vmm]+="$T "
		GM[$vmm]+="$g "
		OM[$vmm]+="$o "
		printf '  round %d %-4s %7.2f s to init; RSS %d MiB guest + %d' \
		    "$r" "$vmm" "$T" $((g / 1024)) $((o / 1024))
		printf ' MiB VMM\n'
	done
done
to=$(echo "${TS[ours]}" | median)
tq=$(echo "${TS[qemu]}" | median)
for vmm in ours qemu; do
	printf '%-4s: median %s s to init; VMM overhead %s MiB (RSS minus' \
	    "$vmm" "$(echo "${TS[$vmm]}" | median)" \
	    "$(( $(echo "${OM[$vmm]}" | median | sed 's/^-$/0/') / 1024 ))"
	printf ' %s MiB of guest pages touched)\n' \
	    "$(( $(echo "${GM[$vmm]}" | median | sed 's/^-$/0/') / 1024 ))"
done
if [ "$to" != - ] && [ "$tq" != - ]; then
	awk -v o="$to" -v q="$tq" 'BEGIN {
		printf "boot ratio ours/qemu: %.2f; target <= 5\n", o / q }'
fi
