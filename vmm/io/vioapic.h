/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual I/O APIC (Intel 82093AA datasheet), 32 pins, at 0xFEC00000.
 * Deliveries go out through vdev_intr.lapic_deliver (the platform does
 * destination matching); vioapic_eoi() is called for every EOI of a
 * level-triggered vector.
 *
 * Pin inputs are logical levels: "assert" means the line is active, the
 * source has already applied polarity (as with bhyve's vioapic API).
 * Each pin counts assertions, so a line shared by two sources stays
 * active until both deassert.
 */
#ifndef _VMM_IO_VIOAPIC_H_
#define _VMM_IO_VIOAPIC_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/io/vdev.h"

#define	VIOAPIC_BASE		0xFEC00000ull
#define	VIOAPIC_SIZE		4096
#define	VIOAPIC_NPINS		32
#define	VIOAPIC_VERSION		0x11

struct vioapic;

struct vioapic *vioapic_create(const struct vdev_intr *intr);
void	vioapic_destroy(struct vioapic *io);
void	vioapic_reset(struct vioapic *io);

/* Pin inputs: 0, or -EINVAL for a bad pin. */
int	vioapic_assert(struct vioapic *io, int pin);
int	vioapic_deassert(struct vioapic *io, int pin);
int	vioapic_pulse(struct vioapic *io, int pin);
int	vioapic_set_irq(struct vioapic *io, int pin, enum vdev_irq_op op);
int	vioapic_pincount(void);

/* EOI broadcast from a local APIC. */
void	vioapic_eoi(struct vioapic *io, int vector);

/* MMIO at offset `off` in the 4 KiB window; vdev_mmio_fn-compatible. */
int	vioapic_mmio(struct vioapic *io, bool write, uint64_t off,
	    unsigned bytes, uint64_t *val);
int	vioapic_mmio_handler(void *dev, int vcpu, bool write, uint64_t gpa,
	    unsigned bytes, uint64_t *val);

/* Inspection for tests and bhyvectl. */
uint64_t vioapic_get_rte(struct vioapic *io, int pin);
uint64_t vioapic_bad_accesses(struct vioapic *io);

/* Save/restore as vdev_snap record "vioapic" (VIOAPIC_SNAP_FIELDS max). */
#define	VIOAPIC_SNAP_VERSION	1
#define	VIOAPIC_SNAP_FIELDS	(2 + 2 * VIOAPIC_NPINS)
int	vioapic_snapshot(struct vioapic *io, struct vdev_snap *s);
int	vioapic_restore(struct vioapic *io, const struct vdev_snap *s);

#endif /* _VMM_IO_VIOAPIC_H_ */
