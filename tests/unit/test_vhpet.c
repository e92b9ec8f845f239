/* SPDX-License-Identifier: BSD-2-Clause */
/* HPET model: counter, one-shot/periodic, edge/level/FSB, bad access. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/io/vhpet.h"

#define	MS	1000000ull
#define	SEC	1000000000ull
#define	B	VHPET_BASE
#define	TCFG(n)	(0x100 + 0x20 * (n))
#define	TCMP(n)	(0x108 + 0x20 * (n))
#define	TFSB(n)	(0x110 + 0x20 * (n))

struct env {
	uint64_t	now;
	struct vdev_clock clk;
	struct vcallout_wheel *w;
	struct vdev_intr intr;
	struct vhpet	*h;
	int		pulses[32];
	int		level[32];	/* assert count per pin */
	int		msis;
	uint64_t	msi_addr, msi_data;
	uint64_t	last_pulse;	/* time of the last pulse, any pin */
	uint64_t	min_gap;	/* shortest gap between two pulses */
};

static uint64_t
env_now(void *arg)
{
	return (((struct env *)arg)->now);
}

static void
env_ioapic(void *arg, int pin, enum vdev_irq_op op)
{
	struct env *e = arg;

	assert_in_range(pin, 0, 31);
	if (op == VDEV_IRQ_PULSE) {
		if (e->last_pulse != 0 && e->now - e->last_pulse < e->min_gap)
			e->min_gap = e->now - e->last_pulse;
		e->last_pulse = e->now;
		e->pulses[pin]++;
	}
	else if (op == VDEV_IRQ_ASSERT)
		e->level[pin]++;
	else
		e->level[pin]--;
}

static void
env_msi(void *arg, uint64_t addr, uint64_t data)
{
	struct env *e = arg;

	e->msis++;
	e->msi_addr = addr;
	e->msi_data = data;
}

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->now = 3 * SEC;
	e->clk.now_ns = env_now;
	e->clk.arg = e;
	e->w = vcallout_wheel_create_manual(&e->clk);
	e->intr.arg = e;
	e->intr.ioapic = env_ioapic;
	e->intr.msi = env_msi;
	e->h = vhpet_create(&e->clk, e->w, &e->intr);
	assert_non_null(e->h);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;
	int i;

	for (i = 0; i < 32; i++)
		assert_in_range(e->level[i], 0, 1);
	vhpet_destroy(e->h);
	vcallout_wheel_destroy(e->w);
	test_free(e);
	return (0);
}

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
w64(struct env *e, unsigned off, uint64_t v)
{
	assert_int_equal(vhpet_mmio(e->h, 0, true, B + off, 8, &v), 0);
}

static void
w32(struct env *e, unsigned off, uint32_t v)
{
	uint64_t x = v;

	assert_int_equal(vhpet_mmio(e->h, 0, true, B + off, 4, &x), 0);
}

static uint64_t
r64(struct env *e, unsigned off)
{
	uint64_t v = 0;

	assert_int_equal(vhpet_mmio(e->h, 0, false, B + off, 8, &v), 0);
	return (v);
}

static uint32_t
r32(struct env *e, unsigned off)
{
	uint64_t v = 0;

	assert_int_equal(vhpet_mmio(e->h, 0, false, B + off, 4, &v), 0);
	return ((uint32_t)v);
}

static uint64_t
ticks(uint64_t t)
{
	return ((t * SEC + (1 << 24) - 1) >> 24);
}

