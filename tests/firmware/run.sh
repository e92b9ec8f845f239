#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Legacy firmware as the boot ROM: Debian's SeaBIOS (package seabios,
# /usr/share/seabios) booted with -l bootrom and lpc.fwcfg=qemu.  It must
# run its POST (PCI enumeration included: a PCI uart with an I/O BAR is
# there to be sized and placed), print its banner on COM1 (fw_cfg says
# "nographic", so SeaBIOS keeps its console there), find nothing to boot
# and, after etc/boot-fail-wait (0 ms here), reset: bhyve exits 0.
# One "PASS: name" or "FAIL: name" line per case; "SKIP:" when SeaBIOS
# is not installed.  FIRMWARE_TIMEOUT (seconds, default 30) bounds each
# boot; one takes well under a second.
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
BHYVE=$PWD/$B/bhyve
SEABIOS=${SEABIOS_DIR:-/usr/share/seabios}
TIMEOUT=${FIRMWARE_TIMEOUT:-30}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "PASS: $1"; }
ko() {
	echo "FAIL: $1"
	shift
	[ $# -gt 0 ] && printf '  %s\n' "$@"
	sed 's/^/  | /' "$TMP/out" "$TMP/err" | tr -d '\033' | head -20
}

if [ ! -x "$BHYVE" ]; then
	ko "firmware: $BHYVE is missing (build first)"
	exit 0
fi
if [ ! -d "$SEABIOS" ]; then
	echo "SKIP: seabios: $SEABIOS is absent (apt-get install seabios)"
	exit 0
fi

# etc/boot-fail-wait: how long SeaBIOS waits before it resets when
# nothing boots, in milliseconds (little-endian).
printf '\0\0\0\0' >"$TMP/wait0"

# seabios NAME ROM [bhyve args]: boot ROM, expect the banner, "No
# bootable device" and exit status 0 (the reset that follows).
seabios() {
	local name=$1 rom=$SEABIOS/$2 rc
	shift 2
	if [ ! -f "$rom" ]; then
		echo "SKIP: $name: $rom is absent"
		return
	fi
	timeout "$TIMEOUT" "$BHYVE" -H -s 0,hostbridge -s 3,uart -s 31,lpc \
	    -l com1,stdio -l "bootrom,$rom" -o lpc.fwcfg=qemu \
	    -f "etc/boot-fail-wait,file=$TMP/wait0" "$@" seabios \
	    </dev/null >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		ko "$name" "exit status $rc, want 0 (reset)"
	elif ! grep -aq 'SeaBIOS (version' "$TMP/out"; then
		ko "$name" "no SeaBIOS banner on COM1"
	elif ! grep -aq 'No bootable device\.' "$TMP/out"; then
		ko "$name" "no \"No bootable device.\" on COM1"
	else
		ok "$name"
	fi
}

# The 128 KiB image runs from 0xE0000-0xFFFFF; the 256 KiB one also
# keeps code at 0xC0000-0xDFFFF (bhyve/bootrom.h).
seabios "seabios bios.bin to No bootable device" bios.bin -m 256M
seabios "seabios bios-256k.bin to No bootable device" bios-256k.bin -m 256M
# Two vCPUs (SeaBIOS wakes the AP with INIT/SIPI) and RAM above 4 GiB.
seabios "seabios bios-256k.bin, -c 2, 4G" bios-256k.bin -c 2 -m 4G
