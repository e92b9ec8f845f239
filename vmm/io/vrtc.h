/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vrtc: MC146818A real-time clock and 128-byte CMOS RAM at ports
 * 0x70 (index, bit 7 = NMI disable) and 0x71 (data).  Time is kept as
 * an offset from the clock; interrupts (periodic, alarm, update-ended)
 * go to IRQ 8 through intr->isa(arg, 8, 8, ASSERT/DEASSERT): the line
 * stays asserted while register C's IRQF is set (read C to clear).
 *
 * The object carries the RTC across guest resets: the platform keeps it
 * (time and NVRAM survive); only vrtc_destroy() loses them.
 */
#ifndef _VMM_IO_VRTC_H_
#define _VMM_IO_VRTC_H_

#include "vmm/io/vdev.h"

#define	VRTC_INDEX_PORT		0x70
#define	VRTC_DATA_PORT		0x71
#define	VRTC_NREGS		128
#define	VRTC_CENTURY		0x32	/* century byte offset */
#define	VRTC_IRQ		8
#define	VRTC_SNAP_VERSION	1

struct vrtc;

/* Starts at 1970-01-01 00:00:00, A=0x20, B=0x02 (24 h, BCD), D=0x80. */
struct vrtc *vrtc_create(const struct vdev_clock *clk,
	    struct vcallout_wheel *w, const struct vdev_intr *intr);
void	vrtc_destroy(struct vrtc *rtc);

/* Ports 0x70/0x71, 1-byte accesses (others -EINVAL); 0x70 reads 0xff. */
int	vrtc_pio(void *dev, int vcpu, bool in, uint16_t port, unsigned bytes,
	    uint32_t *val);

/*
 * Userland access (vm_rtc_read/vm_rtc_write).  read: any offset 0-127,
 * without side effects (register C is not cleared).  write: refused
 * (-EINVAL) for the clock registers 0-13 and the century byte, as bhyve.
 */
int	vrtc_nvram_read(struct vrtc *rtc, int offset, uint8_t *val);
int	vrtc_nvram_write(struct vrtc *rtc, int offset, uint8_t val);

/* Seconds since 1970-01-01 00:00:00 in the RTC's own time zone (the
 * caller picks UTC or local time, bhyve's -u). */
int	vrtc_set_time(struct vrtc *rtc, int64_t secs);
int64_t	vrtc_get_time(struct vrtc *rtc);

/* Port 0x70 bit 7 as last written (the platform may gate NMIs on it). */
bool	vrtc_nmi_disabled(struct vrtc *rtc);

int	vrtc_snapshot(struct vrtc *rtc, struct vdev_snap *s);
int	vrtc_restore(struct vrtc *rtc, const struct vdev_snap *s);

#endif /* _VMM_IO_VRTC_H_ */
