/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The platform with 4 vCPUs: IPIs (fixed, logical, broadcast, lowest
 * priority, INIT/SIPI, x2APIC), IOAPIC level interrupts with EOI,
 * MSI decode, the 8259 ExtINT path, dispatch and save/restore.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/io/vhpet.h"
#include "vmm/io/vioapic.h"
#include "vmm/io/vlapic.h"
#include "vmm/io/vplatform.h"

#define	NCPU	4
#define	LAPIC	0xFEE00000ull

struct eng {
	uint64_t	now;
	int		notified[NCPU];
	int		inits[NCPU];
	int		sipi[NCPU];	/* last vector + 1 */
};

static uint64_t
fake_now(void *arg)
{
	return (((struct eng *)arg)->now);
}

static void
eng_notify(void *arg, int vcpu)
{
	struct eng *e = arg;

	assert_true(vcpu >= 0 && vcpu < NCPU);
	e->notified[vcpu]++;
}

static void
eng_init(void *arg, int vcpu)
{
	((struct eng *)arg)->inits[vcpu]++;
}

static void
eng_sipi(void *arg, int vcpu, int vector)
{
	((struct eng *)arg)->sipi[vcpu] = vector + 1;
}

static uint64_t
eng_tsc(void *arg, int vcpu)
{
	return (((struct eng *)arg)->now);
}

struct ctx {
	struct eng	e;
	struct vdev_clock clk;
	struct vplatform *p;
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct vplatform_ops ops;
	struct vplatform_config cfg;

	c->e.now = 1000000000;
	c->clk = (struct vdev_clock){ fake_now, &c->e };
	ops = (struct vplatform_ops){ .arg = &c->e, .notify = eng_notify,
	    .init_ipi = eng_init, .sipi = eng_sipi, .tsc = eng_tsc,
	    .tsc_hz = 1000000000 };
	cfg = (struct vplatform_config){ .clock = &c->clk,
	    .manual_timers = true };
	c->p = vplatform_create_cfg(NCPU, &ops, &cfg);
	*state = c;
	return (c->p == NULL);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	vplatform_destroy(c->p);
	free(c);
	return (0);
}

static void
lw(struct vplatform *p, int vcpu, uint32_t off, uint32_t val)
{
	uint64_t v = val;

	assert_int_equal(vplatform_mmio(p, vcpu, true, LAPIC + off, 4, &v), 0);
}

static uint32_t
lr(struct vplatform *p, int vcpu, uint32_t off)
{
	uint64_t v;

	assert_int_equal(vplatform_mmio(p, vcpu, false, LAPIC + off, 4, &v),
	    0);
	return ((uint32_t)v);
}

static void
enable_all(struct vplatform *p)
{
	int i;

	for (i = 0; i < NCPU; i++)
		lw(p, i, 0xF0, 0x1FF);
}

/* Take the pending vector of vcpu, or -1. */
static int
take(struct vplatform *p, int vcpu)
{
	int v;

	if (!vplatform_pending_intr(p, vcpu, &v))
		return (-1);
	vplatform_intr_accepted(p, vcpu, v);
	return (v);
}

static void
eoi(struct vplatform *p, int vcpu)
{
	lw(p, vcpu, 0xB0, 0);
}

/* Take and EOI it (EOI by MMIO or x2APIC MSR). */
static int
got(struct vplatform *p, int vcpu)
{
	int v = take(p, vcpu);

	if (v < 0)
		return (v);
	if (vlapic_x2apic_mode(vplatform_vlapic(p, vcpu)))
		assert_int_equal(vplatform_wrmsr(p, vcpu, 0x80B, 0), 0);
	else
		eoi(p, vcpu);
	return (v);
}

static void
send_ipi(struct vplatform *p, int from, uint32_t dest, uint32_t lo)
{
	lw(p, from, 0x310, dest << 24);
	lw(p, from, 0x300, lo);
}

