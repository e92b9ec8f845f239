/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cascaded 8259A pair (Intel 8259A datasheet, 231468) with the PIIX/ICH
 * edge/level control registers (ELCR).
 *
 * Priority is resolved on demand from IRR, IMR and ISR; nothing is
 * cached but the master's INT output, whose rising edge notifies the
 * CPU.  The slave's INT output is the master's IR2 input; it is dropped
 * during each INTA so that a request still pending afterwards makes a
 * new edge, as the 8259A's INT does.
 *
 * Defined behaviour for what the datasheet leaves open: ICW1 also clears
 * ISR and the edge-triggered IRR bits; the chip raises no interrupt until
 * its ICW sequence completes; ICW3 is stored but the cascade is always
 * the slave on master IR2; ICW4 uPM=0 (8080 mode) still yields 8086
 * vectors.  IRQ 2 is not an input (it is the cascade).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/io/vatpic.h"

#define	CASCADE_PIN		2
/* PIIX ELCR: IRQ 0, 1, 2 and 8, 13 are always edge triggered. */
#define	ELCR_MASTER_MASK	0xf8
#define	ELCR_SLAVE_MASK		0xde

/* 8259A datasheet, ICW1/ICW4/OCW2/OCW3 bits. */
#define	ICW1_SEL		0x10
#define	ICW1_IC4		0x01
#define	ICW1_SNGL		0x02
#define	ICW1_LTIM		0x08
#define	ICW4_UPM		0x01
#define	ICW4_AEOI		0x02
#define	ICW4_SFNM		0x10
#define	OCW3_SEL		0x08
#define	OCW3_ESMM		0x40
#define	OCW3_SMM		0x20
#define	OCW3_P			0x04
#define	OCW3_RR			0x02
#define	OCW3_RIS		0x01
#define	OCW2_CMD(v)		(((v) >> 5) & 7)
#define	OCW2_LEVEL(v)		((v) & 7)
#define	POLL_INT		0x80

enum ocw2_cmd {
	OCW2_ROT_AEOI_CLR = 0,
	OCW2_NS_EOI = 1,
	OCW2_NOP = 2,
	OCW2_S_EOI = 3,
	OCW2_ROT_AEOI_SET = 4,
	OCW2_ROT_NS_EOI = 5,
	OCW2_SET_PRIO = 6,
	OCW2_ROT_S_EOI = 7,
};

struct pic {
	bool		ready;		/* ICW sequence complete */
	uint8_t		icw_next;	/* next ICW expected (2-4), or 0 */
	bool		ic4, sngl, ltim;
	uint8_t		base;		/* ICW2: vector base */
	uint8_t		icw3;
	bool		upm, aeoi, sfnm;
	bool		rotate_aeoi;
	uint8_t		lowprio;	/* lowest priority level */
	bool		smm;		/* special mask mode */
	bool		read_isr;	/* OCW3 RR/RIS */
	bool		poll;		/* OCW3 P: next read is a poll */
	uint8_t		imr, irr, isr;
	uint8_t		elcr;
	uint8_t		level;		/* input lines now high */
	uint8_t		acnt[8];	/* asserters per input line */
};

struct vatpic {
	struct vdev_intr intr;
	/* mtx protects pic[] and out. */
	pthread_mutex_t	mtx;
	struct pic	pic[2];		/* 0 master, 1 slave */
	bool		out;		/* master INT (CPU INTR) */
	_Atomic uint64_t bad_access;	/* statistics */
	_Atomic uint64_t spurious;
};

static bool
pic_is_level(const struct pic *p, int pin)
{
	return (p->ltim || (p->elcr & (1u << pin)) != 0);
}

/* An input line changes: edge or level sensing into IRR. */
static void
pic_set_line(struct pic *p, int pin, bool high)
{
	uint8_t bit = (uint8_t)(1u << pin);
	bool was = (p->level & bit) != 0;

	if (high)
		p->level |= bit;
	else
		p->level &= (uint8_t)~bit;
	if (pic_is_level(p, pin)) {
		if (high)
			p->irr |= bit;
		else
			p->irr &= (uint8_t)~bit;
	} else if (high && !was) {
		p->irr |= bit;
	}
}

