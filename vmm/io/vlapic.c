/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual local APIC (SDM Vol 3A chapter 10; section numbers are that
 * chapter's).  xAPIC MMIO page and x2APIC MSRs share one register model
 * addressed by xAPIC offset; the x2APIC rules (read-only, write-only and
 * reserved registers raise #GP) are applied on top.
 *
 * Locking: vl->mtx protects all register and timer state.  The three
 * atomics (hint, nmi, extint) are read lock-free by the vCPU thread at
 * instruction-block boundaries.  Work that leaves this APIC (IPIs, EOI
 * broadcast, vCPU notification) is collected in a struct post while
 * locked and performed after unlocking, so callbacks may re-enter any
 * vlapic.  The timer callout is only cancelled (never waited for) under
 * the lock; its callback rechecks the deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/io/vlapic.h"

/* Register offsets in the xAPIC page (SDM 10.4.1, table 10-1). */
#define	LAPIC_ID		0x020
#define	LAPIC_VER		0x030
#define	LAPIC_TPR		0x080
#define	LAPIC_APR		0x090
#define	LAPIC_PPR		0x0A0
#define	LAPIC_EOI		0x0B0
#define	LAPIC_RRD		0x0C0
#define	LAPIC_LDR		0x0D0
#define	LAPIC_DFR		0x0E0
#define	LAPIC_SVR		0x0F0
#define	LAPIC_ISR0		0x100
#define	LAPIC_ISR7		0x170
#define	LAPIC_TMR0		0x180
#define	LAPIC_TMR7		0x1F0
#define	LAPIC_IRR0		0x200
#define	LAPIC_IRR7		0x270
#define	LAPIC_ESR		0x280
#define	LAPIC_LVT_CMCI		0x2F0
#define	LAPIC_ICR_LO		0x300
#define	LAPIC_ICR_HI		0x310
#define	LAPIC_LVT_TIMER		0x320
#define	LAPIC_LVT_THERMAL	0x330
#define	LAPIC_LVT_PMC		0x340
#define	LAPIC_LVT_LINT0		0x350
#define	LAPIC_LVT_LINT1		0x360
#define	LAPIC_LVT_ERROR		0x370
#define	LAPIC_TIMER_ICR		0x380
#define	LAPIC_TIMER_CCR		0x390
#define	LAPIC_TIMER_DCR		0x3E0
#define	LAPIC_SELF_IPI		0x3F0	/* x2APIC only (SDM 10.12.11) */

/* LVT bits (SDM 10.5.1, figure 10-8). */
#define	LVT_VECTOR		0xFFu
#define	LVT_DELMODE(l)		(((l) >> 8) & 7)
#define	LVT_DELSTAT		(1u << 12)
#define	LVT_REMOTE_IRR		(1u << 14)
#define	LVT_MASKED		(1u << 16)
#define	LVT_TIMER_MODE(l)	(((l) >> 17) & 3)
#define	TIMER_ONESHOT		0
#define	TIMER_PERIODIC		1
#define	TIMER_TSCDL		2

/* ESR bits (SDM 10.5.3, figure 10-9; 10.12.9 for x2APIC). */
#define	ESR_REDIRECTABLE_IPI	(1u << 4)
#define	ESR_SEND_ILLEGAL_VECTOR	(1u << 5)
#define	ESR_RECV_ILLEGAL_VECTOR	(1u << 6)
#define	ESR_ILLEGAL_REGISTER	(1u << 7)

/* SVR (SDM 10.9): vector, software enable, focus checking. */
#define	SVR_ENABLE		(1u << 8)
#define	SVR_WRITABLE		0x3FFu

/* ICR (SDM 10.6.1): fields used below and the bits x2APIC accepts. */
#define	ICR_LOGICAL		(1ull << 11)
#define	ICR_LEVEL_ASSERT	(1ull << 14)
#define	ICR_TRIGGER_LEVEL	(1ull << 15)
#define	ICR_SHORTHAND(i)	(((i) >> 18) & 3)
#define	ICR_X2APIC_VALID	0xFFFFFFFF000CCFFFull
#define	ICR_XAPIC_LO_VALID	0x000CCFFFu

/* IA32_APIC_BASE reserved bits, assuming MAXPHYADDR <= 52. */
#define	APICBASE_RESERVED	0xFFF00000000002FFull
#define	APICBASE_ADDR		0x000FFFFFFFFFF000ull

/* Periodic timers fire at most every 10 us (protects the timer thread). */
#define	VLAPIC_MIN_PERIOD_NS	10000
/*
 * A periodic timer whose callout ran late delivers the missed periods
 * one by one, half a period but at most 50 us apart, so that each can
 * be accepted out of the IRR (which holds one per vector, SDM 10.8.4)
 * before the next; more than 250 ms behind, missed periods are dropped.
 */
#define	VLAPIC_CATCHUP_NS	50000
#define	VLAPIC_MAX_LAG_NS	250000000

/* Writable bits per LVT, and where each LVT lives in the page. */
static const uint32_t lvt_writable[VLAPIC_NLVT] = {
	[VLAPIC_LVT_LINT0]	= 0x1A7FF,	/* vector mode pol trig mask */
	[VLAPIC_LVT_LINT1]	= 0x1A7FF,
	[VLAPIC_LVT_TIMER]	= 0x700FF,	/* vector, mask, timer mode */
	[VLAPIC_LVT_ERROR]	= 0x100FF,
	[VLAPIC_LVT_PMC]	= 0x107FF,
	[VLAPIC_LVT_THERMAL]	= 0x107FF,
	[VLAPIC_LVT_CMCI]	= 0x107FF,
};

static const uint16_t lvt_offset[VLAPIC_NLVT] = {
	[VLAPIC_LVT_LINT0]	= LAPIC_LVT_LINT0,
	[VLAPIC_LVT_LINT1]	= LAPIC_LVT_LINT1,
	[VLAPIC_LVT_TIMER]	= LAPIC_LVT_TIMER,
	[VLAPIC_LVT_ERROR]	= LAPIC_LVT_ERROR,
	[VLAPIC_LVT_PMC]	= LAPIC_LVT_PMC,
	[VLAPIC_LVT_THERMAL]	= LAPIC_LVT_THERMAL,
	[VLAPIC_LVT_CMCI]	= LAPIC_LVT_CMCI,
};

struct vlapic {
	int			vcpuid;
	bool			bsp;
	struct vlapic_ops	ops;
	struct vcallout_wheel	*wheel;
	struct vcallout		*timer;

	pthread_mutex_t		mtx;	/* protects everything below */
	uint64_t		apicbase;
	bool			x2apic_allowed;
	uint32_t		tpr, svr, ldr, dfr;
	uint32_t		esr;		/* readable ESR */
	uint32_t		esr_int;	/* since the last ESR write */
	uint64_t		icr;		/* hi << 32 | lo */
	uint32_t		dcr, icr_timer;
	uint32_t		lvt[VLAPIC_NLVT];
	uint32_t		irr[8], isr[8], tmr[8];
	bool			timer_armed;
	uint64_t		timer_base_ns;	/* count was timer_base_count */
	uint64_t		timer_base_count;
	uint64_t		timer_deadline;	/* ns, while armed */
	uint64_t		tsc_deadline;
	uint64_t		bad;		/* ignored bad guest accesses */

	/*
	 * hint: IRR/TPR/ISR changed since the vCPU last found nothing to
	 * deliver (set under mtx, read without it).
	 */
	_Atomic bool		hint;
	_Atomic bool		nmi;
	_Atomic bool		extint;
};

/* Deferred work, run after the lock is dropped. */
struct post {
	bool		ipi_valid;
	struct vlapic_ipi ipi;
	int		eoi;		/* vector or -1 */
	bool		notify;
};

#define	POST_INIT	{ .ipi_valid = false, .eoi = -1, .notify = false }

static void
post_run(struct vlapic *vl, const struct post *p)
{
	if (p->ipi_valid && vl->ops.ipi != NULL)
		vl->ops.ipi(vl->ops.arg, &p->ipi);
	if (p->eoi >= 0 && vl->ops.eoi != NULL)
		vl->ops.eoi(vl->ops.arg, p->eoi);
	if (p->notify && vl->ops.notify != NULL)
		vl->ops.notify(vl->ops.arg, vl->vcpuid);
}

/* ---- 256-bit vector sets ---- */

static int
vec_highest(const uint32_t *v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		if (v[i] != 0)
			return (i * 32 + 31 - __builtin_clz(v[i]));
	}
	return (-1);
}

static void
vec_set(uint32_t *v, int n)
{
	v[n >> 5] |= 1u << (n & 31);
}

static void
vec_clr(uint32_t *v, int n)
{
	v[n >> 5] &= ~(1u << (n & 31));
}

static bool
vec_test(const uint32_t *v, int n)
{
	return ((v[n >> 5] >> (n & 31)) & 1);
}

/* ---- State predicates ---- */

static bool
hw_enabled(const struct vlapic *vl)
{
	return ((vl->apicbase & APICBASE_ENABLE) != 0);
}

static bool
x2apic_mode(const struct vlapic *vl)
{
	return ((vl->apicbase & (APICBASE_ENABLE | APICBASE_X2APIC)) ==
	    (APICBASE_ENABLE | APICBASE_X2APIC));
}

static bool
sw_enabled(const struct vlapic *vl)
{
	return ((vl->svr & SVR_ENABLE) != 0);
}

static bool
tscdl_supported(const struct vlapic *vl)
{
	return (vl->ops.tsc != NULL && vl->ops.tsc_hz != 0);
}

static uint64_t
now_ns(const struct vlapic *vl)
{
	return (vcallout_wheel_now(vl->wheel));
}

/* x2APIC logical ID is derived from the APIC ID (SDM 10.12.10.2). */
static uint32_t
x2apic_ldr(const struct vlapic *vl)
{
	uint32_t id = (uint32_t)vl->vcpuid;

	return (((id >> 4) << 16) | (1u << (id & 0xF)));
}

/* PPR (SDM 10.8.3.1). */
static uint32_t
ppr_locked(const struct vlapic *vl)
{
	int isrv = vec_highest(vl->isr);

	if (isrv < 0 || (vl->tpr & 0xF0) >= ((uint32_t)isrv & 0xF0))
		return (vl->tpr);
	return ((uint32_t)isrv & 0xF0);
}

/* APR (SDM 10.6.2.4): TPR, or the higher of the IRR/ISR classes. */
static uint32_t
apr_locked(const struct vlapic *vl)
{
	int irrv = vec_highest(vl->irr), isrv = vec_highest(vl->isr);
	uint32_t m = (uint32_t)(irrv > isrv ? irrv : isrv);

	if (irrv < 0 && isrv < 0)
		return (vl->tpr);
	if ((vl->tpr & 0xF0) >= (m & 0xF0))
		return (vl->tpr);
	return (m & 0xF0);
}

/* ---- Acceptance, errors and local interrupts ---- */

static void lvt_fire_locked(struct vlapic *vl, int idx, struct post *p);

static void
error_locked(struct vlapic *vl, uint32_t bit, struct post *p)
{
	if ((vl->esr_int & bit) != 0)
		return;
	vl->esr_int |= bit;
	lvt_fire_locked(vl, VLAPIC_LVT_ERROR, p);
}

/* A fixed interrupt arrives (SDM 10.8.3). */
static void
accept_locked(struct vlapic *vl, int vector, bool level, struct post *p)
{
	if (vector < 16) {
		error_locked(vl, ESR_RECV_ILLEGAL_VECTOR, p);
		return;
	}
	/* A disabled APIC accepts no fixed interrupts (SDM 10.4.7.2). */
	if (!hw_enabled(vl) || !sw_enabled(vl))
		return;
	vec_set(vl->irr, vector);
	if (level)
		vec_set(vl->tmr, vector);
	else
		vec_clr(vl->tmr, vector);
	atomic_store(&vl->hint, true);
	p->notify = true;
}

static void
lvt_fire_locked(struct vlapic *vl, int idx, struct post *p)
{
	uint32_t lvt = vl->lvt[idx];
	int mode;

	if ((lvt & LVT_MASKED) != 0)
		return;
	mode = LVT_DELMODE(lvt);
	if (idx == VLAPIC_LVT_TIMER || idx == VLAPIC_LVT_ERROR)
		mode = APIC_DELMODE_FIXED;
	switch (mode) {
	case APIC_DELMODE_FIXED:
		accept_locked(vl, (int)(lvt & LVT_VECTOR), false, p);
		break;
	case APIC_DELMODE_NMI:
		atomic_store(&vl->nmi, true);
		p->notify = true;
		break;
	case APIC_DELMODE_EXTINT:
		atomic_store(&vl->extint, true);
		p->notify = true;
		break;
	default:	/* SMI, INIT: no SMM, no INIT from LVTs */
		break;
	}
}

/* ---- Timer (SDM 10.5.4) ---- */

static uint32_t
timer_divisor(uint32_t dcr)
{
	unsigned v = (dcr & 3) | ((dcr >> 1) & 4);

	return (v == 7 ? 1 : 2u << v);
}

static uint64_t
ticks_to_ns(uint64_t ticks)
{
	return ((uint64_t)((unsigned __int128)ticks * 1000000000u /
	    VLAPIC_BUS_FREQ));
}

static uint64_t
ns_to_ticks(uint64_t ns)
{
	return ((uint64_t)((unsigned __int128)ns * VLAPIC_BUS_FREQ /
	    1000000000u));
}

static int
timer_mode(const struct vlapic *vl)
{
	int m = LVT_TIMER_MODE(vl->lvt[VLAPIC_LVT_TIMER]);

	if (m == TIMER_TSCDL && tscdl_supported(vl))
		return (TIMER_TSCDL);
	return (m == TIMER_PERIODIC ? TIMER_PERIODIC : TIMER_ONESHOT);
}

static void
timer_stop_locked(struct vlapic *vl)
{
	vl->timer_armed = false;
	vcallout_cancel(vl->timer);
}

static void
timer_arm_at_locked(struct vlapic *vl, uint64_t deadline)
{
	vl->timer_armed = true;
	vl->timer_deadline = deadline;
	vcallout_reset(vl->timer, deadline);
}

/* Start counting down `count` ticks from `now`. */
static void
timer_start_locked(struct vlapic *vl, uint64_t now, uint64_t count)
{
	uint64_t div = timer_divisor(vl->dcr);

	vl->timer_base_ns = now;
	vl->timer_base_count = count;
	if (count == 0) {
		timer_stop_locked(vl);
		return;
	}
	timer_arm_at_locked(vl, now + ticks_to_ns(count * div));
}

static uint32_t
timer_ccr_locked(const struct vlapic *vl, uint64_t now)
{
	uint64_t elapsed, e;

	if (!vl->timer_armed || timer_mode(vl) == TIMER_TSCDL)
		return (0);
	elapsed = 0;
	if (now > vl->timer_base_ns)
		elapsed = ns_to_ticks(now - vl->timer_base_ns) /
		    timer_divisor(vl->dcr);
	if (elapsed < vl->timer_base_count)
		return ((uint32_t)(vl->timer_base_count - elapsed));
	if (timer_mode(vl) != TIMER_PERIODIC || vl->icr_timer == 0)
		return (0);
	e = elapsed - vl->timer_base_count;
	return ((uint32_t)(vl->icr_timer - e % vl->icr_timer));
}

static void
timer_expire(void *arg)
{
	struct vlapic *vl = arg;
	struct post p = POST_INIT;
	uint64_t now, period, base, gap;

	pthread_mutex_lock(&vl->mtx);
	now = now_ns(vl);
	if (!vl->timer_armed || now < vl->timer_deadline) {
		pthread_mutex_unlock(&vl->mtx);
		return;
	}
	if (timer_mode(vl) == TIMER_PERIODIC && vl->icr_timer != 0) {
		period = ticks_to_ns((uint64_t)vl->icr_timer *
		    timer_divisor(vl->dcr));
		if (period < VLAPIC_MIN_PERIOD_NS)
			period = VLAPIC_MIN_PERIOD_NS;
		base = vl->timer_deadline;
		if (now - base > VLAPIC_MAX_LAG_NS)
			base += (now - base) / period * period;
		vl->timer_base_ns = base;
		vl->timer_base_count = vl->icr_timer;
		timer_arm_at_locked(vl, base + period);
		if (base + period <= now) {
			/* Catching up: the deadline stays on schedule. */
			gap = period / 2 < VLAPIC_CATCHUP_NS ? period / 2 :
			    VLAPIC_CATCHUP_NS;
			vcallout_reset(vl->timer, now + gap);
		}
	} else {
		vl->timer_armed = false;
		vl->tsc_deadline = 0;
	}
	lvt_fire_locked(vl, VLAPIC_LVT_TIMER, &p);
	pthread_mutex_unlock(&vl->mtx);
	post_run(vl, &p);
}

static void
timer_set_dcr_locked(struct vlapic *vl, uint32_t dcr)
{
	uint64_t now = now_ns(vl);
	uint32_t ccr;

	if (!vl->timer_armed || timer_mode(vl) == TIMER_TSCDL) {
		vl->dcr = dcr;
		return;
	}
	/* Keep the current count; count on at the new rate. */
	ccr = timer_ccr_locked(vl, now);
	vl->dcr = dcr;
	timer_start_locked(vl, now, ccr != 0 ? ccr : 1);
}

static void
timer_set_icr_locked(struct vlapic *vl, uint32_t icr)
{
	if (timer_mode(vl) == TIMER_TSCDL)
		return;		/* ignored in TSC-deadline mode (10.5.4.1) */
	vl->icr_timer = icr;
	timer_start_locked(vl, now_ns(vl), icr);
}

/* Arm for guest TSC value `tsc_dl` (SDM 10.5.4.1). */
static void
timer_set_tscdl_locked(struct vlapic *vl, uint64_t tsc_dl)
{
	uint64_t tsc, now, delta;

	vl->tsc_deadline = tsc_dl;
	if (tsc_dl == 0) {
		timer_stop_locked(vl);
		return;
	}
	tsc = vl->ops.tsc(vl->ops.arg, vl->vcpuid);
	now = now_ns(vl);
	delta = 0;
	if (tsc_dl > tsc) {
		unsigned __int128 d = (unsigned __int128)(tsc_dl - tsc) *
		    1000000000u / vl->ops.tsc_hz;
		delta = d > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)d;
	}
	if (now + delta < now)
		delta = UINT64_MAX - now;
	timer_arm_at_locked(vl, now + delta);
}