static void
test_caps(void **state)
{
	struct env *e = *state;
	uint64_t cap = r64(e, 0);

	assert_int_equal(cap, vhpet_capabilities());
	assert_int_equal(cap >> 32, 59604645);
	assert_int_equal((cap >> 16) & 0xffff, 0x8086);
	assert_int_equal((cap >> 8) & 0x1f, 7);		/* 8 timers */
	assert_int_equal(cap & 0xff, 1);
	assert_int_equal(cap & (1 << 13), 0);		/* 32-bit counter */
	assert_int_equal(cap & (1 << 15), 0);		/* no legacy route */
	assert_int_equal(r32(e, 4), 59604645);
	/* Timer caps: periodic, FSB, routes 24-31, 32-bit. */
	assert_int_equal(r64(e, TCFG(3)), 0xff000000ull << 32 | 1 << 15 |
	    1 << 4);
	assert_int_equal(r32(e, TCFG(3) + 4), 0xff000000u);
	assert_int_equal(r32(e, TCMP(3)), 0xffffffffu);
	assert_int_equal(r32(e, TCMP(3) + 4), 0);
	/* Read-only registers stay. */
	w64(e, 0, 0);
	assert_int_equal(r64(e, 0), cap);
	w64(e, 0x10, 0x3);			/* LEG_RT_CNF ignored */
	assert_int_equal(r64(e, 0x10), 1);
}

static void
test_counter(void **state)
{
	struct env *e = *state;

	w64(e, 0xf0, 1000);			/* halted: writable */
	advance(e, SEC, 100 * MS);
	assert_int_equal(r64(e, 0xf0), 1000);
	w32(e, 0x10, 1);
	advance(e, SEC, 100 * MS);
	assert_int_equal(r64(e, 0xf0), 1000 + 16777216);
	w64(e, 0xf0, 5);			/* running: ignored */
	assert_int_equal(r32(e, 0xf0), 1000 + 16777216);
	assert_int_equal(r32(e, 0xf4), 0);
	/* 32-bit counter wraps after 256 s. */
	advance(e, 256 * SEC, SEC);
	assert_int_equal(r64(e, 0xf0), 1000 + 16777216);
	w32(e, 0x10, 0);
	advance(e, SEC, SEC);
	assert_int_equal(r64(e, 0xf0), 1000 + 16777216);
}

static void
test_oneshot_edge(void **state)
{
	struct env *e = *state;

	w64(e, TCFG(0), 24 << 9 | 1 << 2);	/* edge, enabled, pin 24 */
	assert_int_equal(r64(e, TCFG(0)) & 0x3e06, 24 << 9 | 1 << 2);
	w32(e, TCMP(0), 100000);
	w32(e, 0x10, 1);
	advance(e, ticks(99999), 1000);
	assert_int_equal(e->pulses[24], 0);
	advance(e, ticks(100000) - ticks(99999), 1);
	assert_int_equal(e->pulses[24], 1);
	assert_int_equal(r32(e, TCMP(0)), 100000);	/* unchanged */
	advance(e, 10 * SEC, 10 * MS);
	assert_int_equal(e->pulses[24], 1);
	/* Matches again after the counter wraps (32-bit). */
	advance(e, 250 * SEC, SEC);
	assert_int_equal(e->pulses[24], 2);
	/* Comparator equal to the counter matches at once. */
	w32(e, TCMP(0), r32(e, 0xf0));
	advance(e, 1, 1);
	assert_int_equal(e->pulses[24], 3);
	/* Edge timers leave the status register alone. */
	assert_int_equal(r64(e, 0x20), 0);
}

static void
test_periodic(void **state)
{
	struct env *e = *state;
	uint32_t c0;

	w32(e, 0x10, 1);
	/* As Linux programs it: VAL_SET, comparator, then period. */
	w64(e, TCFG(2), 25 << 9 | 1 << 2 | 1 << 3 | 1 << 6);
	c0 = r32(e, 0xf0) + 16777;
	w32(e, TCMP(2), c0);
	assert_int_equal(r64(e, TCFG(2)) & (1 << 6), 0);	/* cleared */
	w32(e, TCMP(2), 16777);			/* ~1000 Hz */
	advance(e, SEC, 100000);
	assert_int_equal(e->pulses[25], 1000);
	assert_int_equal(r32(e, TCMP(2)), c0 + 1000u * 16777);
	/* No drift over 100 s: 100 * 2^24 / 16777 = 100000.6 */
	advance(e, 99 * SEC, MS);
	assert_int_equal(e->pulses[25], 100000);
	/* Period only (no VAL_SET): the comparator keeps its phase. */
	w32(e, TCMP(2), 1677721);		/* 10 Hz */
	advance(e, SEC, MS);
	assert_in_range(e->pulses[25], 100010, 100011);
	/* Interrupt disabled: comparator runs, nothing delivered. */
	w64(e, TCFG(2), 25 << 9 | 1 << 3);
	advance(e, SEC, MS);
	assert_in_range(e->pulses[25], 100010, 100011);
}

