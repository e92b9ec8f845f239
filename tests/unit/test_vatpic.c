/* SPDX-License-Identifier: BSD-2-Clause */
/* 8259A pair: ICW sequence, priorities, EOI modes, poll, ELCR, cascade. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/io/vatpic.h"

struct env {
	struct vdev_intr intr;
	struct vatpic	*a;
	int		lint0;		/* LINT0 (ExtINT) notifications */
	int		kicks;
	int		bad_lint;
};

static void
env_lapic_local(void *arg, int vcpu, int pin)
{
	struct env *e = arg;

	if (vcpu == -1 && pin == 0)
		e->lint0++;
	else
		e->bad_lint++;
}

static void
env_notify(void *arg, int vcpu)
{
	((struct env *)arg)->kicks++;
}

static void
outb(struct env *e, uint16_t port, uint8_t v)
{
	uint32_t x = v;

	if (port >= 0x4d0)
		assert_int_equal(vatpic_elcr_pio(e->a, 0, false, port, 1, &x),
		    0);
	else
		assert_int_equal(vatpic_pio(e->a, 0, false, port, 1, &x), 0);
}

static uint8_t
inb(struct env *e, uint16_t port)
{
	uint32_t x = 0;

	if (port >= 0x4d0)
		assert_int_equal(vatpic_elcr_pio(e->a, 0, true, port, 1, &x),
		    0);
	else
		assert_int_equal(vatpic_pio(e->a, 0, true, port, 1, &x), 0);
	return ((uint8_t)x);
}

/* The classic PC initialisation: vectors 0x20/0x28, cascade on IR2. */
static void
pic_init(struct env *e, uint8_t icw4m, uint8_t icw4s)
{
	outb(e, 0x20, 0x11);
	outb(e, 0x21, 0x20);
	outb(e, 0x21, 0x04);
	outb(e, 0x21, icw4m);
	outb(e, 0xa0, 0x11);
	outb(e, 0xa1, 0x28);
	outb(e, 0xa1, 0x02);
	outb(e, 0xa1, icw4s);
}

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->intr.arg = e;
	e->intr.lapic_local = env_lapic_local;
	e->intr.notify = env_notify;
	e->a = vatpic_create(&e->intr);
	assert_non_null(e->a);
	pic_init(e, 0x01, 0x01);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	vatpic_destroy(e->a);
	test_free(e);
	return (0);
}

static int
pending(struct env *e)
{
	int v = -1;

	return (vatpic_pending_intr(e->a, &v) ? v : -1);
}

static uint8_t
isr(struct env *e, uint16_t port)
{
	uint8_t v;

	outb(e, port, 0x0b);
	v = inb(e, port);
	outb(e, port, 0x0a);
	return (v);
}

static void
test_basic_edge(void **state)
{
	struct env *e = *state;

	assert_int_equal(pending(e), -1);
	vatpic_pulse_irq(e->a, 1);
	assert_int_equal(e->lint0, 1);
	assert_int_equal(e->kicks, 1);
	assert_int_equal(inb(e, 0x20), 0x02);		/* IRR */
	assert_int_equal(pending(e), 0x21);
	vatpic_intr_accepted(e->a, 0x21);
	assert_int_equal(isr(e, 0x20), 0x02);
	assert_int_equal(inb(e, 0x20), 0x00);
	assert_int_equal(pending(e), -1);
	outb(e, 0x20, 0x20);				/* EOI */
	assert_int_equal(isr(e, 0x20), 0);
	/* Edge: a line kept high does not re-request. */
	vatpic_assert_irq(e->a, 4);
	assert_int_equal(vatpic_inta(e->a), 0x24);
	outb(e, 0x20, 0x20);
	assert_int_equal(pending(e), -1);
	vatpic_assert_irq(e->a, 4);		/* second asserter: no edge */
	assert_int_equal(pending(e), -1);
	assert_int_equal(e->bad_lint, 0);
}