/*
 * Highest-priority serviceable request, or -1.  A set ISR bit blocks
 * its level and every lower one, except in special mask mode (a masked
 * level does not block) and, on the master in special fully nested
 * mode, a new request on the cascade from the slave.
 */
static int
pic_resolve(const struct pic *p, bool master)
{
	uint8_t req, blk, bit;
	int i, pin;

	if (!p->ready)
		return (-1);
	req = p->irr & (uint8_t)~p->imr;
	blk = p->smm ? p->isr & (uint8_t)~p->imr : p->isr;
	for (i = 0; i < 8; i++) {
		pin = (p->lowprio + 1 + i) & 7;
		bit = (uint8_t)(1u << pin);
		if ((blk & bit) != 0) {
			if (master && p->sfnm && pin == CASCADE_PIN &&
			    (req & bit) != 0)
				return (pin);
			return (-1);
		}
		if ((req & bit) != 0)
			return (pin);
	}
	return (-1);
}

/* Highest-priority level in service (for a non-specific EOI). */
static int
pic_highest_isr(const struct pic *p)
{
	int i, pin;

	for (i = 0; i < 8; i++) {
		pin = (p->lowprio + 1 + i) & 7;
		if ((p->isr & (1u << pin)) != 0)
			return (pin);
	}
	return (-1);
}

/*
 * Could an INTA take `pin` now: requested, unmasked, not blocked by a
 * level in service (same rules as pic_resolve)?
 */
static bool
pic_serviceable(const struct pic *p, bool master, int pin)
{
	uint8_t req, blk;
	int i, q;

	req = p->irr & (uint8_t)~p->imr;
	blk = p->smm ? p->isr & (uint8_t)~p->imr : p->isr;
	if (!p->ready || (req & (1u << pin)) == 0)
		return (false);
	for (i = 0; i < 8; i++) {
		q = (p->lowprio + 1 + i) & 7;
		if (q == pin)
			return ((blk & (1u << q)) == 0 ||
			    (master && p->sfnm && q == CASCADE_PIN));
		if ((blk & (1u << q)) != 0)
			return (false);
	}
	return (false);
}

/* INTA for `pin`: the request moves to ISR (none if it vanished). */
static bool
pic_ack_pin(struct pic *p, bool master, int pin)
{
	uint8_t bit = (uint8_t)(1u << pin);

	if (!pic_serviceable(p, master, pin))
		return (false);
	if (!pic_is_level(p, pin))
		p->irr &= (uint8_t)~bit;
	if (!p->aeoi)
		p->isr |= bit;
	else if (p->rotate_aeoi)
		p->lowprio = (uint8_t)pin;
	return (true);
}

/* Recompute the cascade and INTR; true if INTR rose. */
static bool
atpic_update(struct vatpic *a)
{
	bool out;

	pic_set_line(&a->pic[0], CASCADE_PIN, pic_resolve(&a->pic[1],
	    false) >= 0);
	out = pic_resolve(&a->pic[0], true) >= 0;
	if (out && !a->out) {
		a->out = true;
		return (true);
	}
	a->out = out;
	return (false);
}

/* Call with the lock dropped: tell the CPU that INTR rose. */
static void
atpic_notify(struct vatpic *a, bool rose)
{
	if (!rose)
		return;
	if (a->intr.lapic_local != NULL)
		a->intr.lapic_local(a->intr.arg, -1, 0);
	if (a->intr.notify != NULL)
		a->intr.notify(a->intr.arg, -1);
}

static void
pic_icw1(struct pic *p, uint8_t v)
{
	p->ic4 = (v & ICW1_IC4) != 0;
	p->sngl = (v & ICW1_SNGL) != 0;
	p->ltim = (v & ICW1_LTIM) != 0;
	/* 8259A datasheet, ICW1: IMR cleared, IR7 lowest priority, special
	 * mask mode cleared, status read set to IRR, edge sense reset. */
	p->imr = 0;
	p->isr = 0;
	p->irr = 0;
	for (int pin = 0; pin < 8; pin++)
		if (pic_is_level(p, pin) && (p->level & (1u << pin)) != 0)
			p->irr |= (uint8_t)(1u << pin);
	p->lowprio = 7;
	p->smm = false;
	p->read_isr = false;
	p->poll = false;
	p->rotate_aeoi = false;
	if (!p->ic4) {
		p->upm = false;
		p->aeoi = false;
		p->sfnm = false;
	}
	p->ready = false;
	p->icw_next = 2;
}

