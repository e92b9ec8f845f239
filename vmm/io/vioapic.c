/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual I/O APIC (82093AA datasheet; section numbers are its).
 *
 * Locking: io->mtx protects the registers and pin state.  Deliveries are
 * made with it held (lock order: vioapic before vlapic); the platform
 * never calls back into the vioapic from a delivery, and local APICs
 * send their EOIs after dropping their own lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/io/vioapic.h"

/* Memory-mapped registers (3.1) and register indexes (3.2). */
#define	IOREGSEL		0x00
#define	IOWIN			0x10
#define	IOAPICID		0x00
#define	IOAPICVER		0x01
#define	IOAPICARB		0x02
#define	IOREDTBL		0x10	/* 0x10 + 2 * pin: low, high */

/* Redirection table entry bits (3.2.4). */
#define	RTE_VECTOR(r)		((int)((r) & 0xFF))
#define	RTE_DELMODE(r)		((int)(((r) >> 8) & 7))
#define	RTE_DESTMODE		(1ull << 11)	/* logical */
#define	RTE_DELIVS		(1ull << 12)
#define	RTE_INTPOL		(1ull << 13)
#define	RTE_REMOTE_IRR		(1ull << 14)
#define	RTE_TRIGGER_LEVEL	(1ull << 15)
#define	RTE_MASKED		(1ull << 16)
#define	RTE_DEST(r)		((uint32_t)((r) >> 56))
#define	RTE_WRITABLE		(0xFF00000000000000ull | 0x1AFFFull)

#define	ID_MASK			0x0F000000u

/* Delivery modes (3.2.4): same encoding as the local APIC's. */
#define	DELMODE_FIXED		0
#define	DELMODE_LOWPRIO		1

struct vioapic {
	struct vdev_intr intr;

	pthread_mutex_t	mtx;		/* protects everything below */
	uint32_t	id;
	uint32_t	ioregsel;
	uint64_t	rte[VIOAPIC_NPINS];
	int		acnt[VIOAPIC_NPINS];	/* assertions on each pin */
	uint64_t	bad;
};

static bool
pin_active(const struct vioapic *io, int pin)
{
	return (io->acnt[pin] > 0);
}

static bool
rte_is_level(uint64_t rte)
{
	/* Only fixed and lowest priority may be level (3.2.4). */
	return ((rte & RTE_TRIGGER_LEVEL) != 0 &&
	    (RTE_DELMODE(rte) == DELMODE_FIXED ||
	    RTE_DELMODE(rte) == DELMODE_LOWPRIO));
}

/* Send pin's interrupt unless masked or still in service (Remote IRR). */
static void
deliver_locked(struct vioapic *io, int pin)
{
	uint64_t rte = io->rte[pin];
	bool level = rte_is_level(rte);

	if ((rte & RTE_MASKED) != 0)
		return;
	if (level) {
		if ((rte & RTE_REMOTE_IRR) != 0)
			return;
		io->rte[pin] |= RTE_REMOTE_IRR;
	}
	if (io->intr.lapic_deliver != NULL)
		io->intr.lapic_deliver(io->intr.arg, RTE_DEST(rte),
		    (rte & RTE_DESTMODE) != 0, RTE_DELMODE(rte),
		    RTE_VECTOR(rte), level);
}

static void
assert_locked(struct vioapic *io, int pin)
{
	bool was = pin_active(io, pin);

	io->acnt[pin]++;
	/* Edge: the inactive-to-active transition; level: while active. */
	if (!was || rte_is_level(io->rte[pin]))
		deliver_locked(io, pin);
}

static void
deassert_locked(struct vioapic *io, int pin)
{
	if (io->acnt[pin] == 0) {
		io->bad++;	/* unbalanced deassert from a source */
		return;
	}
	io->acnt[pin]--;
}

int
vioapic_set_irq(struct vioapic *io, int pin, enum vdev_irq_op op)
{
	if (pin < 0 || pin >= VIOAPIC_NPINS)
		return (-EINVAL);
	pthread_mutex_lock(&io->mtx);
	switch (op) {
	case VDEV_IRQ_ASSERT:
		assert_locked(io, pin);
		break;
	case VDEV_IRQ_DEASSERT:
		deassert_locked(io, pin);
		break;
	case VDEV_IRQ_PULSE:
		assert_locked(io, pin);
		deassert_locked(io, pin);
		break;
	default:
		pthread_mutex_unlock(&io->mtx);
		return (-EINVAL);
	}
	pthread_mutex_unlock(&io->mtx);
	return (0);
}

int
vioapic_assert(struct vioapic *io, int pin)
{
	return (vioapic_set_irq(io, pin, VDEV_IRQ_ASSERT));
}

