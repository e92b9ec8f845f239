/* SPDX-License-Identifier: BSD-2-Clause */
/* 8254 PIT model: modes, latch, read-back, rates, port 0x61, bad access. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <cmocka.h>

#include "vmm/io/vatpit.h"

struct env {
	uint64_t	now;
	struct vdev_clock clk;
	struct vcallout_wheel *w;
	struct vdev_intr intr;
	struct vatpit	*pit;
	int		pulses;
	int		other;
	uint64_t	last_pulse;	/* time of the last IRQ0 pulse */
	uint64_t	min_gap;	/* shortest gap between two pulses */
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

	if (irq == 0 && pin == 2 && op == VDEV_IRQ_PULSE) {
		if (e->pulses > 0 && e->now - e->last_pulse < e->min_gap)
			e->min_gap = e->now - e->last_pulse;
		e->last_pulse = e->now;
		e->pulses++;
	}
	else
		e->other++;
}

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->now = 1000000;
	e->min_gap = UINT64_MAX;
	e->clk.now_ns = env_now;
	e->clk.arg = e;
	e->w = vcallout_wheel_create_manual(&e->clk);
	e->intr.arg = e;
	e->intr.isa = env_isa;
	e->pit = vatpit_create(&e->clk, e->w, &e->intr);
	assert_non_null(e->pit);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	vatpit_destroy(e->pit);
	vcallout_wheel_destroy(e->w);
	test_free(e);
	return (0);
}

/* Advance fake time in steps, firing due callouts as a timer thread. */
static void
advance(struct env *e, uint64_t ns, uint64_t step)
{
	uint64_t end = e->now + ns;

	while (e->now < end) {
		e->now += step;
		if (e->now > end)
			e->now = end;
		vcallout_wheel_run_due(e->w);
	}
}

static void
outb(struct env *e, uint16_t port, uint8_t v)
{
	uint32_t x = v;

	assert_int_equal(port == 0x61 ?
	    vatpit_nmisc_pio(e->pit, 0, false, port, 1, &x) :
	    vatpit_pio(e->pit, 0, false, port, 1, &x), 0);
}

static uint8_t
inb(struct env *e, uint16_t port)
{
	uint32_t x = 0;

	assert_int_equal(port == 0x61 ?
	    vatpit_nmisc_pio(e->pit, 0, true, port, 1, &x) :
	    vatpit_pio(e->pit, 0, true, port, 1, &x), 0);
	return ((uint8_t)x);
}

