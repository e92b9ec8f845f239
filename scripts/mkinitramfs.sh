#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Build the busybox initramfs the Linux guests boot (make run, tests/e2e,
# bench/boot.sh).
#
#   scripts/mkinitramfs.sh MODROOT OUT.cpio.gz
#
# MODROOT is the unpacked kernel package (scripts/fetch-kernel.sh's ROOT):
# its virtio modules go into /lib/modules.  The archive holds a static
# busybox (package busybox-static), /init, and /etc/bhyve-test.txt, a file
# the e2e tests read back.  Rebuilt only when this script, the busybox
# binary or MODROOT are newer than OUT.
#
# /init mounts proc, sys and dev, prints "bhyve-linux: init reached",
# then either runs the scripted test named by "bhyvetest=" on the kernel
# command line or starts an interactive shell on the console.  The test
# output is one "bhyvetest: ..." line per fact, then the action:
#   bhyvetest=poweroff  10 s idle, facts, poweroff -f (bhyve exits 1)
#   bhyvetest=reboot    facts, then reboot -f       (bhyve exits 0)
#   bhyvetest=panic     echo c > /proc/sysrq-trigger (with panic=-1: 0)
#   bhyvetest=marker    poweroff -f a second later (boot benchmark)
set -eu
[ $# -eq 2 ] || { echo "usage: $0 MODROOT OUT.cpio.gz" >&2; exit 1; }
modroot=$1
out=$2
busybox=${BUSYBOX:-/bin/busybox}
self=$(readlink -f "$0")

if [ ! -x "$busybox" ] || ! file -L "$busybox" 2>/dev/null |
	grep -q 'statically linked'; then
	echo "mkinitramfs: $busybox is not a static busybox" \
		"(install busybox-static)" >&2
	exit 1
fi
if [ -s "$out" ] && [ "$out" -nt "$self" ] && [ "$out" -nt "$busybox" ] &&
	[ "$out" -nt "$modroot" ]; then
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/root
mkdir -p "$r"/bin "$r"/sbin "$r"/usr/bin "$r"/usr/sbin "$r"/etc \
	"$r"/proc "$r"/sys "$r"/dev "$r"/tmp "$r"/root "$r"/lib/modules
cp "$busybox" "$r"/bin/busybox
chmod 755 "$r"/bin/busybox
ln -s busybox "$r"/bin/sh

# Virtio modules of the same kernel, for disk and network later.
for kdir in "$modroot"/lib/modules/*; do
	[ -d "$kdir" ] || continue
	ver=$(basename "$kdir")
	for m in drivers/virtio drivers/block/virtio_blk.ko \
		drivers/net/virtio_net.ko drivers/net/net_failover.ko \
		net/core/failover.ko; do
		[ -e "$kdir/kernel/$m" ] || continue
		mkdir -p "$r/lib/modules/$ver/kernel/$(dirname "$m")"
		cp -r "$kdir/kernel/$m" "$r/lib/modules/$ver/kernel/$m"
	done
done

echo "bhyve initramfs test file" > "$r"/etc/bhyve-test.txt
echo "root:x:0:0:root:/root:/bin/sh" > "$r"/etc/passwd
echo "root:x:0:" > "$r"/etc/group

cat > "$r"/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0<>/dev/console 1>&0 2>&0
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts 2>/dev/null
hostname bhyve
echo "bhyve-linux: init reached"

test=
for a in $(cat /proc/cmdline); do
	case "$a" in bhyvetest=*) test=${a#bhyvetest=} ;; esac
done

facts() {
	echo "bhyvetest: cmdline: $(cat /proc/cmdline)"
	echo "bhyvetest: file: $(cat /etc/bhyve-test.txt)"
	echo "bhyvetest: date: $(date +%s)"
	echo "bhyvetest: cpus-online: $(cat /sys/devices/system/cpu/online)"
	echo "bhyvetest: cpuinfo-processors: $(grep -c ^processor /proc/cpuinfo)"
	echo "bhyvetest: uptime: $(cat /proc/uptime)"
	echo "bhyvetest: clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	grep -E '^ *(0|4):|timer|serial|ttyS' /proc/interrupts |
		sed 's/^/bhyvetest: interrupts: /'
	dmesg | grep -iE 'clocksource.*unstable|soft lockup|BUG:|WARNING:' |
		sed 's/^/bhyvetest: dmesg-warning: /'
	echo "bhyvetest: done"
}

case "$test" in
poweroff) sleep 10; facts; poweroff -f ;;	# idle first
reboot) facts; reboot -f ;;
panic) facts; echo c > /proc/sysrq-trigger ;;
marker) sleep 1; poweroff -f ;;
esac

echo "bhyve-linux: 'poweroff -f' ends bhyve (exit 1), 'reboot -f' restarts it (exit 0)"
while :; do
	setsid cttyhack sh -l
done
EOF
chmod 755 "$r"/init

mkdir -p "$(dirname "$out")"
(cd "$r" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"
