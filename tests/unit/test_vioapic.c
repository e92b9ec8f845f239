/* SPDX-License-Identifier: BSD-2-Clause */
/* vioapic register model, edge/level pins, Remote IRR and EOI. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/io/vioapic.h"

struct dlv {
	uint32_t dest;
	bool	logical;
	int	delmode, vector;
	bool	level;
};

struct fake {
	struct dlv d[16];
	int	n;
};

static void
fake_deliver(void *arg, uint32_t dest, bool logical, int delmode,
    int vector, bool level)
{
	struct fake *f = arg;

	if (f->n < 16)
		f->d[f->n] = (struct dlv){ dest, logical, delmode, vector,
		    level };
	f->n++;
}

struct ctx {
	struct fake	f;
	struct vioapic	*io;
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct vdev_intr intr = { .arg = &c->f, .lapic_deliver = fake_deliver };

	c->io = vioapic_create(&intr);
	*state = c;
	return (c->io == NULL);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	vioapic_destroy(c->io);
	free(c);
	return (0);
}

static uint32_t
rd(struct vioapic *io, uint32_t idx)
{
	uint64_t v = idx;

	assert_int_equal(vioapic_mmio(io, true, 0x00, 4, &v), 0);
	assert_int_equal(vioapic_mmio(io, false, 0x10, 4, &v), 0);
	return ((uint32_t)v);
}

static void
wr(struct vioapic *io, uint32_t idx, uint32_t val)
{
	uint64_t v = idx;

	assert_int_equal(vioapic_mmio(io, true, 0x00, 4, &v), 0);
	v = val;
	assert_int_equal(vioapic_mmio(io, true, 0x10, 4, &v), 0);
}

static void
set_rte(struct vioapic *io, int pin, uint64_t rte)
{
	wr(io, 0x11 + 2 * pin, (uint32_t)(rte >> 32));
	wr(io, 0x10 + 2 * pin, (uint32_t)rte);
}

static void
test_registers(void **state)
{
	struct ctx *c = *state;
	uint64_t v;
	int pin;

	assert_int_equal(vioapic_pincount(), 32);
	assert_int_equal(rd(c->io, 0x01), 0x001F0011);
	for (pin = 0; pin < 32; pin++)
		assert_int_equal(rd(c->io, 0x10 + 2 * pin), 0x10000);
	wr(c->io, 0x00, 0xFFFFFFFF);
	assert_int_equal(rd(c->io, 0x00), 0x0F000000);
	assert_int_equal(rd(c->io, 0x02), 0x0F000000);
	wr(c->io, 0x01, 0);			/* version is read-only */
	assert_int_equal(rd(c->io, 0x01), 0x001F0011);
	/* RTE: delivery status and remote IRR are read-only */
	wr(c->io, 0x10, 0xFFFFFFFF);
	assert_int_equal(rd(c->io, 0x10), 0x1AFFF);
	wr(c->io, 0x11, 0xFFFFFFFF);
	assert_int_equal(rd(c->io, 0x11), 0xFF000000);
	/* out of range indexes */
	assert_int_equal(rd(c->io, 0x50), 0);
	assert_int_equal(rd(c->io, 0x05), 0);
	wr(c->io, 0x50, 1);
	assert_true(vioapic_bad_accesses(c->io) >= 3);
	/* IOREGSEL reads back, byte write allowed */
	v = 0x12;
	assert_int_equal(vioapic_mmio(c->io, true, 0x00, 1, &v), 0);
	assert_int_equal(vioapic_mmio(c->io, false, 0x00, 4, &v), 0);
	assert_int_equal(v, 0x12);
	/* other offsets and sizes */
	v = 5;
	assert_int_equal(vioapic_mmio(c->io, true, 0x20, 4, &v), 0);
	assert_int_equal(vioapic_mmio(c->io, true, 0x10, 2, &v), 0);
	assert_int_equal(vioapic_mmio(c->io, false, 0x20, 4, &v), 0);
	assert_int_equal(v, 0);
	v = 0x01;
	assert_int_equal(vioapic_mmio(c->io, true, 0x00, 4, &v), 0);
	assert_int_equal(vioapic_mmio(c->io, false, 0x12, 1, &v), 0);
	assert_int_equal(v, 0x1F);
	assert_int_equal(vioapic_mmio(c->io, false, 0x1000, 4, &v), -EINVAL);
	assert_int_equal(vioapic_mmio_handler(c->io, 0, false,
	    VIOAPIC_BASE + 0x10, 4, &v), 0);
	assert_int_equal(v, 0x001F0011);
	/* bad pins */
	assert_int_equal(vioapic_assert(c->io, 32), -EINVAL);
	assert_int_equal(vioapic_pulse(c->io, -1), -EINVAL);
	assert_int_equal(vioapic_set_irq(c->io, 0, (enum vdev_irq_op)9),
	    -EINVAL);
}

