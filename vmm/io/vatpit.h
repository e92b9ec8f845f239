/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vatpit: the 8254 programmable interval timer (ports 0x40-0x43) and the
 * NMI status/control port 0x61 (channel 2 gate, speaker enable, refresh
 * toggle, channel 2 OUT).  Counters are computed from the clock; a timer
 * is armed only for channel 0's interrupt edges, which go to IRQ0 through
 * intr->isa(arg, 0, 2, VDEV_IRQ_PULSE).
 */
#ifndef _VMM_IO_VATPIT_H_
#define _VMM_IO_VATPIT_H_

#include "vmm/io/vdev.h"

#define	VATPIT_FREQ		1193182		/* Hz, 8254 input clock */
#define	VATPIT_PORT_BASE	0x40		/* counters 0-2, control 0x43 */
#define	VATPIT_NPORTS		4
#define	VATPIT_NMISC_PORT	0x61
#define	VATPIT_SNAP_VERSION	1

struct vatpit;

/* clk, w and intr are copied/kept; w may be NULL (no channel 0 IRQ). */
struct vatpit *vatpit_create(const struct vdev_clock *clk,
	    struct vcallout_wheel *w, const struct vdev_intr *intr);
void	vatpit_destroy(struct vatpit *pit);
/* Power-on state: no counter programmed, port 0x61 = 0. */
void	vatpit_reset(struct vatpit *pit);

/* Ports 0x40-0x43 (1-byte accesses; others -EINVAL). */
int	vatpit_pio(void *dev, int vcpu, bool in, uint16_t port,
	    unsigned bytes, uint32_t *val);
/* Port 0x61 (1-byte accesses; others -EINVAL). */
int	vatpit_nmisc_pio(void *dev, int vcpu, bool in, uint16_t port,
	    unsigned bytes, uint32_t *val);

int	vatpit_snapshot(struct vatpit *pit, struct vdev_snap *s);
int	vatpit_restore(struct vatpit *pit, const struct vdev_snap *s);

#endif /* _VMM_IO_VATPIT_H_ */
