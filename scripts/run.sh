#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make run`: boot Debian's cloud kernel with a busybox initramfs, COM1
# on this terminal, to an interactive shell.
#
#   make run [CPUS=N] [MEM=SIZE] [APPEND="more kernel args"]
#
# The kernel is the current linux-image-*-cloud-amd64 package, fetched
# with `apt-get download` into cache/ (scripts/fetch-kernel.sh); the
# initramfs is built there too (scripts/mkinitramfs.sh).  Both are
# reused by later runs.
set -eu
B=${B:-build}
CPUS=${CPUS:-1}
MEM=${MEM:-512M}
APPEND=${APPEND:-}
cd "$(dirname "$0")/.."

say() { echo "make run: $*"; }

bash scripts/deps.sh busybox-static cpio
if ! kv=$(bash scripts/fetch-kernel.sh cloud); then
	say "cannot fetch Debian's cloud kernel (see above); nothing to boot."
	exit 1
fi
KERNEL=$(echo "$kv" | sed -n 's/^KERNEL=//p')
ROOT=$(echo "$kv" | sed -n 's/^ROOT=//p')
initrd=cache/initramfs-$(basename "$ROOT").cpio.gz
bash scripts/mkinitramfs.sh "$ROOT" "$initrd"

cmdline="console=ttyS0${APPEND:+ $APPEND}"
say "booting $(basename "$KERNEL") with $initrd"
say "  $B/bhyve -c $CPUS -m $MEM -H -s 0,hostbridge -s 31,lpc -l com1,stdio"
say "    -o boot.kernel=$KERNEL -o boot.initrd=$initrd"
say "    -o boot.cmdline=\"$cmdline\" linux"
say "the software CPU takes a while (tens of seconds) to reach the shell;"
say "the line 'bhyve-linux: init reached' marks userspace.  In the guest,"
say "'poweroff -f' ends bhyve (status 1), 'reboot -f' too (status 0);"
say "from another terminal, SIGTERM to bhyve presses the power button."
set +e
"$B"/bhyve -c "$CPUS" -m "$MEM" -H -s 0,hostbridge -s 31,lpc \
	-l com1,stdio -o boot.kernel="$KERNEL" -o boot.initrd="$initrd" \
	-o boot.cmdline="$cmdline" linux
rc=$?
set -e
case $rc in
0) what="reset" ;;
1) what="power-off" ;;
2) what="halt" ;;
3) what="triple fault" ;;
*) what="error" ;;
esac
echo
say "bhyve exited with status $rc ($what)"
exit 0