static void
pic_icw_data(struct pic *p, uint8_t v)
{
	switch (p->icw_next) {
	case 2:
		p->base = v & 0xf8;
		p->icw_next = p->sngl ? 4 : 3;
		break;
	case 3:
		p->icw3 = v;
		p->icw_next = 4;
		break;
	default:
		p->upm = (v & ICW4_UPM) != 0;
		p->aeoi = (v & ICW4_AEOI) != 0;
		p->sfnm = (v & ICW4_SFNM) != 0;
		p->icw_next = 0;
		break;
	}
	if (p->icw_next == 4 && !p->ic4)
		p->icw_next = 0;
	if (p->icw_next == 0)
		p->ready = true;
}

static void
pic_eoi(struct pic *p, int pin, bool rotate)
{
	if (pin < 0)
		return;
	p->isr &= (uint8_t)~(1u << pin);
	if (rotate)
		p->lowprio = (uint8_t)pin;
}

static void
pic_ocw2(struct pic *p, uint8_t v)
{
	int l = OCW2_LEVEL(v);

	switch ((enum ocw2_cmd)OCW2_CMD(v)) {
	case OCW2_ROT_AEOI_CLR:
		p->rotate_aeoi = false;
		break;
	case OCW2_ROT_AEOI_SET:
		p->rotate_aeoi = true;
		break;
	case OCW2_NS_EOI:
		pic_eoi(p, pic_highest_isr(p), false);
		break;
	case OCW2_ROT_NS_EOI:
		pic_eoi(p, pic_highest_isr(p), true);
		break;
	case OCW2_S_EOI:
		pic_eoi(p, l, false);
		break;
	case OCW2_ROT_S_EOI:
		pic_eoi(p, l, true);
		break;
	case OCW2_SET_PRIO:
		p->lowprio = (uint8_t)l;
		break;
	case OCW2_NOP:
		break;
	}
}

static void
pic_ocw3(struct pic *p, uint8_t v)
{
	if ((v & OCW3_ESMM) != 0)
		p->smm = (v & OCW3_SMM) != 0;
	if ((v & OCW3_RR) != 0)
		p->read_isr = (v & OCW3_RIS) != 0;
	p->poll = (v & OCW3_P) != 0;
}

static void
pic_write(struct pic *p, bool a0, uint8_t v)
{
	if (!a0) {
		if ((v & ICW1_SEL) != 0)
			pic_icw1(p, v);
		else if ((v & OCW3_SEL) != 0)
			pic_ocw3(p, v);
		else
			pic_ocw2(p, v);
		return;
	}
	if (p->icw_next != 0)
		pic_icw_data(p, v);
	else
		p->imr = v;	/* OCW1 */
}

/* A read with the poll command pending is an INTA (datasheet). */
static uint8_t
pic_poll(struct vatpic *a, struct pic *p, bool master)
{
	int pin;

	p->poll = false;
	pin = pic_resolve(p, master);
	if (pin < 0)
		return (0);
	pic_ack_pin(p, master, pin);
	if (master && pin == CASCADE_PIN)
		a->pic[0].level &= (uint8_t)~(1u << CASCADE_PIN);
	return ((uint8_t)(POLL_INT | pin));
}

static uint8_t
pic_read(struct vatpic *a, struct pic *p, bool master, bool a0)
{
	if (a0)
		return (p->imr);
	if (p->poll)
		return (pic_poll(a, p, master));
	return (p->read_isr ? p->isr : p->irr);
}

int
vatpic_pio(void *dev, int vcpu, bool in, uint16_t port, unsigned bytes,
    uint32_t *val)
{
	struct vatpic *a = dev;
	struct pic *p;
	bool master, rose;

	if (bytes != 1 || ((port & ~1u) != VATPIC_MASTER_PORT &&
	    (port & ~1u) != VATPIC_SLAVE_PORT)) {
		a->bad_access++;
		return (-EINVAL);
	}
	master = (port & ~1u) == VATPIC_MASTER_PORT;
	p = &a->pic[master ? 0 : 1];
	pthread_mutex_lock(&a->mtx);
	if (in)
		*val = pic_read(a, p, master, (port & 1) != 0);
	else
		pic_write(p, (port & 1) != 0, (uint8_t)*val);
	rose = atpic_update(a);
	pthread_mutex_unlock(&a->mtx);
	atpic_notify(a, rose);
	return (0);
}

