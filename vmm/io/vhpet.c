/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * High Precision Event Timer (IA-PC HPET specification 1.0a).
 *
 * The main counter is not ticked: while enabled it is cnt + the 2^24 Hz
 * ticks since en_ns.  Each timer keeps the absolute tick (since en_ns)
 * of its next comparator match and a callout for it, so periodic timers
 * advance by exact periods and never drift.  Counter and comparators are
 * 32 bits wide (COUNT_SIZE_CAP = 0, Tn_SIZE_CAP = 0): a one-shot timer
 * matches again each time the counter wraps (spec 2.3.9.2.1).
 *
 * Comparator writes (2.3.9.2.2): a one-shot timer takes the value; a
 * periodic timer takes it as its period, and also as the comparator
 * when Tn_VAL_SET_CNF is set (which the write then clears).  A value
 * equal to the counter matches at once.
 *
 * Interrupts: level-triggered timers set their bit in the general
 * interrupt status register on every match (even with Tn_INT_ENB_CNF
 * clear, 2.3.9.2.1) and hold their IOAPIC pin asserted while the bit is
 * set, enabled and the HPET is enabled; writing 1 clears it (2.3.6).
 * Edge timers pulse their pin, and FSB timers send an MSI (address from
 * the high half of the FSB route register, data from the low half).
 * A route outside INT_ROUTE_CAP is not accepted (the field keeps its
 * value, 2.3.9.2.1).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/io/vhpet.h"

#define	NS_PER_S		1000000000ull
#define	TICKS_WRAP		(1ull << 32)
/*
 * Callout policy when the timer thread ran late: a periodic timer
 * delivers every missed match as its own interrupt (spec 2.3.9.2.2,
 * one per period), spaced half a period but 10..50 us apart so that
 * an edge-triggered IOAPIC pin or an FSB message's LAPIC IRR can latch
 * each one.  More than 250 ms behind, the missed periods are skipped.
 */
#define	HPET_MIN_GAP_NS		10000ull
#define	HPET_CATCHUP_NS		50000ull
#define	HPET_MAX_LAG_TICKS	((uint64_t)VHPET_FREQ / 4)

/* Register offsets (spec 2.3.1, table 2). */
#define	HPET_CAP		0x000
#define	HPET_CONFIG		0x010
#define	HPET_ISR		0x020
#define	HPET_COUNTER		0x0f0
#define	HPET_TIMER_BASE		0x100
#define	HPET_TIMER_STRIDE	0x20
#define	TIMER_CFG		0x00
#define	TIMER_COMP		0x08
#define	TIMER_FSB		0x10

/* General capabilities and ID (2.3.4). */
#define	CAP_REV_ID		0x01
#define	CAP_NUM_TIM_SHIFT	8
#define	CAP_VENDOR_SHIFT	16
#define	CAP_VENDOR_INTEL	0x8086ull
#define	CAP_PERIOD_SHIFT	32
/* General configuration (2.3.5). */
#define	CONF_ENABLE		0x1ull
/* Timer configuration and capabilities (2.3.8). */
#define	TN_INT_TYPE		(1ull << 1)	/* 1 = level */
#define	TN_INT_ENB		(1ull << 2)
#define	TN_TYPE			(1ull << 3)	/* 1 = periodic */
#define	TN_PER_INT_CAP		(1ull << 4)
#define	TN_SIZE_CAP		(1ull << 5)
#define	TN_VAL_SET		(1ull << 6)
#define	TN_32MODE		(1ull << 8)
#define	TN_ROUTE_SHIFT		9
#define	TN_ROUTE_MASK		(0x1full << TN_ROUTE_SHIFT)
#define	TN_FSB_EN		(1ull << 14)
#define	TN_FSB_INT_DEL_CAP	(1ull << 15)
#define	TN_ROUTE_CAP_SHIFT	32
#define	TN_WRITABLE		(TN_INT_TYPE | TN_INT_ENB | TN_TYPE | \
				 TN_VAL_SET | TN_ROUTE_MASK | TN_FSB_EN)