static void
test_edge(void **state)
{
	struct ctx *c = *state;

	/* masked: nothing */
	vioapic_pulse(c->io, 4);
	assert_int_equal(c->f.n, 0);
	set_rte(c->io, 4, (3ull << 56) | 0x0830);	/* logical, vec 0x30 */
	vioapic_pulse(c->io, 4);
	assert_int_equal(c->f.n, 1);
	assert_int_equal(c->f.d[0].dest, 3);
	assert_true(c->f.d[0].logical);
	assert_int_equal(c->f.d[0].vector, 0x30);
	assert_false(c->f.d[0].level);
	/* edge fires on the rising edge only */
	vioapic_assert(c->io, 4);
	vioapic_assert(c->io, 4);
	assert_int_equal(c->f.n, 2);
	vioapic_deassert(c->io, 4);
	vioapic_deassert(c->io, 4);
	vioapic_assert(c->io, 4);
	assert_int_equal(c->f.n, 3);
	vioapic_deassert(c->io, 4);
	/* unbalanced deassert is counted, not fatal */
	vioapic_deassert(c->io, 4);
	assert_true(vioapic_bad_accesses(c->io) >= 1);
	vioapic_pulse(c->io, 4);
	assert_int_equal(c->f.n, 4);
	/* NMI delivery mode passes through */
	set_rte(c->io, 5, 0x0400);
	vioapic_pulse(c->io, 5);
	assert_int_equal(c->f.d[4].delmode, 4);
	assert_false(c->f.d[4].level);
}

static void
test_level_eoi(void **state)
{
	struct ctx *c = *state;

	set_rte(c->io, 9, (1ull << 56) | 0x8041);	/* level, vec 0x41 */
	vioapic_assert(c->io, 9);
	assert_int_equal(c->f.n, 1);
	assert_true(c->f.d[0].level);
	assert_true(vioapic_get_rte(c->io, 9) & (1u << 14));	/* Remote IRR */
	/* still asserted: no new delivery until EOI */
	vioapic_assert(c->io, 9);			/* shared line */
	assert_int_equal(c->f.n, 1);
	vioapic_eoi(c->io, 0x42);			/* other vector */
	assert_int_equal(c->f.n, 1);
	vioapic_eoi(c->io, 0x41);			/* line active: again */
	assert_int_equal(c->f.n, 2);
	vioapic_deassert(c->io, 9);			/* one source left */
	vioapic_eoi(c->io, 0x41);
	assert_int_equal(c->f.n, 3);
	vioapic_deassert(c->io, 9);
	vioapic_eoi(c->io, 0x41);
	assert_int_equal(c->f.n, 3);
	assert_false(vioapic_get_rte(c->io, 9) & (1u << 14));
	/* masked while active, delivered on unmask */
	set_rte(c->io, 9, (1ull << 56) | 0x18041);
	vioapic_assert(c->io, 9);
	assert_int_equal(c->f.n, 3);
	set_rte(c->io, 9, (1ull << 56) | 0x8041);
	assert_int_equal(c->f.n, 4);
	/* switching to edge drops Remote IRR */
	set_rte(c->io, 9, (1ull << 56) | 0x0041);
	assert_false(vioapic_get_rte(c->io, 9) & (1u << 14));
	vioapic_eoi(c->io, 300);			/* bad vector ignored */
}

static void
test_snapshot(void **state)
{
	struct ctx *c = *state;
	struct vdev_snap_field fields[VIOAPIC_SNAP_FIELDS];
	struct vdev_snap s = { .cap = VIOAPIC_SNAP_FIELDS, .f = fields };

	wr(c->io, 0x00, 0x05000000);
	set_rte(c->io, 7, (2ull << 56) | 0x8050);
	vioapic_assert(c->io, 7);
	assert_int_equal(vioapic_snapshot(c->io, &s), 0);
	assert_string_equal(s.dev, "vioapic");
	vioapic_reset(c->io);
	vioapic_deassert(c->io, 7);
	assert_int_equal(rd(c->io, 0x00), 0);
	assert_int_equal(vioapic_restore(c->io, &s), 0);
	assert_int_equal(rd(c->io, 0x00), 0x05000000);
	assert_int_equal(vioapic_get_rte(c->io, 7),
	    (2ull << 56) | 0xC050);
	/* the line is still active after restore: EOI re-delivers */
	vioapic_eoi(c->io, 0x50);
	assert_int_equal(c->f.n, 2);
	s.version = 2;
	assert_int_equal(vioapic_restore(c->io, &s), -EINVAL);
	s.version = 1;
	s.n = 3;
	assert_int_equal(vioapic_restore(c->io, &s), -EINVAL);
}

static void
test_random_guest(void **state)
{
	struct ctx *c = *state;
	uint64_t x = 0x2545F4914F6CDD1Dull, r, v;
	int i;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = x;
		v = r >> 17;
		switch (r % 6) {
		case 0:
			vioapic_mmio(c->io, true, (r >> 8) & 0xFF,
			    1u << ((r >> 20) % 4), &v);
			break;
		case 1:
			vioapic_mmio(c->io, false, (r >> 8) & 0xFF,
			    1u << ((r >> 20) % 4), &v);
			break;
		case 2:
			v = (r >> 8) & 0x7F;
			vioapic_mmio(c->io, true, 0, 4, &v);
			v = r >> 32;
			vioapic_mmio(c->io, true, 0x10, 4, &v);
			break;
		case 3:
			vioapic_set_irq(c->io, (int)((r >> 8) % 40) - 4,
			    (enum vdev_irq_op)((r >> 16) % 4));
			break;
		default:
			vioapic_eoi(c->io, (int)((r >> 8) & 0x1FF) - 100);
			break;
		}
	}
	vioapic_reset(c->io);
	assert_int_equal(rd(c->io, 0x01), 0x001F0011);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_registers),
		T(test_edge),
		T(test_level_eoi),
		T(test_snapshot),
		T(test_random_guest),
#undef T
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
