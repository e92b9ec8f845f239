/* SPDX-License-Identifier: BSD-2-Clause */
/* ACPI PM timer: frequency, wrap, access sizes, snapshot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/io/vpmtmr.h"

static uint64_t fake_ns;

static uint64_t
fake_now(void *arg)
{
	return (*(uint64_t *)arg);
}

static uint32_t
inl(struct vpmtmr *pm)
{
	uint32_t v = 0;

	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x408, 4, &v), 0);
	return (v);
}

static void
test_frequency(void **state)
{
	struct vdev_clock clk = { fake_now, &fake_ns };
	struct vpmtmr *pm;
	uint32_t a;

	(void)state;
	fake_ns = 5000000000ull;
	pm = vpmtmr_create(&clk);
	assert_non_null(pm);
	assert_int_equal(inl(pm), 0);
	fake_ns += 1000000000ull;
	assert_int_equal(inl(pm), 3579545);
	fake_ns += 279;				/* < one tick (279.4 ns) */
	assert_int_equal(inl(pm), 3579545);
	fake_ns += 1;
	assert_int_equal(inl(pm), 3579546);
	/* 32-bit wrap after 2^32 / 3579545 = 1199.86 s. */
	a = inl(pm);
	fake_ns += 1200000000000ull;
	assert_int_equal(inl(pm), (uint32_t)(a + 4295454000ull));
	vpmtmr_destroy(pm);
}

static void
test_access(void **state)
{
	struct vdev_clock clk = { fake_now, &fake_ns };
	struct vpmtmr *pm;
	uint32_t v, full;

	(void)state;
	fake_ns = 0;
	pm = vpmtmr_create(&clk);
	fake_ns = 123456789012ull;
	full = inl(pm);
	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x408, 2, &v), 0);
	assert_int_equal(v, full & 0xffff);
	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x409, 1, &v), 0);
	assert_int_equal(v, (full >> 8) & 0xff);
	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x40a, 2, &v), 0);
	assert_int_equal(v, full >> 16);
	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x409, 4, &v), -EINVAL);
	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x40b, 2, &v), -EINVAL);
	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x408, 3, &v), -EINVAL);
	assert_int_equal(vpmtmr_pio(pm, 0, true, 0x407, 1, &v), -EINVAL);
	v = 0;
	assert_int_equal(vpmtmr_pio(pm, 0, false, 0x408, 4, &v), 0);
	assert_int_equal(inl(pm), full);	/* write ignored */
	vpmtmr_destroy(pm);
}

static void
test_snapshot(void **state)
{
	struct vdev_clock clk = { fake_now, &fake_ns };
	struct vdev_snap_field f[4];
	struct vdev_snap s = { .cap = 4, .f = f };
	struct vpmtmr *a, *b;
	uint32_t v;

	(void)state;
	fake_ns = 0;
	a = vpmtmr_create(&clk);
	fake_ns = 2000000000ull;
	assert_int_equal(vpmtmr_snapshot(a, &s), 0);
	v = inl(a);
	fake_ns = 9000000000ull;		/* a later, other VM */
	b = vpmtmr_create(&clk);
	assert_int_equal(vpmtmr_restore(b, &s), 0);
	assert_int_equal(inl(b), v);
	fake_ns += 1000000000ull;
	assert_int_equal(inl(b), v + 3579545u);
	s.version = 2;
	assert_int_equal(vpmtmr_restore(b, &s), -EINVAL);
	vpmtmr_destroy(a);
	vpmtmr_destroy(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frequency),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_snapshot),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