static void
test_ipi_fixed(void **state)
{
	struct ctx *c = *state;
	int i;

	enable_all(c->p);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(lr(c->p, i, 0x20), (uint32_t)i << 24);
	send_ipi(c->p, 0, 2, 0x4050);
	assert_int_equal(c->e.notified[2], 1);
	assert_int_equal(got(c->p, 1), -1);
	assert_int_equal(got(c->p, 2), 0x50);
	assert_int_equal(got(c->p, 0), -1);
	eoi(c->p, 2);
	/* nonexistent APIC ID: nobody */
	send_ipi(c->p, 0, 9, 0x4050);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), -1);
	/* broadcast, all-including-self, all-excluding-self */
	send_ipi(c->p, 1, 0xFF, 0x4051);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), 0x51);
	lw(c->p, 1, 0x300, 0x84052);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), 0x52);
	lw(c->p, 1, 0x300, 0xC4053);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), i == 1 ? -1 : 0x53);
	/* NMI IPI */
	send_ipi(c->p, 0, 3, 0x4400);
	assert_true(vplatform_nmi_pending(c->p, 3));
	vplatform_nmi_accepted(c->p, 3);
	assert_false(vplatform_nmi_pending(c->p, 3));
	assert_false(vplatform_nmi_pending(c->p, 9));
}

static void
test_ipi_logical(void **state)
{
	struct ctx *c = *state;
	int i;

	enable_all(c->p);
	for (i = 0; i < NCPU; i++)
		lw(c->p, i, 0xD0, (1u << i) << 24);	/* flat */
	send_ipi(c->p, 0, 0x0A, 0x4860);		/* logical 1 and 3 */
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), (i == 1 || i == 3) ? 0x60 : -1);
	/* cluster model: cluster 1 = vCPUs 2,3 with bits 0,1 */
	for (i = 0; i < NCPU; i++) {
		lw(c->p, i, 0xE0, 0x0FFFFFFF);
		lw(c->p, i, 0xD0, (((i / 2) << 4) | (1u << (i % 2))) << 24);
	}
	send_ipi(c->p, 0, 0x12, 0x4861);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), i == 3 ? 0x61 : -1);
}

static void
test_ipi_lowprio(void **state)
{
	struct ctx *c = *state;
	int i, n[NCPU] = { 0 }, k, v;

	enable_all(c->p);
	for (i = 0; i < NCPU; i++)
		lw(c->p, i, 0xD0, 0x01000000);		/* all in group 1 */
	lw(c->p, 0, 0x80, 0x40);
	lw(c->p, 1, 0x80, 0x10);
	lw(c->p, 2, 0x80, 0x30);
	lw(c->p, 3, 0x80, 0x20);
	send_ipi(c->p, 0, 0x01, 0x4970);		/* lowest prio */
	assert_int_equal(take(c->p, 1), 0x70);
	eoi(c->p, 1);
	/* equal priorities: round-robin spreads them */
	for (i = 0; i < NCPU; i++)
		lw(c->p, i, 0x80, 0);
	for (k = 0; k < 8; k++) {
		send_ipi(c->p, 0, 0x01, 0x4971);
		for (i = 0; i < NCPU; i++) {
			if ((v = take(c->p, i)) >= 0) {
				n[i]++;
				eoi(c->p, i);
			}
		}
	}
	for (i = 0; i < NCPU; i++)
		assert_int_equal(n[i], 2);
	/* through the IOAPIC too */
	lw(c->p, 2, 0x80, 0x00);
	for (i = 0; i < NCPU; i++)
		if (i != 2)
			lw(c->p, i, 0x80, 0x50);
	assert_int_equal(vplatform_msi(c->p, 0xFEE0100C, 0x0172), 0);
	assert_int_equal(take(c->p, 2), 0x72);
}

static void
test_init_sipi(void **state)
{
	struct ctx *c = *state;
	int i;

	enable_all(c->p);
	lw(c->p, 2, 0x80, 0x30);
	lw(c->p, 0, 0x300, 0xC4500);		/* INIT all-but-self */
	lw(c->p, 0, 0x300, 0xC8500);		/* INIT de-assert: no-op */
	for (i = 0; i < NCPU; i++)
		assert_int_equal(c->e.inits[i], i == 0 ? 0 : 1);
	/* INIT reset the APs' APICs, not the BSP's */
	assert_int_equal(lr(c->p, 2, 0x80), 0);
	assert_int_equal(lr(c->p, 2, 0xF0), 0xFF);
	assert_int_equal(lr(c->p, 0, 0xF0), 0x1FF);
	lw(c->p, 0, 0x300, 0xC4699);		/* SIPI vector 0x99 */
	for (i = 0; i < NCPU; i++)
		assert_int_equal(c->e.sipi[i], i == 0 ? 0 : 0x9A);
	send_ipi(c->p, 0, 3, 0x4500);		/* INIT to one */
	assert_int_equal(c->e.inits[3], 2);
}