/* ---- Register model ---- */

static void
regs_reset_locked(struct vlapic *vl)
{
	int i;

	timer_stop_locked(vl);
	vl->tpr = 0;
	vl->svr = 0xFF;
	vl->ldr = 0;
	vl->dfr = 0xFFFFFFFF;
	vl->esr = vl->esr_int = 0;
	vl->icr = 0;
	vl->dcr = 0;
	vl->icr_timer = 0;
	for (i = 0; i < VLAPIC_NLVT; i++)
		vl->lvt[i] = LVT_MASKED;
	memset(vl->irr, 0, sizeof(vl->irr));
	memset(vl->isr, 0, sizeof(vl->isr));
	memset(vl->tmr, 0, sizeof(vl->tmr));
	vl->timer_base_ns = vl->timer_base_count = 0;
	vl->tsc_deadline = 0;
	atomic_store(&vl->hint, false);
	atomic_store(&vl->nmi, false);
	atomic_store(&vl->extint, false);
}

static int
lvt_index(uint32_t off)
{
	int i;

	for (i = 0; i < VLAPIC_NLVT; i++) {
		if (lvt_offset[i] == off)
			return (i);
	}
	return (-1);
}

/*
 * Read register `off` (16-byte aligned).  0, -EINVAL reserved for the
 * current mode, -EACCES write-only.
 */