static void
pic_set_elcr(struct pic *p, uint8_t v, uint8_t mask)
{
	int pin;

	p->elcr = v & mask;
	/* Level-sensed pins show their line in IRR at once. */
	for (pin = 0; pin < 8; pin++) {
		if (pic_is_level(p, pin))
			pic_set_line(p, pin, (p->level & (1u << pin)) != 0);
	}
}

int
vatpic_elcr_pio(void *dev, int vcpu, bool in, uint16_t port, unsigned bytes,
    uint32_t *val)
{
	struct vatpic *a = dev;
	unsigned idx = (unsigned)port - VATPIC_ELCR_PORT;
	bool rose;

	if (idx > 1 || bytes == 0 || idx + bytes > 2) {
		a->bad_access++;
		return (-EINVAL);
	}
	pthread_mutex_lock(&a->mtx);
	if (in) {
		*val = idx == 1 ? a->pic[1].elcr :
		    (uint32_t)(a->pic[0].elcr | (bytes == 2 ?
		    a->pic[1].elcr << 8 : 0));
	} else {
		if (idx == 0)
			pic_set_elcr(&a->pic[0], (uint8_t)*val,
			    ELCR_MASTER_MASK);
		if (idx == 1 || bytes == 2)
			pic_set_elcr(&a->pic[1], (uint8_t)(*val >> (8 * !idx)),
			    ELCR_SLAVE_MASK);
	}
	rose = atpic_update(a);
	pthread_mutex_unlock(&a->mtx);
	atpic_notify(a, rose);
	return (0);
}

enum line_op { LINE_ASSERT, LINE_DEASSERT, LINE_PULSE };

static int
atpic_line(struct vatpic *a, int irq, enum line_op op)
{
	struct pic *p;
	int pin;
	bool rose;

	if (irq < 0 || irq >= VATPIC_NIRQ || irq == CASCADE_PIN)
		return (-EINVAL);
	p = &a->pic[irq >> 3];
	pin = irq & 7;
	pthread_mutex_lock(&a->mtx);
	if (op != LINE_DEASSERT && p->acnt[pin] < UINT8_MAX) {
		if (p->acnt[pin]++ == 0)
			pic_set_line(p, pin, true);
	}
	if (op != LINE_ASSERT && p->acnt[pin] > 0) {
		if (--p->acnt[pin] == 0)
			pic_set_line(p, pin, false);
	}
	rose = atpic_update(a);
	pthread_mutex_unlock(&a->mtx);
	atpic_notify(a, rose);
	return (0);
}

int
vatpic_assert_irq(struct vatpic *a, int irq)
{
	return (atpic_line(a, irq, LINE_ASSERT));
}

int
vatpic_deassert_irq(struct vatpic *a, int irq)
{
	return (atpic_line(a, irq, LINE_DEASSERT));
}

int
vatpic_pulse_irq(struct vatpic *a, int irq)
{
	return (atpic_line(a, irq, LINE_PULSE));
}

int
vatpic_set_irq_trigger(struct vatpic *a, int irq, bool level)
{
	static const uint8_t mask[2] = { ELCR_MASTER_MASK, ELCR_SLAVE_MASK };
	struct pic *p;
	uint8_t bit;
	bool rose;

	if (irq < 0 || irq >= VATPIC_NIRQ)
		return (-EINVAL);
	bit = (uint8_t)(1u << (irq & 7));
	if (level && (mask[irq >> 3] & bit) == 0)
		return (-EINVAL);
	p = &a->pic[irq >> 3];
	pthread_mutex_lock(&a->mtx);
	pic_set_elcr(p, level ? p->elcr | bit : p->elcr & (uint8_t)~bit,
	    mask[irq >> 3]);
	rose = atpic_update(a);
	pthread_mutex_unlock(&a->mtx);
	atpic_notify(a, rose);
	return (0);
}

