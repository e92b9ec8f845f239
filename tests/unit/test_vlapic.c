/* SPDX-License-Identifier: BSD-2-Clause */
/* vlapic register model, priorities, IPIs, timer, x2APIC and snapshot. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/io/vlapic.h"

struct fake {
	uint64_t	now;
	struct vlapic_ipi ipi[8];
	int		nipi;
	int		eoi[8];
	int		neoi;
	int		notified;
};

static uint64_t
fake_now(void *arg)
{
	return (((struct fake *)arg)->now);
}

static void
fake_ipi(void *arg, const struct vlapic_ipi *ipi)
{
	struct fake *f = arg;

	if (f->nipi < 8)
		f->ipi[f->nipi++] = *ipi;
}

static void
fake_eoi(void *arg, int vector)
{
	struct fake *f = arg;

	if (f->neoi < 8)
		f->eoi[f->neoi++] = vector;
}

static void
fake_notify(void *arg, int vcpu)
{
	((struct fake *)arg)->notified++;
}

static uint64_t
fake_tsc(void *arg, int vcpu)
{
	return (((struct fake *)arg)->now);	/* 1 GHz TSC */
}

struct ctx {
	struct fake	f;
	struct vdev_clock clk;
	struct vcallout_wheel *w;
	struct vlapic	*vl;
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct vlapic_ops ops;

	c->f.now = 1000000;
	c->clk = (struct vdev_clock){ fake_now, &c->f };
	c->w = vcallout_wheel_create_manual(&c->clk);
	ops = (struct vlapic_ops){ .arg = &c->f, .ipi = fake_ipi,
	    .eoi = fake_eoi, .notify = fake_notify, .tsc = fake_tsc,
	    .tsc_hz = 1000000000 };
	c->vl = vlapic_create(3, true, c->w, &ops);
	*state = c;
	return (c->vl == NULL);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	vlapic_destroy(c->vl);
	vcallout_wheel_destroy(c->w);
	free(c);
	return (0);
}

static uint32_t
rd(struct vlapic *vl, uint32_t off)
{
	uint64_t v = 0xdead;

	assert_int_equal(vlapic_mmio(vl, false, off, 4, &v), 0);
	return ((uint32_t)v);
}

static void
wr(struct vlapic *vl, uint32_t off, uint32_t val)
{
	uint64_t v = val;

	assert_int_equal(vlapic_mmio(vl, true, off, 4, &v), 0);
}

static uint32_t
esr(struct vlapic *vl)
{
	wr(vl, 0x280, 0);
	return (rd(vl, 0x280));
}

static void
sw_enable(struct vlapic *vl)
{
	wr(vl, 0xF0, 0x1FF);
}

static void
test_reset_state(void **state)
{
	struct ctx *c = *state;
	uint64_t v;

	assert_int_equal(rd(c->vl, 0x20), 3u << 24);
	assert_int_equal(rd(c->vl, 0x30), 0x00060010);
	assert_int_equal(rd(c->vl, 0xF0), 0xFF);
	assert_int_equal(rd(c->vl, 0xE0), 0xFFFFFFFF);
	assert_int_equal(rd(c->vl, 0x320), 0x10000);
	assert_int_equal(rd(c->vl, 0x350), 0x10000);
	assert_int_equal(rd(c->vl, 0x2F0), 0x10000);
	assert_int_equal(vlapic_rdmsr(c->vl, MSR_IA32_APIC_BASE, &v), 0);
	assert_int_equal(v, 0xFEE00900);
	assert_int_equal(vlapic_mmio_base(c->vl), 0xFEE00000);
	/* ID writes ignored, version read-only */
	wr(c->vl, 0x20, 0x7F000000);
	wr(c->vl, 0x30, 0);
	assert_int_equal(rd(c->vl, 0x20), 3u << 24);
	assert_int_equal(rd(c->vl, 0x30), 0x00060010);
	assert_int_equal(vlapic_rdmsr(c->vl, 0x10, &v), -ENOENT);
}

