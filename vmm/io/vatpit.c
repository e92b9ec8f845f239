/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 8254 programmable interval timer (Intel 8254 datasheet, 231164) and
 * the PC's NMI status/control port 0x61.
 *
 * Model: a counter is not ticked.  Each channel remembers when it began
 * counting (start_ns) and how many input clocks it had already counted
 * before (base); the elapsed clocks e at any instant give the count and
 * OUT for the channel's mode.  Only channel 0 needs a timer: its OUT
 * rising edges are interrupts (IRQ0), and the callout is armed for the
 * next edge computed from e, so a periodic rate never drifts.
 *
 * Simplifications (documented behaviour, not datasheet): a new count
 * written while a mode 2/3 channel counts restarts the period at once
 * (the datasheet waits for the end of the current period); OUT edges
 * caused by a control word write do not raise IRQ0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/io/vatpit.h"

#define	NS_PER_S		1000000000ull
#define	PIT_NCHAN		3
#define	PIT_CTRL_PORT		0x43
/* Port 0x61: bits 0-3 are read/write; refresh toggles every 15.085 us. */
#define	NMISC_RW_MASK		0x0f
#define	NMISC_GATE2		0x01
#define	NMISC_REFRESH		0x10
#define	NMISC_OUT2		0x20
#define	REFRESH_HALF_NS		15085
/*
 * Callout policy when the timer thread ran late (host load): every
 * missed OUT0 rising edge is still delivered as its own IRQ0 pulse
 * (8254 datasheet, mode 2/3: one edge per period), but the missed ones
 * are spaced PIT_CATCHUP_NS apart (at most half a period) so that the
 * 8259 IRR or IOAPIC/LAPIC IRR, which latch one edge until it is
 * acknowledged, can take each of them.  More than PIT_MAX_LAG_TICKS
 * behind (a stopped host), the missed edges are dropped instead.
 */
#define	PIT_CATCHUP_NS		50000ull
#define	PIT_MIN_GAP_NS		10000ull
#define	PIT_MAX_LAG_TICKS	((uint64_t)VATPIT_FREQ / 4)	/* 250 ms */

/* 8254 datasheet, control word format. */
#define	CW_SC(v)		(((v) >> 6) & 3)
#define	CW_RW(v)		(((v) >> 4) & 3)
#define	CW_MODE(v)		(((v) >> 1) & 7)
#define	CW_BCD			0x01
#define	SC_READBACK		3
#define	RW_LATCH		0
#define	RW_LSB			1
#define	RW_MSB			2
#define	RW_BOTH			3
/* 8254 datasheet, read-back command: bits are active low. */
#define	RB_NOCOUNT		0x20
#define	RB_NOSTATUS		0x10
#define	ST_OUT			0x80
#define	ST_NULL			0x40

struct pit_chan {
	uint8_t		mode;		/* 0-5 */
	uint8_t		rw;		/* RW_LSB/MSB/BOTH */
	bool		bcd;
	bool		gate;
	uint32_t	cr;		/* count register, 1..65536 / 10000 */
	uint32_t	n;		/* count in use by the counting element */
	bool		loaded;		/* a count was written since the CW */
	bool		counting;	/* modes 1/5: triggered; others: loaded */
	bool		running;	/* clocks are being counted now */
	bool		null_count;
	uint64_t	start_ns;	/* running: clock of base */
	uint64_t	base;		/* clocks counted before start_ns */
	uint16_t	hold;		/* count shown while not counting */
	bool		wmsb;		/* RW_BOTH: next write is the MSB */
	uint8_t		wlsb;
	bool		rmsb;		/* RW_BOTH: next read is the MSB */
	bool		cnt_latched;
	bool		cnt_lmsb;	/* RW_BOTH latch: next byte is MSB */
	uint16_t	latch;
	bool		st_latched;
	uint8_t		status;
	uint64_t	irq_e;		/* channel 0: last edge delivered */
};

struct vatpit {
	struct vdev_clock clk;
	struct vdev_intr intr;
	struct vcallout	*callout;	/* channel 0 IRQ edges */
	/* mtx protects chan[], nmisc and last_fire_ns. */
	pthread_mutex_t	mtx;
	struct pit_chan	chan[PIT_NCHAN];
	uint8_t		nmisc;		/* port 0x61 read/write bits */
	uint64_t	last_fire_ns;
	_Atomic uint64_t bad_access;	/* statistics: refused accesses */
};

