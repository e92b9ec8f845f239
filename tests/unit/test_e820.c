/* SPDX-License-Identifier: BSD-2-Clause */
/* E820 map: order, no overlap, types, the BIOS area and the encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bhyve/e820.h"

#define	MB	(1ULL << 20)
#define	GB	(1ULL << 30)

static void
check_sane(const struct e820_entry *e, int n)
{
	for (int i = 0; i < n; i++) {
		assert_true(e[i].length > 0);
		if (i > 0)
			assert_true(e[i - 1].base + e[i - 1].length <=
			    e[i].base);
	}
}

static uint64_t
ram(const struct e820_entry *e, int n)
{
	uint64_t total = 0;

	for (int i = 0; i < n; i++)
		if (e[i].type == E820_TYPE_MEMORY)
			total += e[i].length;
	return (total);
}

static void
test_small(void **state)
{
	struct e820_entry e[E820_MAX_ENTRIES];
	int n;

	(void)state;
	n = e820_compute(64 * MB, 0, e, E820_MAX_ENTRIES);
	assert_int_equal(n, 5);
	check_sane(e, n);
	assert_int_equal(e[0].base, 0);
	assert_int_equal(e[0].length, 0x9FC00);
	assert_int_equal(e[0].type, E820_TYPE_MEMORY);
	assert_int_equal(e[1].base, 0x9FC00);
	assert_int_equal(e[1].base + e[1].length, MB);
	assert_int_equal(e[1].type, E820_TYPE_RESERVED);
	assert_int_equal(e[2].base, MB);
	assert_int_equal(e[2].base + e[2].length, 64 * MB);
	assert_int_equal(e[3].base, 0xE0000000);
	assert_int_equal(e[4].base + e[4].length, 4 * GB);
	assert_int_equal(ram(e, n), 64 * MB - (MB - 0x9FC00));
}

static void
test_highmem(void **state)
{
	struct e820_entry e[E820_MAX_ENTRIES];
	int n;

	(void)state;
	n = e820_compute(3 * GB, 5 * GB, e, E820_MAX_ENTRIES);
	assert_int_equal(n, 6);
	check_sane(e, n);
	assert_int_equal(e[5].base, 4 * GB);
	assert_int_equal(e[5].length, 5 * GB);
	assert_int_equal(e[5].type, E820_TYPE_MEMORY);
	assert_int_equal(e820_compute(3 * GB, 5 * GB, e, 3), -ENOSPC);
}

static void
test_encode(void **state)
{
	struct e820_entry e[E820_MAX_ENTRIES];
	uint8_t buf[E820_MAX_ENTRIES * E820_ENTRY_SIZE];
	int n;

	(void)state;
	n = e820_compute(128 * MB, 0, e, E820_MAX_ENTRIES);
	e820_encode(e, n, buf);
	/* Second entry: base 0x9FC00, length 0x60400, type 2. */
	static const uint8_t want[] = { 0x00, 0xFC, 0x09, 0, 0, 0, 0, 0,
	    0x00, 0x04, 0x06, 0, 0, 0, 0, 0, 2, 0, 0, 0 };
	assert_memory_equal(buf + E820_ENTRY_SIZE, want, sizeof(want));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_highmem),
		cmocka_unit_test(test_encode),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