static void
test_priority_and_eoi(void **state)
{
	struct ctx *c = *state;
	int v;

	/* disabled: fixed interrupts are not accepted */
	vlapic_set_intr_ready(c->vl, 0x40, false);
	assert_false(vlapic_pending_intr(c->vl, &v));
	sw_enable(c->vl);
	vlapic_set_intr_ready(c->vl, 0x31, false);
	vlapic_set_intr_ready(c->vl, 0x80, true);
	assert_true(c->f.notified > 0);
	assert_int_equal(rd(c->vl, 0x200 + 0x10 * (0x80 / 32)),
	    1u << (0x80 % 32));
	assert_int_equal(rd(c->vl, 0x180 + 0x10 * 4), 1);	/* TMR */
	assert_true(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(v, 0x80);
	vlapic_intr_accepted(c->vl, 0x80);
	assert_int_equal(rd(c->vl, 0xA0), 0x80);		/* PPR */
	assert_int_equal(rd(c->vl, 0x100 + 0x10 * 4), 1);	/* ISR */
	/* 0x31 is below the in-service class */
	assert_false(vlapic_pending_intr(c->vl, &v));
	wr(c->vl, 0xB0, 0);					/* EOI */
	assert_int_equal(c->f.neoi, 1);
	assert_int_equal(c->f.eoi[0], 0x80);
	assert_true(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(v, 0x31);
	/* TPR blocks its class and below */
	wr(c->vl, 0x80, 0x30);
	assert_false(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(vlapic_get_cr8(c->vl), 3);
	vlapic_set_cr8(c->vl, 2);
	assert_int_equal(rd(c->vl, 0x80), 0x20);
	assert_true(vlapic_pending_intr(c->vl, &v));
	vlapic_intr_accepted(c->vl, 0x31);
	wr(c->vl, 0xB0, 0);
	assert_int_equal(c->f.neoi, 1);		/* edge: no EOI broadcast */
	/* EOI with nothing in service is harmless */
	wr(c->vl, 0xB0, 0);
}

static void
test_esr_and_errors(void **state)
{
	struct ctx *c = *state;
	int v;

	sw_enable(c->vl);
	/* illegal vector received */
	vlapic_set_intr_ready(c->vl, 5, false);
	assert_false(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(rd(c->vl, 0x280), 0);		/* not latched yet */
	assert_int_equal(esr(c->vl), 0x40);
	assert_int_equal(esr(c->vl), 0);
	/* error LVT fires on a new error */
	wr(c->vl, 0x370, 0xE0);
	wr(c->vl, 0x300, 0x00000003);	/* fixed IPI with vector 3 */
	assert_int_equal(c->f.nipi, 0);
	assert_true(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(v, 0xE0);
	assert_int_equal(esr(c->vl), 0x20);
	/* reserved register: illegal register address */
	assert_int_equal(rd(c->vl, 0x040), 0);
	assert_int_equal(esr(c->vl), 0x80);
	/* error LVT with an illegal vector does not recurse forever */
	wr(c->vl, 0x370, 0x02);
	vlapic_set_intr_ready(c->vl, 1, false);
	assert_int_equal(esr(c->vl), 0x40);
}

static void
test_mmio_sizes(void **state)
{
	struct ctx *c = *state;
	uint64_t v;

	assert_int_equal(vlapic_mmio(c->vl, false, 0x30, 1, &v), 0);
	assert_int_equal(v, 0x10);
	assert_int_equal(vlapic_mmio(c->vl, false, 0x32, 2, &v), 0);
	assert_int_equal(v, 0x0006);
	assert_int_equal(vlapic_mmio(c->vl, false, 0x34, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio(c->vl, false, 0x30, 8, &v), 0);
	assert_int_equal(v, 0x00060010);
	/* narrow or unaligned writes are ignored */
	v = 0x1FF;
	assert_int_equal(vlapic_mmio(c->vl, true, 0xF0, 2, &v), 0);
	assert_int_equal(vlapic_mmio(c->vl, true, 0xF4, 4, &v), 0);
	assert_int_equal(rd(c->vl, 0xF0), 0xFF);
	assert_true(vlapic_bad_accesses(c->vl) >= 2);
	/* 8-byte write uses the low dword */
	v = 0xFFFFFFFF000001FFull;
	assert_int_equal(vlapic_mmio(c->vl, true, 0xF0, 8, &v), 0);
	assert_int_equal(rd(c->vl, 0xF0), 0x1FF);
	assert_int_equal(vlapic_mmio(c->vl, false, 0x1000, 4, &v), -EINVAL);
	assert_int_equal(vlapic_mmio(c->vl, false, 0x0, 0, &v), -EINVAL);
}

static void
test_svr_masks_lvts(void **state)
{
	struct ctx *c = *state;

	sw_enable(c->vl);
	wr(c->vl, 0x350, 0x700);		/* LINT0 ExtINT unmasked */
	assert_int_equal(rd(c->vl, 0x350), 0x700);
	wr(c->vl, 0xF0, 0xFF);			/* software disable */
	assert_int_equal(rd(c->vl, 0x350), 0x10700);
	wr(c->vl, 0x350, 0x700);		/* cannot unmask now */
	assert_int_equal(rd(c->vl, 0x350), 0x10700);
	/* disabled: LINT0 acts as INTR, LINT1 as NMI (virtual wire) */
	vlapic_trigger_lvt(c->vl, VLAPIC_LVT_LINT0);
	assert_true(vlapic_extint_pending(c->vl));
	vlapic_extint_clear(c->vl);
	vlapic_trigger_lvt(c->vl, VLAPIC_LVT_LINT1);
	assert_true(vlapic_nmi_pending(c->vl));
	vlapic_nmi_clear(c->vl);
	/* enabled with masked LINT0: nothing */
	sw_enable(c->vl);
	vlapic_trigger_lvt(c->vl, VLAPIC_LVT_LINT0);
	assert_false(vlapic_extint_pending(c->vl));
	wr(c->vl, 0x350, 0x700);
	vlapic_trigger_lvt(c->vl, VLAPIC_LVT_LINT0);
	assert_true(vlapic_extint_pending(c->vl));
	wr(c->vl, 0x360, 0x400);		/* LINT1 NMI */
	vlapic_trigger_lvt(c->vl, VLAPIC_LVT_LINT1);
	assert_true(vlapic_nmi_pending(c->vl));
	vlapic_trigger_lvt(c->vl, (enum vlapic_lvt)42);	/* ignored */

	/* LVT reserved bits are dropped */
	wr(c->vl, 0x370, 0xFFFFFFFF);
	assert_int_equal(rd(c->vl, 0x370), 0x100FF);
	vlapic_nmi_clear(c->vl);
	/* hardware-disabled: LINT1 is the NMI pin */
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00100), 0);
	vlapic_trigger_lvt(c->vl, VLAPIC_LVT_LINT1);
	assert_true(vlapic_nmi_pending(c->vl));
}

static void
test_icr(void **state)
{
	struct ctx *c = *state;
	int v;

	sw_enable(c->vl);
	wr(c->vl, 0x310, 0x05000000);
	assert_int_equal(rd(c->vl, 0x310), 0x05000000);
	wr(c->vl, 0x300, 0x00004041);		/* fixed, physical, 0x41 */
	assert_int_equal(c->f.nipi, 1);
	assert_int_equal(c->f.ipi[0].dest, 5);
	assert_int_equal(c->f.ipi[0].vector, 0x41);
	assert_int_equal(c->f.ipi[0].src, 3);
	assert_false(c->f.ipi[0].logical);
	assert_int_equal(c->f.ipi[0].delmode, APIC_DELMODE_FIXED);
	assert_int_equal(rd(c->vl, 0x300) & (1u << 12), 0);	/* idle */
	wr(c->vl, 0x300, 0x000C4500);		/* INIT all-but-self */
	assert_int_equal(c->f.ipi[1].shorthand, APIC_DEST_ALLESELF);
	assert_int_equal(c->f.ipi[1].delmode, APIC_DELMODE_INIT);
	wr(c->vl, 0x300, 0x00008500);		/* INIT level de-assert */
	wr(c->vl, 0x300, 0x00000200);		/* SMI: ignored */
	assert_int_equal(c->f.nipi, 2);
	wr(c->vl, 0x300, 0x000C0699);		/* SIPI all-but-self */
	assert_int_equal(c->f.ipi[2].delmode, APIC_DELMODE_STARTUP);
	assert_int_equal(c->f.ipi[2].vector, 0x99);
	wr(c->vl, 0x300, 0x00044455);		/* self NMI: invalid */
	assert_int_equal(c->f.nipi, 3);
	wr(c->vl, 0x300, 0x00040055);		/* self fixed */
	assert_int_equal(c->f.nipi, 3);
	assert_true(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(v, 0x55);
	wr(c->vl, 0x300, 0x00000955);		/* logical lowest prio */
	assert_true(c->f.ipi[3].logical);
	assert_int_equal(c->f.ipi[3].delmode, APIC_DELMODE_LOWPRIO);
}

static void
test_logical_match(void **state)
{
	struct ctx *c = *state;

	wr(c->vl, 0xD0, 0x04000000);		/* flat: bit 2 */
	assert_true(vlapic_match_dest(c->vl, 0x04, true, false));
	assert_true(vlapic_match_dest(c->vl, 0x0C, true, false));
	assert_false(vlapic_match_dest(c->vl, 0x03, true, false));
	assert_true(vlapic_match_dest(c->vl, 0xFF, true, false));
	assert_true(vlapic_match_dest(c->vl, 3, false, false));
	assert_false(vlapic_match_dest(c->vl, 4, false, false));
	wr(c->vl, 0xE0, 0x0FFFFFFF);		/* cluster model */
	assert_int_equal(rd(c->vl, 0xE0), 0x0FFFFFFF);
	wr(c->vl, 0xD0, 0x21000000);		/* cluster 2, bit 0 */
	assert_true(vlapic_match_dest(c->vl, 0x21, true, false));
	assert_true(vlapic_match_dest(c->vl, 0x23, true, false));
	assert_false(vlapic_match_dest(c->vl, 0x11, true, false));
	assert_false(vlapic_match_dest(c->vl, 0x22, true, false));
}

static void
test_x2apic(void **state)
{
	struct ctx *c = *state;
	uint64_t v;
	int vec;

	/* not allowed, not in x2APIC mode: #GP */
	assert_int_equal(vlapic_rdmsr(c->vl, 0x802, &v), -EINVAL);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00C00), -EINVAL);
	vlapic_set_x2apic_allowed(c->vl, true);
	/* EXTD without EN, reserved bits */
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00400), -EINVAL);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00C01), -EINVAL);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00C00), 0);
	assert_true(vlapic_x2apic_mode(c->vl));
	assert_int_equal(vlapic_mmio_base(c->vl), ~0ull);
	/* MMIO reads all-ones in x2APIC mode */
	assert_int_equal(vlapic_mmio(c->vl, false, 0x30, 4, &v), 0);
	assert_int_equal(v, 0xFFFFFFFF);
	assert_int_equal(vlapic_rdmsr(c->vl, 0x802, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(vlapic_rdmsr(c->vl, 0x80D, &v), 0);
	assert_int_equal(v, 1u << 3);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x802, 0), -EINVAL); /* RO */
	assert_int_equal(vlapic_wrmsr(c->vl, 0x80D, 0), -EINVAL);
	assert_int_equal(vlapic_rdmsr(c->vl, 0x80B, &v), -EINVAL); /* WO */
	assert_int_equal(vlapic_rdmsr(c->vl, 0x80E, &v), -EINVAL); /* DFR */
	assert_int_equal(vlapic_rdmsr(c->vl, 0x831, &v), -EINVAL);
	assert_int_equal(vlapic_rdmsr(c->vl, 0x8FF, &v), -EINVAL);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x808, 0x100), -EINVAL);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x80F, 0x1FF), 0);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x80B, 1), -EINVAL);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x828, 1), -EINVAL);
	/* 64-bit ICR, x2APIC destination */
	assert_int_equal(vlapic_wrmsr(c->vl, 0x830,
	    0x0000012300000041ull), 0);
	assert_int_equal(c->f.nipi, 1);
	assert_int_equal(c->f.ipi[0].dest, 0x123);
	assert_true(c->f.ipi[0].x2apic);
	assert_int_equal(vlapic_rdmsr(c->vl, 0x830, &v), 0);
	assert_int_equal(v, 0x0000012300000041ull);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x830, 1ull << 13), -EINVAL);
	/* lowest priority IPIs: redirectable IPI error in x2APIC mode */
	assert_int_equal(vlapic_wrmsr(c->vl, 0x830, (1ull << 32) | 0x141), 0);
	assert_int_equal(c->f.nipi, 1);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x828, 0), 0);
	assert_int_equal(vlapic_rdmsr(c->vl, 0x828, &v), 0);
	assert_int_equal(v, 0x10);
	/* SELF IPI */
	assert_int_equal(vlapic_wrmsr(c->vl, 0x83F, 0x66), 0);
	assert_true(vlapic_pending_intr(c->vl, &vec));
	assert_int_equal(vec, 0x66);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x83F, 0x166), -EINVAL);
	/* x2APIC logical match: cluster 0, bit 3 */
	assert_true(vlapic_match_dest(c->vl, 0x00000008, true, true));
	assert_false(vlapic_match_dest(c->vl, 0x00010008, true, true));
	assert_true(vlapic_match_dest(c->vl, 0xFFFFFFFF, false, true));
	/* x2APIC -> xAPIC is illegal; -> disabled is fine */
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00800), -EINVAL);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00000), 0);
	assert_false(vlapic_x2apic_mode(c->vl));
	/* disabled -> x2APIC is illegal, registers were reset */
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00C00), -EINVAL);
	assert_false(vlapic_pending_intr(c->vl, &vec));
	assert_false(vlapic_match_dest(c->vl, 3, false, false));
	assert_int_equal(vlapic_mmio(c->vl, false, 0x30, 4, &v), 0);
	assert_int_equal(v, 0xFFFFFFFF);
	/* relocate and re-enable */
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFED00800), 0);
	assert_int_equal(vlapic_mmio_base(c->vl), 0xFED00000);
	assert_int_equal(rd(c->vl, 0xF0), 0xFF);
}

