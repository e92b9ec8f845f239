#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Install the Debian packages the build and the tests need.  Does nothing
# when they are all present.  Extra package names may be given as
# arguments (bench/ passes qemu-system-x86).
set -eu
# dmidecode checks our SMBIOS tables (tests/unit/test_smbios.c); seabios
# is the legacy boot ROM tests/firmware/run.sh boots.
pkgs=(gcc make binutils libc6-dev pkg-config libcmocka-dev acpica-tools \
    dmidecode seabios "$@")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