static void
program(struct env *e, int ch, int mode, uint16_t count)
{
	outb(e, 0x43, (uint8_t)(ch << 6 | 3 << 4 | mode << 1));
	outb(e, (uint16_t)(0x40 + ch), (uint8_t)count);
	outb(e, (uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static uint16_t
read16(struct env *e, int ch)
{
	uint16_t lo = inb(e, (uint16_t)(0x40 + ch));

	return ((uint16_t)(lo | inb(e, (uint16_t)(0x40 + ch)) << 8));
}

/* ns for t ticks of 1193182 Hz, rounded up */
static uint64_t
ticks(uint64_t t)
{
	return ((t * 1000000000ull + 1193181) / 1193182);
}

static void
test_rate_100hz(void **state)
{
	struct env *e = *state;

	program(e, 0, 2, 11932);	/* 1193182 / 11932 = 99.998 Hz */
	advance(e, 1000000000ull, 1000000);
	assert_int_equal(e->pulses, 99);
	/* No drift: 100 s give 9999 edges (100 * 1193182 / 11932). */
	advance(e, 99000000000ull, 1000000);
	assert_int_equal(e->pulses, 9999);
	assert_int_equal(e->other, 0);
}

/*
 * A late timer thread (host load): the clock jumps 50 ms between two
 * callout runs.  Every missed mode 2 period must still reach IRQ0 as
 * its own rising edge of OUT0 (8254 datasheet, mode 2: one pulse per
 * period); Linux's check_timer counts them.  Edges are only latched
 * one at a time by the 8259 IRR / IOAPIC, so the missed ones come
 * spaced apart (>= 20 us), not as a burst of pulses at one instant.
 */
static void
test_catch_up(void **state)
{
	static const unsigned hz[] = { 100, 250, 300, 1000 };
	struct env *e = *state;
	uint64_t t0, el;
	uint16_t n;
	unsigned i;

	for (i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		n = (uint16_t)((1193182 + hz[i] / 2) / hz[i]);
		program(e, 0, 2, n);
		t0 = e->now;
		e->pulses = 0;
		e->min_gap = UINT64_MAX;
		advance(e, 3000000, 1000);	/* on time for 3 ms */
		e->now += 50000000;		/* then 50 ms late */
		advance(e, 10000000, 1000);	/* and 10 ms more */
		el = (e->now - t0) * 1193182 / 1000000000;
		assert_int_equal(e->pulses, (int)(el / n));
		assert_true(e->min_gap >= 20000);
	}
	/* Far behind (a stopped host): bounded catch-up, then on time. */
	program(e, 0, 2, 1193);			/* ~1000 Hz */
	e->pulses = 0;
	e->now += 5000000000ull;
	advance(e, 100000000, 1000);
	assert_in_range(e->pulses, 100, 600);
	t0 = (uint64_t)e->pulses;
	advance(e, 1000000000, 100000);
	assert_in_range((uint64_t)e->pulses - t0, 999, 1001);
	assert_int_equal(e->other, 0);
}

static void
test_mode3_square_rate(void **state)
{
	struct env *e = *state;

	program(e, 0, 3, 1193);		/* ~1000 Hz square wave */
	advance(e, 1000000000ull, 100000);
	assert_int_equal(e->pulses, 1000);	/* 1193182 / 1193 = 1000.15 */
}

static void
test_mode0_oneshot(void **state)
{
	struct env *e = *state;

	program(e, 0, 0, 1000);
	/* Status: OUT low, mode 0, LSB/MSB. */
	outb(e, 0x43, 0xe2);		/* read-back status only, ch0 */
	assert_int_equal(inb(e, 0x40) & 0xbf, 0x30);
	advance(e, ticks(999), 1000);
	assert_int_equal(e->pulses, 0);
	assert_int_equal(read16(e, 0), 1);
	advance(e, ticks(1000) - ticks(999), 1000);
	assert_int_equal(e->pulses, 1);
	/* The counter wraps and keeps counting; no second interrupt. */
	advance(e, ticks(70000), 100000);
	assert_int_equal(e->pulses, 1);
	outb(e, 0x43, 0xe2);
	assert_int_equal(inb(e, 0x40) & 0x80, 0x80);
}

static void
test_mode0_first_byte_stops(void **state)
{
	struct env *e = *state;

	program(e, 0, 0, 500);
	advance(e, ticks(100), ticks(100));
	outb(e, 0x40, 0x10);		/* LSB only: counting halts */
	advance(e, ticks(1000), 1000);
	assert_int_equal(e->pulses, 0);
	outb(e, 0x40, 0x00);		/* MSB: count 0x0010 loaded */
	advance(e, ticks(16), 100);
	assert_int_equal(e->pulses, 1);
}

static void
test_latch_and_count(void **state)
{
	struct env *e = *state;

	program(e, 1, 2, 1000);
	advance(e, ticks(10), ticks(10));
	outb(e, 0x43, 0x40);		/* counter latch, ch1 */
	advance(e, ticks(300), ticks(300));
	assert_int_equal(read16(e, 1), 990);
	/* A second latch while latched is ignored until read. */
	outb(e, 0x43, 0x40);
	advance(e, ticks(50), ticks(50));
	outb(e, 0x43, 0x40);
	assert_int_equal(read16(e, 1), 1000 - 310);
	/* Unlatched: live value; mode 2 reloads after 1. */
	advance(e, ticks(640), ticks(640));
	assert_int_equal(read16(e, 1), 1000);
	/* Channel 1 has no interrupt line. */
	assert_int_equal(e->pulses, 0);
}

static void
test_access_modes(void **state)
{
	struct env *e = *state;

	outb(e, 0x43, 0x54);		/* ch1, LSB only, mode 2 */
	outb(e, 0x41, 200);
	advance(e, ticks(50), ticks(50));
	assert_int_equal(inb(e, 0x41), 150);
	assert_int_equal(inb(e, 0x41), 150);
	outb(e, 0x43, 0x64);		/* ch1, MSB only, mode 2 */
	outb(e, 0x41, 0x02);		/* count 0x200 */
	advance(e, ticks(0x100), ticks(0x100));
	assert_int_equal(inb(e, 0x41), 0x01);
}

static void
test_count_zero(void **state)
{
	struct env *e = *state;

	program(e, 1, 2, 0);		/* 0 = 65536 */
	assert_int_equal(read16(e, 1), 0);
	advance(e, ticks(1), ticks(1));
	assert_int_equal(read16(e, 1), 0xffff);
	/* BCD: 0 = 10000, counts in decimal. */
	outb(e, 0x43, 0x75);		/* ch1, LSB/MSB, mode 2, BCD */
	outb(e, 0x41, 0x00);
	outb(e, 0x41, 0x00);
	advance(e, ticks(1), ticks(1));
	assert_int_equal(read16(e, 1), 0x9999);
	outb(e, 0x43, 0x75);
	outb(e, 0x41, 0x34);
	outb(e, 0x41, 0x12);		/* 1234 decimal */
	advance(e, ticks(235), ticks(235));
	assert_int_equal(read16(e, 1), 0x0999);
}

static void
test_readback(void **state)
{
	struct env *e = *state;
	uint8_t st;

	program(e, 0, 2, 100);
	outb(e, 0x43, 0xa7);		/* ch2: MSB, mode 3, BCD */
	outb(e, 0x42, 0x01);
	advance(e, ticks(5), ticks(5));
	/* Latch status and count of counters 0 and 2. */
	outb(e, 0x43, 0xc0 | 0x02 | 0x08);
	st = inb(e, 0x40);
	assert_int_equal(st, 0x80 | 0x30 | 0x04);	/* OUT, rw 3, mode 2 */
	assert_int_equal(read16(e, 0), 95);
	st = inb(e, 0x42);
	/* Gate 2 is low: OUT high, counting not started: NULL clear? */
	assert_int_equal(st & 0x3f, 0x20 | 0x06 | 0x01);
	assert_int_equal(inb(e, 0x42), 0x01);	/* latched MSB (BCD 100) */
	/* Status only, then count only. */
	outb(e, 0x43, 0xe2);
	outb(e, 0x43, 0xd2);
	assert_int_equal(inb(e, 0x40) & 0x3f, 0x34);
	assert_int_equal(read16(e, 0), 95);
}

static void
test_port61_channel2(void **state)
{
	struct env *e = *state;
	int i;

	/* Calibration loop as an OS does it: mode 0, gate via 0x61. */
	outb(e, 0x61, 0x00);
	program(e, 2, 0, 11932);
	assert_int_equal(inb(e, 0x61) & 0x20, 0);
	advance(e, ticks(20000), 100000);	/* gate low: no counting */
	assert_int_equal(inb(e, 0x61) & 0x20, 0);
	outb(e, 0x61, 0x01);
	advance(e, ticks(11931), ticks(11931));
	assert_int_equal(inb(e, 0x61) & 0x20, 0);
	advance(e, ticks(11932) - ticks(11931), 1);
	assert_int_equal(inb(e, 0x61) & 0x21, 0x21);
	assert_int_equal(e->pulses, 0);	/* channel 2 never raises IRQ0 */
	/* Bits 0-3 read back; refresh toggle (bit 4) changes. */
	outb(e, 0x61, 0xff);
	assert_int_equal(inb(e, 0x61) & 0x0f, 0x0f);
	for (i = 0; i < 4; i++) {
		uint8_t a = inb(e, 0x61) & 0x10;

		advance(e, 15085, 15085);
		assert_int_not_equal(inb(e, 0x61) & 0x10, a);
	}
}

static void
test_mode1_5_gate(void **state)
{
	struct env *e = *state;

	outb(e, 0x61, 0x00);
	program(e, 2, 1, 100);
	assert_int_equal(inb(e, 0x61) & 0x20, 0x20);	/* OUT high */
	outb(e, 0x61, 0x01);				/* trigger */
	assert_int_equal(inb(e, 0x61) & 0x20, 0);
	advance(e, ticks(50), ticks(50));
	outb(e, 0x61, 0x00);				/* no effect */
	outb(e, 0x61, 0x01);				/* retrigger */
	advance(e, ticks(99), ticks(99));
	assert_int_equal(inb(e, 0x61) & 0x20, 0);
	advance(e, ticks(100) - ticks(99), 1);
	assert_int_equal(inb(e, 0x61) & 0x20, 0x20);

	/* Mode 5: strobe one clock low at terminal count. */
	outb(e, 0x61, 0x00);
	program(e, 2, 5, 10);
	outb(e, 0x61, 0x01);
	advance(e, ticks(9), ticks(9));
	assert_int_equal(inb(e, 0x61) & 0x20, 0x20);
	advance(e, ticks(10) - ticks(9), 1);
	assert_int_equal(inb(e, 0x61) & 0x20, 0);
	advance(e, ticks(11) - ticks(10), 1);
	assert_int_equal(inb(e, 0x61) & 0x20, 0x20);
}

static void
test_mode4_and_gate_pause(void **state)
{
	struct env *e = *state;

	program(e, 0, 4, 20);
	advance(e, ticks(25), 1000);
	assert_int_equal(e->pulses, 1);
	advance(e, ticks(70000), 100000);
	assert_int_equal(e->pulses, 1);
	/* Channel 2, mode 4: gate low pauses the count. */
	outb(e, 0x61, 0x01);
	program(e, 2, 4, 1000);
	advance(e, ticks(100), ticks(100));
	outb(e, 0x61, 0x00);
	advance(e, ticks(5000), ticks(5000));
	outb(e, 0x43, 0x80);		/* latch ch2 */
	assert_int_equal(read16(e, 2), 900);
	/* Mode 2, gate low forces OUT high and reload on rising edge. */
	program(e, 2, 2, 50);
	outb(e, 0x61, 0x01);
	advance(e, ticks(49), ticks(49));
	assert_int_equal(inb(e, 0x61) & 0x20, 0);
	outb(e, 0x61, 0x00);
	assert_int_equal(inb(e, 0x61) & 0x20, 0x20);
	outb(e, 0x61, 0x01);
	assert_int_equal(read16(e, 2), 50);
}

static void
test_bad_access(void **state)
{
	struct env *e = *state;
	uint32_t v = 0x1234, seed;
	uint16_t port;
	int i;

	assert_int_equal(vatpit_pio(e->pit, 0, true, 0x40, 2, &v), -EINVAL);
	assert_int_equal(vatpit_pio(e->pit, 0, false, 0x44, 1, &v), -EINVAL);
	assert_int_equal(vatpit_nmisc_pio(e->pit, 0, true, 0x61, 4, &v),
	    -EINVAL);
	/* Control register is write-only: reads 0xff. */
	assert_int_equal(inb(e, 0x43), 0xff);
	/* Data before any control word is dropped; no crash, no IRQ. */
	outb(e, 0x40, 0x12);
	outb(e, 0x40, 0x34);
	(void)inb(e, 0x40);
	/* Count of 1 in modes 2 and 3 (illegal per datasheet): defined. */
	program(e, 0, 2, 1);
	advance(e, 1000000, 100000);
	program(e, 0, 3, 1);
	advance(e, 1000000, 100000);
	assert_true(e->pulses > 0);
	/* Garbage control words. */
	for (v = 0; v < 256; v++)
		outb(e, 0x43, (uint8_t)v);
	advance(e, 1000000000ull, 10000000);
	/* Random traffic on every port, with time passing. */
	for (i = 0, seed = 7; i < 200000; i++) {
		seed = seed * 1103515245 + 12345;
		port = (uint16_t)(0x40 + (seed >> 20) % 5);
		if (port == 0x44)
			port = 0x61;
		if (seed & 0x80000000u)
			(void)inb(e, port);
		else
			outb(e, port, (uint8_t)(seed >> 8));
		if ((i & 255) == 0)
			advance(e, (seed >> 12) & 0xfffff, 1000);
	}
}

static void
test_snapshot(void **state)
{
	struct env *e = *state;
	struct vdev_snap_field f[64];
	struct vdev_snap s = { .cap = 64, .f = f };
	int before;

	program(e, 0, 2, 11932);
	advance(e, 500000000ull, 1000000);
	outb(e, 0x43, 0x40);		/* latched count travels too */
	assert_int_equal(vatpit_snapshot(e->pit, &s), 0);
	assert_string_equal(s.dev, "vatpit");
	program(e, 0, 0, 5);
	assert_int_equal(vatpit_restore(e->pit, &s), 0);
	(void)read16(e, 0);
	before = e->pulses;
	advance(e, 500000000ull, 1000000);
	assert_in_range(e->pulses - before, 49, 51);
	/* A corrupt record is refused. */
	f[0].val = 9;			/* c0.mode */
	assert_int_equal(vatpit_restore(e->pit, &s), -EINVAL);
	s.cap = 3;
	s.n = 0;
	assert_int_equal(vatpit_snapshot(e->pit, &s), -ENOSPC);
	/* Reset stops channel 0 and clears port 0x61. */
	outb(e, 0x61, 0x03);
	vatpit_reset(e->pit);
	before = e->pulses;
	advance(e, 100000000ull, 1000000);
	assert_int_equal(e->pulses, before);
	assert_int_equal(inb(e, 0x61) & 0x0f, 0);
}

/* The real timer thread and clock, with a vCPU thread reading counters. */
static atomic_int mt_pulses;
static atomic_bool mt_stop;

static uint64_t
mono_now(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}

static void
mt_isa(void *arg, int irq, int pin, enum vdev_irq_op op)
{
	(void)arg;
	if (irq == 0 && pin == 2 && op == VDEV_IRQ_PULSE)
		atomic_fetch_add(&mt_pulses, 1);
}

static void *
mt_reader(void *arg)
{
	struct vatpit *pit = arg;
	uint32_t v;

	while (!atomic_load(&mt_stop)) {
		v = 0x40;
		vatpit_pio(pit, 1, false, 0x43, 1, &v);
		vatpit_pio(pit, 1, true, 0x40, 1, &v);
		vatpit_pio(pit, 1, true, 0x40, 1, &v);
		vatpit_nmisc_pio(pit, 1, true, 0x61, 1, &v);
	}
	return (NULL);
}

static void
test_threaded(void **state)
{
	struct vdev_clock clk = { mono_now, NULL };
	struct vdev_intr intr = { .isa = mt_isa };
	struct vcallout_wheel *w;
	struct vatpit *pit;
	struct timespec ts = { 0, 200000000 };
	pthread_t thr;
	uint32_t v;

	(void)state;
	w = vcallout_wheel_create(&clk);
	assert_non_null(w);
	pit = vatpit_create(&clk, w, &intr);
	assert_non_null(pit);
	pthread_create(&thr, NULL, mt_reader, pit);
	v = 0x34;
	vatpit_pio(pit, 0, false, 0x43, 1, &v);
	v = 1193 & 0xff;
	vatpit_pio(pit, 0, false, 0x40, 1, &v);
	v = 1193 >> 8;
	vatpit_pio(pit, 0, false, 0x40, 1, &v);	/* 1000 Hz */
	nanosleep(&ts, NULL);
	atomic_store(&mt_stop, true);
	pthread_join(thr, NULL);
	/* Loose bounds: a loaded CI host may delay the timer thread. */
	assert_in_range(atomic_load(&mt_pulses), 100, 260);
	vatpit_destroy(pit);		/* with the callout still armed */
	vcallout_wheel_destroy(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rate_100hz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode3_square_rate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mode0_oneshot, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mode0_first_byte_stops,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_latch_and_count, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_access_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_count_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port61_channel2, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mode1_5_gate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mode4_and_gate_pause, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test(test_threaded),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
