/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vatpic: the PC's cascaded pair of 8259A interrupt controllers (master
 * at 0x20/0x21, slave at 0xA0/0xA1 on master IR2) and the edge/level
 * control registers (ELCR, 0x4D0/0x4D1).
 *
 * The master's INT output is the CPU's INTR line: when it rises, the
 * device calls intr->lapic_local(arg, -1, 0) (LINT0 of every vCPU, which
 * the LAPIC delivers as ExtINT) and intr->notify(arg, -1), after dropping
 * its lock.  Mirroring the output to IOAPIC pin 0 as bhyve does is the
 * platform's business (in its lapic_local callback).  The CPU then runs
 * the INTA cycle with vatpic_pending_intr() + vatpic_intr_accepted(), or
 * atomically with vatpic_inta().
 */
#ifndef _VMM_IO_VATPIC_H_
#define _VMM_IO_VATPIC_H_

#include "vmm/io/vdev.h"

#define	VATPIC_MASTER_PORT	0x20	/* 0x20, 0x21 */
#define	VATPIC_SLAVE_PORT	0xa0	/* 0xa0, 0xa1 */
#define	VATPIC_ELCR_PORT	0x4d0	/* 0x4d0 master, 0x4d1 slave */
#define	VATPIC_NIRQ		16
#define	VATPIC_SNAP_VERSION	1

struct vatpic;

struct vatpic *vatpic_create(const struct vdev_intr *intr);
void	vatpic_destroy(struct vatpic *atpic);
/* Power-on state (uninitialised, ELCR 0); input line levels are kept. */
void	vatpic_reset(struct vatpic *atpic);

/* 0x20, 0x21, 0xa0, 0xa1: 1-byte accesses (others -EINVAL). */
int	vatpic_pio(void *dev, int vcpu, bool in, uint16_t port,
	    unsigned bytes, uint32_t *val);
/* 0x4d0, 0x4d1: 1 byte; a 2-byte access at 0x4d0 covers both. */
int	vatpic_elcr_pio(void *dev, int vcpu, bool in, uint16_t port,
	    unsigned bytes, uint32_t *val);

/*
 * Input lines (IRQ 0-15 except 2, the cascade).  Each line counts its
 * asserters: it is high while any source asserts it.  -EINVAL for a bad
 * irq.
 */
int	vatpic_assert_irq(struct vatpic *atpic, int irq);
int	vatpic_deassert_irq(struct vatpic *atpic, int irq);
int	vatpic_pulse_irq(struct vatpic *atpic, int irq);
/* ELCR from the host side (vm_isa_set_irq_trigger): IRQ 0,1,2,8,13
 * cannot be level triggered (-EINVAL). */
int	vatpic_set_irq_trigger(struct vatpic *atpic, int irq, bool level);

/*
 * INTA cycle.  pending_intr: true if INTR is high, with the vector an
 * INTA would return now (base+7 of the slave if the slave has nothing:
 * spurious IRQ15).  intr_accepted: acknowledge `vector` (sets ISR, or
 * rotates in AEOI mode); if its request vanished meanwhile nothing is
 * set in service (spurious, as on the 8259A).  inta: both, atomically;
 * returns the vector (master base+7 when nothing is pending: IRQ7).
 */
bool	vatpic_pending_intr(struct vatpic *atpic, int *vector);
void	vatpic_intr_accepted(struct vatpic *atpic, int vector);
int	vatpic_inta(struct vatpic *atpic);

int	vatpic_snapshot(struct vatpic *atpic, struct vdev_snap *s);
int	vatpic_restore(struct vatpic *atpic, const struct vdev_snap *s);

#endif /* _VMM_IO_VATPIC_H_ */