/*
 * Periodic timer with a late timer thread (the clock jumps 50 ms): each
 * missed period is still its own edge interrupt (2.3.9.2.2), spaced at
 * least 20 us apart so an edge-triggered IOAPIC pin latches each one.
 * Far behind (5 s), the missed periods are skipped.
 */
static void
test_periodic_catch_up(void **state)
{
	struct env *e = *state;
	uint64_t t0, n;

	w64(e, TCFG(0), 24 << 9 | 1 << 2 | 1 << 3 | 1 << 6);
	w32(e, TCMP(0), 16777);
	w32(e, TCMP(0), 16777);			/* ~1000 Hz */
	t0 = e->now;
	w32(e, 0x10, 1);
	advance(e, 3 * MS, 1000);
	e->min_gap = UINT64_MAX;
	e->now += 50 * MS;
	advance(e, 10 * MS, 1000);
	n = ((e->now - t0) << 24) / SEC / 16777;
	assert_int_equal(e->pulses[24], (int)n);
	assert_true(e->min_gap >= 20000);
	e->now += 5 * SEC;
	advance(e, 100 * MS, 1000);
	assert_in_range(e->pulses[24] - (int)n, 99, 600);
	n = (uint64_t)e->pulses[24];
	advance(e, SEC, 100000);
	assert_in_range((uint64_t)e->pulses[24] - n, 999, 1001);
}

static void
test_level(void **state)
{
	struct env *e = *state;

	w64(e, TCFG(1), 26 << 9 | 1 << 1 | 1 << 2);	/* level */
	w32(e, TCMP(1), 1000);
	w32(e, 0x10, 1);
	advance(e, ticks(1000), 100);
	assert_int_equal(e->level[26], 1);
	assert_int_equal(r64(e, 0x20), 2);
	advance(e, SEC, MS);
	assert_int_equal(e->level[26], 1);
	w64(e, 0x20, 1);				/* other bit: no-op */
	assert_int_equal(e->level[26], 1);
	w64(e, 0x20, 2);				/* W1C */
	assert_int_equal(e->level[26], 0);
	assert_int_equal(r64(e, 0x20), 0);
	/* INT_ENB clear: status still set, no interrupt. */
	w64(e, TCFG(1), 26 << 9 | 1 << 1);
	w32(e, TCMP(1), r32(e, 0xf0) + 100);
	advance(e, ticks(200), 10);
	assert_int_equal(r64(e, 0x20), 2);
	assert_int_equal(e->level[26], 0);
	/* Enabling the interrupt with the bit set raises the line. */
	w64(e, TCFG(1), 26 << 9 | 1 << 1 | 1 << 2);
	assert_int_equal(e->level[26], 1);
	/* Moving the route moves the line. */
	w64(e, TCFG(1), 27 << 9 | 1 << 1 | 1 << 2);
	assert_int_equal(e->level[26], 0);
	assert_int_equal(e->level[27], 1);
	/* Halting the HPET disables its interrupts. */
	w32(e, 0x10, 0);
	assert_int_equal(e->level[27], 0);
	w32(e, 0x10, 1);
	assert_int_equal(e->level[27], 1);
	w32(e, 0x20, 0xff);
	assert_int_equal(e->level[27], 0);
}

static void
test_fsb(void **state)
{
	struct env *e = *state;

	w64(e, TFSB(5), 0xfee01000ull << 32 | 0x4041);
	w64(e, TCFG(5), 1 << 14 | 1 << 2 | 1 << 3 | 1 << 6);
	w32(e, TCMP(5), 1 << 20);
	w32(e, TCMP(5), 1 << 20);		/* 16 Hz */
	w32(e, 0x10, 1);
	advance(e, SEC, MS);
	assert_int_equal(e->msis, 16);
	assert_int_equal(e->msi_addr, 0xfee01000ull);
	assert_int_equal(e->msi_data, 0x4041);
	/* 32-bit halves of the FSB route register. */
	w32(e, TFSB(5), 0x55);
	assert_int_equal(r64(e, TFSB(5)), 0xfee01000ull << 32 | 0x55);
	/* Level mode with FSB: still messages, no status. */
	w64(e, TCFG(5), 1 << 14 | 1 << 1 | 1 << 2 | 1 << 3);
	advance(e, SEC, MS);
	assert_int_equal(e->msis, 32);
	assert_int_equal(r64(e, 0x20), 0);
}