static int
reg_read_locked(struct vlapic *vl, uint32_t off, uint64_t *val, bool x2)
{
	int i;

	*val = 0;
	if ((i = lvt_index(off)) >= 0) {
		*val = vl->lvt[i];
		return (0);
	}
	switch (off) {
	case LAPIC_ID:
		*val = x2 ? (uint32_t)vl->vcpuid : (uint32_t)vl->vcpuid << 24;
		return (0);
	case LAPIC_VER:
		*val = VLAPIC_VERSION | (VLAPIC_MAXLVT << 16);
		return (0);
	case LAPIC_TPR:
		*val = vl->tpr;
		return (0);
	case LAPIC_APR:
		*val = apr_locked(vl);
		return (x2 ? -EINVAL : 0);
	case LAPIC_PPR:
		*val = ppr_locked(vl);
		return (0);
	case LAPIC_EOI:
		return (x2 ? -EACCES : 0);
	case LAPIC_RRD:
	case LAPIC_DFR:
		if (x2)
			return (-EINVAL);
		*val = off == LAPIC_DFR ? (vl->dfr | 0x0FFFFFFF) : 0;
		return (0);
	case LAPIC_LDR:
		*val = x2 ? x2apic_ldr(vl) : vl->ldr;
		return (0);
	case LAPIC_SVR:
		*val = vl->svr;
		return (0);
	case LAPIC_ISR0 ... LAPIC_ISR7:
		*val = vl->isr[(off - LAPIC_ISR0) >> 4];
		return (0);
	case LAPIC_TMR0 ... LAPIC_TMR7:
		*val = vl->tmr[(off - LAPIC_TMR0) >> 4];
		return (0);
	case LAPIC_IRR0 ... LAPIC_IRR7:
		*val = vl->irr[(off - LAPIC_IRR0) >> 4];
		return (0);
	case LAPIC_ESR:
		*val = vl->esr;
		return (0);
	case LAPIC_ICR_LO:
		/* Delivery status always reads idle: IPIs complete at once. */
		*val = x2 ? vl->icr : (uint32_t)vl->icr;
		return (0);
	case LAPIC_ICR_HI:
		*val = vl->icr >> 32;
		return (x2 ? -EINVAL : 0);
	case LAPIC_TIMER_ICR:
		*val = vl->icr_timer;
		return (0);
	case LAPIC_TIMER_CCR:
		*val = timer_ccr_locked(vl, now_ns(vl));
		return (0);
	case LAPIC_TIMER_DCR:
		*val = vl->dcr;
		return (0);
	case LAPIC_SELF_IPI:
		return (x2 ? -EACCES : -EINVAL);
	default:
		return (-EINVAL);
	}
}

