#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# bhyveload and bhyvectl: the FreeBSD workflow (bhyveload, then bhyve on
# the same name), persistent VMs on disk, and control of a running bhyve
# through its control socket.  One "PASS: name" / "FAIL: name" per case.
# Every VM lives in a private state directory (BHYVE_STATE_DIR).
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
BHYVE=$PWD/$B/bhyve
LOAD=$PWD/$B/bhyveload
CTL=$PWD/$B/bhyvectl
PM32=$PWD/$B/tests/guest/pm32.elf
TMP=$(mktemp -d)
export BHYVE_STATE_DIR=$TMP/state
BPID=
cleanup() {
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "PASS: $1"; }
ko() { echo "FAIL: $1"; shift; [ $# -gt 0 ] && printf '  %s\n' "$@"; }
check() {	# check NAME COND-COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else ko "$name"; fi
}

for p in "$BHYVE" "$LOAD" "$CTL" "$PM32"; do
	if [ ! -x "$p" ] && [ ! -f "$p" ]; then
		ko "tools: $p is missing (build first)"
		exit 0
	fi
done

# The spinning guest: assembled here (tests/guest/ is not ours).
SPIN=$TMP/spin.elf
if ! cc -m32 -c -nostdlib -ffreestanding -o "$TMP/spin.o" tests/tools/spin.S ||
    ! ld -m elf_i386 -T tests/guest/guest.ld -nostdlib -o "$SPIN" \
    "$TMP/spin.o"; then
	ko "build tests/tools/spin.S"
	SPIN=
fi

run_bhyve() {	# run_bhyve MEM NAME [args]: status in $rc, output in $TMP/out
	local mem=$1 name=$2
	shift 2
	timeout 30 "$BHYVE" -H -m "$mem" -s 0,hostbridge -s 31,lpc \
	    -l com1,stdio "$@" "$name" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
}

# ---- bhyveload then bhyve ----
"$LOAD" -m 64M -e boot.kernel="$PM32" vm1 >"$TMP/lout" 2>&1
rc=$?
check "bhyveload multiboot kernel exits 0" [ $rc -eq 0 ]
check "bhyveload leaves a persistent VM" [ -f "$BHYVE_STATE_DIR/vm1/state" \
    -a -f "$BHYVE_STATE_DIR/vm1/sysmem" ]

out=$("$CTL" --vm=vm1 --get-rip 2>&1)
if [ "$out" = "$(printf 'rip[0]\t\t0x0000000000100010')" ]; then
	ok "bhyvectl --get-rip on the loaded VM"
else
	ko "bhyvectl --get-rip on the loaded VM" "$out"
fi
out=$("$CTL" --vm=vm1 --get-desc-cs --get-cpu-topology 2>&1)
if echo "$out" | grep -q 'cs desc\[0\].*/0xffffffff/0x0000c09b' &&
    echo "$out" | grep -q 'sockets=1, cores=1, threads=1'; then
	ok "bhyvectl --get-desc-cs --get-cpu-topology on the loaded VM"
else
	ko "bhyvectl --get-desc-cs --get-cpu-topology on the loaded VM" "$out"
fi

run_bhyve 32M vm1
if [ $rc -eq 4 ] && grep -q 'bhyveload -m' "$TMP/err"; then
	ok "bhyve with a different -m is refused"
else
	ko "bhyve with a different -m is refused" "rc=$rc" "$(cat "$TMP/err")"
fi

run_bhyve 64M vm1
if [ $rc -eq 2 ] && grep -q '^# pm32: [0-9]* tests, 0 failed' "$TMP/out"; then
	ok "bhyve runs the loaded VM (exit 2)"
else
	ko "bhyve runs the loaded VM (exit 2)" "rc=$rc" "$(tail -3 "$TMP/err")"
fi
check "the VM stays after bhyve exits" [ -d "$BHYVE_STATE_DIR/vm1" ]

# The registers were used up: bhyve needs bhyveload (or a kernel) again.
run_bhyve 64M vm1
check "a used-up loaded VM is not run again" [ $rc -eq 4 ]
"$LOAD" -m 64M -e boot.kernel="$PM32" vm1 >/dev/null 2>&1 &&
    run_bhyve 64M vm1
check "bhyveload again reinitializes the VM (loop)" [ $rc -eq 2 ]

"$LOAD" -m 128M -e boot.kernel="$PM32" vm1 >/dev/null 2>"$TMP/lerr"
rc=$?
if [ $rc -eq 1 ] && grep -q 'destroy it first' "$TMP/lerr"; then
	ok "bhyveload with another -m on an existing VM is refused"
else
	ko "bhyveload with another -m on an existing VM is refused" "rc=$rc"
fi

"$CTL" --vm=vm1 --destroy
rc=$?
check "bhyvectl --destroy removes the VM" [ $rc -eq 0 -a ! -e \
    "$BHYVE_STATE_DIR/vm1" ]
out=$("$CTL" --vm=vm1 --get-rip 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$out" = "bhyvectl: vm vm1 not found" ]; then
	ok "bhyvectl on an unknown VM"
else
	ko "bhyvectl on an unknown VM" "rc=$rc" "$out"
fi

# ---- bhyveload errors ----
"$LOAD" vm2 >/dev/null 2>&1
check "bhyveload without a kernel exits 1" [ $? -eq 1 -a ! -e \
    "$BHYVE_STATE_DIR/vm2" ]
"$LOAD" -l /boot/userboot.so -e boot.kernel="$PM32" vm2 >/dev/null 2>&1
check "bhyveload -l other loader is refused" [ $? -eq 1 ]
"$LOAD" -d /etc/hostname vm2 >/dev/null 2>&1
check "bhyveload -d with a non-kernel is refused" [ $? -eq 1 ]
"$LOAD" -m 16x -e boot.kernel="$PM32" vm2 >/dev/null 2>&1
check "bhyveload -m invalid exits 1" [ $? -eq 1 ]
"$LOAD" -e boot.kernel=/nonexistent vm2 >/dev/null 2>&1
check "bhyveload with a missing kernel exits 1, leaves nothing" \
    [ $? -eq 1 -a ! -e "$BHYVE_STATE_DIR/vm2" ]
"$LOAD" -d "$PM32" vm2 >/dev/null 2>&1 && run_bhyve 256M vm2
check "bhyveload -d KERNEL then bhyve" [ $rc -eq 2 ]
mkdir -p "$TMP/boot" && cp "$PM32" "$TMP/boot/k.elf"
"$LOAD" -h "$TMP/boot" -e boot.kernel=k.elf vm3 >/dev/null 2>&1 &&
    run_bhyve 256M vm3
check "bhyveload -h DIR with a relative boot.kernel" [ $rc -eq 2 ]
"$CTL" --vm=vm2 --destroy && "$CTL" --vm=vm3 --destroy
check "destroy two VMs" [ $? -eq 0 ]
"$LOAD" >/dev/null 2>&1
check "bhyveload without a name: usage, exit 1" [ $? -eq 1 ]

# ---- --create / --destroy ----
"$CTL" --vm=c1 --create
check "bhyvectl --create" [ $? -eq 0 -a -f "$BHYVE_STATE_DIR/c1/state" ]
out=$("$CTL" --vm=c1 --create 2>&1)
check "bhyvectl --create of an existing VM fails" [ $? -eq 1 ]
"$CTL" --vm=c1 --destroy
check "bhyvectl --destroy of a created VM" [ $? -eq 0 -a ! -e \
    "$BHYVE_STATE_DIR/c1" ]
"$CTL" --vm=c1 --destroy 2>/dev/null
check "bhyvectl --destroy of an unknown VM fails" [ $? -eq 1 ]
"$CTL" --get-rip >/dev/null 2>&1
check "bhyvectl without --vm: usage, exit 1" [ $? -eq 1 ]
"$CTL" --vm=../x --get-rip >/dev/null 2>&1
check "bhyvectl refuses a VM name with a slash" [ $? -eq 1 ]

# ---- a running guest ----
wait_socket() {	# wait_socket NAME: until bhyve serves it (10 s)
	for _ in $(seq 100); do
		"$CTL" --vm="$1" --get-active-cpus >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

if [ -n "$SPIN" ]; then
	timeout 60 "$BHYVE" -m 64M -s 0,hostbridge -s 31,lpc -l com1,stdio \
	    -o boot.kernel="$SPIN" spin >"$TMP/sout" 2>&1 </dev/null &
	BPID=$!
	if wait_socket spin; then
		ok "bhyve serves its control socket"
	else
		ko "bhyve serves its control socket"
	fi
	sleep 0.3
	out=$("$CTL" --vm=spin --get-stats 2>&1)
	n=$(echo "$out" | awk -F'\t' '/^instructions retired/ { print $2 }')
	if [ "${n:-0}" -gt 1000 ] 2>/dev/null; then
		ok "bhyvectl --get-stats shows instructions ($n)"
	else
		ko "bhyvectl --get-stats shows instructions" "$out"
	fi
	out=$("$CTL" --vm=spin --get-rip --get-cs 2>&1)
	if echo "$out" | grep -q '^rip\[0\]		0x00000000001000' &&
	    echo "$out" | grep -q '^cs\[0\]		0x0008'; then
		ok "bhyvectl reads a running vCPU's registers"
	else
		ko "bhyvectl reads a running vCPU's registers" "$out"
	fi
	out=$("$CTL" --vm=spin --get-active-cpus --get-cpu-topology 2>&1)
	if echo "$out" | grep -q "^active cpus:	0$"; then
		ok "bhyvectl --get-active-cpus"
	else
		ko "bhyvectl --get-active-cpus" "$out"
	fi
	out=$("$CTL" --vm=spin --get-rtc-time 2>&1)
	check "bhyvectl --get-rtc-time" grep -q '^rtc time 0x' <<<"$out"
	"$CTL" --vm=spin --cpu=7 --get-rip >/dev/null 2>&1
	check "bhyvectl --cpu beyond the VM's vCPUs fails" [ $? -eq 1 ]
	"$CTL" --vm=spin --force-poweroff
	wait "$BPID"
	rc=$?
	BPID=
	check "bhyvectl --force-poweroff: bhyve exits 1" [ $rc -eq 1 ]
	check "the control socket is gone" [ ! -e "$BHYVE_STATE_DIR/spin.sock" ]

	# bhyveload + bhyve, then --destroy while it runs.
	"$LOAD" -m 64M -e boot.kernel="$SPIN" spin2 >/dev/null 2>&1
	timeout 60 "$BHYVE" -m 64M -s 0,hostbridge -s 31,lpc -l com1,stdio \
	    spin2 >"$TMP/sout" 2>&1 </dev/null &
	BPID=$!
	wait_socket spin2
	"$CTL" --vm=spin2 --force-reset
	wait "$BPID"
	rc=$?
	check "bhyvectl --force-reset: bhyve exits 0, the VM stays" \
	    [ $rc -eq 0 -a -d "$BHYVE_STATE_DIR/spin2" ]
	"$LOAD" -m 64M -e boot.kernel="$SPIN" spin2 >/dev/null 2>&1
	timeout 60 "$BHYVE" -m 64M -s 0,hostbridge -s 31,lpc -l com1,stdio \
	    spin2 >"$TMP/sout" 2>&1 </dev/null &
	BPID=$!
	wait_socket spin2
	"$LOAD" -m 64M -e boot.kernel="$SPIN" spin2 >/dev/null 2>&1
	check "bhyveload refuses a running VM" [ $? -eq 1 ]
	"$CTL" --vm=spin2 --destroy
	rc=$?
	wait "$BPID"
	brc=$?
	BPID=
	check "bhyvectl --destroy of a running VM stops bhyve, removes it" \
	    [ $rc -eq 0 -a $brc -eq 1 -a ! -e "$BHYVE_STATE_DIR/spin2" ]

	# -D: destroyed on power-off.
	"$LOAD" -m 64M -e boot.kernel="$SPIN" spin3 >/dev/null 2>&1
	timeout 60 "$BHYVE" -D -m 64M -s 0,hostbridge -s 31,lpc \
	    -l com1,stdio spin3 >"$TMP/sout" 2>&1 </dev/null &
	BPID=$!
	wait_socket spin3
	"$CTL" --vm=spin3 --force-poweroff
	wait "$BPID"
	rc=$?
	BPID=
	check "bhyve -D: power-off destroys the loaded VM" \
	    [ $rc -eq 1 -a ! -e "$BHYVE_STATE_DIR/spin3" ]

	# An NMI into a guest without an IDT: #GP, #DF, triple fault.
	timeout 60 "$BHYVE" -m 64M -s 0,hostbridge -s 31,lpc -l com1,stdio \
	    -o boot.kernel="$SPIN" spin4 >"$TMP/sout" 2>&1 </dev/null &
	BPID=$!
	wait_socket spin4
	"$CTL" --vm=spin4 --inject-nmi
	crc=$?
	wait "$BPID"
	rc=$?
	BPID=
	check "bhyvectl --inject-nmi reaches the guest (triple fault, 3)" \
	    [ $crc -eq 0 -a $rc -eq 3 ]
fi
exit 0