#define	TN_CAPS			(TN_PER_INT_CAP | TN_FSB_INT_DEL_CAP | \
				 (uint64_t)VHPET_ROUTE_CAP << TN_ROUTE_CAP_SHIFT)

struct vhpet;

struct hpet_timer {
	struct vhpet	*hpet;
	struct vcallout	*callout;
	int		n;
	uint64_t	cfg;		/* TN_WRITABLE bits */
	uint32_t	comp;
	uint32_t	period;		/* last value written (periodic) */
	uint64_t	fsb;		/* FSB route: addr << 32 | data */
	uint64_t	next;		/* tick of the next match (enabled) */
	uint64_t	last_fire_ns;
	bool		line;		/* IOAPIC pin held asserted */
	int		line_pin;
};

struct vhpet {
	struct vdev_clock clk;
	struct vdev_intr intr;
	/* mtx protects everything below, including the timers. */
	pthread_mutex_t	mtx;
	uint64_t	config;
	uint32_t	isr;
	uint32_t	cnt;		/* halted value, or value at en_ns */
	uint64_t	en_ns;
	struct hpet_timer t[VHPET_NUM_TIMERS];
	_Atomic uint64_t bad_access;	/* statistics */
};

uint64_t
vhpet_capabilities(void)
{
	return ((uint64_t)VHPET_PERIOD_FS << CAP_PERIOD_SHIFT |
	    CAP_VENDOR_INTEL << CAP_VENDOR_SHIFT |
	    (uint64_t)(VHPET_NUM_TIMERS - 1) << CAP_NUM_TIM_SHIFT | CAP_REV_ID);
}

static uint64_t
hpet_now(struct vhpet *h)
{
	return (h->clk.now_ns(h->clk.arg));
}

static uint64_t
ns_to_ticks(uint64_t ns)
{
	return ((uint64_t)(((unsigned __int128)ns << 24) / NS_PER_S));
}

static uint64_t
ticks_to_ns(uint64_t t)
{
	unsigned __int128 x = (unsigned __int128)t * NS_PER_S;

	return ((uint64_t)((x + VHPET_FREQ - 1) >> 24));
}

static bool
hpet_enabled(const struct vhpet *h)
{
	return ((h->config & CONF_ENABLE) != 0);
}

/* Ticks since en_ns (enabled only). */
static uint64_t
hpet_ticks(const struct vhpet *h, uint64_t now)
{
	return (now > h->en_ns ? ns_to_ticks(now - h->en_ns) : 0);
}

static uint32_t
hpet_counter(const struct vhpet *h, uint64_t now)
{
	if (!hpet_enabled(h))
		return (h->cnt);
	return (h->cnt + (uint32_t)hpet_ticks(h, now));
}

static bool
timer_periodic(const struct hpet_timer *t)
{
	return ((t->cfg & TN_TYPE) != 0);
}