#define	MS	1000000ull

static void
test_timer_oneshot(void **state)
{
	struct ctx *c = *state;
	uint32_t ccr;
	int v;

	sw_enable(c->vl);
	wr(c->vl, 0x3E0, 0xB);			/* divide by 1 */
	wr(c->vl, 0x320, 0x30);			/* one-shot, vector 0x30 */
	wr(c->vl, 0x380, VLAPIC_BUS_FREQ / 1000);	/* 1 ms */
	c->f.now += MS / 2;
	ccr = rd(c->vl, 0x390);
	assert_in_range(ccr, VLAPIC_BUS_FREQ / 2000 - 2,
	    VLAPIC_BUS_FREQ / 2000 + 2);
	assert_int_equal(vcallout_wheel_run_due(c->w), 0);
	c->f.now += MS / 2 + 10;
	assert_int_equal(vcallout_wheel_run_due(c->w), 1);
	assert_true(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(v, 0x30);
	assert_int_equal(rd(c->vl, 0x390), 0);
	c->f.now += 10 * MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 0);
	/* divide by 2 doubles the period; initial 0 stops */
	wr(c->vl, 0x3E0, 0x0);
	wr(c->vl, 0x380, VLAPIC_BUS_FREQ / 1000);
	c->f.now += MS + MS / 2;
	assert_int_equal(vcallout_wheel_run_due(c->w), 0);
	assert_true(rd(c->vl, 0x390) > 0);
	wr(c->vl, 0x380, 0);
	c->f.now += 10 * MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 0);
	assert_int_equal(rd(c->vl, 0x390), 0);
}