/* Decode and send the ICR (SDM 10.6.1). */
static void
icr_send_locked(struct vlapic *vl, struct post *p)
{
	uint64_t icr = vl->icr;
	int vector = (int)(icr & 0xFF), mode = (int)((icr >> 8) & 7);
	int sh = (int)ICR_SHORTHAND(icr);
	bool x2 = x2apic_mode(vl);

	switch (mode) {
	case APIC_DELMODE_LOWPRIO:
		/* Not supported for x2APIC IPIs (SDM 10.12.9). */
		if (x2) {
			error_locked(vl, ESR_REDIRECTABLE_IPI, p);
			return;
		}
		/* FALLTHROUGH */
	case APIC_DELMODE_FIXED:
		if (vector < 16) {
			error_locked(vl, ESR_SEND_ILLEGAL_VECTOR, p);
			return;
		}
		break;
	case APIC_DELMODE_INIT:
		/* INIT level de-assert: no effect on modern CPUs. */
		if ((icr & ICR_TRIGGER_LEVEL) && !(icr & ICR_LEVEL_ASSERT))
			return;
		break;
	case APIC_DELMODE_NMI:
	case APIC_DELMODE_STARTUP:
		break;
	default:		/* SMI (no SMM), reserved, ExtINT */
		vl->bad++;
		return;
	}
	/* Self: fixed only; all-including-self: not lowest priority. */
	if ((sh == APIC_DEST_SELF && mode != APIC_DELMODE_FIXED) ||
	    (sh == APIC_DEST_ALLISELF && mode == APIC_DELMODE_LOWPRIO)) {
		vl->bad++;
		return;
	}
	if (sh == APIC_DEST_SELF) {
		accept_locked(vl, vector, (icr & ICR_TRIGGER_LEVEL) != 0, p);
		return;
	}
	p->ipi_valid = true;
	p->ipi = (struct vlapic_ipi){
		.src = vl->vcpuid,
		.shorthand = sh,
		.dest = x2 ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56),
		.logical = (icr & ICR_LOGICAL) != 0,
		.x2apic = x2,
		.delmode = mode,
		.vector = vector,
		.level = (icr & ICR_TRIGGER_LEVEL) != 0,
	};
}

static void
eoi_locked(struct vlapic *vl, struct post *p)
{
	int v = vec_highest(vl->isr);

	if (v < 0)
		return;
	vec_clr(vl->isr, v);
	if (vec_test(vl->tmr, v))
		p->eoi = v;
	atomic_store(&vl->hint, true);
}

static void
svr_write_locked(struct vlapic *vl, uint32_t val)
{
	int i;

	vl->svr = val & SVR_WRITABLE;
	/* Software disable masks every LVT (SDM 10.4.7.2). */
	if (!sw_enabled(vl)) {
		for (i = 0; i < VLAPIC_NLVT; i++)
			vl->lvt[i] |= LVT_MASKED;
	}
}

