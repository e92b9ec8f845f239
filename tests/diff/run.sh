#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Differential tests of our x86-64 CPU against the host CPU: one
# "PASS: family" / "FAIL: family" line per instruction family (see
# tests/diff/difftest.c for the knobs: DIFFTEST_ARGS="--count 100000").
# Each family runs in its own process so that a crash of our CPU fails
# that family only.
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
bin=$B/tests/difftest
if [ ! -x "$bin" ]; then
	echo "FAIL: difftest (not built: $bin)"
	exit 0
fi
for f in $("$bin" --list); do
	# shellcheck disable=SC2086
	out=$("$bin" --family "$f" ${DIFFTEST_ARGS:-} 2>&1)
	rc=$?
	echo "$out"
	if [ $rc -gt 1 ] ||
	    ! echo "$out" | grep -qE "^(PASS|FAIL|SKIP): $f"; then
		echo "FAIL: $f (difftest exited with status $rc)"
	fi
done
exit 0
