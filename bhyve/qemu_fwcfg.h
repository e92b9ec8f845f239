/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU's firmware configuration device (lpc.fwcfg=qemu), after QEMU's
 * documentation "QEMU Firmware Configuration (fw_cfg) Device":
 *
 *   0x510  selector, 16-bit write (resets the data offset)
 *   0x511  data, read byte by byte with auto-increment; past the end: 0
 *   0x514  DMA address high 32 bits, big-endian
 *   0x518  DMA address low 32 bits, big-endian; writing it runs the DMA
 *          (reading 0x514/0x518 gives the "QEMU CFG" signature)
 *
 * Items: the legacy keys below, then files 0x0020.. listed in the file
 * directory (key 0x0019) sorted by name.  Writes (legacy data-port
 * writes, DMA write) are refused: DMA sets the error bit.
 */
#ifndef _BHYVE_QEMU_FWCFG_H_
#define _BHYVE_QEMU_FWCFG_H_

#include <stdint.h>

struct vmctx;
struct qemu_fwcfg;

#define	FWCFG_PORT_SEL		0x510
#define	FWCFG_PORT_DATA		0x511
#define	FWCFG_PORT_DMA		0x514	/* 8 bytes: high, low */

#define	FWCFG_SIGNATURE		0x0000
#define	FWCFG_ID		0x0001
#define	FWCFG_UUID		0x0002
#define	FWCFG_RAM_SIZE		0x0003
#define	FWCFG_NOGRAPHIC		0x0004
#define	FWCFG_NB_CPUS		0x0005
#define	FWCFG_MAX_CPUS		0x000F
#define	FWCFG_FILE_DIR		0x0019
#define	FWCFG_FILE_FIRST	0x0020
#define	FWCFG_MAX_FILES		256
#define	FWCFG_FILE_NAMELEN	56	/* with the NUL */

#define	FWCFG_ID_TRADITIONAL	0x01
#define	FWCFG_ID_DMA		0x02

/* FWCfgDmaAccess.control bits. */
#define	FWCFG_DMA_ERROR		0x01
#define	FWCFG_DMA_READ		0x02
#define	FWCFG_DMA_SKIP		0x04
#define	FWCFG_DMA_SELECT	0x08
#define	FWCFG_DMA_WRITE		0x10

/* The device for VM `ctx' (guest memory for DMA), with the signature
 * and ID items.  NULL on allocation failure. */
struct qemu_fwcfg *qemu_fwcfg_create(struct vmctx *ctx);
void	qemu_fwcfg_destroy(struct qemu_fwcfg *fc);

/* A legacy item (key < 0x0020), copied.  0 or -errno. */
int	qemu_fwcfg_add_item(struct qemu_fwcfg *fc, uint16_t key,
	    const void *data, uint32_t size);
/* A named file, copied; -EEXIST for a duplicate name, -EINVAL for a
 * bad one.  The directory keys (0x20 + index by name) follow. */
int	qemu_fwcfg_add_file(struct qemu_fwcfg *fc, const char *name,
	    const void *data, uint32_t size);

/* Claim the ports (inout.h). */
int	qemu_fwcfg_register(struct qemu_fwcfg *fc);
void	qemu_fwcfg_unregister(struct qemu_fwcfg *fc);

/* The port handler (inout_func_t shape), for tests. */
int	qemu_fwcfg_pio(struct qemu_fwcfg *fc, int in, int port, int bytes,
	    uint32_t *eax);

/* Requests refused so far (bad DMA, bad widths, writes). */
uint64_t qemu_fwcfg_bad_requests(struct qemu_fwcfg *fc);

#endif /* _BHYVE_QEMU_FWCFG_H_ */