static void
test_x2apic_ipi(void **state)
{
	struct ctx *c = *state;
	uint64_t v;
	int i;
	bool on;

	for (i = 0; i < NCPU; i++) {
		assert_int_equal(vplatform_set_x2apic_state(c->p, i, true), 0);
		assert_int_equal(vplatform_wrmsr(c->p, i, 0x1B,
		    0xFEE00C00 | (i == 0 ? 0x100 : 0)), 0);
		assert_int_equal(vplatform_wrmsr(c->p, i, 0x80F, 0x1FF), 0);
	}
	assert_int_equal(vplatform_get_x2apic_state(c->p, 1, &on), 0);
	assert_true(on);
	assert_int_equal(vplatform_rdmsr(c->p, 1, 0x802, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vplatform_rdmsr(c->p, 1, 0x1B, &v), 0);
	assert_int_equal(v, 0xFEE00C00);	/* not the BSP */
	assert_int_equal(vplatform_wrmsr(c->p, 0, 0x830,
	    (3ull << 32) | 0x4080), 0);
	assert_int_equal(got(c->p, 3), 0x80);
	/* logical: cluster 0, vCPUs 1 and 2 */
	assert_int_equal(vplatform_wrmsr(c->p, 0, 0x830,
	    (6ull << 32) | 0x4881), 0);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), (i == 1 || i == 2) ? 0x81 : -1);
	/* x2APIC broadcast */
	assert_int_equal(vplatform_wrmsr(c->p, 0, 0x830,
	    (0xFFFFFFFFull << 32) | 0x4082), 0);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), 0x82);
	/* MMIO is off in x2APIC mode; bad MSRs raise #GP */
	assert_int_equal(lr(c->p, 0, 0x30), 0xFFFFFFFF);
	assert_int_equal(vplatform_rdmsr(c->p, 0, 0x831, &v), -EINVAL);
	assert_int_equal(vplatform_rdmsr(c->p, 0, 0x10, &v), -ENOENT);
	assert_int_equal(vplatform_rdmsr(c->p, 7, 0x802, &v), -EINVAL);
	assert_int_equal(vplatform_apicid2vcpu(c->p, 3), 3);
	assert_int_equal(vplatform_apicid2vcpu(c->p, 4), -EINVAL);
}

static void
ioapic_w(struct vplatform *p, uint32_t idx, uint32_t val)
{
	uint64_t v = idx;

	assert_int_equal(vplatform_mmio(p, 0, true, VIOAPIC_BASE, 4, &v), 0);
	v = val;
	assert_int_equal(vplatform_mmio(p, 0, true, VIOAPIC_BASE + 0x10, 4,
	    &v), 0);
}

static void
test_ioapic_level_eoi(void **state)
{
	struct ctx *c = *state;

	enable_all(c->p);
	ioapic_w(c->p, 0x10 + 2 * 10 + 1, 1u << 24);	/* dest APIC 1 */
	ioapic_w(c->p, 0x10 + 2 * 10, 0x8060);		/* level, 0x60 */
	assert_int_equal(vplatform_ioapic_irq(c->p, 10, VDEV_IRQ_ASSERT), 0);
	assert_int_equal(take(c->p, 1), 0x60);
	/* TMR set: the EOI goes to the IOAPIC, which re-delivers */
	assert_int_equal(lr(c->p, 1, 0x180 + 0x10 * 3), 1u);
	eoi(c->p, 1);
	assert_int_equal(take(c->p, 1), 0x60);
	assert_int_equal(vplatform_ioapic_irq(c->p, 10, VDEV_IRQ_DEASSERT), 0);
	eoi(c->p, 1);
	assert_int_equal(take(c->p, 1), -1);
	assert_int_equal(vioapic_get_rte(vplatform_vioapic(c->p), 10) &
	    (1u << 14), 0);
	/* edge pin via ISA: IRQ 4 -> IOAPIC pin 4 */
	ioapic_w(c->p, 0x10 + 2 * 4 + 1, 2u << 24);
	ioapic_w(c->p, 0x10 + 2 * 4, 0x0061);
	assert_int_equal(vplatform_isa_irq(c->p, 4, 4, VDEV_IRQ_PULSE), 0);
	assert_int_equal(take(c->p, 2), 0x61);
	assert_int_equal(vplatform_isa_irq(c->p, 16, 4, VDEV_IRQ_PULSE),
	    -EINVAL);
	assert_int_equal(vplatform_isa_irq(c->p, -1, 32, VDEV_IRQ_PULSE),
	    -EINVAL);
	assert_int_equal(vplatform_ioapic_irq(c->p, 32, VDEV_IRQ_PULSE),
	    -EINVAL);
	assert_int_equal(vplatform_ioapic_pincount(c->p), 32);
}