/*
 * Linux's per-CPU "hpetN" clock event devices (FSB, one-shot, 32-bit):
 * 32-bit writes of the FSB route (data at 0x110, address at 0x114,
 * spec 2.3.9.2.3), Tn_INT_ENB_CNF | Tn_FSB_EN_CNF | Tn_32MODE_CNF, then
 * comparator = counter + delta as a 32-bit write.  Exactly one message
 * at the deadline, none before, none after.
 */
static void
test_fsb_oneshot_linux(void **state)
{
	struct env *e = *state;
	uint32_t cnt, dl, cfg;
	int i;

	w32(e, 0x10, 1);
	advance(e, 5 * MS, MS);
	w32(e, TFSB(1), 0x00ef);		/* fixed, vector 0xef */
	w32(e, TFSB(1) + 4, 0xfee01000u);	/* APIC ID 1 */
	cfg = r32(e, TCFG(1));
	assert_true((cfg & 1 << 15) != 0);	/* Tn_FSB_INT_DEL_CAP */
	cfg &= ~(1u << 3);
	cfg |= 1 << 2 | 1 << 8 | 1 << 14;
	w32(e, TCFG(1), cfg);
	for (i = 0; i < 3; i++) {
		cnt = r32(e, 0xf0);
		dl = cnt + 16777;			/* ~1 ms */
		w32(e, TCMP(1), dl);
		assert_true((int32_t)(dl - r32(e, 0xf0)) > 0);
		advance(e, ticks(16777) - 2000, 1000);
		assert_int_equal(e->msis, i);
		advance(e, 3000, 1);
		assert_int_equal(e->msis, i + 1);
		assert_int_equal(e->msi_addr, 0xfee01000u);
		assert_int_equal(e->msi_data, 0xef);
		advance(e, 5 * MS, 100000);
		assert_int_equal(e->msis, i + 1);
	}
	/* 64-bit comparator write (high half ignored in 32-bit mode). */
	dl = r32(e, 0xf0) + 167772;			/* ~10 ms */
	w64(e, TCMP(1), 0xdead00000000ull | dl);
	advance(e, 9 * MS, MS);
	assert_int_equal(e->msis, 3);
	advance(e, 2 * MS, 10000);
	assert_int_equal(e->msis, 4);
	assert_int_equal(r64(e, 0x20), 0);
}

static void
test_routes(void **state)
{
	struct env *e = *state;
	int pin;

	/* Pins outside INT_ROUTE_CAP are refused: the field keeps its value. */
	w64(e, TCFG(4), 5 << 9 | 1 << 2);
	assert_int_equal((r64(e, TCFG(4)) >> 9) & 0x1f, 0);
	w64(e, TCFG(4), 31 << 9 | 1 << 2);
	assert_int_equal((r64(e, TCFG(4)) >> 9) & 0x1f, 31);
	w64(e, TCFG(4), 23 << 9 | 1 << 2);
	assert_int_equal((r64(e, TCFG(4)) >> 9) & 0x1f, 31);
	/* Route 0 (power-on) never delivers. */
	w64(e, TCFG(6), 1 << 2);
	w32(e, TCMP(6), 10);
	w32(e, 0x10, 1);
	advance(e, MS, 1000);
	for (pin = 0; pin < 24; pin++)
		assert_int_equal(e->pulses[pin], 0);
	/* 32-bit mode bit and capability bits are read-only. */
	w64(e, TCFG(6), ~0ull);
	assert_int_equal(r64(e, TCFG(6)) & (1 << 8 | 1 << 5), 0);
	assert_int_equal(r64(e, TCFG(6)) & (1 << 6), 1 << 6);
	w64(e, TCFG(6), 0);
}

