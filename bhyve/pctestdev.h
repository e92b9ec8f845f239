/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pc-testdev (-l pc-testdev, lpc.pc-testdev=true): the test device that
 * kvm-unit-tests drives, as QEMU's "pc-testdev" plus "isa-debug-exit":
 *
 *   0xF4-0xF7       debug exit: a write of V ends bhyve with status
 *                   (V << 1) | 1 (V masked to the access width)
 *   0xE0-0xE3       scratch register: reads return what was written
 *                   (1, 2 or 4 bytes at any of the four offsets)
 *   0xE4-0xE7       flush: writes accepted, reads 0
 *   0x2000-0x2017   IRQ line n = port - 0x2000: write 1 asserts, 0
 *                   deasserts (lines 0-15 through the 8259s and IOAPIC
 *                   pin n, 16-23 IOAPIC pin n); reads 0
 *   0xFF000000      64 KiB of RAM-like MMIO (1/2/4/8-byte accesses)
 */
#ifndef _BHYVE_PCTESTDEV_H_
#define _BHYVE_PCTESTDEV_H_

#include <stdint.h>

struct vmctx;
struct pctestdev;

#define	PCTESTDEV_EXIT_PORT	0xF4
#define	PCTESTDEV_SCRATCH_PORT	0xE0
#define	PCTESTDEV_FLUSH_PORT	0xE4
#define	PCTESTDEV_IRQ_PORT	0x2000
#define	PCTESTDEV_NIRQ		24
#define	PCTESTDEV_MEM_BASE	0xFF000000ULL
#define	PCTESTDEV_MEM_SIZE	0x10000ULL

/* Create it and claim its ports and MMIO range.  NULL with errno. */
struct pctestdev *pctestdev_init(struct vmctx *ctx);
void	pctestdev_fini(struct pctestdev *td);

/* -1 until the guest wrote the exit port, then (V << 1) | 1. */
int	pctestdev_exit_status(struct pctestdev *td);

/* The handlers (inout_func_t / mem_func_t shapes), for tests. */
int	pctestdev_pio(struct pctestdev *td, int in, int port, int bytes,
	    uint32_t *eax);
int	pctestdev_mmio(struct pctestdev *td, int dir, uint64_t addr,
	    int size, uint64_t *val);

#endif /* _BHYVE_PCTESTDEV_H_ */