/*
 * An HPET FSB timer through the platform as Linux programs its per-CPU
 * "hpetN" clock event devices in flat logical APIC mode: the route
 * register holds an RH=0 DM=1 message for logical destination 0x02
 * (vCPU 1), one-shot comparator 1 ms ahead (IA-PC HPET 1.0a 2.3.9.2.3).
 * Exactly vCPU 1 takes exactly one interrupt, at the deadline.
 */
static void
hw(struct vplatform *p, uint32_t off, uint32_t val)
{
	uint64_t v = val;

	assert_int_equal(vplatform_mmio(p, 0, true, VHPET_BASE + off, 4, &v),
	    0);
}

static uint32_t
hr(struct vplatform *p, uint32_t off)
{
	uint64_t v;

	assert_int_equal(vplatform_mmio(p, 0, false, VHPET_BASE + off, 4,
	    &v), 0);
	return ((uint32_t)v);
}

static void
test_hpet_fsb_logical(void **state)
{
	struct ctx *c = *state;
	uint32_t cfg;
	int i, k;

	enable_all(c->p);
	for (i = 0; i < NCPU; i++)
		lw(c->p, i, 0xD0, (1u << i) << 24);
	hw(c->p, 0x10, 1);				/* ENABLE_CNF */
	hw(c->p, 0x130, 0xef);				/* T1 FSB value */
	hw(c->p, 0x134, 0xFEE02004);			/* T1 FSB address */
	cfg = hr(c->p, 0x120);
	cfg = (cfg & ~(1u << 3)) | 1 << 2 | 1 << 8 | 1 << 14;
	hw(c->p, 0x120, cfg);
	for (k = 0; k < 2; k++) {
		hw(c->p, 0x128, hr(c->p, 0xF0) + 16777);	/* ~1 ms */
		c->e.now += 900000;
		vplatform_run_timers(c->p);
		for (i = 0; i < NCPU; i++)
			assert_int_equal(got(c->p, i), -1);
		c->e.now += 200000;
		vplatform_run_timers(c->p);
		for (i = 0; i < NCPU; i++)
			assert_int_equal(got(c->p, i), i == 1 ? 0xef : -1);
		c->e.now += 5000000;
		vplatform_run_timers(c->p);
		for (i = 0; i < NCPU; i++)
			assert_int_equal(got(c->p, i), -1);
	}
}

/*
 * LAPIC periodic timer with a late timer thread: the 50 ms the clock
 * jumps are delivered as 50 separate interrupts (each accepted and
 * EOIed, SDM 10.5.4), spaced out, then the timer is back on schedule.
 */
static void
test_lapic_periodic_catch_up(void **state)
{
	struct ctx *c = *state;
	uint64_t t0;
	int n, v, k;

	enable_all(c->p);
	lw(c->p, 0, 0x3E0, 0x3);			/* divide by 16 */
	lw(c->p, 0, 0x320, 0x20031);			/* periodic */
	lw(c->p, 0, 0x380, VLAPIC_BUS_FREQ / 16 / 1000);	/* 1 ms */
	t0 = c->e.now;
	c->e.now += 50000000 + 500000;
	n = 0;
	for (k = 0; k < 2000; k++) {			/* 10 ms */
		vplatform_run_timers(c->p);
		if ((v = got(c->p, 0)) >= 0) {
			assert_int_equal(v, 0x31);
			n++;
		}
		c->e.now += 5000;
	}
	assert_int_equal(n, (int)((c->e.now - 5000 - t0) / 1000000));
}

