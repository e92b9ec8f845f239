#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Guest tests: boot each tests/guest/NAME.S (built as $B/tests/guest/
# NAME.elf, a multiboot kernel) in bhyve and judge it by its serial output
# and exit status.  One "PASS: name" or "FAIL: name" line per guest.
#
# A guest passes when bhyve exits 2 (all vCPUs halted with interrupts
# disabled, -H), it printed no "not ok" line, and its last line is
# "# NAME: N tests, 0 failed" with N "ok" lines before it.
#
# Also checks that the kernel loader rejects bad kernel files cleanly.
#
#   tests/guest/run.sh [--qemu] [NAME...]
#
# --qemu runs the same guests under qemu-system-x86_64 -accel tcg instead
# (QEMU exits 1 through isa-debug-exit when the guest passed): the guests
# are checked against it before our CPU runs them.
# GUEST_TIMEOUT (seconds, default 20) bounds each run.
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
BHYVE=$PWD/$B/bhyve
GDIR=$B/tests/guest
TIMEOUT=${GUEST_TIMEOUT:-20}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

qemu=0
if [ "${1:-}" = --qemu ]; then
	qemu=1
	shift
fi

# Per-guest extra configuration: the multiboot info test wants a command
# line and a module.
guest_args() {
	case "$1" in
	mbinfo)
		local mod=tests/guest/mbinfo.dat
		if [ $qemu -eq 1 ]; then
			echo "-append|hello=world|-initrd|$mod"
		else
			echo "-o|boot.cmdline=hello=world|-o|boot.initrd=$mod"
		fi ;;
	smp*)
		# Four vCPUs: the guest starts the APs with INIT/SIPI.
		if [ $qemu -eq 1 ]; then echo "-smp|4"; else echo "-c|4"; fi ;;
	pciwalk)
		# A PCI uart besides the bridges every guest gets.
		if [ $qemu -eq 0 ]; then
			echo "-s|3,uart"
		fi ;;
	x2apic)
		if [ $qemu -eq 1 ]; then echo "-cpu|max,+x2apic"; else echo "-x"; fi ;;
	esac
}

# The exit status a guest that passed ends with (bhyve(8) EXIT STATUS):
# 2 halted, but 0 for the reset guests, 1 for power-off, 3 for a triple
# fault.
guest_want() {
	case "$1" in
	reset_*) echo 0 ;;
	poweroff) echo 1 ;;
	triplefault) echo 3 ;;
	*) echo 2 ;;
	esac
}

run_guest() {	# run_guest NAME: output in $TMP/out, returns the exit status
	local name=$1 elf=$GDIR/$1.elf extra=() rc append=qemu
	local IFS='|'
	read -r -a extra <<<"$(guest_args "$name")"
	unset IFS
	if [ $qemu -eq 1 ]; then
		if [ "${extra[0]:-}" = -append ]; then
			append="qemu ${extra[1]}"
			extra=("${extra[@]:2}")
		fi
		timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 64M \
		    -display none -no-reboot -serial stdio -monitor none \
		    -device isa-debug-exit,iobase=0xf4,iosize=1 \
		    -kernel "$elf" -append "$append" ${extra[@]+"${extra[@]}"} \
		    >"$TMP/out" 2>"$TMP/err" </dev/null
		rc=$?
	else
		timeout "$TIMEOUT" "$BHYVE" -H -m 64M -s 0,hostbridge \
		    -s 31,lpc -l com1,stdio -o boot.kernel="$elf" \
		    ${extra[@]+"${extra[@]}"} testvm \
		    >"$TMP/out" 2>"$TMP/err" </dev/null
		rc=$?
	fi
	return $rc
}