static int
lvt_write_locked(struct vlapic *vl, int idx, uint64_t val, bool x2)
{
	uint32_t v = (uint32_t)val & lvt_writable[idx];
	int oldmode, newmode;

	if (x2 && (val & ~(uint64_t)(lvt_writable[idx] | LVT_DELSTAT |
	    LVT_REMOTE_IRR)) != 0)
		return (-EINVAL);
	if (!sw_enabled(vl))
		v |= LVT_MASKED;
	if (idx != VLAPIC_LVT_TIMER) {
		v |= vl->lvt[idx] & LVT_REMOTE_IRR;
		vl->lvt[idx] = v;
		return (0);
	}
	/* TSC-deadline mode is reserved unless supported (10.5.4.1). */
	if (LVT_TIMER_MODE(v) == TIMER_TSCDL && !tscdl_supported(vl))
		v &= ~(1u << 18);
	if (LVT_TIMER_MODE(v) == 3)
		v &= ~(3u << 17);
	oldmode = timer_mode(vl);
	vl->lvt[idx] = v;
	newmode = timer_mode(vl);
	/* A mode change disarms the timer (10.5.4.1). */
	if (oldmode != newmode) {
		if (newmode == TIMER_TSCDL)
			vl->icr_timer = 0;
		vl->tsc_deadline = 0;
		timer_stop_locked(vl);
	}
	return (0);
}

/*
 * Write register `off`.  0, -EINVAL reserved register or reserved bits
 * (x2APIC), -EACCES read-only.
 */
static int
reg_write_locked(struct vlapic *vl, uint32_t off, uint64_t val, bool x2,
    struct post *p)
{
	int i;

	if ((i = lvt_index(off)) >= 0)
		return (lvt_write_locked(vl, i, val, x2));
	if (x2 && off != LAPIC_ICR_LO && (val >> 32) != 0)
		return (-EINVAL);
	switch (off) {
	case LAPIC_ID:		/* writes ignored, as in bhyve */
	case LAPIC_LDR:
		if (x2)
			return (-EACCES);
		if (off == LAPIC_LDR)
			vl->ldr = (uint32_t)val & 0xFF000000;
		return (0);
	case LAPIC_VER:
	case LAPIC_PPR:
	case LAPIC_ISR0 ... LAPIC_ISR7:
	case LAPIC_TMR0 ... LAPIC_TMR7:
	case LAPIC_IRR0 ... LAPIC_IRR7:
	case LAPIC_TIMER_CCR:
		return (-EACCES);
	case LAPIC_APR:
	case LAPIC_RRD:
		return (x2 ? -EINVAL : -EACCES);
	case LAPIC_TPR:
		if (x2 && (val & ~0xFFull) != 0)
			return (-EINVAL);
		vl->tpr = (uint32_t)val & 0xFF;
		atomic_store(&vl->hint, true);
		return (0);
	case LAPIC_EOI:
		if (x2 && val != 0)
			return (-EINVAL);
		eoi_locked(vl, p);
		return (0);
	case LAPIC_DFR:
		if (x2)
			return (-EINVAL);
		vl->dfr = ((uint32_t)val & 0xF0000000) | 0x0FFFFFFF;
		return (0);
	case LAPIC_SVR:
		if (x2 && (val & ~(uint64_t)SVR_WRITABLE) != 0)
			return (-EINVAL);
		svr_write_locked(vl, (uint32_t)val);
		return (0);
	case LAPIC_ESR:
		/* Write latches the errors seen so far (SDM 10.5.3). */
		if (x2 && val != 0)
			return (-EINVAL);
		vl->esr = vl->esr_int;
		vl->esr_int = 0;
		return (0);
	case LAPIC_ICR_LO:
		if (x2) {
			if ((val & ~ICR_X2APIC_VALID) != 0)
				return (-EINVAL);
			vl->icr = val;
		} else {
			vl->icr = (vl->icr & 0xFFFFFFFF00000000ull) |
			    ((uint32_t)val & ICR_XAPIC_LO_VALID);
		}
		icr_send_locked(vl, p);
		return (0);
	case LAPIC_ICR_HI:
		if (x2)
			return (-EINVAL);
		vl->icr = (vl->icr & 0xFFFFFFFFull) |
		    ((uint64_t)((uint32_t)val & 0xFF000000) << 32);
		return (0);
	case LAPIC_TIMER_ICR:
		timer_set_icr_locked(vl, (uint32_t)val);
		return (0);
	case LAPIC_TIMER_DCR:
		if (x2 && (val & ~0xBull) != 0)
			return (-EINVAL);
		timer_set_dcr_locked(vl, (uint32_t)val & 0xB);
		return (0);
	case LAPIC_SELF_IPI:
		if (!x2 || (val & ~0xFFull) != 0)
			return (-EINVAL);
		if (val < 16)
			error_locked(vl, ESR_SEND_ILLEGAL_VECTOR, p);
		else
			accept_locked(vl, (int)val, false, p);
		return (0);
	default:
		return (-EINVAL);
	}
}

/* ---- APIC base MSR (SDM 10.4.4, 10.12.5.1) ---- */

static int
apicbase_write_locked(struct vlapic *vl, uint64_t val)
{
	uint64_t old = vl->apicbase, nw;
	bool old_en = (old & APICBASE_ENABLE) != 0;
	bool old_x2 = x2apic_mode(vl);
	bool en = (val & APICBASE_ENABLE) != 0;
	bool x2 = (val & APICBASE_X2APIC) != 0;

	if ((val & APICBASE_RESERVED) != 0)
		return (-EINVAL);
	if (x2 && (!vl->x2apic_allowed || !en))
		return (-EINVAL);	/* EN=0 EXTD=1 is invalid */
	if (old_x2 && en && !x2)
		return (-EINVAL);	/* x2APIC -> xAPIC */
	if (!old_en && x2)
		return (-EINVAL);	/* disabled -> x2APIC */
	/* BSP is set by the platform, not the guest. */
	nw = (val & ~APICBASE_BSP) | (old & APICBASE_BSP);
	vl->apicbase = nw;
	if (old_en && !en)
		regs_reset_locked(vl);
	return (0);
}

/* ---- Public API ---- */

struct vlapic *
vlapic_create(int vcpuid, bool bsp, struct vcallout_wheel *w,
    const struct vlapic_ops *ops)
{
	struct vlapic *vl;

	if (vcpuid < 0 || w == NULL || ops == NULL)
		return (NULL);
	vl = calloc(1, sizeof(*vl));
	if (vl == NULL)
		return (NULL);
	vl->vcpuid = vcpuid;
	vl->bsp = bsp;
	vl->ops = *ops;
	vl->wheel = w;
	vl->timer = vcallout_create(w, timer_expire, vl);
	if (vl->timer == NULL) {
		free(vl);
		return (NULL);
	}
	pthread_mutex_init(&vl->mtx, NULL);
	vlapic_reset(vl, false);
	return (vl);
}