static void
test_msi(void **state)
{
	struct ctx *c = *state;
	int i;

	enable_all(c->p);
	for (i = 0; i < NCPU; i++)
		lw(c->p, i, 0xD0, (1u << i) << 24);
	/* physical, dest 2, vector 0x71 */
	assert_int_equal(vplatform_msi(c->p, 0xFEE02000, 0x4071), 0);
	assert_int_equal(got(c->p, 2), 0x71);
	/* DM without RH is logical (Linux flat mode, HPET FSB too) */
	assert_int_equal(vplatform_msi(c->p, 0xFEE0C004, 0x0072), 0);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), i >= 2 ? 0x72 : -1);
	assert_int_equal(vplatform_msi(c->p, 0xFEE02004, 0x0072), 0);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), i == 1 ? 0x72 : -1);
	/* RH+DM: logical 0x0C = vCPUs 2 and 3 (fixed mode: both) */
	assert_int_equal(vplatform_msi(c->p, 0xFEE0C00C, 0x0073), 0);
	for (i = 0; i < NCPU; i++)
		assert_int_equal(got(c->p, i), i >= 2 ? 0x73 : -1);
	/* NMI */
	assert_int_equal(vplatform_msi(c->p, 0xFEE01000, 0x0400), 0);
	assert_true(vplatform_nmi_pending(c->p, 1));
	/* bad addresses and modes are counted and ignored */
	assert_int_equal(vplatform_msi(c->p, 0xFED00000, 0x0074), -EINVAL);
	assert_int_equal(vplatform_msi(c->p, 0x1FEE00000ull, 0x0074), -EINVAL);
	assert_int_equal(vplatform_msi(c->p, 0xFEE00000, 0x0674), -EINVAL);
	assert_int_equal(vplatform_bad_msi(c->p), 3);
	/* vector < 16: receive illegal vector at the target */
	assert_int_equal(vplatform_msi(c->p, 0xFEE00000, 0x0005), 0);
	lw(c->p, 0, 0x280, 0);
	assert_int_equal(lr(c->p, 0, 0x280), 0x40);
	/* vm_lapic_irq */
	assert_int_equal(vplatform_lapic_irq(c->p, 3, 0x90), 0);
	assert_int_equal(got(c->p, 3), 0x90);
	assert_int_equal(vplatform_lapic_irq(c->p, 3, 5), -EINVAL);
	assert_int_equal(vplatform_lapic_irq(c->p, 4, 0x90), -EINVAL);
	assert_int_equal(vplatform_inject_nmi(c->p, 0), 0);
	assert_true(vplatform_nmi_pending(c->p, 0));
	assert_int_equal(vplatform_inject_nmi(c->p, -1), -EINVAL);
}

static void
pio_out(struct vplatform *p, uint16_t port, uint8_t val)
{
	uint32_t v = val;

	assert_int_equal(vplatform_pio(p, 0, false, port, 1, &v), 0);
}

static void
test_extint_8259(void **state)
{
	struct ctx *c = *state;
	uint32_t v;
	int vec;

	/* ICW1-4 for master (base 0x20) and slave (base 0x28) */
	pio_out(c->p, 0x20, 0x11);
	pio_out(c->p, 0x21, 0x20);
	pio_out(c->p, 0x21, 0x04);
	pio_out(c->p, 0x21, 0x01);
	pio_out(c->p, 0xA0, 0x11);
	pio_out(c->p, 0xA1, 0x28);
	pio_out(c->p, 0xA1, 0x02);
	pio_out(c->p, 0xA1, 0x01);
	pio_out(c->p, 0x21, 0xFD);		/* unmask IRQ1 only */
	pio_out(c->p, 0xA1, 0xFF);
	/* APIC software-disabled: LINT0 is the INTR pin (virtual wire) */
	assert_int_equal(vplatform_isa_irq(c->p, 1, 1, VDEV_IRQ_PULSE), 0);
	assert_true(c->e.notified[0] > 0);
	assert_true(vplatform_pending_intr(c->p, 0, &vec));
	assert_int_equal(vec, 0x21);
	assert_false(vplatform_pending_intr(c->p, 1, &vec));	/* AP */
	vplatform_intr_accepted(c->p, 0, 0x21);
	assert_false(vplatform_pending_intr(c->p, 0, &vec));
	pio_out(c->p, 0x20, 0x20);		/* EOI */
	/* enabled APIC with LINT0 as ExtINT on vCPU 0 */
	lw(c->p, 0, 0xF0, 0x1FF);
	lw(c->p, 0, 0x350, 0x700);
	assert_int_equal(vplatform_isa_irq(c->p, 1, -1, VDEV_IRQ_PULSE), 0);
	assert_true(vplatform_pending_intr(c->p, 0, &vec));
	assert_int_equal(vec, 0x21);
	/* a LAPIC interrupt is preferred over ExtINT */
	assert_int_equal(vplatform_lapic_irq(c->p, 0, 0x40), 0);
	assert_int_equal(take(c->p, 0), 0x40);
	assert_int_equal(take(c->p, 0), 0x21);
	/* port dispatch: PIC, PIT, unknown port, bad size */
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x21, 1, &v), 0);
	assert_int_equal(v, 0xFD);
	v = 0;
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x21, 4, &v), 0);
	assert_int_equal(v, 0xFFFFFFFF);
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x3F8, 1, &v), -ENOENT);
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x61, 1, &v), 0);
	assert_int_equal(vplatform_isa_set_irq_trigger(c->p, 0, true),
	    -EINVAL);
	assert_int_equal(vplatform_isa_set_irq_trigger(c->p, 5, true), 0);
}

