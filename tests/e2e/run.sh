#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests: Debian's Linux kernel (cloud flavour, and the generic
# one) boots under bhyve with the busybox initramfs of
# scripts/mkinitramfs.sh, whose /init runs a scripted test chosen by
# "bhyvetest=" on the kernel command line (see that script).  Verdicts
# come from the console log (every line stamped with the host's time on
# arrival) and bhyve's exit status.
#
# Prints "PASS: name" / "FAIL: name" per check, "SKIP: name (reason)"
# for checks that cannot run (no network to fetch the kernel, or a boot
# that never reached userspace: its checks are skipped, the boot itself
# fails).  Logs are kept in $B/tests/e2e/*.log.
#
# Environment: E2E_TIMEOUT (seconds per boot, default 600),
# E2E_GENERIC=0 skips the generic kernel.
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
bhyve=$B/bhyve
out=$B/tests/e2e
timeout=${E2E_TIMEOUT:-600}
grace=90		# after the scripted test is done, for the power-off
mkdir -p "$out"

all_checks="c2-userspace c2-cpus-online c2-cmdline c2-initrd c2-date
	c2-interrupts c2-no-clock-warnings c2-poweroff-exit1 c1-userspace
	c1-reboot-exit0 panic-exit0 generic-userspace"

skip_all() {
	for c in $all_checks; do echo "SKIP: $c ($1)"; done
	exit 0
}

if [ ! -x "$bhyve" ]; then
	echo "FAIL: e2e ($bhyve not built)"
	exit 0
fi
bash scripts/deps.sh busybox-static cpio >"$out/deps.log" 2>&1 ||
	skip_all "cannot install busybox-static and cpio"
if ! kv=$(bash scripts/fetch-kernel.sh cloud 2>"$out/fetch.log"); then
	tail -3 "$out/fetch.log"
	skip_all "Debian's cloud kernel cannot be downloaded (no network?)"
fi
KERNEL=$(echo "$kv" | sed -n 's/^KERNEL=//p')
ROOT=$(echo "$kv" | sed -n 's/^ROOT=//p')
initrd=cache/initramfs-$(basename "$ROOT").cpio.gz
if ! bash scripts/mkinitramfs.sh "$ROOT" "$initrd" >"$out/mkinitramfs.log" \
	2>&1; then
	tail -3 "$out/mkinitramfs.log"
	skip_all "cannot build the initramfs"
fi

# Console lines, each prefixed with the host's time (no fork per line).
stamp() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "${l%$'\r'}"
	done
}

# boot NAME CPUS KERNEL CMDLINE: run the VM, log in $out/NAME.log, exit
# status in $rc (137 when killed for taking too long).
boot() {
	local name=$1 cpus=$2 kernel=$3 cmdline=$4 log=$out/$1.log
	local pid t0 now done_at=0

	local keys=(-o boot.kernel="$kernel" -o boot.initrd="$initrd"
		-o boot.cmdline="$cmdline")

	if [ "${via_k:-0}" = 1 ]; then
		# The same keys from a -k configuration file.
		printf 'boot.kernel=%s\nboot.initrd=%s\nboot.cmdline=%s\n' \
			"$kernel" "$initrd" "$cmdline" >"$out/$name.conf"
		keys=(-k "$out/$name.conf")
	fi
	t0=${EPOCHREALTIME%.*}
	"$bhyve" -c "$cpus" -m 512M -H -u -s 0,hostbridge -s 31,lpc \
		-l com1,stdio "${keys[@]}" \
		"e2e-$$-$name" </dev/null > >(stamp >"$log") 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		now=${EPOCHREALTIME%.*}
		if [ "$done_at" -eq 0 ] &&
			grep -q 'bhyvetest: done' "$log" 2>/dev/null; then
			done_at=$now
		fi
		if [ $((now - t0)) -ge "$timeout" ] || { [ "$done_at" -ne 0 ] &&
			[ $((now - done_at)) -ge "$grace" ]; }; then
			echo "e2e: $name: no exit after $((now - t0)) s, killed"
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	wait "$pid"
	rc=$?
	sleep 0.2	# let the stamper drain
}

reached() {	# reached LOG: the init marker is there
	grep -q 'bhyve-linux: init reached' "$1"
}

fact() {	# fact LOG KEY: the value of "bhyvetest: KEY: value"
	sed -n "s/^[0-9.]* bhyvetest: $2: //p" "$1" | head -1
}

irqs() {	# irqs LOG WORD: interrupts counted on /proc/interrupts lines
	grep ' bhyvetest: interrupts: ' "$1" | grep -i -- "$2" |
		awk '{ for (i = 5; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i }
		    END { print n + 0 }'
}