/* The vector an INTA would give now; a->mtx held, INTR high. */
static int
atpic_vector(const struct vatpic *a)
{
	int pin, spin;

	pin = pic_resolve(&a->pic[0], true);
	if (pin < 0)
		return (a->pic[0].base + 7);
	if (pin != CASCADE_PIN)
		return (a->pic[0].base + pin);
	spin = pic_resolve(&a->pic[1], false);
	return (a->pic[1].base + (spin < 0 ? 7 : spin));
}

bool
vatpic_pending_intr(struct vatpic *a, int *vector)
{
	bool out;

	pthread_mutex_lock(&a->mtx);
	out = a->out;
	if (out)
		*vector = atpic_vector(a);
	pthread_mutex_unlock(&a->mtx);
	return (out);
}

/* a->mtx held.  INT outputs drop during INTA; recompute afterwards. */
static bool
atpic_ack_vector(struct vatpic *a, int vector)
{
	struct pic *m = &a->pic[0], *s = &a->pic[1];
	bool ok;

	if ((vector & ~7) == m->base && (vector & 7) != CASCADE_PIN) {
		ok = pic_ack_pin(m, true, vector & 7);
	} else if ((vector & ~7) == s->base) {
		/* The slave answers only if the master acknowledged IR2. */
		ok = pic_ack_pin(m, true, CASCADE_PIN) &&
		    pic_ack_pin(s, false, vector & 7);
		m->level &= (uint8_t)~(1u << CASCADE_PIN);
	} else {
		ok = false;
	}
	if (!ok)
		a->spurious++;
	a->out = false;
	return (atpic_update(a));
}

void
vatpic_intr_accepted(struct vatpic *a, int vector)
{
	bool rose;

	pthread_mutex_lock(&a->mtx);
	rose = atpic_ack_vector(a, vector);
	pthread_mutex_unlock(&a->mtx);
	atpic_notify(a, rose);
}

int
vatpic_inta(struct vatpic *a)
{
	bool rose;
	int vector;

	pthread_mutex_lock(&a->mtx);
	vector = atpic_vector(a);
	rose = atpic_ack_vector(a, vector);
	pthread_mutex_unlock(&a->mtx);
	atpic_notify(a, rose);
	return (vector);
}

struct vatpic *
vatpic_create(const struct vdev_intr *intr)
{
	struct vatpic *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return (NULL);
	if (intr != NULL)
		a->intr = *intr;
	pthread_mutex_init(&a->mtx, NULL);
	a->pic[0].lowprio = a->pic[1].lowprio = 7;
	return (a);
}

void
vatpic_reset(struct vatpic *a)
{
	struct pic *p;
	uint8_t level, acnt[8];
	int i;

	pthread_mutex_lock(&a->mtx);
	for (i = 0; i < 2; i++) {
		p = &a->pic[i];
		/* Input lines belong to the devices: they stay as they are. */
		level = p->level;
		memcpy(acnt, p->acnt, sizeof(acnt));
		memset(p, 0, sizeof(*p));
		p->level = level;
		memcpy(p->acnt, acnt, sizeof(acnt));
		p->lowprio = 7;
	}
	a->out = false;
	pthread_mutex_unlock(&a->mtx);
}

void
vatpic_destroy(struct vatpic *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->mtx);
	free(a);
}

/* Save/restore: booleans packed in "flags", bytes packed in "regs". */
#define	PF_READY	0x001
#define	PF_IC4		0x002
#define	PF_SNGL		0x004
#define	PF_LTIM		0x008
#define	PF_UPM		0x010
#define	PF_AEOI		0x020
#define	PF_SFNM		0x040
#define	PF_ROTAEOI	0x080
#define	PF_SMM		0x100
#define	PF_RISR		0x200
#define	PF_POLL		0x400

static uint64_t
pic_flags(const struct pic *p)
{
	return ((p->ready ? PF_READY : 0) | (p->ic4 ? PF_IC4 : 0) |
	    (p->sngl ? PF_SNGL : 0) | (p->ltim ? PF_LTIM : 0) |
	    (p->upm ? PF_UPM : 0) | (p->aeoi ? PF_AEOI : 0) |
	    (p->sfnm ? PF_SFNM : 0) | (p->rotate_aeoi ? PF_ROTAEOI : 0) |
	    (p->smm ? PF_SMM : 0) | (p->read_isr ? PF_RISR : 0) |
	    (p->poll ? PF_POLL : 0));
}