static void
test_pit_irq0(void **state)
{
	struct ctx *c = *state;
	uint64_t v;
	int vec, n;

	/* IOAPIC pin 2 (IRQ0) -> vCPU 0 vector 0x30, edge */
	enable_all(c->p);
	v = 0x10 + 2 * 2;
	assert_int_equal(vplatform_mmio(c->p, 0, true, VIOAPIC_BASE, 4, &v), 0);
	v = 0x30;
	assert_int_equal(vplatform_mmio(c->p, 0, true, VIOAPIC_BASE + 0x10,
	    4, &v), 0);
	/* PIT channel 0, mode 2, count 1193 (~1 ms) */
	pio_out(c->p, 0x43, 0x34);
	pio_out(c->p, 0x40, 1193 & 0xFF);
	pio_out(c->p, 0x40, 1193 >> 8);
	for (n = 0; n < 5; n++) {
		c->e.now += 1000000;
		vplatform_run_timers(c->p);
		if (vplatform_pending_intr(c->p, 0, &vec)) {
			assert_int_equal(vec, 0x30);
			vplatform_intr_accepted(c->p, 0, vec);
			eoi(c->p, 0);
		} else {
			fail_msg("no PIT interrupt at step %d", n);
		}
	}
}

static void
test_lapic_timer(void **state)
{
	struct ctx *c = *state;

	lw(c->p, 1, 0xF0, 0x1FF);
	lw(c->p, 1, 0x3E0, 0xB);
	lw(c->p, 1, 0x320, 0x20045);		/* periodic */
	lw(c->p, 1, 0x380, VLAPIC_BUS_FREQ / 1000);
	c->e.now += 1000000;
	assert_int_equal(vplatform_run_timers(c->p), 1);
	assert_int_equal(take(c->p, 1), 0x45);
	/* TSC deadline through the platform's TSC */
	lw(c->p, 2, 0xF0, 0x1FF);
	lw(c->p, 2, 0x320, 0x40046);
	assert_int_equal(vplatform_wrmsr(c->p, 2, 0x6E0, c->e.now + 500), 0);
	c->e.now += 500;
	assert_true(vplatform_run_timers(c->p) >= 1);
	assert_int_equal(take(c->p, 2), 0x46);
}

static void
test_dispatch(void **state)
{
	struct ctx *c = *state;
	uint64_t gpa, len, v;
	uint16_t port;
	uint32_t count;
	int i, n;

	/* vm_lapic_local_irq(-1, LINT1) with LINT1 as NMI everywhere */
	enable_all(c->p);
	for (i = 0; i < NCPU; i++)
		lw(c->p, i, 0x360, 0x400);
	assert_int_equal(vplatform_lapic_local_irq(c->p, -1, 1), 0);
	for (i = 0; i < NCPU; i++) {
		assert_true(vplatform_nmi_pending(c->p, i));
		vplatform_nmi_accepted(c->p, i);
	}
	for (n = 0; vplatform_port_range(c->p, n, &port, &count) == 0; n++)
		assert_true(count > 0);
	assert_true(n >= 5);
	for (n = 0; vplatform_mmio_range(c->p, n, &gpa, &len) == 0; n++)
		;
	assert_true(n >= 2);
	assert_int_equal(vplatform_mmio_range(c->p, 0, &gpa, &len), 0);
	assert_int_equal(gpa, LAPIC);
	assert_int_equal(vplatform_mmio(c->p, 0, false, 0xE0000000, 4, &v),
	    -ENOENT);
	assert_int_equal(vplatform_mmio(c->p, 5, false, LAPIC, 4, &v),
	    -EINVAL);
	assert_int_equal(vplatform_mmio_handler(c->p, 0, false,
	    VIOAPIC_BASE + 0x10, 4, &v), 0);
	/* relocated APIC page; the default page reads all-ones then */
	assert_int_equal(vplatform_wrmsr(c->p, 1, 0x1B, 0xFEB00800), 0);
	assert_int_equal(vplatform_mmio(c->p, 1, false, 0xFEB00030, 4, &v), 0);
	assert_int_equal(v, 0x60010);
	assert_int_equal(vplatform_mmio(c->p, 1, false, LAPIC + 0x30, 2, &v),
	    0);
	assert_int_equal(v, 0xFFFF);
	assert_int_equal(vplatform_mmio(c->p, 0, false, LAPIC + 0x30, 4, &v),
	    0);
	assert_int_equal(v, 0x60010);
	/* CR8 */
	vplatform_set_cr8(c->p, 3, 5);
	assert_int_equal(vplatform_get_cr8(c->p, 3), 5);
	assert_int_equal(lr(c->p, 3, 0x80), 0x50);
	assert_int_equal(vplatform_lapic_local_irq(c->p, 0, 9), -EINVAL);
	assert_int_equal(vplatform_lapic_local_irq(c->p, 4, 0), -EINVAL);
	assert_int_equal(vplatform_ncpus(c->p), NCPU);
	assert_non_null(vplatform_vlapic(c->p, 3));
	assert_null(vplatform_vlapic(c->p, 4));
}