static void
test_timer_periodic(void **state)
{
	struct ctx *c = *state;
	int v, i, fired;

	sw_enable(c->vl);
	wr(c->vl, 0x3E0, 0x3);			/* divide by 16 */
	wr(c->vl, 0x320, 0x20031);		/* periodic, vector 0x31 */
	wr(c->vl, 0x380, VLAPIC_BUS_FREQ / 16 / 1000);	/* 1 ms */
	fired = 0;
	for (i = 0; i < 10; i++) {
		c->f.now += MS;
		fired += vcallout_wheel_run_due(c->w);
		if (vlapic_pending_intr(c->vl, &v)) {
			assert_int_equal(v, 0x31);
			vlapic_intr_accepted(c->vl, v);
			wr(c->vl, 0xB0, 0);
		}
	}
	assert_int_equal(fired, 10);
	/* masked: keeps counting, no interrupt */
	wr(c->vl, 0x320, 0x30031);
	c->f.now += MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 1);
	assert_false(vlapic_pending_intr(c->vl, &v));
	/* the overdue period fires at once; the rest follow spaced out */
	wr(c->vl, 0x320, 0x20031);
	c->f.now += 100 * MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 1);
	assert_true(rd(c->vl, 0x390) <= VLAPIC_BUS_FREQ / 16 / 1000);
	/* a mode change disarms the timer (SDM 10.5.4.1) */
	wr(c->vl, 0x320, 0x00031);
	c->f.now += 10 * MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 0);
	assert_int_equal(rd(c->vl, 0x390), 0);
	wr(c->vl, 0x320, 0x20031);
	wr(c->vl, 0x380, VLAPIC_BUS_FREQ / 16 / 1000);
	c->f.now += 10 * MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 1);
	assert_true(rd(c->vl, 0x390) <= VLAPIC_BUS_FREQ / 16 / 1000);
}