static void
test_priority_nesting(void **state)
{
	struct env *e = *state;

	vatpic_pulse_irq(e->a, 5);
	vatpic_pulse_irq(e->a, 3);
	assert_int_equal(vatpic_inta(e->a), 0x23);
	assert_int_equal(pending(e), -1);	/* 5 is below 3 in service */
	vatpic_pulse_irq(e->a, 1);
	assert_int_equal(pending(e), 0x21);	/* 1 nests above 3 */
	assert_int_equal(vatpic_inta(e->a), 0x21);
	assert_int_equal(isr(e, 0x20), 0x0a);
	outb(e, 0x20, 0x20);			/* clears 1 (highest) */
	assert_int_equal(isr(e, 0x20), 0x08);
	outb(e, 0x20, 0x20);
	assert_int_equal(vatpic_inta(e->a), 0x25);
	/* Specific EOI. */
	outb(e, 0x20, 0x65);
	assert_int_equal(isr(e, 0x20), 0);
	/* IMR masks, but the request stays latched in IRR. */
	outb(e, 0x21, 0x40);
	assert_int_equal(inb(e, 0x21), 0x40);
	vatpic_pulse_irq(e->a, 6);
	assert_int_equal(pending(e), -1);
	outb(e, 0x21, 0x00);
	assert_int_equal(pending(e), 0x26);
}

static void
test_slave_cascade(void **state)
{
	struct env *e = *state;

	vatpic_pulse_irq(e->a, 12);
	assert_int_equal(pending(e), 0x2c);
	assert_int_equal(vatpic_inta(e->a), 0x2c);
	assert_int_equal(isr(e, 0x20), 0x04);
	assert_int_equal(isr(e, 0xa0), 0x10);
	/* 0 has priority over the whole slave. */
	vatpic_pulse_irq(e->a, 0);
	assert_int_equal(vatpic_inta(e->a), 0x20);
	outb(e, 0x20, 0x60);
	/* A higher slave request waits for the master's EOI (no SFNM). */
	vatpic_pulse_irq(e->a, 9);
	assert_int_equal(pending(e), -1);
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	assert_int_equal(vatpic_inta(e->a), 0x29);
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	assert_int_equal(isr(e, 0x20) | isr(e, 0xa0), 0);
}

static void
test_sfnm(void **state)
{
	struct env *e = *state;

	pic_init(e, 0x11, 0x01);		/* master: SFNM */
	vatpic_pulse_irq(e->a, 12);
	assert_int_equal(vatpic_inta(e->a), 0x2c);
	vatpic_pulse_irq(e->a, 9);		/* higher on the slave */
	assert_int_equal(pending(e), 0x29);
	assert_int_equal(vatpic_inta(e->a), 0x29);
	assert_int_equal(isr(e, 0xa0), 0x12);
	vatpic_pulse_irq(e->a, 14);		/* lower: still blocked */
	assert_int_equal(pending(e), -1);
}

