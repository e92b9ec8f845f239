/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vpmtmr: the ACPI power management timer (ACPI 6.5 4.8.3.3), a 32-bit
 * up-counter at 3.579545 MHz read at port 0x408 (PM_TMR_BLK of the PM
 * block at 0x400; the FADT must say TMR_VAL_EXT = 1).  Computed from the
 * clock; no interrupt (the TMR_STS overflow event is not modelled).
 */
#ifndef _VMM_IO_VPMTMR_H_
#define _VMM_IO_VPMTMR_H_

#include "vmm/io/vdev.h"

#define	VPMTMR_PORT		0x408
#define	VPMTMR_NPORTS		4
#define	VPMTMR_FREQ		3579545		/* Hz */
#define	VPMTMR_SNAP_VERSION	1

struct vpmtmr;

struct vpmtmr *vpmtmr_create(const struct vdev_clock *clk);
void	vpmtmr_destroy(struct vpmtmr *pm);

/*
 * Ports 0x408-0x40b.  A 4-byte IN at 0x408 reads the counter; 1- and
 * 2-byte INs read the bytes they cover (the register is four ports
 * wide).  Writes are ignored (read-only).  An access that crosses 0x40b
 * is -EINVAL.
 */
int	vpmtmr_pio(void *dev, int vcpu, bool in, uint16_t port,
	    unsigned bytes, uint32_t *val);
uint32_t vpmtmr_read(struct vpmtmr *pm);

int	vpmtmr_snapshot(struct vpmtmr *pm, struct vdev_snap *s);
int	vpmtmr_restore(struct vpmtmr *pm, const struct vdev_snap *s);

#endif /* _VMM_IO_VPMTMR_H_ */