void
vlapic_destroy(struct vlapic *vl)
{
	if (vl == NULL)
		return;
	vcallout_destroy(vl->timer);	/* waits for a running callback */
	pthread_mutex_destroy(&vl->mtx);
	free(vl);
}

void
vlapic_reset(struct vlapic *vl, bool init)
{
	pthread_mutex_lock(&vl->mtx);
	if (!init) {
		vl->apicbase = VLAPIC_DEFAULT_BASE | APICBASE_ENABLE |
		    (vl->bsp ? APICBASE_BSP : 0);
	}
	regs_reset_locked(vl);
	pthread_mutex_unlock(&vl->mtx);
}

int
vlapic_vcpuid(const struct vlapic *vl)
{
	return (vl->vcpuid);
}

uint64_t
vlapic_mmio_base(struct vlapic *vl)
{
	uint64_t base = ~0ull;

	pthread_mutex_lock(&vl->mtx);
	if (hw_enabled(vl) && !x2apic_mode(vl))
		base = vl->apicbase & APICBASE_ADDR;
	pthread_mutex_unlock(&vl->mtx);
	return (base);
}

/*
 * xAPIC page access.  Registers are 32 bits at 16-byte strides and must
 * be accessed as aligned dwords (SDM 10.4.1).  Defined here for other
 * forms: a read of any size returns the register's bytes from that
 * offset (bytes past the 32-bit register read 0); a write that is not a
 * 4- or 8-byte access at the register's start is ignored, an 8-byte one
 * writes the low dword.  Reserved offsets set ESR "illegal register
 * address" (bit 7).  With the APIC disabled or in x2APIC mode the page
 * reads all-ones and ignores writes (10.12.2: no MMIO in x2APIC mode).
 */
int
vlapic_mmio(struct vlapic *vl, bool write, uint64_t off, unsigned bytes,
    uint64_t *val)
{
	struct post p = POST_INIT;
	uint32_t reg = (uint32_t)(off & 0xFF0), sub = (uint32_t)(off & 0xF);
	uint64_t v, mask;
	int error;

	if (bytes == 0 || bytes > 8 || (off & 0xFFF) != off)
		return (-EINVAL);
	mask = bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
	pthread_mutex_lock(&vl->mtx);
	if (!hw_enabled(vl) || x2apic_mode(vl)) {
		vl->bad++;
		if (!write)
			*val = mask;
		pthread_mutex_unlock(&vl->mtx);
		return (0);
	}
	reg = (uint32_t)(off & 0xFF0);
	if (!write) {
		error = reg_read_locked(vl, reg, &v, false);
		if (error == -EINVAL)
			error_locked(vl, ESR_ILLEGAL_REGISTER, &p);
		v = (uint32_t)v;
		*val = sub < 4 ? (v >> (8 * sub)) & mask : 0;
	} else if (sub != 0 || (bytes != 4 && bytes != 8)) {
		vl->bad++;
	} else {
		error = reg_write_locked(vl, reg, (uint32_t)*val, false, &p);
		if (error == -EINVAL)
			error_locked(vl, ESR_ILLEGAL_REGISTER, &p);
		else if (error != 0)
			vl->bad++;
	}
	pthread_mutex_unlock(&vl->mtx);
	post_run(vl, &p);
	return (0);
}

int
vlapic_rdmsr(struct vlapic *vl, uint32_t msr, uint64_t *val)
{
	int error;

	if (msr != MSR_IA32_APIC_BASE && msr != MSR_IA32_TSC_DEADLINE &&
	    (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST))
		return (-ENOENT);
	pthread_mutex_lock(&vl->mtx);
	error = 0;
	if (msr == MSR_IA32_APIC_BASE) {
		*val = vl->apicbase;
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!tscdl_supported(vl))
			error = -EINVAL;
		else
			*val = timer_mode(vl) == TIMER_TSCDL ?
			    vl->tsc_deadline : 0;
	} else if (!x2apic_mode(vl)) {
		error = -EINVAL;
	} else {
		error = reg_read_locked(vl, (msr - MSR_X2APIC_FIRST) << 4,
		    val, true);
		if (error != 0)
			error = -EINVAL;
	}
	if (error != 0)
		vl->bad++;
	pthread_mutex_unlock(&vl->mtx);
	return (error);
}

int
vlapic_wrmsr(struct vlapic *vl, uint32_t msr, uint64_t val)
{
	struct post p = POST_INIT;
	int error;

	if (msr != MSR_IA32_APIC_BASE && msr != MSR_IA32_TSC_DEADLINE &&
	    (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST))
		return (-ENOENT);
	pthread_mutex_lock(&vl->mtx);
	error = 0;
	if (msr == MSR_IA32_APIC_BASE) {
		error = apicbase_write_locked(vl, val);
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		if (!tscdl_supported(vl))
			error = -EINVAL;
		else if (timer_mode(vl) == TIMER_TSCDL)
			timer_set_tscdl_locked(vl, val);
	} else if (!x2apic_mode(vl)) {
		error = -EINVAL;
	} else {
		error = reg_write_locked(vl, (msr - MSR_X2APIC_FIRST) << 4,
		    val, true, &p);
		if (error != 0)
			error = -EINVAL;
	}
	if (error != 0)
		vl->bad++;
	pthread_mutex_unlock(&vl->mtx);
	post_run(vl, &p);
	return (error);
}

uint64_t
vlapic_get_cr8(struct vlapic *vl)
{
	uint64_t v;

	pthread_mutex_lock(&vl->mtx);
	v = vl->tpr >> 4;
	pthread_mutex_unlock(&vl->mtx);
	return (v);
}

void
vlapic_set_cr8(struct vlapic *vl, uint64_t cr8)
{
	pthread_mutex_lock(&vl->mtx);
	vl->tpr = (uint32_t)(cr8 & 0xF) << 4;
	atomic_store(&vl->hint, true);
	pthread_mutex_unlock(&vl->mtx);
}

