#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Run every test and end with "N passed, N failed".
#
# - tests/unit: each cmocka program is one test (its own summary shows the
#   individual cases).
# - tests/<suite>/run.sh: prints one "PASS: name" or "FAIL: name" line per
#   test case; anything else it prints is shown as is.  Suites run in the
#   order below.
set -u
B=${B:-build}
export B
cd "$(dirname "$0")/.."
pass=0
fail=0
failed=()

record() {	# record <PASS|FAIL> <name>
	if [ "$1" = PASS ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$2")
	fi
	echo "$1: $2"
}

for t in "$B"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	# A hung test must fail, not stall CI.
	if out=$(timeout "${UNIT_TIMEOUT:-300}" "$t" 2>&1); then
		record PASS "unit/$(basename "$t")"
	else
		echo "$out" | tail -40
		record FAIL "unit/$(basename "$t")"
	fi
done

for suite in cli diff guest firmware tools fuzz e2e; do
	s=tests/$suite/run.sh
	[ -f "$s" ] || continue
	while IFS= read -r line; do
		case "$line" in
		"PASS: "*) record PASS "$suite/${line#PASS: }" ;;
		"FAIL: "*) record FAIL "$suite/${line#FAIL: }" ;;
		"__rc=0") ;;
		"__rc="*) record FAIL "$suite/run.sh exited ${line#__rc=}" ;;
		*) echo "$line" ;;
		esac
	done < <(bash "$s" 2>&1; echo "__rc=$?")
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