static void
test_aeoi_and_rotation(void **state)
{
	struct env *e = *state;

	pic_init(e, 0x03, 0x03);		/* AEOI */
	vatpic_pulse_irq(e->a, 3);
	assert_int_equal(vatpic_inta(e->a), 0x23);
	assert_int_equal(isr(e, 0x20), 0);
	/* Rotate in AEOI: the served level becomes lowest. */
	outb(e, 0x20, 0x80);
	vatpic_pulse_irq(e->a, 3);
	assert_int_equal(vatpic_inta(e->a), 0x23);
	vatpic_pulse_irq(e->a, 3);
	vatpic_pulse_irq(e->a, 6);
	assert_int_equal(vatpic_inta(e->a), 0x26);	/* 3 is lowest now */
	assert_int_equal(vatpic_inta(e->a), 0x23);
	outb(e, 0x20, 0x00);			/* clear rotate in AEOI */

	pic_init(e, 0x01, 0x01);
	/* Rotate on non-specific EOI. */
	vatpic_pulse_irq(e->a, 1);
	assert_int_equal(vatpic_inta(e->a), 0x21);
	outb(e, 0x20, 0xa0);
	vatpic_pulse_irq(e->a, 1);
	vatpic_pulse_irq(e->a, 5);
	assert_int_equal(vatpic_inta(e->a), 0x25);
	/* Rotate on specific EOI: 5 lowest; order 6 7 0 1 ... */
	outb(e, 0x20, 0xe5);
	assert_int_equal(vatpic_inta(e->a), 0x21);
	outb(e, 0x20, 0x20);
	/* Set priority: 7 lowest (back to default). */
	outb(e, 0x20, 0xc7);
	vatpic_pulse_irq(e->a, 7);
	vatpic_pulse_irq(e->a, 0);
	assert_int_equal(vatpic_inta(e->a), 0x20);
}

static void
test_special_mask(void **state)
{
	struct env *e = *state;

	vatpic_pulse_irq(e->a, 3);
	assert_int_equal(vatpic_inta(e->a), 0x23);
	vatpic_pulse_irq(e->a, 5);
	outb(e, 0x21, 0x08);			/* mask own level */
	assert_int_equal(pending(e), -1);
	outb(e, 0x20, 0x68);			/* set special mask mode */
	assert_int_equal(pending(e), 0x25);
	assert_int_equal(vatpic_inta(e->a), 0x25);
	outb(e, 0x20, 0x65);
	outb(e, 0x20, 0x48);			/* reset special mask mode */
	vatpic_pulse_irq(e->a, 5);
	assert_int_equal(pending(e), -1);
}

static void
test_poll(void **state)
{
	struct env *e = *state;

	outb(e, 0x20, 0x0c);
	assert_int_equal(inb(e, 0x20), 0x00);	/* nothing */
	vatpic_pulse_irq(e->a, 6);
	outb(e, 0x20, 0x0c);
	assert_int_equal(inb(e, 0x20), 0x86);
	assert_int_equal(isr(e, 0x20), 0x40);
	assert_int_equal(inb(e, 0x20), 0x00);	/* back to IRR */
	outb(e, 0x20, 0x20);
	/* Poll through the cascade: master says 2, slave says its level. */
	vatpic_pulse_irq(e->a, 13);
	outb(e, 0x20, 0x0c);
	assert_int_equal(inb(e, 0x20), 0x82);
	outb(e, 0xa0, 0x0c);
	assert_int_equal(inb(e, 0xa0), 0x85);
}