static void
test_snapshot(void **state)
{
	struct ctx *c = *state;
	struct vdev_snap_field *f;
	struct vdev_snap s[NCPU + 8];
	uint32_t v;
	int n, i, error;

	enable_all(c->p);
	lw(c->p, 2, 0x80, 0x30);
	ioapic_w(c->p, 0x10 + 2 * 7, 0x8055);
	pio_out(c->p, 0x21, 0xAA);
	f = calloc((NCPU + 8) * VPLATFORM_SNAP_FIELDS, sizeof(*f));
	for (n = 0; n < NCPU + 8; n++) {
		s[n] = (struct vdev_snap){ .cap = VPLATFORM_SNAP_FIELDS,
		    .f = f + n * VPLATFORM_SNAP_FIELDS };
		error = vplatform_snapshot(c->p, n, &s[n]);
		if (error == -ENOENT)
			break;
		assert_int_equal(error, 0);
	}
	assert_int_equal(n, NCPU + 6);
	assert_int_equal(vplatform_reset(c->p), 0);
	assert_int_equal(lr(c->p, 2, 0x80), 0);
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x21, 1, &v), 0);
	assert_int_equal(v, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(vplatform_restore(c->p, i, &s[i]), 0);
	assert_int_equal(lr(c->p, 2, 0x80), 0x30);
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x21, 1, &v), 0);
	assert_int_equal(v, 0xAA);
	assert_int_equal(vioapic_get_rte(vplatform_vioapic(c->p), 7), 0x8055);
	/* records are checked: a vlapic record does not fit the IOAPIC */
	assert_int_equal(vplatform_restore(c->p, NCPU, &s[0]), -EINVAL);
	assert_int_equal(vplatform_restore(c->p, n, &s[0]), -ENOENT);
	free(f);
}

static void
test_rtc_ports(void **state)
{
	struct ctx *c = *state;
	uint32_t v;

	pio_out(c->p, 0x70, 0x0A);
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x71, 1, &v), 0);
	assert_int_equal(v, 0x20);
	/* NVRAM survives a guest reset */
	pio_out(c->p, 0x70, 0x40);
	pio_out(c->p, 0x71, 0x5A);
	assert_int_equal(vplatform_reset(c->p), 0);
	pio_out(c->p, 0x70, 0x40);
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x71, 1, &v), 0);
	assert_int_equal(v, 0x5A);
	assert_non_null(vplatform_vrtc(c->p));
	assert_non_null(vplatform_vatpic(c->p));
	assert_non_null(vplatform_vatpit(c->p));
}

static void
test_hpet_pmtmr(void **state)
{
	struct ctx *c = *state;
	uint64_t v;
	uint32_t t0, t1;
	int vec;

	/* HPET capabilities through the platform's MMIO dispatch */
	assert_int_equal(vplatform_mmio(c->p, 0, false, 0xFED00000, 4, &v), 0);
	assert_int_equal((uint32_t)v, (uint32_t)vhpet_capabilities());
	/* HPET timer 0 -> IOAPIC pin 24 -> vCPU 0 vector 0x35 */
	enable_all(c->p);
	ioapic_w(c->p, 0x10 + 2 * 24, 0x0035);
	v = (24u << 9) | (1u << 2);		/* route 24, interrupt enable */
	assert_int_equal(vplatform_mmio(c->p, 0, true, 0xFED00100, 8, &v), 0);
	v = 16777;				/* ~1 ms at 2^24 Hz */
	assert_int_equal(vplatform_mmio(c->p, 0, true, 0xFED00108, 8, &v), 0);
	v = 1;					/* ENABLE_CNF */
	assert_int_equal(vplatform_mmio(c->p, 0, true, 0xFED00010, 8, &v), 0);
	assert_false(vplatform_pending_intr(c->p, 0, &vec));
	c->e.now += 2000000;
	vplatform_run_timers(c->p);
	assert_true(vplatform_pending_intr(c->p, 0, &vec));
	assert_int_equal(vec, 0x35);
	/* PM timer at 3.579545 MHz */
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x408, 4, &t0), 0);
	c->e.now += 1000000;
	assert_int_equal(vplatform_pio(c->p, 0, true, 0x408, 4, &t1), 0);
	assert_in_range(t1 - t0, 3578, 3581);
	assert_non_null(vplatform_vhpet(c->p));
	assert_non_null(vplatform_vpmtmr(c->p));
}