static void
test_timer_tscdl(void **state)
{
	struct ctx *c = *state;
	uint64_t m;
	int v;

	sw_enable(c->vl);
	/* not in TSC-deadline mode: writes ignored, reads 0 */
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_TSC_DEADLINE,
	    c->f.now + MS), 0);
	assert_int_equal(vlapic_rdmsr(c->vl, MSR_IA32_TSC_DEADLINE, &m), 0);
	assert_int_equal(m, 0);
	wr(c->vl, 0x320, 0x40040);		/* TSC deadline, vector 0x40 */
	wr(c->vl, 0x380, 1000);			/* ignored in this mode */
	assert_int_equal(rd(c->vl, 0x380), 0);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_TSC_DEADLINE,
	    c->f.now + MS), 0);
	assert_int_equal(vlapic_rdmsr(c->vl, MSR_IA32_TSC_DEADLINE, &m), 0);
	assert_int_equal(m, c->f.now + MS);
	c->f.now += MS - 1;
	assert_int_equal(vcallout_wheel_run_due(c->w), 0);
	c->f.now += 1;
	assert_int_equal(vcallout_wheel_run_due(c->w), 1);
	assert_true(vlapic_pending_intr(c->vl, &v));
	assert_int_equal(v, 0x40);
	assert_int_equal(vlapic_rdmsr(c->vl, MSR_IA32_TSC_DEADLINE, &m), 0);
	assert_int_equal(m, 0);
	/* past deadline fires at once; 0 disarms */
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_TSC_DEADLINE, 1), 0);
	assert_int_equal(vcallout_wheel_run_due(c->w), 1);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_TSC_DEADLINE,
	    c->f.now + MS), 0);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_TSC_DEADLINE, 0), 0);
	c->f.now += 2 * MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 0);
}

