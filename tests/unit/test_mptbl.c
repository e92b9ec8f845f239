/* SPDX-License-Identifier: BSD-2-Clause */
/* MP tables (MP spec 1.4 chapter 4): checksums and entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bhyve/le_bytes.h"
#include "bhyve/mptbl.h"

static void
check(int ncpus, uint32_t slots)
{
	uint8_t buf[MPTABLE_MAXLEN];
	const uint8_t *h, *p, *end;
	long len;
	int procs = 0, bps = 0, ioints = 0, lints = 0, count = 0, irq0pin = -1;

	len = mptable_build(ncpus, slots, 0xF0000, buf, sizeof(buf));
	assert_true(len > 0);
	assert_memory_equal(buf, "_MP_", 4);
	assert_int_equal(get_le(buf + 4, 4), 0xF0010);
	assert_int_equal(buf[8], 1);
	assert_int_equal(buf[9], 4);
	assert_int_equal(byte_sum(buf, 16), 0);
	h = buf + 16;
	assert_memory_equal(h, "PCMP", 4);
	assert_int_equal(get_le(h + 4, 2) + 16, len);
	assert_int_equal(byte_sum(h, get_le(h + 4, 2)), 0);
	assert_int_equal(get_le(h + 36, 4), 0xFEE00000);
	end = h + get_le(h + 4, 2);
	for (p = h + 44; p < end; count++) {
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], procs);
			bps += (p[3] & 2) != 0;
			procs++;
			p += 20;
			continue;
		case 2:
			assert_int_equal(p[1], ncpus);	/* unique APIC ID */
			assert_int_equal(get_le(p + 4, 4), 0xFEC00000);
			break;
		case 3:
			ioints++;
			if (p[4] == 1 && p[5] == 0)
				irq0pin = p[7];
			if (p[4] == 0)	/* PCI: pins 16-23 */
				assert_true(p[7] >= 16 && p[7] < 24);
			break;
		case 4:
			lints++;
			assert_int_equal(p[6], 0xFF);
			assert_int_equal(p[7], p[1] == 3 ? 0 : 1);
			break;
		}
		p += 8;
	}
	assert_ptr_equal(p, end);
	assert_int_equal(count, get_le(h + 34, 2));
	assert_int_equal(procs, ncpus);
	assert_int_equal(bps, 1);
	assert_int_equal(ioints, 15 + 4 * __builtin_popcount(slots));
	assert_int_equal(lints, 2);
	assert_int_equal(irq0pin, 2);
}

static void
test_tables(void **state)
{
	(void)state;
	check(1, 0);
	check(4, 0x80000001);
	check(16, 0xFFFFFFFF);
}

static void
test_too_big(void **state)
{
	uint8_t buf[64];

	(void)state;
	assert_int_equal(mptable_build(1, 0, 0xF0000, buf, sizeof(buf)),
	    -ENOSPC);
	assert_int_equal(mptable_build(0, 0, 0xF0000, buf, sizeof(buf)),
	    -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_too_big),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