static int
timer_route(const struct hpet_timer *t)
{
	return ((int)((t->cfg & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT));
}

static bool
route_ok(int pin)
{
	return ((VHPET_ROUTE_CAP & (1u << pin)) != 0);
}

/* Hold the IOAPIC pin while a level interrupt is pending and enabled. */
static void
timer_line_update(struct vhpet *h, struct hpet_timer *t)
{
	bool want;
	int pin = timer_route(t);

	want = hpet_enabled(h) && (t->cfg & TN_INT_ENB) != 0 &&
	    (t->cfg & TN_INT_TYPE) != 0 && (t->cfg & TN_FSB_EN) == 0 &&
	    (h->isr & (1u << t->n)) != 0 && route_ok(pin);
	if (t->line && (!want || t->line_pin != pin)) {
		t->line = false;
		if (h->intr.ioapic != NULL)
			h->intr.ioapic(h->intr.arg, t->line_pin,
			    VDEV_IRQ_DEASSERT);
	}
	if (want && !t->line) {
		t->line = true;
		t->line_pin = pin;
		if (h->intr.ioapic != NULL)
			h->intr.ioapic(h->intr.arg, pin, VDEV_IRQ_ASSERT);
	}
}

static void
timer_interrupt(struct vhpet *h, struct hpet_timer *t)
{
	int pin = timer_route(t);

	if ((t->cfg & TN_INT_TYPE) != 0 && (t->cfg & TN_FSB_EN) == 0) {
		h->isr |= 1u << t->n;
		timer_line_update(h, t);
		return;
	}
	if ((t->cfg & TN_INT_ENB) == 0)
		return;
	if ((t->cfg & TN_FSB_EN) != 0) {
		if (h->intr.msi != NULL)
			h->intr.msi(h->intr.arg, t->fsb >> 32,
			    t->fsb & 0xffffffffu);
	} else if (route_ok(pin) && h->intr.ioapic != NULL) {
		h->intr.ioapic(h->intr.arg, pin, VDEV_IRQ_PULSE);
	}
}

static void
timer_arm(struct vhpet *h, struct hpet_timer *t, uint64_t now)
{
	uint64_t dl, min, gap;

	if (t->callout == NULL)
		return;
	if (!hpet_enabled(h)) {
		vcallout_cancel(t->callout);
		return;
	}
	dl = h->en_ns + ticks_to_ns(t->next);
	if (dl <= now) {
		gap = timer_periodic(t) ? ticks_to_ns(t->period) / 2 : 0;
		if (gap > HPET_CATCHUP_NS)
			gap = HPET_CATCHUP_NS;
		if (gap < HPET_MIN_GAP_NS)
			gap = HPET_MIN_GAP_NS;
		min = t->last_fire_ns + gap;
		if (dl < min)
			dl = min;
	}
	vcallout_reset(t->callout, dl);
}

/* Next match from the comparator as it stands. */
static void
timer_sched(struct vhpet *h, struct hpet_timer *t, uint64_t now)
{
	uint64_t tnow;

	if (!hpet_enabled(h))
		return;
	tnow = hpet_ticks(h, now);
	t->next = tnow + (uint32_t)(t->comp - hpet_counter(h, now));
	timer_arm(h, t, now);
}

/* A match happened at t->next: interrupt and find the next one. */
static void
timer_fire(struct vhpet *h, struct hpet_timer *t, uint64_t tnow)
{
	uint64_t step, k;

	timer_interrupt(h, t);
	if (!timer_periodic(t)) {
		t->next += TICKS_WRAP;
		return;
	}
	step = t->period != 0 ? t->period : TICKS_WRAP;
	t->next += step;
	t->comp += (uint32_t)step;
	if (tnow > t->next && tnow - t->next > HPET_MAX_LAG_TICKS) {
		/* Far behind (host stall): skip the missed periods. */
		k = (tnow - t->next) / step + 1;
		t->next += k * step;
		t->comp += (uint32_t)(k * step);
	}
}

static void
timer_callout(void *arg)
{
	struct hpet_timer *t = arg;
	struct vhpet *h = t->hpet;
	uint64_t now, tnow;

	pthread_mutex_lock(&h->mtx);
	if (hpet_enabled(h)) {
		now = hpet_now(h);
		tnow = hpet_ticks(h, now);
		if (t->next <= tnow) {
			timer_fire(h, t, tnow);
			t->last_fire_ns = now;
		}
		timer_arm(h, t, now);
	}
	pthread_mutex_unlock(&h->mtx);
}

static void
hpet_set_config(struct vhpet *h, uint64_t v, uint64_t now)
{
	bool was = hpet_enabled(h);
	int i;

	/* LEG_RT_CNF is not supported (LEG_RT_CAP = 0): read-only 0. */
	if (was && (v & CONF_ENABLE) == 0)
		h->cnt = hpet_counter(h, now);
	h->config = v & CONF_ENABLE;
	if (!was && hpet_enabled(h))
		h->en_ns = now;
	if (was == hpet_enabled(h))
		return;
	for (i = 0; i < VHPET_NUM_TIMERS; i++) {
		if (hpet_enabled(h))
			timer_sched(h, &h->t[i], now);
		else
			timer_arm(h, &h->t[i], now);
		timer_line_update(h, &h->t[i]);
	}
}

static void
timer_write_cfg(struct vhpet *h, struct hpet_timer *t, uint64_t v,
    uint64_t now)
{
	uint64_t old = t->cfg;
	int pin = (int)((v & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);

	t->cfg = v & TN_WRITABLE;
	if (!route_ok(pin))
		t->cfg = (t->cfg & ~TN_ROUTE_MASK) | (old & TN_ROUTE_MASK);
	/* Leaving level mode drops a pending status bit's meaning. */
	if ((t->cfg & TN_INT_TYPE) == 0)
		h->isr &= ~(1u << t->n);
	if ((old ^ t->cfg) & TN_TYPE)
		timer_sched(h, t, now);
	timer_line_update(h, t);
}

static void
timer_write_comp(struct vhpet *h, struct hpet_timer *t, uint32_t v,
    uint64_t now)
{
	if (timer_periodic(t) && (t->cfg & TN_VAL_SET) == 0) {
		/* A new period; the pending match stays where it is. */
		t->period = v;
		return;
	}
	if (timer_periodic(t))
		t->period = v;
	t->cfg &= ~TN_VAL_SET;
	t->comp = v;
	timer_sched(h, t, now);
}

static uint64_t
hpet_read(struct vhpet *h, unsigned off, uint64_t now)
{
	struct hpet_timer *t;
	unsigned n;

	switch (off) {
	case HPET_CAP:
		return (vhpet_capabilities());
	case HPET_CONFIG:
		return (h->config);
	case HPET_ISR:
		return (h->isr);
	case HPET_COUNTER:
		return (hpet_counter(h, now));
	default:
		break;
	}
	if (off < HPET_TIMER_BASE)
		return (0);
	n = (off - HPET_TIMER_BASE) / HPET_TIMER_STRIDE;
	if (n >= VHPET_NUM_TIMERS)
		return (0);
	t = &h->t[n];
	switch ((off - HPET_TIMER_BASE) % HPET_TIMER_STRIDE) {
	case TIMER_CFG:
		return (t->cfg | TN_CAPS);
	case TIMER_COMP:
		return (t->comp);
	case TIMER_FSB:
		return (t->fsb);
	default:
		return (0);
	}
}

/* Write the bits of `mask` of the 64-bit register at off. */
static void
hpet_write(struct vhpet *h, unsigned off, uint64_t v, uint64_t mask,
    uint64_t now)
{
	struct hpet_timer *t;
	unsigned n;
	int i;

	switch (off) {
	case HPET_CONFIG:
		hpet_set_config(h, (h->config & ~mask) | (v & mask), now);
		return;
	case HPET_ISR:
		h->isr &= ~(uint32_t)(v & mask);
		for (i = 0; i < VHPET_NUM_TIMERS; i++)
			timer_line_update(h, &h->t[i]);
		return;
	case HPET_COUNTER:
		/* Writable only while halted (2.3.7); high half absent. */
		if (!hpet_enabled(h) && (mask & 0xffffffffu) != 0)
			h->cnt = (uint32_t)v;
		else
			h->bad_access++;
		return;
	default:
		break;
	}
	if (off < HPET_TIMER_BASE)
		return;		/* capabilities, reserved: read-only */
	n = (off - HPET_TIMER_BASE) / HPET_TIMER_STRIDE;
	if (n >= VHPET_NUM_TIMERS)
		return;
	t = &h->t[n];
	switch ((off - HPET_TIMER_BASE) % HPET_TIMER_STRIDE) {
	case TIMER_CFG:
		timer_write_cfg(h, t, (t->cfg & ~mask) | (v & mask), now);
		break;
	case TIMER_COMP:
		if ((mask & 0xffffffffu) != 0)
			timer_write_comp(h, t, (uint32_t)v, now);
		break;
	case TIMER_FSB:
		t->fsb = (t->fsb & ~mask) | (v & mask);
		break;
	default:
		break;
	}
}

int
vhpet_mmio(void *dev, int vcpu, bool write, uint64_t gpa, unsigned bytes,
    uint64_t *val)
{
	struct vhpet *h = dev;
	uint64_t off = gpa - VHPET_BASE, now, mask, v;
	unsigned shift;

	if (gpa < VHPET_BASE || off >= VHPET_SIZE)
		return (-EINVAL);
	if ((bytes != 4 && bytes != 8) || (off & (bytes - 1)) != 0) {
		/* 2.3.1: only naturally aligned 32/64-bit accesses. */
		h->bad_access++;
		if (!write)
			*val = ~0ull;
		return (0);
	}
	shift = (unsigned)(off & 4) * 8;
	mask = (bytes == 8 ? ~0ull : 0xffffffffull) << shift;
	pthread_mutex_lock(&h->mtx);
	now = hpet_now(h);
	if (write) {
		hpet_write(h, (unsigned)off & ~7u, *val << shift, mask, now);
	} else {
		v = hpet_read(h, (unsigned)off & ~7u, now);
		*val = (v & mask) >> shift;
	}
	pthread_mutex_unlock(&h->mtx);
	return (0);
}

static void
hpet_reset_locked(struct vhpet *h)
{
	struct hpet_timer *t;
	int i;

	h->config = 0;
	h->cnt = 0;
	h->isr = 0;
	for (i = 0; i < VHPET_NUM_TIMERS; i++) {
		t = &h->t[i];
		timer_line_update(h, t);
		if (t->callout != NULL)
			vcallout_cancel(t->callout);
		t->cfg = 0;
		t->comp = 0xffffffffu;
		t->period = 0;
		t->fsb = 0;
		t->next = 0;
	}
}

void
vhpet_reset(struct vhpet *h)
{
	pthread_mutex_lock(&h->mtx);
	hpet_reset_locked(h);
	pthread_mutex_unlock(&h->mtx);
}

struct vhpet *
vhpet_create(const struct vdev_clock *clk, struct vcallout_wheel *w,
    const struct vdev_intr *intr)
{
	struct vhpet *h;
	int i;

	if (clk == NULL || clk->now_ns == NULL)
		return (NULL);
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return (NULL);
	h->clk = *clk;
	if (intr != NULL)
		h->intr = *intr;
	for (i = 0; i < VHPET_NUM_TIMERS; i++) {
		h->t[i].hpet = h;
		h->t[i].n = i;
		if (w == NULL)
			continue;
		h->t[i].callout = vcallout_create(w, timer_callout, &h->t[i]);
		if (h->t[i].callout == NULL) {
			while (i-- > 0)
				vcallout_destroy(h->t[i].callout);
			free(h);
			return (NULL);
		}
	}
	pthread_mutex_init(&h->mtx, NULL);
	hpet_reset_locked(h);
	return (h);
}

void
vhpet_destroy(struct vhpet *h)
{
	int i;

	if (h == NULL)
		return;
	for (i = 0; i < VHPET_NUM_TIMERS; i++)
		vcallout_destroy(h->t[i].callout);
	pthread_mutex_destroy(&h->mtx);
	free(h);
}

/*
 * Save/restore.  The counter is saved as its value, each timer's next
 * match as ticks from now.  Interrupt line states are restored without
 * signalling: the IOAPIC's snapshot already holds them.
 */
static int
tput(struct vdev_snap *s, int n, const char *name, uint64_t v)
{
	char buf[VDEV_SNAP_NAMELEN];

	snprintf(buf, sizeof(buf), "t%d.%s", n, name);
	return (vdev_snap_put(s, buf, v));
}

static int
tget(const struct vdev_snap *s, int n, const char *name, uint64_t *v)
{
	char buf[VDEV_SNAP_NAMELEN];

	snprintf(buf, sizeof(buf), "t%d.%s", n, name);
	return (vdev_snap_get(s, buf, v));
}

int
vhpet_snapshot(struct vhpet *h, struct vdev_snap *s)
{
	struct hpet_timer *t;
	uint64_t now, tnow;
	int i, err = 0;

	snprintf(s->dev, sizeof(s->dev), "vhpet");
	s->version = VHPET_SNAP_VERSION;
	pthread_mutex_lock(&h->mtx);
	now = hpet_now(h);
	tnow = hpet_enabled(h) ? hpet_ticks(h, now) : 0;
	err |= vdev_snap_put(s, "config", h->config);
	err |= vdev_snap_put(s, "isr", h->isr);
	err |= vdev_snap_put(s, "counter", hpet_counter(h, now));
	for (i = 0; i < VHPET_NUM_TIMERS; i++) {
		t = &h->t[i];
		err |= tput(s, i, "cfg", t->cfg);
		err |= tput(s, i, "comp", t->comp);
		err |= tput(s, i, "period", t->period);
		err |= tput(s, i, "fsb", t->fsb);
		err |= tput(s, i, "next_in", t->next - tnow);
		err |= tput(s, i, "line", t->line ? 0x100u | (unsigned)
		    t->line_pin : 0);
	}
	pthread_mutex_unlock(&h->mtx);
	return (err != 0 ? -ENOSPC : 0);
}

int
vhpet_restore(struct vhpet *h, const struct vdev_snap *s)
{
	static const char *const tn[6] = { "cfg", "comp", "period", "fsb",
	    "next_in", "line" };
	uint64_t g[3], v[VHPET_NUM_TIMERS][6], now;
	struct hpet_timer *t;
	int i, k;

	if (strcmp(s->dev, "vhpet") != 0 || s->version != VHPET_SNAP_VERSION)
		return (-EINVAL);
	if (vdev_snap_get(s, "config", &g[0]) != 0 ||
	    vdev_snap_get(s, "isr", &g[1]) != 0 ||
	    vdev_snap_get(s, "counter", &g[2]) != 0)
		return (-EINVAL);
	for (i = 0; i < VHPET_NUM_TIMERS; i++)
		for (k = 0; k < 6; k++)
			if (tget(s, i, tn[k], &v[i][k]) != 0)
				return (-EINVAL);
	pthread_mutex_lock(&h->mtx);
	now = hpet_now(h);
	h->config = g[0] & CONF_ENABLE;
	h->isr = (uint32_t)g[1] & ((1u << VHPET_NUM_TIMERS) - 1);
	h->cnt = (uint32_t)g[2];
	h->en_ns = now;
	for (i = 0; i < VHPET_NUM_TIMERS; i++) {
		t = &h->t[i];
		t->cfg = v[i][0] & TN_WRITABLE;
		t->comp = (uint32_t)v[i][1];
		t->period = (uint32_t)v[i][2];
		t->fsb = v[i][3];
		/* Overdue (negative) fires at once; at most one wrap. */
		t->next = (int64_t)v[i][4] < 0 ? 0 :
		    v[i][4] <= TICKS_WRAP ? v[i][4] : TICKS_WRAP;
		t->line = (v[i][5] & 0x100) != 0;
		t->line_pin = (int)(v[i][5] & 0x1f);
		t->last_fire_ns = 0;
		timer_arm(h, t, now);
	}
	pthread_mutex_unlock(&h->mtx);
	return (0);
}