static void
test_no_tscdl(void **state)
{
	struct fake f = { .now = 5 };
	struct vdev_clock clk = { fake_now, &f };
	struct vcallout_wheel *w = vcallout_wheel_create_manual(&clk);
	struct vlapic_ops ops = { .arg = &f };
	struct vlapic *vl = vlapic_create(0, false, w, &ops);
	uint64_t v;

	(void)state;
	assert_int_equal(vlapic_rdmsr(vl, MSR_IA32_TSC_DEADLINE, &v), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, MSR_IA32_TSC_DEADLINE, 1), -EINVAL);
	assert_int_equal(vlapic_rdmsr(vl, MSR_IA32_APIC_BASE, &v), 0);
	assert_int_equal(v, 0xFEE00800);	/* not the BSP */
	wr(vl, 0xF0, 0x1FF);
	wr(vl, 0x320, 0x40040);		/* mode 10b reserved: one-shot */
	assert_int_equal(rd(vl, 0x320), 0x40);
	/* NULL callbacks are fine */
	wr(vl, 0x300, 0x00004041);
	vlapic_destroy(vl);
	vcallout_wheel_destroy(w);
	assert_null(vlapic_create(-1, false, w, &ops));
}

static void
test_snapshot(void **state)
{
	struct ctx *c = *state;
	struct vdev_snap_field fields[VLAPIC_SNAP_FIELDS];
	struct vdev_snap s = { .cap = VLAPIC_SNAP_FIELDS, .f = fields };
	struct vdev_snap_field few[4];
	struct vdev_snap small = { .cap = 4, .f = few };
	int v;

	sw_enable(c->vl);
	wr(c->vl, 0x80, 0x20);
	wr(c->vl, 0xD0, 0x08000000);
	wr(c->vl, 0x3E0, 0xB);
	wr(c->vl, 0x320, 0x30);
	wr(c->vl, 0x380, VLAPIC_BUS_FREQ / 1000);
	vlapic_set_intr_ready(c->vl, 0x90, true);
	vlapic_set_intr_ready(c->vl, 0x70, false);
	assert_true(vlapic_pending_intr(c->vl, &v));
	vlapic_intr_accepted(c->vl, 0x90);
	c->f.now += MS / 4;
	assert_int_equal(vlapic_snapshot(c->vl, &small), -ENOSPC);
	assert_int_equal(vlapic_snapshot(c->vl, &s), 0);
	assert_string_equal(s.dev, "vlapic");

	vlapic_reset(c->vl, false);
	assert_int_equal(rd(c->vl, 0x80), 0);
	assert_int_equal(vlapic_restore(c->vl, &s), 0);
	assert_int_equal(rd(c->vl, 0x80), 0x20);
	assert_int_equal(rd(c->vl, 0xD0), 0x08000000);
	/* ISR has 0x90, IRR 0x70 */
	assert_int_equal(rd(c->vl, 0x100 + 0x10 * 4), 1u << 16);
	assert_int_equal(rd(c->vl, 0x200 + 0x10 * 3), 1u << 16);
	assert_in_range(rd(c->vl, 0x390), VLAPIC_BUS_FREQ / 1000 * 3 / 4 - 2,
	    VLAPIC_BUS_FREQ / 1000 * 3 / 4 + 2);
	c->f.now += MS;
	assert_int_equal(vcallout_wheel_run_due(c->w), 1);
	wr(c->vl, 0xB0, 0);
	assert_int_equal(c->f.eoi[c->f.neoi - 1], 0x90);

	/* foreign or damaged records are refused without side effects */
	strcpy(s.dev, "vioapic");
	assert_int_equal(vlapic_restore(c->vl, &s), -EINVAL);
	strcpy(s.dev, "vlapic");
	s.version = 99;
	assert_int_equal(vlapic_restore(c->vl, &s), -EINVAL);
	s.version = VLAPIC_SNAP_VERSION;
	s.n -= 1;
	assert_int_equal(vlapic_restore(c->vl, &s), -EINVAL);
	assert_int_equal(rd(c->vl, 0x80), 0x20);
}