int
vioapic_deassert(struct vioapic *io, int pin)
{
	return (vioapic_set_irq(io, pin, VDEV_IRQ_DEASSERT));
}

int
vioapic_pulse(struct vioapic *io, int pin)
{
	return (vioapic_set_irq(io, pin, VDEV_IRQ_PULSE));
}

int
vioapic_pincount(void)
{
	return (VIOAPIC_NPINS);
}

/*
 * EOI: clear Remote IRR of the level pins using this vector; a line that
 * is still active interrupts again (3.2.4, Remote IRR).
 */
void
vioapic_eoi(struct vioapic *io, int vector)
{
	int pin;

	if (vector < 0 || vector > 255)
		return;
	pthread_mutex_lock(&io->mtx);
	for (pin = 0; pin < VIOAPIC_NPINS; pin++) {
		if ((io->rte[pin] & RTE_REMOTE_IRR) == 0 ||
		    RTE_VECTOR(io->rte[pin]) != vector)
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		if (pin_active(io, pin) && rte_is_level(io->rte[pin]))
			deliver_locked(io, pin);
	}
	pthread_mutex_unlock(&io->mtx);
}

static uint32_t
reg_read_locked(struct vioapic *io, uint32_t idx)
{
	uint32_t pin;

	switch (idx) {
	case IOAPICID:
	case IOAPICARB:		/* arbitration ID mirrors the ID (3.2.3) */
		return (io->id);
	case IOAPICVER:
		return (VIOAPIC_VERSION | ((VIOAPIC_NPINS - 1) << 16));
	}
	if (idx < IOREDTBL || idx >= IOREDTBL + 2 * VIOAPIC_NPINS) {
		io->bad++;
		return (0);
	}
	pin = (idx - IOREDTBL) / 2;
	if ((idx & 1) != 0)
		return ((uint32_t)(io->rte[pin] >> 32));
	return ((uint32_t)io->rte[pin]);
}

static void
rte_write_locked(struct vioapic *io, int pin, uint64_t nw)
{
	uint64_t old = io->rte[pin];

	nw = (nw & RTE_WRITABLE) | (old & RTE_REMOTE_IRR);
	/* Remote IRR only has meaning for level pins. */
	if (!rte_is_level(nw))
		nw &= ~RTE_REMOTE_IRR;
	io->rte[pin] = nw;
	/* A level line left active while masked interrupts when unmasked. */
	if (pin_active(io, pin) && rte_is_level(nw) &&
	    (nw & RTE_MASKED) == 0 && (nw & RTE_REMOTE_IRR) == 0)
		deliver_locked(io, pin);
}

static void
reg_write_locked(struct vioapic *io, uint32_t idx, uint32_t val)
{
	uint64_t rte;
	int pin;

	if (idx == IOAPICID) {
		io->id = val & ID_MASK;
		return;
	}
	if (idx < IOREDTBL || idx >= IOREDTBL + 2 * VIOAPIC_NPINS) {
		io->bad++;	/* version, arbitration: read-only */
		return;
	}
	pin = (int)(idx - IOREDTBL) / 2;
	rte = io->rte[pin];
	if ((idx & 1) != 0)
		rte = (rte & 0xFFFFFFFFull) | ((uint64_t)val << 32);
	else
		rte = (rte & 0xFFFFFFFF00000000ull) | val;
	rte_write_locked(io, pin, rte);
}

/*
 * IOREGSEL (8 bits used) at 0x00 and IOWIN at 0x10 are 32-bit registers
 * (3.1).  Defined here for other forms: a 1-byte write to IOREGSEL sets
 * it; a narrower read returns the low bytes of the register containing
 * the offset; every other access (other sizes, other offsets) reads 0
 * and ignores writes.
 */
int
vioapic_mmio(struct vioapic *io, bool write, uint64_t off, unsigned bytes,
    uint64_t *val)
{
	uint64_t reg = off & ~3ull, sub = off & 3, v;

	if (bytes == 0 || bytes > 8 || off >= VIOAPIC_SIZE)
		return (-EINVAL);
	pthread_mutex_lock(&io->mtx);
	if (!write) {
		v = 0;
		if (reg == IOREGSEL)
			v = io->ioregsel;
		else if (reg == IOWIN)
			v = reg_read_locked(io, io->ioregsel);
		else
			io->bad++;
		v >>= 8 * sub;
		*val = bytes >= 4 ? (uint32_t)v : v & ((1u << (8 * bytes)) - 1);
	} else if (off == IOREGSEL && (bytes == 4 || bytes == 1)) {
		io->ioregsel = (uint32_t)*val & 0xFF;
	} else if (off == IOWIN && bytes == 4) {
		reg_write_locked(io, io->ioregsel, (uint32_t)*val);
	} else {
		io->bad++;
	}
	pthread_mutex_unlock(&io->mtx);
	return (0);
}