static void
test_level_elcr(void **state)
{
	struct env *e = *state;

	outb(e, 0x4d0, 0xff);
	outb(e, 0x4d1, 0xff);
	assert_int_equal(inb(e, 0x4d0), 0xf8);	/* IRQ 0, 1, 2 edge only */
	assert_int_equal(inb(e, 0x4d1), 0xde);	/* IRQ 8, 13 edge only */
	assert_int_equal(vatpic_set_irq_trigger(e->a, 0, true), -EINVAL);
	assert_int_equal(vatpic_set_irq_trigger(e->a, 13, true), -EINVAL);
	assert_int_equal(vatpic_set_irq_trigger(e->a, 13, false), 0);
	outb(e, 0x4d0, 0x00);
	outb(e, 0x4d1, 0x04);			/* IRQ 10 level */
	vatpic_assert_irq(e->a, 10);
	assert_int_equal(vatpic_inta(e->a), 0x2a);
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	assert_int_equal(pending(e), 0x2a);	/* still asserted */
	vatpic_deassert_irq(e->a, 10);
	assert_int_equal(pending(e), 0x2f);	/* master IR2 latched edge */
	/* ...and the slave has nothing: spurious IRQ15. */
	assert_int_equal(vatpic_inta(e->a), 0x2f);
	assert_int_equal(isr(e, 0xa0), 0);
	assert_int_equal(isr(e, 0x20), 0x04);
	outb(e, 0x20, 0x20);
	outb(e, 0xa1, 0x00);
	assert_int_equal(inb(e, 0xa0) & 0x04, 0);	/* IRR follows line */
	/* Two asserters: low only after both deassert. */
	vatpic_assert_irq(e->a, 10);
	vatpic_assert_irq(e->a, 10);
	vatpic_deassert_irq(e->a, 10);
	assert_int_equal(inb(e, 0xa0) & 0x04, 0x04);
	vatpic_deassert_irq(e->a, 10);
	vatpic_deassert_irq(e->a, 10);		/* extra: ignored */
	assert_int_equal(inb(e, 0xa0) & 0x04, 0);
	/* LTIM in ICW1: the whole chip level-sensitive. */
	outb(e, 0x20, 0x19);
	outb(e, 0x21, 0x20);
	outb(e, 0x21, 0x04);
	outb(e, 0x21, 0x01);
	vatpic_assert_irq(e->a, 3);
	assert_int_equal(vatpic_inta(e->a), 0x23);
	outb(e, 0x20, 0x20);
	assert_int_equal(pending(e), 0x23);
	vatpic_deassert_irq(e->a, 3);
	assert_int_equal(pending(e), -1);
}

static void
test_spurious_irq7(void **state)
{
	struct env *e = *state;

	outb(e, 0x4d0, 0x20);			/* IRQ 5 level */
	vatpic_assert_irq(e->a, 5);
	assert_int_equal(pending(e), 0x25);
	vatpic_deassert_irq(e->a, 5);		/* vanishes before INTA */
	assert_int_equal(vatpic_inta(e->a), 0x27);
	assert_int_equal(isr(e, 0x20), 0);
	/* Accepting a vector whose request vanished sets nothing. */
	vatpic_intr_accepted(e->a, 0x25);
	assert_int_equal(isr(e, 0x20), 0);
	/* A stale vector of a masked request is not acknowledged. */
	vatpic_pulse_irq(e->a, 4);
	outb(e, 0x21, 0x10);
	vatpic_intr_accepted(e->a, 0x24);
	assert_int_equal(isr(e, 0x20), 0);
}

static void
test_notify_edges(void **state)
{
	struct env *e = *state;

	vatpic_pulse_irq(e->a, 3);
	vatpic_pulse_irq(e->a, 4);		/* INTR already high */
	assert_int_equal(e->lint0, 1);
	assert_int_equal(vatpic_inta(e->a), 0x23);
	vatpic_pulse_irq(e->a, 1);		/* nests: new edge */
	assert_int_equal(e->lint0, 2);
	assert_int_equal(vatpic_inta(e->a), 0x21);
	outb(e, 0x20, 0x20);
	outb(e, 0x20, 0x20);
	assert_int_equal(e->lint0, 3);		/* 4 now serviceable */
	assert_int_equal(vatpic_inta(e->a), 0x24);
}

