/* SPDX-License-Identifier: BSD-2-Clause */
/* MC146818A model: formats, SET, divider, periodic/alarm/update IRQs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/io/vrtc.h"

#define	MS	1000000ull
#define	SEC	1000000000ull

struct env {
	uint64_t	now;
	struct vdev_clock clk;
	struct vcallout_wheel *w;
	struct vdev_intr intr;
	struct vrtc	*rtc;
	bool		line;		/* IRQ 8 level */
	int		asserts;
	int		bad;
};

static uint64_t
env_now(void *arg)
{
	return (((struct env *)arg)->now);
}

static void
env_isa(void *arg, int irq, int pin, enum vdev_irq_op op)
{
	struct env *e = arg;

	if (irq != 8 || pin != 8 || op == VDEV_IRQ_PULSE ||
	    e->line == (op == VDEV_IRQ_ASSERT)) {
		e->bad++;
		return;
	}
	e->line = op == VDEV_IRQ_ASSERT;
	if (e->line)
		e->asserts++;
}

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->now = 7 * SEC + 123;
	e->clk.now_ns = env_now;
	e->clk.arg = e;
	e->w = vcallout_wheel_create_manual(&e->clk);
	e->intr.arg = e;
	e->intr.isa = env_isa;
	e->rtc = vrtc_create(&e->clk, e->w, &e->intr);
	assert_non_null(e->rtc);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->bad, 0);
	vrtc_destroy(e->rtc);
	vcallout_wheel_destroy(e->w);
	test_free(e);
	return (0);
}

static void
wr(struct env *e, uint8_t idx, uint8_t v)
{
	uint32_t x = idx;

	assert_int_equal(vrtc_pio(e->rtc, 0, false, 0x70, 1, &x), 0);
	x = v;
	assert_int_equal(vrtc_pio(e->rtc, 0, false, 0x71, 1, &x), 0);
}

static uint8_t
rd(struct env *e, uint8_t idx)
{
	uint32_t x = idx;

	assert_int_equal(vrtc_pio(e->rtc, 0, false, 0x70, 1, &x), 0);
	assert_int_equal(vrtc_pio(e->rtc, 0, true, 0x71, 1, &x), 0);
	return ((uint8_t)x);
}

/* Advance time; like a guest ISR, read register C on each interrupt. */
static int
advance(struct env *e, uint64_t ns, uint64_t step, bool ack)
{
	uint64_t end = e->now + ns;
	int n = 0;

	while (e->now < end) {
		e->now += step;
		if (e->now > end)
			e->now = end;
		vcallout_wheel_run_due(e->w);
		if (e->line && ack) {
			n++;
			(void)rd(e, 0x0c);
			assert_false(e->line);
		}
	}
	return (n);
}