int
vioapic_mmio_handler(void *dev, int vcpu, bool write, uint64_t gpa,
    unsigned bytes, uint64_t *val)
{
	return (vioapic_mmio(dev, write, gpa - VIOAPIC_BASE, bytes, val));
}

void
vioapic_reset(struct vioapic *io)
{
	int pin;

	pthread_mutex_lock(&io->mtx);
	io->id = 0;
	io->ioregsel = 0;
	/* All pins masked at reset (3.2.4). */
	for (pin = 0; pin < VIOAPIC_NPINS; pin++)
		io->rte[pin] = RTE_MASKED;
	pthread_mutex_unlock(&io->mtx);
}

struct vioapic *
vioapic_create(const struct vdev_intr *intr)
{
	struct vioapic *io;

	if (intr == NULL)
		return (NULL);
	io = calloc(1, sizeof(*io));
	if (io == NULL)
		return (NULL);
	io->intr = *intr;
	pthread_mutex_init(&io->mtx, NULL);
	vioapic_reset(io);
	return (io);
}

void
vioapic_destroy(struct vioapic *io)
{
	if (io == NULL)
		return;
	pthread_mutex_destroy(&io->mtx);
	free(io);
}

uint64_t
vioapic_get_rte(struct vioapic *io, int pin)
{
	uint64_t r;

	if (pin < 0 || pin >= VIOAPIC_NPINS)
		return (0);
	pthread_mutex_lock(&io->mtx);
	r = io->rte[pin];
	pthread_mutex_unlock(&io->mtx);
	return (r);
}

uint64_t
vioapic_bad_accesses(struct vioapic *io)
{
	uint64_t n;

	pthread_mutex_lock(&io->mtx);
	n = io->bad;
	pthread_mutex_unlock(&io->mtx);
	return (n);
}

/* ---- Save/restore (vdev_snap named fields) ---- */

int
vioapic_snapshot(struct vioapic *io, struct vdev_snap *s)
{
	char name[VDEV_SNAP_NAMELEN];
	int i, error;

	snprintf(s->dev, sizeof(s->dev), "vioapic");
	s->version = VIOAPIC_SNAP_VERSION;
	pthread_mutex_lock(&io->mtx);
	error = vdev_snap_put(s, "id", io->id);
	if (error == 0)
		error = vdev_snap_put(s, "ioregsel", io->ioregsel);
	for (i = 0; i < VIOAPIC_NPINS && error == 0; i++) {
		snprintf(name, sizeof(name), "rte%d", i);
		error = vdev_snap_put(s, name, io->rte[i]);
		snprintf(name, sizeof(name), "acnt%d", i);
		if (error == 0)
			error = vdev_snap_put(s, name, (uint64_t)io->acnt[i]);
	}
	pthread_mutex_unlock(&io->mtx);
	return (error);
}

int
vioapic_restore(struct vioapic *io, const struct vdev_snap *s)
{
	char name[VDEV_SNAP_NAMELEN];
	uint64_t id, sel, rte[VIOAPIC_NPINS], acnt[VIOAPIC_NPINS];
	int i;

	if (strcmp(s->dev, "vioapic") != 0 ||
	    s->version != VIOAPIC_SNAP_VERSION ||
	    vdev_snap_get(s, "id", &id) != 0 ||
	    vdev_snap_get(s, "ioregsel", &sel) != 0)
		return (-EINVAL);
	for (i = 0; i < VIOAPIC_NPINS; i++) {
		snprintf(name, sizeof(name), "rte%d", i);
		if (vdev_snap_get(s, name, &rte[i]) != 0)
			return (-EINVAL);
		snprintf(name, sizeof(name), "acnt%d", i);
		if (vdev_snap_get(s, name, &acnt[i]) != 0 ||
		    acnt[i] > INT32_MAX)
			return (-EINVAL);
	}
	pthread_mutex_lock(&io->mtx);
	io->id = (uint32_t)id & ID_MASK;
	io->ioregsel = (uint32_t)sel & 0xFF;
	for (i = 0; i < VIOAPIC_NPINS; i++) {
		io->rte[i] = rte[i] & (RTE_WRITABLE | RTE_REMOTE_IRR);
		io->acnt[i] = (int)acnt[i];
	}
	pthread_mutex_unlock(&io->mtx);
	return (0);
}