static void
test_init_reset(void **state)
{
	struct ctx *c = *state;
	uint64_t v;

	vlapic_set_x2apic_allowed(c->vl, true);
	assert_int_equal(vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE,
	    0xFEE00C00), 0);
	assert_int_equal(vlapic_wrmsr(c->vl, 0x808, 0x40), 0);
	vlapic_reset(c->vl, true);	/* INIT keeps the mode */
	assert_true(vlapic_x2apic_mode(c->vl));
	assert_int_equal(vlapic_rdmsr(c->vl, 0x808, &v), 0);
	assert_int_equal(v, 0);
	vlapic_reset(c->vl, false);	/* power-on: xAPIC */
	assert_false(vlapic_x2apic_mode(c->vl));
	vlapic_set_x2apic_allowed(c->vl, false);
	assert_false(vlapic_x2apic_allowed(c->vl));
}

/* Random guest accesses: defined behaviour, no crash (run under ASan). */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (*x);
}

static void
test_random_guest(void **state)
{
	struct ctx *c = *state;
	uint64_t x = 0x9E3779B97F4A7C15ull, r, v;
	int i, vec;

	vlapic_set_x2apic_allowed(c->vl, true);
	for (i = 0; i < 200000; i++) {
		r = rnd(&x);
		v = rnd(&x);
		switch (r % 8) {
		case 0:
			vlapic_mmio(c->vl, true, (r >> 8) & 0xFFF,
			    1u << ((r >> 20) % 4), &v);
			break;
		case 1:
			vlapic_mmio(c->vl, false, (r >> 8) & 0xFFF,
			    1u << ((r >> 20) % 4), &v);
			break;
		case 2:
			vlapic_wrmsr(c->vl, 0x800 + (uint32_t)((r >> 8) & 0xFF),
			    (r & 0x100000) ? v : (v & 0xFFFF));
			break;
		case 3:
			vlapic_rdmsr(c->vl, 0x800 + (uint32_t)((r >> 8) & 0xFF),
			    &v);
			break;
		case 4:
			if ((r >> 8) % 64 == 0)
				vlapic_wrmsr(c->vl, MSR_IA32_APIC_BASE, v);
			else
				vlapic_wrmsr(c->vl, MSR_IA32_TSC_DEADLINE,
				    c->f.now + (v & 0xFFFFF));
			break;
		case 5:
			vlapic_deliver(c->vl, (int)((r >> 8) & 7),
			    (int)((r >> 12) & 0xFF), (r >> 20) & 1);
			break;
		case 6:
			if (vlapic_pending_intr(c->vl, &vec))
				vlapic_intr_accepted(c->vl, vec);
			vlapic_trigger_lvt(c->vl,
			    (enum vlapic_lvt)((r >> 8) % 8));
			break;
		default:
			c->f.now += v & 0xFFFFF;
			vcallout_wheel_run_due(c->w);
			break;
		}
	}
	/* still a working APIC after a power-on reset */
	vlapic_reset(c->vl, false);
	wr(c->vl, 0xF0, 0x1FF);
	vlapic_set_intr_ready(c->vl, 0x99, false);
	assert_true(vlapic_pending_intr(c->vl, &vec));
	assert_int_equal(vec, 0x99);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_reset_state),
		T(test_priority_and_eoi),
		T(test_esr_and_errors),
		T(test_mmio_sizes),
		T(test_svr_masks_lvts),
		T(test_icr),
		T(test_logical_match),
		T(test_x2apic),
		T(test_timer_oneshot),
		T(test_timer_periodic),
		T(test_timer_tscdl),
		cmocka_unit_test(test_no_tscdl),
		T(test_snapshot),
		T(test_init_reset),
		T(test_random_guest),
#undef T
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