verdict() {	# verdict NAME CONDITION-STATUS [why]
	if [ "$2" -eq 0 ]; then
		echo "PASS: $1"
	else
		echo "FAIL: $1${3:+ ($3)}"
	fi
}

explain() {	# how far a boot that failed got
	echo "e2e: $1: exit status $2; last console lines:"
	tail -8 "$3" | cut -c1-160 | sed 's/^/    /'
}

token="e2e_token=$$"
base="console=ttyS0 panic=-1 loglevel=4"

# 1. Two vCPUs: userspace, commands, power-off.
boot c2 2 "$KERNEL" "$base $token bhyvetest=poweroff"
log=$out/c2.log
if reached "$log"; then
	echo "PASS: c2-userspace"
	v=$(fact "$log" cpus-online)
	n=$(fact "$log" cpuinfo-processors)
	[ "$v" = "0-1" ] && [ "$n" = 2 ]
	verdict c2-cpus-online $? "online '$v', /proc/cpuinfo $n"
	fact "$log" cmdline | grep -q -- "$token"
	verdict c2-cmdline $? "$(fact "$log" cmdline)"
	[ "$(fact "$log" file)" = "bhyve initramfs test file" ]
	verdict c2-initrd $? "got '$(fact "$log" file)'"
	line=$(grep -m1 ' bhyvetest: date: ' "$log")
	host=${line%%.*}
	guest=${line##* }
	d=$((guest - host))
	[ "$d" -ge -2 ] && [ "$d" -le 2 ]
	verdict c2-date $? "guest date - host date = $d s"
	t=$(irqs "$log" 'timer')
	s=$(irqs "$log" 'ttyS0')
	[ "$t" -gt 0 ] && [ "$s" -gt 0 ]
	verdict c2-interrupts $? "timer interrupts $t, ttyS0 interrupts $s"
	w=$(grep ' bhyvetest: dmesg-warning: ' "$log")
	[ -n "$w" ] && echo "$w" | cut -c1-160 | sed 's/^/e2e: c2: /'
	! echo "$w" | grep -qiE 'clocksource.*unstable|soft lockup'
	verdict c2-no-clock-warnings $?
	[ "$rc" -eq 1 ]
	verdict c2-poweroff-exit1 $? "exit status $rc"
	[ "$rc" -eq 1 ] || explain c2 "$rc" "$log"
else
	echo "FAIL: c2-userspace"
	explain c2 "$rc" "$log"
	for c in c2-cpus-online c2-cmdline c2-initrd c2-date c2-interrupts \
		c2-no-clock-warnings c2-poweroff-exit1; do
		echo "SKIP: $c (the boot did not reach userspace)"
	done
fi

# 2. One vCPU, reboot -f: exit 0.  Configured with -k this time.
via_k=1 boot c1 1 "$KERNEL" "$base bhyvetest=reboot"
log=$out/c1.log
if reached "$log"; then
	echo "PASS: c1-userspace"
	[ "$rc" -eq 0 ]
	verdict c1-reboot-exit0 $? "exit status $rc"
	[ "$rc" -eq 0 ] || explain c1 "$rc" "$log"
else
	echo "FAIL: c1-userspace"
	explain c1 "$rc" "$log"
	echo "SKIP: c1-reboot-exit0 (the boot did not reach userspace)"
fi

# 3. A guest panic with panic=-1 reboots at once: exit 0.
boot panic 1 "$KERNEL" "$base bhyvetest=panic"
log=$out/panic.log
if reached "$log"; then
	[ "$rc" -eq 0 ] && grep -q 'Kernel panic' "$log"
	verdict panic-exit0 $? "exit status $rc"
	[ "$rc" -eq 0 ] || explain panic "$rc" "$log"
else
	echo "FAIL: panic-exit0 (the boot did not reach userspace)"
	explain panic "$rc" "$log"
fi

# 4. Debian's generic kernel (linux-image-amd64) boots too.
if [ "${E2E_GENERIC:-1}" = 0 ]; then
	echo "SKIP: generic-userspace (E2E_GENERIC=0)"
elif ! kv=$(bash scripts/fetch-kernel.sh generic 2>"$out/fetch-generic.log")
then
	echo "SKIP: generic-userspace (the generic kernel cannot be" \
		"downloaded)"
else
	gk=$(echo "$kv" | sed -n 's/^KERNEL=//p')
	boot generic 1 "$gk" "$base bhyvetest=poweroff"
	log=$out/generic.log
	reached "$log"
	verdict generic-userspace $? "exit status $rc"
	reached "$log" || explain generic "$rc" "$log"
fi
exit 0