static void
expect_time(struct env *e, const uint8_t *want)
{
	static const uint8_t idx[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
	int i;

	for (i = 0; i < 8; i++)
		assert_int_equal(rd(e, idx[i]), want[i]);
}

static void
test_defaults(void **state)
{
	struct env *e = *state;
	static const uint8_t t0[8] = { 0, 0, 0, 5, 1, 1, 0x70, 0x19 };

	assert_int_equal(rd(e, 0x0a), 0x20);
	assert_int_equal(rd(e, 0x0b), 0x02);
	assert_int_equal(rd(e, 0x0c), 0x00);
	assert_int_equal(rd(e, 0x0d), 0x80);
	expect_time(e, t0);			/* Thu 1970-01-01 */
	assert_int_equal(vrtc_get_time(e->rtc), 0);
}

static void
test_formats(void **state)
{
	struct env *e = *state;
	/* Mon 2026-11-23 01:02:03 */
	static const uint8_t bcd[8] = { 0x03, 0x02, 0x01, 2, 0x23, 0x11,
	    0x26, 0x20 };
	static const uint8_t bin[8] = { 3, 2, 1, 2, 23, 11, 26, 20 };

	assert_int_equal(vrtc_set_time(e->rtc, 1795395723), 0);
	expect_time(e, bcd);
	wr(e, 0x0b, 0x06);			/* binary */
	expect_time(e, bin);
	wr(e, 0x0b, 0x00);			/* BCD, 12 h */
	assert_int_equal(rd(e, 4), 0x01);	/* 1 AM */
	vrtc_set_time(e->rtc, 1795395723 - 3600);
	assert_int_equal(rd(e, 4), 0x12);	/* midnight = 12 AM */
	vrtc_set_time(e->rtc, 1795395723 + 11 * 3600);
	assert_int_equal(rd(e, 4), 0x92);	/* noon = 12 PM */
	vrtc_set_time(e->rtc, 1795395723 + 22 * 3600);
	assert_int_equal(rd(e, 4), 0x91);	/* 11 PM */
	wr(e, 0x0b, 0x04);			/* binary 12 h */
	assert_int_equal(rd(e, 4), 0x8b);
	/* Guest write of an hour in 12 h binary while running. */
	wr(e, 4, 0x83);				/* 3 PM */
	wr(e, 0x0b, 0x06);
	assert_int_equal(rd(e, 4), 15);
	assert_int_equal(vrtc_set_time(e->rtc, -1), 0);	/* 1969 */
	assert_int_equal(rd(e, 9), 69);
	assert_int_equal(rd(e, 0x32), 19);
	assert_int_equal(vrtc_set_time(e->rtc, INT64_MAX / 2), -EINVAL);
	/* Year 0053 (before 1970 by far): 0053-07-04 00:00:00. */
	assert_int_equal(vrtc_set_time(e->rtc, -60478704000ll), 0);
	assert_int_equal(rd(e, 9), 53);
	assert_int_equal(rd(e, 0x32), 0);
	assert_int_equal(rd(e, 8), 7);
	assert_int_equal(rd(e, 7), 4);
}

static void
test_rollover(void **state)
{
	struct env *e = *state;

	vrtc_set_time(e->rtc, 1709164799);	/* 2024-02-28 23:59:59 */
	advance(e, SEC, 10 * MS, false);
	assert_int_equal(rd(e, 7), 0x29);	/* leap day */
	assert_int_equal(rd(e, 8), 0x02);
	vrtc_set_time(e->rtc, 4107542399);	/* 2100-02-28 23:59:59 */
	advance(e, SEC, 10 * MS, false);
	assert_int_equal(rd(e, 7), 0x01);	/* 2100 is not leap */
	assert_int_equal(rd(e, 8), 0x03);
	vrtc_set_time(e->rtc, 4102444799);	/* 2099-12-31 23:59:59 */
	advance(e, SEC, 10 * MS, false);
	assert_int_equal(rd(e, 9), 0x00);
	assert_int_equal(rd(e, 0x32), 0x21);	/* century byte */
	assert_int_equal(rd(e, 6), 6);		/* 2100-01-01 is Friday */
}

static void
test_set_bit(void **state)
{
	struct env *e = *state;
	int64_t t;

	wr(e, 0x0b, 0x82 | 0x10);		/* SET (clears UIE) */
	assert_int_equal(rd(e, 0x0b), 0x82);
	wr(e, 0, 0x56);
	wr(e, 2, 0x34);
	wr(e, 4, 0x12);
	wr(e, 7, 0x15);
	wr(e, 8, 0x06);
	wr(e, 9, 0x30);
	wr(e, 0x32, 0x20);
	advance(e, 10 * SEC, 100 * MS, false);	/* no updates */
	assert_int_equal(rd(e, 0), 0x56);
	assert_int_equal(vrtc_get_time(e->rtc), 1907757296);
	wr(e, 0x0b, 0x02);
	t = vrtc_get_time(e->rtc);
	assert_int_equal(t, 1907757296);
	advance(e, 3 * SEC, 100 * MS, false);
	assert_int_equal(vrtc_get_time(e->rtc), t + 3);
	/* Host sets the time while the guest holds SET. */
	wr(e, 0x0b, 0x82);
	vrtc_set_time(e->rtc, 946684798);
	assert_int_equal(rd(e, 9), 0x99);
	wr(e, 0x0b, 0x02);
	advance(e, 2 * SEC, 100 * MS, false);
	assert_int_equal(rd(e, 9), 0x00);
	assert_int_equal(rd(e, 0x32), 0x20);
}

static void
test_divider_reset(void **state)
{
	struct env *e = *state;

	wr(e, 0x0a, 0x70);			/* hold the divider */
	wr(e, 0, 0x10);				/* writes are plain bytes */
	advance(e, 5 * SEC, 100 * MS, false);
	assert_int_equal(rd(e, 0), 0x10);
	wr(e, 0x0a, 0x26);			/* release */
	advance(e, 499 * MS, MS, false);
	assert_int_equal(rd(e, 0), 0x10);
	advance(e, MS, MS, false);		/* first update at +500 ms */
	assert_int_equal(rd(e, 0), 0x11);
	advance(e, SEC - 1, 100 * MS, false);
	assert_int_equal(rd(e, 0), 0x11);
	advance(e, 1, 1, false);
	assert_int_equal(rd(e, 0), 0x12);
	/* Other dividers do not run either. */
	wr(e, 0x0a, 0x00);
	advance(e, 3 * SEC, 100 * MS, false);
	assert_int_equal(rd(e, 0), 0x12);
}

static void
test_uip(void **state)
{
	struct env *e = *state;
	int i, seen = 0;

	/* Phase starts at create: updates at create + k s. */
	for (i = 0; i < 20000; i++) {
		advance(e, 100000, 100000, false);
		if (rd(e, 0x0a) & 0x80)
			seen++;
	}
	assert_int_equal(seen, 4);		/* 244 us window per second */
	wr(e, 0x0b, 0x82);
	for (i = 0; i < 2000; i++) {
		advance(e, 1000000, 1000000, false);
		assert_int_equal(rd(e, 0x0a) & 0x80, 0);
	}
}

static void
test_periodic(void **state)
{
	struct env *e = *state;

	wr(e, 0x0a, 0x26);			/* 1024 Hz */
	wr(e, 0x0b, 0x42);			/* PIE */
	assert_int_equal(advance(e, SEC, 100000, true), 1024);
	wr(e, 0x0a, 0x2f);			/* 2 Hz */
	assert_int_equal(advance(e, 10 * SEC, MS, true), 20);
	wr(e, 0x0a, 0x23);			/* 8192 Hz */
	assert_int_equal(advance(e, SEC, 20000, true), 8192);
	wr(e, 0x0a, 0x21);			/* RS 1: 256 Hz */
	assert_int_equal(advance(e, SEC, 100000, true), 256);
	/* No ack: the line stays up, one assertion only. */
	wr(e, 0x0a, 0x26);
	e->asserts = 0;
	advance(e, SEC, MS, false);
	assert_int_equal(e->asserts, 1);
	assert_int_equal(rd(e, 0x0c) & 0xe0, 0xc0);	/* UF may be set */
	/* PF is set without PIE, but no interrupt. */
	wr(e, 0x0b, 0x02);
	advance(e, 10 * MS, MS, false);
	assert_false(e->line);
	assert_int_equal(rd(e, 0x0c) & 0xe0, 0x40);
	assert_int_equal(rd(e, 0x0c), 0x00);
	/* Enabling PIE with PF pending raises IRQF at once. */
	advance(e, 10 * MS, MS, false);
	wr(e, 0x0b, 0x42);
	assert_true(e->line);
	/* Rate 0 stops it. */
	(void)rd(e, 0x0c);
	wr(e, 0x0a, 0x20);
	assert_int_equal(advance(e, SEC, MS, true), 0);
}

static void
test_update_ended(void **state)
{
	struct env *e = *state;

	wr(e, 0x0b, 0x12);
	assert_int_equal(advance(e, 10 * SEC, 10 * MS, true), 10);
	wr(e, 0x0b, 0x92);			/* SET: no updates, UIE off */
	assert_int_equal(advance(e, 3 * SEC, 10 * MS, true), 0);
}

static void
test_alarm(void **state)
{
	struct env *e = *state;

	vrtc_set_time(e->rtc, 1795395723);	/* 01:02:03 */
	wr(e, 1, 0x08);
	wr(e, 3, 0x02);
	wr(e, 5, 0x01);				/* 01:02:08 */
	wr(e, 0x0b, 0x22);			/* AIE */
	assert_int_equal(advance(e, 4 * SEC, 10 * MS, true), 0);
	assert_int_equal(advance(e, SEC, 10 * MS, true), 1);
	assert_int_equal(rd(e, 0), 0x08);
	assert_int_equal(advance(e, 100 * SEC, 100 * MS, true), 0);
	/* Don't care minutes and hours: every minute at :30. */
	wr(e, 1, 0x30);
	wr(e, 3, 0xc0);
	wr(e, 5, 0xff);
	assert_int_equal(advance(e, 600 * SEC, 100 * MS, true), 10);
	/* All don't care: every second. */
	wr(e, 1, 0xc0);
	assert_int_equal(advance(e, 10 * SEC, 10 * MS, true), 10);
	/* An alarm that can never match (hour 0x25). */
	wr(e, 1, 0x00);
	wr(e, 5, 0x25);
	assert_int_equal(advance(e, 7200 * SEC, SEC, true), 0);
	/* 12 h alarm. */
	wr(e, 0x0b, 0x20);
	wr(e, 1, 0x00);
	wr(e, 3, 0x00);
	wr(e, 5, 0x82);				/* 2 PM */
	vrtc_set_time(e->rtc, 1795395723 + 12 * 3600);	/* 13:02:03 */
	assert_int_equal(advance(e, 3600 * SEC, SEC, true), 1);
	assert_int_equal(rd(e, 4), 0x82);
}

static void
test_nvram_and_ports(void **state)
{
	struct env *e = *state;
	uint32_t x = 0;
	uint8_t v;

	wr(e, 0x40, 0xa5);
	assert_int_equal(rd(e, 0x40), 0xa5);
	assert_int_equal(vrtc_nvram_write(e->rtc, 0x7f, 0x5a), 0);
	assert_int_equal(rd(e, 0x7f), 0x5a);
	assert_int_equal(vrtc_nvram_read(e->rtc, 0x40, &v), 0);
	assert_int_equal(v, 0xa5);
	assert_int_equal(vrtc_nvram_write(e->rtc, 0, 1), -EINVAL);
	assert_int_equal(vrtc_nvram_write(e->rtc, 13, 1), -EINVAL);
	assert_int_equal(vrtc_nvram_write(e->rtc, 0x32, 1), -EINVAL);
	assert_int_equal(vrtc_nvram_write(e->rtc, 128, 1), -EINVAL);
	assert_int_equal(vrtc_nvram_read(e->rtc, -1, &v), -EINVAL);
	assert_int_equal(vrtc_nvram_write(e->rtc, 14, 0x11), 0);
	/* Userland peek at C does not clear it. */
	wr(e, 0x0a, 0x26);
	advance(e, 10 * MS, MS, false);
	assert_int_equal(vrtc_nvram_read(e->rtc, 0x0c, &v), 0);
	assert_int_equal(v, 0x40);
	assert_int_equal(rd(e, 0x0c), 0x40);
	/* Index port: write-only, bit 7 is NMI disable. */
	assert_int_equal(vrtc_pio(e->rtc, 0, true, 0x70, 1, &x), 0);
	assert_int_equal(x, 0xff);
	x = 0x80 | 0x40;
	assert_int_equal(vrtc_pio(e->rtc, 0, false, 0x70, 1, &x), 0);
	assert_true(vrtc_nmi_disabled(e->rtc));
	assert_int_equal(vrtc_pio(e->rtc, 0, true, 0x71, 1, &x), 0);
	assert_int_equal(x, 0xa5);
	assert_int_equal(vrtc_pio(e->rtc, 0, true, 0x71, 2, &x), -EINVAL);
	assert_int_equal(vrtc_pio(e->rtc, 0, true, 0x72, 1, &x), -EINVAL);
	/* C and D are read-only; UIP cannot be written. */
	wr(e, 0x0d, 0x00);
	assert_int_equal(rd(e, 0x0d), 0x80);
	wr(e, 0x0c, 0xff);
	assert_int_equal(rd(e, 0x0c), 0x00);
	wr(e, 0x0a, 0xa6);
	assert_int_equal(rd(e, 0x0a) & 0x7f, 0x26);
}

static void
test_bad_time(void **state)
{
	struct env *e = *state;
	uint32_t seed = 99, v;
	int i;

	vrtc_set_time(e->rtc, 1795395723);
	wr(e, 0x0b, 0x82);
	wr(e, 0, 0xff);				/* not BCD */
	wr(e, 8, 0x13);				/* month 13 */
	wr(e, 0x0b, 0x02);
	/* Falls back to the time at which SET was raised. */
	assert_int_equal(vrtc_get_time(e->rtc), 1795395723);
	/* Garbage written while running is ignored. */
	wr(e, 7, 0x32);
	assert_int_equal(rd(e, 7), 0x23);
	wr(e, 7, 0x24);
	assert_int_equal(rd(e, 7), 0x24);
	/* Random register traffic never breaks the device. */
	for (i = 0; i < 100000; i++) {
		seed = seed * 1103515245 + 12345;
		v = seed >> 16;
		if ((v & 3) == 0)
			(void)rd(e, (uint8_t)(v >> 2));
		else
			wr(e, (uint8_t)(v >> 2), (uint8_t)(v >> 9));
		if ((i & 1023) == 0)
			advance(e, 37 * MS, 37 * MS, true);
	}
	(void)vrtc_get_time(e->rtc);
}

static void
test_snapshot(void **state)
{
	struct env *e = *state;
	struct vdev_snap_field f[32];
	struct vdev_snap s = { .cap = 32, .f = f };
	struct vrtc *b;

	vrtc_set_time(e->rtc, 1795395723);
	wr(e, 0x50, 0x77);
	wr(e, 0x0a, 0x26);
	wr(e, 0x0b, 0x42);
	advance(e, 1500 * MS, MS, true);
	assert_int_equal(vrtc_snapshot(e->rtc, &s), 0);
	assert_string_equal(s.dev, "vrtc");
	b = vrtc_create(&e->clk, e->w, &e->intr);
	assert_int_equal(vrtc_restore(b, &s), 0);
	vrtc_destroy(e->rtc);
	e->rtc = b;
	assert_int_equal(rd(e, 0x50), 0x77);
	assert_int_equal(vrtc_get_time(e->rtc), 1795395724);
	assert_int_equal(advance(e, SEC, 100000, true), 1024);
	assert_int_equal(vrtc_get_time(e->rtc), 1795395725);
	strcpy(s.dev, "vatpit");
	assert_int_equal(vrtc_restore(b, &s), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_divider_reset, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_ended, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvram_and_ports, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