static uint64_t
pit_now(struct vatpit *pit)
{
	return (pit->clk.now_ns(pit->clk.arg));
}

static uint64_t
ns_to_ticks(uint64_t ns)
{
	return ((uint64_t)((unsigned __int128)ns * VATPIT_FREQ / NS_PER_S));
}

/* First instant (ns after start) at which ns_to_ticks() reaches t. */
static uint64_t
ticks_to_ns(uint64_t t)
{
	unsigned __int128 x = (unsigned __int128)t * NS_PER_S;

	return ((uint64_t)((x + VATPIT_FREQ - 1) / VATPIT_FREQ));
}

static uint32_t
chan_modulus(const struct pit_chan *c)
{
	return (c->bcd ? 10000 : 65536);
}

static uint64_t
chan_elapsed(const struct pit_chan *c, uint64_t now)
{
	if (!c->running || now < c->start_ns)
		return (c->base);
	return (c->base + ns_to_ticks(now - c->start_ns));
}

static uint16_t
bin_to_bcd16(uint32_t v)
{
	return ((uint16_t)((v % 10) | (v / 10 % 10) << 4 |
	    (v / 100 % 10) << 8 | (v / 1000 % 10) << 12));
}

/* Nibbles above 9 keep their value: a defined result for bad BCD. */
static uint32_t
bcd16_to_bin(uint16_t v)
{
	return ((v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	    ((v >> 12) & 0xf) * 1000);
}

/* Mode 3 count: decrements by two in each half period (datasheet). */
static uint32_t
mode3_count(uint32_t n, uint64_t e)
{
	uint32_t p, h;

	p = (uint32_t)(e % n);
	h = (n + 1) / 2;
	if (p >= h)
		p -= h;
	return ((n & ~1u) - 2 * p);
}

/* The counting element's value (binary, before BCD encoding). */
static uint32_t
chan_count(const struct pit_chan *c, uint64_t now)
{
	uint32_t m = chan_modulus(c);
	uint64_t e;

	if (!c->counting)
		return (c->hold);
	e = chan_elapsed(c, now);
	switch (c->mode) {
	case 2:
		return (c->n - (uint32_t)(e % c->n)) % m;
	case 3:
		return (mode3_count(c->n, e) % m);
	default:
		/* Modes 0, 1, 4, 5 count down and wrap (datasheet). */
		return ((uint32_t)((c->n + m - e % m) % m));
	}
}

static bool
chan_out(const struct pit_chan *c, uint64_t now)
{
	uint64_t e;

	if (c->mode == 0)
		return (c->counting && chan_elapsed(c, now) >= c->n);
	if (!c->counting)
		return (true);
	e = chan_elapsed(c, now);
	switch (c->mode) {
	case 1:
		return (e >= c->n);
	case 2:
		/* Low for one clock when the count reaches 1. */
		return (!c->gate || c->n == 1 || e % c->n != c->n - 1);
	case 3:
		return (!c->gate || e % c->n < (c->n + 1) / 2);
	default:
		/* Modes 4, 5: one clock low at terminal count. */
		return (e != c->n);
	}
}

/* The elapsed-clock value of the first OUT rising edge after `after`. */
static uint64_t
chan_next_edge(const struct pit_chan *c, uint64_t after)
{
	if (!c->counting || !c->running)
		return (UINT64_MAX);
	switch (c->mode) {
	case 0:
	case 1:
		return (after < c->n ? c->n : UINT64_MAX);
	case 2:
	case 3:
		return ((after / c->n + 1) * c->n);
	default:
		return (after < c->n + 1 ? c->n + 1 : UINT64_MAX);
	}
}

static void
pit_arm(struct vatpit *pit, uint64_t now)
{
	struct pit_chan *c = &pit->chan[0];
	uint64_t edge, dl, min, gap;

	if (pit->callout == NULL)
		return;
	edge = chan_next_edge(c, c->irq_e);
	if (edge == UINT64_MAX) {
		vcallout_cancel(pit->callout);
		return;
	}
	dl = c->start_ns + ticks_to_ns(edge - c->base);
	if (dl <= now) {
		/* Catching up: half a period apart, 10..50 us. */
		gap = ticks_to_ns(c->n) / 2;
		if (gap > PIT_CATCHUP_NS)
			gap = PIT_CATCHUP_NS;
		if (gap < PIT_MIN_GAP_NS)
			gap = PIT_MIN_GAP_NS;
		min = pit->last_fire_ns + gap;
		if (dl < min)
			dl = min;
	}
	vcallout_reset(pit->callout, dl);
}

static void
pit_callout(void *arg)
{
	struct vatpit *pit = arg;
	struct pit_chan *c = &pit->chan[0];
	uint64_t now, e, edge;

	pthread_mutex_lock(&pit->mtx);
	now = pit_now(pit);
	e = chan_elapsed(c, now);
	edge = chan_next_edge(c, c->irq_e);
	if (edge <= e) {
		/* 8254 OUT0 rising edge: IRQ0, IOAPIC pin 2. */
		if (pit->intr.isa != NULL)
			pit->intr.isa(pit->intr.arg, 0, 2, VDEV_IRQ_PULSE);
		c->irq_e = edge;
		pit->last_fire_ns = now;
		if (e - c->irq_e > PIT_MAX_LAG_TICKS)
			c->irq_e = e;
	}
	pit_arm(pit, now);
	pthread_mutex_unlock(&pit->mtx);
}

/* Start counting c->n from now (load, trigger or gate restart). */
static void
chan_start(struct vatpit *pit, struct pit_chan *c, uint64_t now)
{
	c->counting = true;
	c->running = c->gate || c->mode == 1 || c->mode == 5;
	c->start_ns = now;
	c->base = 0;
	c->irq_e = 0;
	if (c == &pit->chan[0])
		pit_arm(pit, now);
}

/* Stop counting and freeze the count shown. */
static void
chan_freeze(struct vatpit *pit, struct pit_chan *c, uint64_t now)
{
	c->hold = (uint16_t)chan_count(c, now);
	c->counting = false;
	c->running = false;
	if (c == &pit->chan[0] && pit->callout != NULL)
		vcallout_cancel(pit->callout);
}

static void
chan_load(struct vatpit *pit, struct pit_chan *c, uint16_t raw, uint64_t now)
{
	uint32_t v = c->bcd ? bcd16_to_bin(raw) % 10000 : raw;

	c->cr = v == 0 ? chan_modulus(c) : v;
	c->null_count = true;
	c->loaded = true;
	switch (c->mode) {
	case 1:
	case 5:
		/* Used at the next gate trigger (datasheet modes 1, 5). */
		if (!c->counting)
			c->n = c->cr;
		return;
	default:
		c->n = c->cr;
		chan_start(pit, c, now);
		return;
	}
}

static void
chan_control(struct vatpit *pit, struct pit_chan *c, uint8_t v, uint64_t now)
{
	uint8_t mode = CW_MODE(v);

	if (mode > 5)
		mode -= 4;	/* 110b, 111b are modes 2 and 3 */
	chan_freeze(pit, c, now);
	c->mode = mode;
	c->rw = CW_RW(v);
	c->bcd = (v & CW_BCD) != 0;
	c->loaded = false;
	c->null_count = true;
	c->wmsb = false;
	c->rmsb = false;
	c->cnt_latched = false;
	c->st_latched = false;
}

static void
chan_latch_count(struct pit_chan *c, uint64_t now)
{
	uint32_t v;

	if (c->cnt_latched)
		return;		/* a latched count is kept until read */
	v = chan_count(c, now);
	c->latch = c->bcd ? bin_to_bcd16(v) : (uint16_t)v;
	c->cnt_latched = true;
	c->cnt_lmsb = false;
}

static bool
chan_null(const struct pit_chan *c, uint64_t now)
{
	if (!c->null_count)
		return (false);
	return (!(c->counting && chan_elapsed(c, now) >= 1));
}

static void
chan_latch_status(struct pit_chan *c, uint64_t now)
{
	if (c->st_latched)
		return;
	c->status = (uint8_t)((chan_out(c, now) ? ST_OUT : 0) |
	    (chan_null(c, now) ? ST_NULL : 0) | c->rw << 4 | c->mode << 1 |
	    (c->bcd ? 1 : 0));
	c->st_latched = true;
}

static void
pit_readback(struct vatpit *pit, uint8_t v, uint64_t now)
{
	int i;

	for (i = 0; i < PIT_NCHAN; i++) {
		if ((v & (2 << i)) == 0)
			continue;
		if ((v & RB_NOSTATUS) == 0)
			chan_latch_status(&pit->chan[i], now);
		if ((v & RB_NOCOUNT) == 0)
			chan_latch_count(&pit->chan[i], now);
	}
}

static void
pit_write_ctrl(struct vatpit *pit, uint8_t v, uint64_t now)
{
	struct pit_chan *c;

	if (CW_SC(v) == SC_READBACK) {
		pit_readback(pit, v, now);
		return;
	}
	c = &pit->chan[CW_SC(v)];
	if (CW_RW(v) == RW_LATCH) {
		chan_latch_count(c, now);
		return;
	}
	chan_control(pit, c, v, now);
}

static void
chan_write(struct vatpit *pit, struct pit_chan *c, uint8_t v, uint64_t now)
{
	switch (c->rw) {
	case RW_LSB:
		chan_load(pit, c, v, now);
		return;
	case RW_MSB:
		chan_load(pit, c, (uint16_t)(v << 8), now);
		return;
	case RW_BOTH:
		break;
	default:
		/* No control word yet: the write is dropped. */
		pit->bad_access++;
		return;
	}
	if (!c->wmsb) {
		c->wlsb = v;
		c->wmsb = true;
		/* Mode 0: writing the first byte stops the count. */
		if (c->mode == 0 && c->counting)
			chan_freeze(pit, c, now);
		return;
	}
	c->wmsb = false;
	chan_load(pit, c, (uint16_t)(c->wlsb | v << 8), now);
}

static uint8_t
pick_byte(uint16_t v, uint8_t rw, bool *msb)
{
	switch (rw) {
	case RW_MSB:
		return ((uint8_t)(v >> 8));
	case RW_BOTH:
		*msb = !*msb;
		return ((uint8_t)(*msb ? v : v >> 8));
	default:
		return ((uint8_t)v);
	}
}

static uint8_t
chan_read(struct pit_chan *c, uint64_t now)
{
	uint32_t v;
	uint8_t b;

	if (c->st_latched) {
		c->st_latched = false;
		return (c->status);
	}
	if (c->cnt_latched) {
		b = pick_byte(c->latch, c->rw, &c->cnt_lmsb);
		if (c->rw != RW_BOTH || !c->cnt_lmsb)
			c->cnt_latched = false;
		return (b);
	}
	v = chan_count(c, now);
	if (c->bcd)
		v = bin_to_bcd16(v);
	return (pick_byte((uint16_t)v, c->rw, &c->rmsb));
}

int
vatpit_pio(void *dev, int vcpu, bool in, uint16_t port, unsigned bytes,
    uint32_t *val)
{
	struct vatpit *pit = dev;
	unsigned idx = (unsigned)port - VATPIT_PORT_BASE;
	uint64_t now;

	if (bytes != 1 || idx >= VATPIT_NPORTS) {
		pit->bad_access++;
		return (-EINVAL);
	}
	pthread_mutex_lock(&pit->mtx);
	now = pit_now(pit);
	if (port == PIT_CTRL_PORT) {
		/* The control word register is write-only. */
		if (in)
			*val = 0xff;
		else
			pit_write_ctrl(pit, (uint8_t)*val, now);
	} else if (in) {
		*val = chan_read(&pit->chan[idx], now);
	} else {
		chan_write(pit, &pit->chan[idx], (uint8_t)*val, now);
	}
	pthread_mutex_unlock(&pit->mtx);
	return (0);
}

/* Gate input change (only channel 2's gate is wired, to port 0x61). */
static void
chan_set_gate(struct vatpit *pit, struct pit_chan *c, bool g, uint64_t now)
{
	if (g == c->gate)
		return;
	c->gate = g;
	if (!c->counting && !(c->loaded && (c->mode == 1 || c->mode == 5)))
		return;
	switch (c->mode) {
	case 0:
	case 4:
		/* Gate low suspends counting; high resumes it. */
		c->base = chan_elapsed(c, now);
		c->start_ns = now;
		c->running = g;
		break;
	case 1:
	case 5:
		/* Rising edge (re)triggers with the count register. */
		if (g) {
			c->n = c->cr;
			chan_start(pit, c, now);
		}
		return;
	default:
		/* Modes 2, 3: low stops (OUT high); rising edge reloads. */
		if (g) {
			chan_start(pit, c, now);
			return;
		}
		c->base = chan_elapsed(c, now);
		c->running = false;
		break;
	}
	if (c == &pit->chan[0])
		pit_arm(pit, now);
}

int
vatpit_nmisc_pio(void *dev, int vcpu, bool in, uint16_t port,
    unsigned bytes, uint32_t *val)
{
	struct vatpit *pit = dev;
	uint64_t now;
	uint8_t v;

	if (bytes != 1 || port != VATPIT_NMISC_PORT) {
		pit->bad_access++;
		return (-EINVAL);
	}
	pthread_mutex_lock(&pit->mtx);
	now = pit_now(pit);
	if (in) {
		v = pit->nmisc;
		if ((now / REFRESH_HALF_NS) & 1)
			v |= NMISC_REFRESH;
		if (chan_out(&pit->chan[2], now))
			v |= NMISC_OUT2;
		*val = v;
	} else {
		pit->nmisc = (uint8_t)(*val & NMISC_RW_MASK);
		chan_set_gate(pit, &pit->chan[2],
		    (pit->nmisc & NMISC_GATE2) != 0, now);
	}
	pthread_mutex_unlock(&pit->mtx);
	return (0);
}

struct vatpit *
vatpit_create(const struct vdev_clock *clk, struct vcallout_wheel *w,
    const struct vdev_intr *intr)
{
	struct vatpit *pit;
	int i;

	if (clk == NULL || clk->now_ns == NULL)
		return (NULL);
	pit = calloc(1, sizeof(*pit));
	if (pit == NULL)
		return (NULL);
	pit->clk = *clk;
	if (intr != NULL)
		pit->intr = *intr;
	if (w != NULL) {
		pit->callout = vcallout_create(w, pit_callout, pit);
		if (pit->callout == NULL) {
			free(pit);
			return (NULL);
		}
	}
	pthread_mutex_init(&pit->mtx, NULL);
	/* Gates of channels 0 and 1 are tied high on the PC. */
	for (i = 0; i < PIT_NCHAN; i++) {
		pit->chan[i].gate = i != 2;
		pit->chan[i].mode = 0;
		pit->chan[i].null_count = true;
	}
	return (pit);
}

void
vatpit_reset(struct vatpit *pit)
{
	int i;

	pthread_mutex_lock(&pit->mtx);
	for (i = 0; i < PIT_NCHAN; i++) {
		memset(&pit->chan[i], 0, sizeof(pit->chan[i]));
		pit->chan[i].gate = i != 2;
		pit->chan[i].null_count = true;
	}
	pit->nmisc = 0;
	pit->last_fire_ns = 0;
	if (pit->callout != NULL)
		vcallout_cancel(pit->callout);
	pthread_mutex_unlock(&pit->mtx);
}

void
vatpit_destroy(struct vatpit *pit)
{
	if (pit == NULL)
		return;
	vcallout_destroy(pit->callout);
	pthread_mutex_destroy(&pit->mtx);
	free(pit);
}

/*
 * Save/restore.  Flags pack the booleans; times are ages relative to
 * now (DESIGN 7).
 */
#define	F_BCD		0x001
#define	F_GATE		0x002
#define	F_LOADED	0x004
#define	F_COUNTING	0x008
#define	F_RUNNING	0x010
#define	F_NULL		0x020
#define	F_WMSB		0x040
#define	F_RMSB		0x080
#define	F_CLATCH	0x100
#define	F_CLMSB		0x200
#define	F_SLATCH	0x400

static uint64_t
chan_flags(const struct pit_chan *c)
{
	return ((c->bcd ? F_BCD : 0) | (c->gate ? F_GATE : 0) |
	    (c->loaded ? F_LOADED : 0) | (c->counting ? F_COUNTING : 0) |
	    (c->running ? F_RUNNING : 0) | (c->null_count ? F_NULL : 0) |
	    (c->wmsb ? F_WMSB : 0) | (c->rmsb ? F_RMSB : 0) |
	    (c->cnt_latched ? F_CLATCH : 0) | (c->cnt_lmsb ? F_CLMSB : 0) |
	    (c->st_latched ? F_SLATCH : 0));
}

static void
chan_set_flags(struct pit_chan *c, uint64_t f)
{
	c->bcd = (f & F_BCD) != 0;
	c->gate = (f & F_GATE) != 0;
	c->loaded = (f & F_LOADED) != 0;
	c->counting = (f & F_COUNTING) != 0;
	c->running = (f & F_RUNNING) != 0;
	c->null_count = (f & F_NULL) != 0;
	c->wmsb = (f & F_WMSB) != 0;
	c->rmsb = (f & F_RMSB) != 0;
	c->cnt_latched = (f & F_CLATCH) != 0;
	c->cnt_lmsb = (f & F_CLMSB) != 0;
	c->st_latched = (f & F_SLATCH) != 0;
}

static int
put(struct vdev_snap *s, int ch, const char *name, uint64_t v)
{
	char buf[VDEV_SNAP_NAMELEN];

	snprintf(buf, sizeof(buf), "c%d.%s", ch, name);
	return (vdev_snap_put(s, buf, v));
}

static int
get(const struct vdev_snap *s, int ch, const char *name, uint64_t *v)
{
	char buf[VDEV_SNAP_NAMELEN];

	snprintf(buf, sizeof(buf), "c%d.%s", ch, name);
	return (vdev_snap_get(s, buf, v));
}

static int
chan_snapshot(const struct pit_chan *c, int i, uint64_t now,
    struct vdev_snap *s)
{
	int err = 0;

	err |= put(s, i, "mode", c->mode);
	err |= put(s, i, "rw", c->rw);
	err |= put(s, i, "flags", chan_flags(c));
	err |= put(s, i, "cr", c->cr);
	err |= put(s, i, "n", c->n);
	err |= put(s, i, "age", now - c->start_ns);
	err |= put(s, i, "base", c->base);
	err |= put(s, i, "hold", c->hold);
	err |= put(s, i, "wlsb", c->wlsb);
	err |= put(s, i, "latch", c->latch);
	err |= put(s, i, "status", c->status);
	err |= put(s, i, "irq_e", c->irq_e);
	return (err != 0 ? -ENOSPC : 0);
}

int
vatpit_snapshot(struct vatpit *pit, struct vdev_snap *s)
{
	uint64_t now;
	int i, err = 0;

	snprintf(s->dev, sizeof(s->dev), "vatpit");
	s->version = VATPIT_SNAP_VERSION;
	pthread_mutex_lock(&pit->mtx);
	now = pit_now(pit);
	for (i = 0; i < PIT_NCHAN && err == 0; i++)
		err = chan_snapshot(&pit->chan[i], i, now, s);
	if (err == 0)
		err = vdev_snap_put(s, "nmisc", pit->nmisc);
	pthread_mutex_unlock(&pit->mtx);
	return (err);
}

static int
chan_restore(struct pit_chan *c, int i, uint64_t now,
    const struct vdev_snap *s)
{
	uint64_t v[12];
	static const char *const names[12] = { "mode", "rw", "flags", "cr",
	    "n", "age", "base", "hold", "wlsb", "latch", "status", "irq_e" };
	int k;

	for (k = 0; k < 12; k++)
		if (get(s, i, names[k], &v[k]) != 0)
			return (-EINVAL);
	/* Validate first: a zero count would divide by zero later. */
	if (v[0] > 5 || v[1] > 3 || v[3] > 65536 || v[4] > 65536 ||
	    (v[4] == 0 && (v[2] & F_COUNTING) != 0) ||
	    (v[3] == 0 && (v[2] & F_LOADED) != 0))
		return (-EINVAL);
	c->mode = (uint8_t)v[0];
	c->rw = (uint8_t)v[1];
	chan_set_flags(c, v[2]);
	c->cr = (uint32_t)v[3];
	c->n = (uint32_t)v[4];
	c->start_ns = now - v[5];
	c->base = v[6];
	c->hold = (uint16_t)v[7];
	c->wlsb = (uint8_t)v[8];
	c->latch = (uint16_t)v[9];
	c->status = (uint8_t)v[10];
	c->irq_e = v[11];
	return (0);
}

int
vatpit_restore(struct vatpit *pit, const struct vdev_snap *s)
{
	struct pit_chan tmp[PIT_NCHAN];
	uint64_t now, nmisc;
	int i;

	if (strcmp(s->dev, "vatpit") != 0 || s->version != VATPIT_SNAP_VERSION)
		return (-EINVAL);
	if (vdev_snap_get(s, "nmisc", &nmisc) != 0)
		return (-EINVAL);
	pthread_mutex_lock(&pit->mtx);
	now = pit_now(pit);
	memcpy(tmp, pit->chan, sizeof(tmp));
	for (i = 0; i < PIT_NCHAN; i++) {
		if (chan_restore(&tmp[i], i, now, s) != 0) {
			pthread_mutex_unlock(&pit->mtx);
			return (-EINVAL);
		}
	}
	memcpy(pit->chan, tmp, sizeof(tmp));
	pit->nmisc = (uint8_t)(nmisc & NMISC_RW_MASK);
	pit->last_fire_ns = 0;
	pit_arm(pit, now);
	pthread_mutex_unlock(&pit->mtx);
	return (0);
}