static void
pic_set_flags(struct pic *p, uint64_t f)
{
	p->ready = (f & PF_READY) != 0;
	p->ic4 = (f & PF_IC4) != 0;
	p->sngl = (f & PF_SNGL) != 0;
	p->ltim = (f & PF_LTIM) != 0;
	p->upm = (f & PF_UPM) != 0;
	p->aeoi = (f & PF_AEOI) != 0;
	p->sfnm = (f & PF_SFNM) != 0;
	p->rotate_aeoi = (f & PF_ROTAEOI) != 0;
	p->smm = (f & PF_SMM) != 0;
	p->read_isr = (f & PF_RISR) != 0;
	p->poll = (f & PF_POLL) != 0;
}

/* regs: imr irr isr elcr level base icw3 | icw_next<<56 (lowprio in 60) */
static uint64_t
pic_regs(const struct pic *p)
{
	return ((uint64_t)p->imr | (uint64_t)p->irr << 8 |
	    (uint64_t)p->isr << 16 | (uint64_t)p->elcr << 24 |
	    (uint64_t)p->level << 32 | (uint64_t)p->base << 40 |
	    (uint64_t)p->icw3 << 48 | (uint64_t)p->icw_next << 56 |
	    (uint64_t)p->lowprio << 60);
}

static void
pic_set_regs(struct pic *p, uint64_t r, uint8_t elcr_mask)
{
	p->imr = (uint8_t)r;
	p->irr = (uint8_t)(r >> 8);
	p->isr = (uint8_t)(r >> 16);
	p->elcr = (uint8_t)(r >> 24) & elcr_mask;
	p->level = (uint8_t)(r >> 32);
	p->base = (uint8_t)(r >> 40) & 0xf8;
	p->icw3 = (uint8_t)(r >> 48);
	p->icw_next = (uint8_t)(r >> 56) & 7;
	if (p->icw_next == 1 || p->icw_next > 4)
		p->icw_next = 0;
	p->lowprio = (uint8_t)(r >> 60) & 7;
}

static uint64_t
pic_acnt(const struct pic *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p->acnt[i] << (8 * i);
	return (v);
}

int
vatpic_snapshot(struct vatpic *a, struct vdev_snap *s)
{
	static const char *const names[2][3] = {
		{ "master.flags", "master.regs", "master.acnt" },
		{ "slave.flags", "slave.regs", "slave.acnt" },
	};
	int i, err = 0;

	snprintf(s->dev, sizeof(s->dev), "vatpic");
	s->version = VATPIC_SNAP_VERSION;
	pthread_mutex_lock(&a->mtx);
	for (i = 0; i < 2; i++) {
		err |= vdev_snap_put(s, names[i][0], pic_flags(&a->pic[i]));
		err |= vdev_snap_put(s, names[i][1], pic_regs(&a->pic[i]));
		err |= vdev_snap_put(s, names[i][2], pic_acnt(&a->pic[i]));
	}
	pthread_mutex_unlock(&a->mtx);
	return (err != 0 ? -ENOSPC : 0);
}

int
vatpic_restore(struct vatpic *a, const struct vdev_snap *s)
{
	static const char *const names[6] = { "master.flags", "master.regs",
	    "master.acnt", "slave.flags", "slave.regs", "slave.acnt" };
	static const uint8_t mask[2] = { ELCR_MASTER_MASK, ELCR_SLAVE_MASK };
	uint64_t v[6];
	bool rose;
	int i, k;

	if (strcmp(s->dev, "vatpic") != 0 || s->version != VATPIC_SNAP_VERSION)
		return (-EINVAL);
	for (i = 0; i < 6; i++)
		if (vdev_snap_get(s, names[i], &v[i]) != 0)
			return (-EINVAL);
	pthread_mutex_lock(&a->mtx);
	for (i = 0; i < 2; i++) {
		pic_set_flags(&a->pic[i], v[3 * i]);
		pic_set_regs(&a->pic[i], v[3 * i + 1], mask[i]);
		for (k = 0; k < 8; k++)
			a->pic[i].acnt[k] = (uint8_t)(v[3 * i + 2] >> (8 * k));
	}
	a->out = false;
	rose = atpic_update(a);
	pthread_mutex_unlock(&a->mtx);
	atpic_notify(a, rose);
	return (0);
}