# judge NAME RC: print PASS/FAIL with the reason.
judge() {
	local name=$1 rc=$2 want why="" last n oks
	want=$(guest_want "$name")
	[ $qemu -eq 1 ] && want=1
	tr -d '\r' <"$TMP/out" >"$TMP/log"
	last=$(grep -v '^$' "$TMP/log" | tail -n 1)
	oks=$(grep -c '^ok [0-9]' "$TMP/log")
	if [ "$rc" -eq 124 ]; then
		why="timed out after ${TIMEOUT}s"
	elif [ "$rc" -ne "$want" ]; then
		why="exit status $rc, want $want"
	elif grep -q '^not ok' "$TMP/log"; then
		why="$(grep -c '^not ok' "$TMP/log") checks failed"
	elif ! [[ $last =~ ^#\ $name:\ ([0-9]+)\ tests,\ 0\ failed$ ]]; then
		why="no final summary line"
	else
		n=${BASH_REMATCH[1]}
		[ "$n" -gt 0 ] && [ "$n" -eq "$oks" ] ||
		    why="$oks ok lines for $n tests"
	fi
	if [ -z "$why" ]; then
		echo "PASS: $name"
		return
	fi
	grep -v '^ok ' "$TMP/log" | tail -n 20 | sed 's/^/    /'
	sed 's/^/    stderr: /' "$TMP/err" | tail -n 5
	echo "FAIL: $name ($why)"
}

# Loader checks: a bad kernel file must give exit 4 and a clear message.
loader_case() {	# loader_case NAME FILE MESSAGE
	local name=$1 file=$2 msg=$3 rc
	timeout "$TIMEOUT" "$BHYVE" -H -m 64M -s 0,hostbridge -s 31,lpc \
	    -l com1,stdio -o boot.kernel="$file" testvm \
	    >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	if [ $rc -eq 4 ] && grep -qF -- "$msg" "$TMP/err"; then
		echo "PASS: $name"
	else
		sed 's/^/    stderr: /' "$TMP/err" | tail -n 5
		echo "FAIL: $name (exit $rc, want 4 and \"$msg\")"
	fi
}

loader_tests() {
	local good=$GDIR/pm32.elf
	yes "not a kernel" | head -c 3000 >"$TMP/garbage"
	loader_case loader-garbage "$TMP/garbage" "unknown kernel format"
	loader_case loader-missing "$TMP/nonexistent" "No such file"
	: >"$TMP/empty"
	loader_case loader-empty "$TMP/empty" "unknown kernel format"
	# Multiboot header intact, program headers cut off.
	head -c 4200 "$good" >"$TMP/truncated"
	loader_case loader-truncated "$TMP/truncated" "multiboot:"
	# A Linux boot-protocol header: not supported yet (issue 9).
	head -c 1024 /dev/zero >"$TMP/bzimage"
	printf 'HdrS' | dd of="$TMP/bzimage" bs=1 seek=514 conv=notrunc \
	    status=none
	loader_case loader-bzimage "$TMP/bzimage" "bzImage"
	# A segment far outside a 64 MiB guest: p_paddr of the first program
	# header (at e_phoff 52, p_paddr at +12) set to 0xF0000000.
	cp "$good" "$TMP/outside"
	printf '\x00\x00\x00\xf0' | dd of="$TMP/outside" bs=1 seek=64 \
	    conv=notrunc status=none
	loader_case loader-outside-ram "$TMP/outside" "outside guest RAM"
}

if [ $qemu -eq 0 ] && [ ! -x "$BHYVE" ]; then
	echo "FAIL: guest: $BHYVE not built"
	exit 0
fi
if [ $qemu -eq 1 ] && ! command -v qemu-system-x86_64 >/dev/null; then
	echo "FAIL: guest: qemu-system-x86_64 not installed"
	exit 0
fi

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for s in tests/guest/*.S; do
		names+=("$(basename "$s" .S)")
	done
fi
for name in "${names[@]}"; do
	if [ ! -f "$GDIR/$name.elf" ]; then
		echo "FAIL: $name ($GDIR/$name.elf not built)"
		continue
	fi
	run_guest "$name"
	judge "$name" $?
done
[ $qemu -eq 0 ] && [ $# -eq 0 ] && loader_tests
exit 0
