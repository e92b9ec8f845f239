#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Fetch Debian's kernel image package into cache/ and unpack it.
#
#   scripts/fetch-kernel.sh [cloud|generic]
#
# Resolves the metapackage linux-image-cloud-amd64 (or linux-image-amd64)
# to the versioned package it depends on, downloads that with
# `apt-get download` (no root needed), unpacks it with dpkg-deb -x into
# cache/linux-VERSION/ and prints two lines on stdout:
#
#   KERNEL=cache/linux-VERSION/boot/vmlinuz-VERSION
#   ROOT=cache/linux-VERSION           (holds lib/modules/VERSION)
#
# A second run reuses what is cached.  Exit status 2: the package could
# not be resolved or downloaded (no network, no apt lists); callers skip.
set -eu
flavour=${1:-cloud}
cd "$(dirname "$0")/.."
cache=${CACHE:-cache}
mkdir -p "$cache"

case "$flavour" in
cloud) meta=linux-image-cloud-amd64 ;;
generic) meta=linux-image-amd64 ;;
*) echo "fetch-kernel: unknown flavour '$flavour'" >&2; exit 1 ;;
esac

# The versioned package: the metapackage's dependency linux-image-*.
resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1
}
pkg=$(resolve)
if [ -z "$pkg" ]; then
	# A fresh machine may have no package lists yet.
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo -n"
	$sudo apt-get update -qq >&2 2>/dev/null && pkg=$(resolve)
fi
if [ -z "$pkg" ]; then
	# Last resort: whatever we fetched before.
	prev=$(ls -d "$cache"/linux-*-"$flavour"* 2>/dev/null | head -1 || true)
	if [ "$flavour" = generic ]; then
		prev=$(ls -d "$cache"/linux-*-amd64 2>/dev/null |
			grep -v cloud | head -1 || true)
	fi
	if [ -n "$prev" ]; then
		v=${prev#"$cache"/linux-}
		echo "KERNEL=$prev/boot/vmlinuz-$v"
		echo "ROOT=$prev"
		exit 0
	fi
	echo "fetch-kernel: cannot resolve $meta with apt-cache" \
		"(apt-get update needed? no network?)" >&2
	exit 2
fi
ver=${pkg#linux-image-}
dir=$cache/linux-$ver
kernel=$dir/boot/vmlinuz-$ver
if [ ! -s "$kernel" ]; then
	deb=$(ls "$cache"/"${pkg}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		echo "fetch-kernel: downloading $pkg" >&2
		if ! (cd "$cache" && apt-get download -q "$pkg" >&2); then
			echo "fetch-kernel: apt-get download $pkg failed" \
				"(no network?)" >&2
			exit 2
		fi
		deb=$(ls "$cache"/"${pkg}"_*.deb 2>/dev/null | head -1)
	fi
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	dpkg-deb -x "$deb" "$dir.tmp"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi
[ -s "$kernel" ] || { echo "fetch-kernel: no $kernel in $pkg" >&2; exit 2; }
echo "KERNEL=$kernel"
echo "ROOT=$dir"