void
vlapic_set_x2apic_allowed(struct vlapic *vl, bool allowed)
{
	pthread_mutex_lock(&vl->mtx);
	vl->x2apic_allowed = allowed;
	/* Withdrawing the capability leaves x2APIC mode. */
	if (!allowed && x2apic_mode(vl)) {
		vl->apicbase &= ~APICBASE_X2APIC;
		regs_reset_locked(vl);
	}
	pthread_mutex_unlock(&vl->mtx);
}

bool
vlapic_x2apic_allowed(struct vlapic *vl)
{
	bool a;

	pthread_mutex_lock(&vl->mtx);
	a = vl->x2apic_allowed;
	pthread_mutex_unlock(&vl->mtx);
	return (a);
}

bool
vlapic_x2apic_mode(struct vlapic *vl)
{
	bool m;

	pthread_mutex_lock(&vl->mtx);
	m = x2apic_mode(vl);
	pthread_mutex_unlock(&vl->mtx);
	return (m);
}

bool
vlapic_is_broadcast(uint32_t dest, bool x2apic_fmt)
{
	return (x2apic_fmt ? dest == 0xFFFFFFFF : (dest & 0xFF) == 0xFF);
}

/* Logical destination in xAPIC mode: flat or cluster (SDM 10.6.2.2). */
static bool
xapic_logical_match(const struct vlapic *vl, uint32_t dest)
{
	uint32_t ldr = vl->ldr >> 24, d = dest & 0xFF;

	switch (vl->dfr >> 28) {
	case 0xF:
		return ((ldr & d) != 0);
	case 0x0:
		return ((d >> 4) == (ldr >> 4) && (d & ldr & 0xF) != 0);
	default:
		return (false);
	}
}

bool
vlapic_match_dest(struct vlapic *vl, uint32_t dest, bool logical,
    bool x2apic_fmt)
{
	uint32_t ldr;
	bool m;

	pthread_mutex_lock(&vl->mtx);
	if (!hw_enabled(vl)) {
		m = false;
	} else if (vlapic_is_broadcast(dest, x2apic_fmt)) {
		m = true;
	} else if (!logical) {
		m = x2apic_fmt ? dest == (uint32_t)vl->vcpuid :
		    (dest & 0xFF) == (uint32_t)vl->vcpuid;
	} else if (x2apic_mode(vl)) {
		/* x2APIC cluster model (SDM 10.12.10.2) */
		ldr = x2apic_ldr(vl);
		m = (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xFFFF) != 0;
	} else {
		m = xapic_logical_match(vl, dest);
	}
	pthread_mutex_unlock(&vl->mtx);
	return (m);
}

int
vlapic_arb_priority(struct vlapic *vl)
{
	int p;

	pthread_mutex_lock(&vl->mtx);
	p = (int)vl->tpr;
	pthread_mutex_unlock(&vl->mtx);
	return (p);
}

void
vlapic_deliver(struct vlapic *vl, int delmode, int vector, bool level)
{
	struct post p = POST_INIT;

	pthread_mutex_lock(&vl->mtx);
	switch (delmode) {
	case APIC_DELMODE_FIXED:
	case APIC_DELMODE_LOWPRIO:
		accept_locked(vl, vector, level, &p);
		break;
	case APIC_DELMODE_NMI:
		atomic_store(&vl->nmi, true);
		p.notify = true;
		break;
	case APIC_DELMODE_EXTINT:
		atomic_store(&vl->extint, true);
		p.notify = true;
		break;
	default:
		vl->bad++;
		break;
	}
	pthread_mutex_unlock(&vl->mtx);
	post_run(vl, &p);
}

void
vlapic_set_intr_ready(struct vlapic *vl, int vector, bool level)
{
	vlapic_deliver(vl, APIC_DELMODE_FIXED, vector, level);
}

/*
 * A local interrupt.  With the APIC disabled, LINT0 and LINT1 act as the
 * processor's INTR and NMI pins (SDM 10.4.3).  Like bhyve, the BSP also
 * does so while its APIC is only software-disabled (where the SDM has
 * the LVTs masked), so guests without firmware that sets up virtual-wire
 * mode still get 8259 interrupts; APs then stay masked.
 */
void
vlapic_trigger_lvt(struct vlapic *vl, enum vlapic_lvt lvt)
{
	struct post p = POST_INIT;

	if ((int)lvt < 0 || lvt >= VLAPIC_NLVT)
		return;
	pthread_mutex_lock(&vl->mtx);
	if (!hw_enabled(vl) || (!sw_enabled(vl) && vl->bsp)) {
		if (lvt == VLAPIC_LVT_LINT0) {
			atomic_store(&vl->extint, true);
			p.notify = true;
		} else if (lvt == VLAPIC_LVT_LINT1) {
			atomic_store(&vl->nmi, true);
			p.notify = true;
		}
	} else {
		lvt_fire_locked(vl, lvt, &p);
	}
	pthread_mutex_unlock(&vl->mtx);
	post_run(vl, &p);
}

bool
vlapic_pending_intr(struct vlapic *vl, int *vector)
{
	int v;
	bool found;

	if (!atomic_load(&vl->hint))
		return (false);
	pthread_mutex_lock(&vl->mtx);
	v = vec_highest(vl->irr);
	found = v >= 0 && ((uint32_t)v & 0xF0) > (ppr_locked(vl) & 0xF0);
	if (found)
		*vector = v;
	else
		atomic_store(&vl->hint, false);
	pthread_mutex_unlock(&vl->mtx);
	return (found);
}

void
vlapic_intr_accepted(struct vlapic *vl, int vector)
{
	if (vector < 0 || vector > 255)
		return;
	pthread_mutex_lock(&vl->mtx);
	if (vec_test(vl->irr, vector)) {
		vec_clr(vl->irr, vector);
		vec_set(vl->isr, vector);
	}
	pthread_mutex_unlock(&vl->mtx);
}

bool
vlapic_nmi_pending(struct vlapic *vl)
{
	return (atomic_load(&vl->nmi));
}

void
vlapic_nmi_clear(struct vlapic *vl)
{
	atomic_store(&vl->nmi, false);
}

bool
vlapic_extint_pending(struct vlapic *vl)
{
	return (atomic_load(&vl->extint));
}

void
vlapic_extint_clear(struct vlapic *vl)
{
	atomic_store(&vl->extint, false);
}

void
vlapic_extint_set(struct vlapic *vl)
{
	atomic_store(&vl->extint, true);
}

uint64_t
vlapic_bad_accesses(struct vlapic *vl)
{
	uint64_t n;

	pthread_mutex_lock(&vl->mtx);
	n = vl->bad;
	pthread_mutex_unlock(&vl->mtx);
	return (n);
}