static void
test_bad_guest(void **state)
{
	struct env *e = *state;
	uint32_t v = 0, seed = 12345;
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0,
	    0x4d1 };
	int i, vec;

	assert_int_equal(vatpic_pio(e->a, 0, true, 0x20, 2, &v), -EINVAL);
	assert_int_equal(vatpic_pio(e->a, 0, true, 0x22, 1, &v), -EINVAL);
	assert_int_equal(vatpic_elcr_pio(e->a, 0, true, 0x4d1, 2, &v),
	    -EINVAL);
	v = 0x0c20;
	assert_int_equal(vatpic_elcr_pio(e->a, 0, false, 0x4d0, 2, &v), 0);
	assert_int_equal(vatpic_elcr_pio(e->a, 0, true, 0x4d0, 2, &v), 0);
	assert_int_equal(v, 0x0c20);
	assert_int_equal(vatpic_assert_irq(e->a, 2), -EINVAL);
	assert_int_equal(vatpic_assert_irq(e->a, 16), -EINVAL);
	assert_int_equal(vatpic_pulse_irq(e->a, -1), -EINVAL);
	/* ICW1 restarts: no interrupt until the sequence completes. */
	outb(e, 0x20, 0x11);
	vatpic_pulse_irq(e->a, 1);
	assert_int_equal(pending(e), -1);
	outb(e, 0x21, 0x40);
	outb(e, 0x21, 0x04);
	assert_int_equal(pending(e), -1);
	outb(e, 0x21, 0x01);
	assert_int_equal(inb(e, 0x21), 0x00);	/* IMR cleared by ICW1 */
	vatpic_pulse_irq(e->a, 1);
	assert_int_equal(pending(e), 0x41);
	/* ICW1 without ICW4 and single mode: ICW2 completes it. */
	outb(e, 0x20, 0x12);
	outb(e, 0x21, 0x50);
	vatpic_pulse_irq(e->a, 1);
	assert_int_equal(pending(e), 0x51);
	/* Random writes everywhere, with lines and INTA cycles. */
	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245 + 12345;
		v = seed >> 16;
		switch (seed >> 29) {
		case 0:
			vatpic_pulse_irq(e->a, (int)(v & 15));
			break;
		case 1:
			vatpic_assert_irq(e->a, (int)(v & 15));
			break;
		case 2:
			vatpic_deassert_irq(e->a, (int)(v & 15));
			break;
		case 3:
			vec = vatpic_inta(e->a);
			assert_in_range(vec, 0, 255);
			break;
		case 4:
			(void)inb(e, ports[v % 6]);
			break;
		default:
			outb(e, ports[v % 6], (uint8_t)(v >> 8));
			break;
		}
	}
	assert_int_equal(e->bad_lint, 0);
}

static void
test_snapshot(void **state)
{
	struct env *e = *state;
	struct vdev_snap_field f[16];
	struct vdev_snap s = { .cap = 16, .f = f };
	struct vatpic *b;

	outb(e, 0x21, 0x30);
	outb(e, 0x4d1, 0x04);
	vatpic_pulse_irq(e->a, 3);
	assert_int_equal(vatpic_inta(e->a), 0x23);
	vatpic_assert_irq(e->a, 10);		/* IR2 is above 3 */
	vatpic_pulse_irq(e->a, 1);
	assert_int_equal(vatpic_snapshot(e->a, &s), 0);
	b = vatpic_create(&e->intr);
	assert_int_equal(vatpic_restore(b, &s), 0);
	vatpic_destroy(e->a);
	e->a = b;
	assert_int_equal(inb(e, 0x21), 0x30);
	assert_int_equal(isr(e, 0x20), 0x08);
	assert_int_equal(vatpic_inta(e->a), 0x21);
	outb(e, 0x20, 0x20);
	assert_int_equal(vatpic_inta(e->a), 0x2a);
	vatpic_deassert_irq(e->a, 10);		/* asserter count restored */
	assert_int_equal(inb(e, 0xa0) & 0x04, 0);
	s.version = 99;
	assert_int_equal(vatpic_restore(b, &s), -EINVAL);
	/* Reset: uninitialised until a new ICW sequence; lines kept. */
	vatpic_assert_irq(e->a, 10);
	vatpic_reset(e->a);
	assert_int_equal(inb(e, 0x4d1), 0);
	assert_int_equal(pending(e), -1);
	pic_init(e, 0x01, 0x01);
	vatpic_pulse_irq(e->a, 5);
	assert_int_equal(vatpic_inta(e->a), 0x25);
	vatpic_deassert_irq(e->a, 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_nesting, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slave_cascade, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sfnm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aeoi_and_rotation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_special_mask, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_elcr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spurious_irq7, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notify_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