/*
 * Four vCPU threads send each other IPIs while taking their own, with
 * the real clock and timer thread (a LAPIC timer runs too): no deadlock,
 * no lost wakeup at the end.
 */
struct storm {
	struct vplatform *p;
	int		vcpu;
	int		taken;
};

static void *
storm_thread(void *arg)
{
	struct storm *st = arg;
	struct vplatform *p = st->p;
	uint64_t v;
	int k, vec;

	for (k = 0; k < 2000; k++) {
		v = (uint64_t)((st->vcpu + 1) % NCPU) << 24;
		vplatform_mmio(p, st->vcpu, true, LAPIC + 0x310, 4, &v);
		v = 0x4040 + (uint64_t)st->vcpu;
		if (k % 100 == 0)
			v = 0xC4060;		/* all-but-self */
		vplatform_mmio(p, st->vcpu, true, LAPIC + 0x300, 4, &v);
		if (vplatform_pending_intr(p, st->vcpu, &vec)) {
			vplatform_intr_accepted(p, st->vcpu, vec);
			v = 0;
			vplatform_mmio(p, st->vcpu, true, LAPIC + 0xB0, 4, &v);
			st->taken++;
		}
	}
	return (NULL);
}

static void
test_ipi_storm(void **state)
{
	struct eng e = { 0 };
	struct vplatform_ops ops = { .arg = &e };
	struct storm st[NCPU];
	pthread_t t[NCPU];
	struct vplatform *p;
	int i, vec;

	(void)state;
	p = vplatform_create(NCPU, &ops);
	assert_non_null(p);
	enable_all(p);
	lw(p, 0, 0x3E0, 0xB);
	lw(p, 0, 0x320, 0x20030);
	lw(p, 0, 0x380, VLAPIC_BUS_FREQ / 10000);	/* 100 us periodic */
	for (i = 0; i < NCPU; i++) {
		st[i] = (struct storm){ .p = p, .vcpu = i };
		pthread_create(&t[i], NULL, storm_thread, &st[i]);
	}
	for (i = 0; i < NCPU; i++)
		pthread_join(t[i], NULL);
	lw(p, 0, 0x380, 0);
	/* every vCPU got IPIs: taken while running or still pending */
	for (i = 0; i < NCPU; i++) {
		while (vplatform_pending_intr(p, i, &vec)) {
			vplatform_intr_accepted(p, i, vec);
			eoi(p, i);
			st[i].taken++;
		}
		assert_true(st[i].taken > 0);
		assert_int_equal(lr(p, i, 0x100 + 0x10 * 2), 0);
	}
	vplatform_destroy(p);
}

static void
test_create_bad(void **state)
{
	struct vplatform_ops ops = { 0 };
	struct vplatform *p;

	(void)state;
	assert_null(vplatform_create(0, &ops));
	assert_null(vplatform_create(1, NULL));
	/* host clock, timer thread, no callbacks at all */
	p = vplatform_create(2, &ops);
	assert_non_null(p);
	assert_int_equal(vplatform_lapic_irq(p, 1, 0x30), 0);
	vplatform_destroy(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_ipi_fixed),
		T(test_ipi_logical),
		T(test_ipi_lowprio),
		T(test_init_sipi),
		T(test_x2apic_ipi),
		T(test_ioapic_level_eoi),
		T(test_msi),
		T(test_hpet_fsb_logical),
		T(test_lapic_periodic_catch_up),
		T(test_extint_8259),
		T(test_pit_irq0),
		T(test_lapic_timer),
		T(test_dispatch),
		T(test_snapshot),
		T(test_rtc_ports),
		T(test_hpet_pmtmr),
		cmocka_unit_test(test_ipi_storm),
		cmocka_unit_test(test_create_bad),
#undef T
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
