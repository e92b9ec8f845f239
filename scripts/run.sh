#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make run`: boot the default guest.  Until Linux boots (issue 9) this
# says so plainly.
set -eu
B=${B:-build}
cd "$(dirname "$0")/.."
echo "make run: everything is built in $B/."
echo "make run: no Linux guest can boot yet: the software CPU and the boot"
echo "make run: loader are still being written (see README.md, Status)."