static void
test_bad_access(void **state)
{
	struct env *e = *state;
	uint64_t v, seed;
	unsigned off;
	int i;

	v = 0;
	assert_int_equal(vhpet_mmio(e->h, 0, false, B + 0, 2, &v), 0);
	assert_int_equal(v, ~0ull);
	assert_int_equal(vhpet_mmio(e->h, 0, false, B + 2, 4, &v), 0);
	assert_int_equal(v, ~0ull);
	assert_int_equal(vhpet_mmio(e->h, 0, false, B + 4, 8, &v), 0);
	assert_int_equal(v, ~0ull);
	assert_int_equal(vhpet_mmio(e->h, 0, false, B + 0x10, 1, &v), 0);
	assert_int_equal(v, ~0ull);
	v = 1;
	assert_int_equal(vhpet_mmio(e->h, 0, true, B + 0x11, 1, &v), 0);
	assert_int_equal(vhpet_mmio(e->h, 0, true, B + 0x12, 4, &v), 0);
	assert_int_equal(r64(e, 0x10), 0);	/* not enabled */
	assert_int_equal(vhpet_mmio(e->h, 0, false, B + 0x400, 4, &v),
	    -EINVAL);
	assert_int_equal(vhpet_mmio(e->h, 0, false, B - 4, 4, &v), -EINVAL);
	/* Reserved space reads 0; writes anywhere are harmless. */
	assert_int_equal(r64(e, 0x300), 0);
	assert_int_equal(r64(e, 0x118), 0);
	for (off = 0; off < 0x400; off += 4)
		w32(e, off, 0xffffffffu);
	for (off = 0; off < 0x400; off += 8)
		w64(e, off, 0x123456789abcdefull);
	advance(e, 300 * SEC, 10 * MS);
	w32(e, 0x20, 0xff);
	w32(e, 0x10, 0);
	/* Random register traffic with time passing. */
	for (i = 0, seed = 3; i < 200000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		off = (unsigned)(seed >> 40) & 0x3fc;
		if ((seed & 0x300) == 0x300)
			off &= 0x13c;		/* mostly real registers */
		if (seed & 1)
			(void)r32(e, off);
		else if (seed & 2)
			w32(e, off, (uint32_t)(seed >> 16));
		else
			w64(e, off & ~7u, seed >> 8);
		if ((i & 255) == 0)
			advance(e, (seed >> 20) & 0xffffff, 100000);
	}
	w32(e, 0x20, 0xff);
	w32(e, 0x10, 0);
	w32(e, 0x20, 0xff);
}

static void
test_reset_snapshot(void **state)
{
	struct env *e = *state;
	struct vdev_snap_field f[64];
	struct vdev_snap s = { .cap = 64, .f = f };
	struct vhpet *b;

	w32(e, 0x10, 1);
	w64(e, TCFG(0), 24 << 9 | 1 << 2 | 1 << 3 | 1 << 6);
	w32(e, TCMP(0), r32(e, 0xf0) + 167772);
	w32(e, TCMP(0), 167772);		/* 100 Hz */
	advance(e, 500 * MS, MS);
	assert_int_equal(e->pulses[24], 50);
	assert_int_equal(vhpet_snapshot(e->h, &s), 0);
	assert_string_equal(s.dev, "vhpet");
	b = vhpet_create(&e->clk, e->w, &e->intr);
	vhpet_destroy(e->h);
	e->h = b;
	assert_int_equal(vhpet_restore(b, &s), 0);
	advance(e, 500 * MS, MS);
	assert_in_range(e->pulses[24], 99, 100);
	vhpet_reset(b);
	assert_int_equal(r64(e, 0x10), 0);
	assert_int_equal(r64(e, 0xf0), 0);
	advance(e, SEC, MS);
	assert_in_range(e->pulses[24], 99, 100);
	s.n = 3;
	assert_int_equal(vhpet_restore(b, &s), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oneshot_edge, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periodic_catch_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsb_oneshot_linux, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_snapshot, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