/* ---- Save/restore (vdev_snap named fields) ---- */

/* Scalars, by name; the timer is saved as its remaining count. */
#define	VLAPIC_SNAP_SCALARS(X)						\
	X(apicbase) X(icr) X(tsc_deadline) X(tpr) X(svr) X(ldr) X(dfr)	\
	X(esr) X(esr_int) X(dcr) X(icr_timer)

static int
snap_put_array(struct vdev_snap *s, const char *pfx, const uint32_t *a,
    int n)
{
	char name[VDEV_SNAP_NAMELEN];
	int i, error;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", pfx, i);
		if ((error = vdev_snap_put(s, name, a[i])) != 0)
			return (error);
	}
	return (0);
}

static int
snap_get_array(const struct vdev_snap *s, const char *pfx, uint32_t *a,
    int n)
{
	char name[VDEV_SNAP_NAMELEN];
	uint64_t v;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", pfx, i);
		if (vdev_snap_get(s, name, &v) != 0)
			return (-EINVAL);
		a[i] = (uint32_t)v;
	}
	return (0);
}

static int
snapshot_locked(struct vlapic *vl, struct vdev_snap *s)
{
	int error = 0;

#define	PUT(f)	error = error ? error : vdev_snap_put(s, #f, vl->f);
	VLAPIC_SNAP_SCALARS(PUT)
#undef PUT
	if (error == 0)
		error = vdev_snap_put(s, "x2apic_allowed", vl->x2apic_allowed);
	if (error == 0)
		error = vdev_snap_put(s, "timer_armed", vl->timer_armed);
	if (error == 0)
		error = vdev_snap_put(s, "timer_ccr",
		    timer_ccr_locked(vl, now_ns(vl)));
	if (error == 0)
		error = vdev_snap_put(s, "nmi", atomic_load(&vl->nmi));
	if (error == 0)
		error = vdev_snap_put(s, "extint", atomic_load(&vl->extint));
	if (error == 0)
		error = snap_put_array(s, "lvt", vl->lvt, VLAPIC_NLVT);
	if (error == 0)
		error = snap_put_array(s, "irr", vl->irr, 8);
	if (error == 0)
		error = snap_put_array(s, "isr", vl->isr, 8);
	if (error == 0)
		error = snap_put_array(s, "tmr", vl->tmr, 8);
	return (error);
}

int
vlapic_snapshot(struct vlapic *vl, struct vdev_snap *s)
{
	int error;

	snprintf(s->dev, sizeof(s->dev), "vlapic");
	s->version = VLAPIC_SNAP_VERSION;
	pthread_mutex_lock(&vl->mtx);
	error = snapshot_locked(vl, s);
	pthread_mutex_unlock(&vl->mtx);
	return (error);
}

/* The saved state, read and checked in full before anything changes. */
struct vlapic_saved {
#define	FIELD(f)	uint64_t f;
	VLAPIC_SNAP_SCALARS(FIELD)
#undef FIELD
	uint64_t	x2apic_allowed, timer_armed, timer_ccr, nmi, extint;
	uint32_t	lvt[VLAPIC_NLVT], irr[8], isr[8], tmr[8];
};

static int
restore_read(const struct vdev_snap *s, struct vlapic_saved *r)
{
	int error = 0;

	if (strcmp(s->dev, "vlapic") != 0 || s->version != VLAPIC_SNAP_VERSION)
		return (-EINVAL);
#define	GET(f)	error = error ? error : vdev_snap_get(s, #f, &r->f);
	VLAPIC_SNAP_SCALARS(GET)
	GET(x2apic_allowed) GET(timer_armed) GET(timer_ccr) GET(nmi)
	GET(extint)
#undef GET
	if (error != 0)
		return (-EINVAL);
	if (snap_get_array(s, "lvt", r->lvt, VLAPIC_NLVT) != 0 ||
	    snap_get_array(s, "irr", r->irr, 8) != 0 ||
	    snap_get_array(s, "isr", r->isr, 8) != 0 ||
	    snap_get_array(s, "tmr", r->tmr, 8) != 0)
		return (-EINVAL);
	if ((r->apicbase & APICBASE_RESERVED) != 0)
		return (-EINVAL);
	if ((r->apicbase & APICBASE_X2APIC) != 0 &&
	    (!(r->apicbase & APICBASE_ENABLE) || !r->x2apic_allowed))
		return (-EINVAL);
	return (0);
}

int
vlapic_restore(struct vlapic *vl, const struct vdev_snap *s)
{
	struct vlapic_saved r;
	int i;

	if (restore_read(s, &r) != 0)
		return (-EINVAL);
	pthread_mutex_lock(&vl->mtx);
	regs_reset_locked(vl);
	vl->apicbase = (r.apicbase & ~APICBASE_BSP) |
	    (vl->bsp ? APICBASE_BSP : 0);
	vl->x2apic_allowed = r.x2apic_allowed != 0;
	vl->icr = r.icr;
	vl->tpr = (uint32_t)r.tpr & 0xFF;
	vl->svr = (uint32_t)r.svr & SVR_WRITABLE;
	vl->ldr = (uint32_t)r.ldr & 0xFF000000;
	vl->dfr = ((uint32_t)r.dfr & 0xF0000000) | 0x0FFFFFFF;
	vl->esr = (uint32_t)r.esr;
	vl->esr_int = (uint32_t)r.esr_int;
	vl->dcr = (uint32_t)r.dcr & 0xB;
	vl->icr_timer = (uint32_t)r.icr_timer;
	for (i = 0; i < VLAPIC_NLVT; i++)
		vl->lvt[i] = r.lvt[i] & (lvt_writable[i] | LVT_REMOTE_IRR);
	memcpy(vl->irr, r.irr, sizeof(r.irr));
	memcpy(vl->isr, r.isr, sizeof(r.isr));
	memcpy(vl->tmr, r.tmr, sizeof(r.tmr));
	atomic_store(&vl->nmi, r.nmi != 0);
	atomic_store(&vl->extint, r.extint != 0);
	atomic_store(&vl->hint, true);
	if (r.timer_armed && timer_mode(vl) == TIMER_TSCDL)
		timer_set_tscdl_locked(vl, r.tsc_deadline);
	else if (r.timer_armed)
		timer_start_locked(vl, now_ns(vl), (uint32_t)r.timer_ccr);
	pthread_mutex_unlock(&vl->mtx);
	return (0);
}
