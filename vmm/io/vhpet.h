/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vhpet: IA-PC HPET (spec 1.0a) at 0xFED00000, 8 timers, a 32-bit main
 * counter at 2^24 Hz (as bhyve).  Timers interrupt through IOAPIC pins
 * 24-31 (intr->ioapic; pins 0-23 are the ISA and PCI INTx pins of the
 * 32-pin IOAPIC) or through FSB messages (intr->msi).  No legacy
 * replacement route (LEG_RT_CAP = 0).
 */
#ifndef _VMM_IO_VHPET_H_
#define _VMM_IO_VHPET_H_

#include "vmm/io/vdev.h"

#define	VHPET_BASE		0xfed00000ull
#define	VHPET_SIZE		0x400
#define	VHPET_NUM_TIMERS	8
#define	VHPET_FREQ		16777216	/* 2^24 Hz */
/*
 * COUNTER_CLK_PERIOD in femtoseconds: 10^15 / 2^24 = 59604644.775...,
 * rounded to the nearest integer.  The guest derives 16777215.94 Hz from
 * it (4 ppb slow), well inside the spec's 500 ppm.
 */
#define	VHPET_PERIOD_FS		59604645u
/* Timer n may route to IOAPIC pins 24-31 (INT_ROUTE_CAP). */
#define	VHPET_ROUTE_CAP		0xff000000u
#define	VHPET_SNAP_VERSION	1

struct vhpet;

struct vhpet *vhpet_create(const struct vdev_clock *clk,
	    struct vcallout_wheel *w, const struct vdev_intr *intr);
void	vhpet_destroy(struct vhpet *hpet);
/* Power-on state: halted, counter 0, timers off, comparators all-ones. */
void	vhpet_reset(struct vhpet *hpet);

/*
 * MMIO at gpa VHPET_BASE .. +VHPET_SIZE: 4- or 8-byte naturally aligned
 * accesses; any other form reads all-ones and writes are dropped (still
 * 0 = handled).  -EINVAL only for a gpa outside the block.
 */
int	vhpet_mmio(void *dev, int vcpu, bool write, uint64_t gpa,
	    unsigned bytes, uint64_t *val);

/* The general capabilities and ID register (vm_get_hpet_capabilities). */
uint64_t vhpet_capabilities(void);

int	vhpet_snapshot(struct vhpet *hpet, struct vdev_snap *s);
int	vhpet_restore(struct vhpet *hpet, const struct vdev_snap *s);

#endif /* _VMM_IO_VHPET_H_ */
