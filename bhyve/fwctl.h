/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyve's own firmware-control interface, "fwctl" (lpc.fwcfg=bhyve, the
 * default; only with a boot ROM).  Its consumer is the UEFI boot ROM
 * (edk2 OvmfPkg BhyveFwCtlLib); it shares ports 0x510/0x511 with QEMU's
 * fw_cfg, so only one of the two exists in a VM.
 *
 *   0x510  16-bit write of 0: reset, then the signature can be read
 *          32-bit writes: request words; 32-bit reads: response words
 *   0x511  8-bit reads: the signature "BHYV", one byte a read
 *
 * The device does not look at which of the two ports is used (bhyve's
 * does not either); 0x511 only takes reads.  A conversation:
 *
 *   outw 0x510, 0; inb 0x511 x 4            -> 'B' 'H' 'Y' 'V'
 *   outl 0x510: size, op, txid, data...     size = 12 + data bytes; the
 *                                           data is sent as ceil(/4)
 *                                           words, the last zero-padded
 *   inl 0x510: size, op, txid, error, data  size = 16 + data rounded up
 *                                           to 4; op and txid echoed
 *
 * Operations: GET (3) and GET_LEN (4) take a NUL-terminated name of at
 * most FWCTL_NAME_MAX bytes (else error E2BIG, no data) and answer
 * ENOENT for an unknown one.  GET's data is the value's length as a
 * 64-bit little-endian number, then the value; GET_LEN's data is only
 * that length.  Every other operation answers ENOENT without data.
 * Known name: "hw.ncpu", the vCPU count as a 32-bit little-endian int.
 *
 * Accesses that do not fit the current state read as all ones (0xFF,
 * 0xFFFF, 0xFFFFFFFF) and are otherwise ignored; a request size below
 * the 12-byte header is dropped (bhyve exits there) and counted.
 */
#ifndef _BHYVE_FWCTL_H_
#define _BHYVE_FWCTL_H_

#include <stdint.h>

struct fwctl;

#define	FWCTL_PORT_OUT		0x510
#define	FWCTL_PORT_IN		0x511

#define	FWCTL_OP_NULL		1
#define	FWCTL_OP_ECHO		2
#define	FWCTL_OP_GET		3
#define	FWCTL_OP_GET_LEN	4
#define	FWCTL_OP_SET		5

/* Error codes as FreeBSD numbers them: the guest firmware expects those,
 * whatever the host's errno values are. */
#define	FWCTL_ENOENT		2
#define	FWCTL_E2BIG		7

#define	FWCTL_REQ_HDR_LEN	12	/* size, op, txid */
#define	FWCTL_RESP_HDR_LEN	16	/* size, op, txid, error */
#define	FWCTL_NAME_MAX		80	/* request data bytes GET accepts */
#define	FWCTL_VALUE_MAX		4096	/* bytes of one value */
#define	FWCTL_MAX_NODES		8

/* The device, answering "hw.ncpu" with `ncpus'.  NULL with errno. */
struct fwctl *fwctl_create(int ncpus);
void	fwctl_destroy(struct fwctl *fc);

/*
 * Another name for GET / GET_LEN, value copied: 0, -EEXIST, -EINVAL (bad
 * name or size), -ENOSPC.
 */
int	fwctl_add_node(struct fwctl *fc, const char *name, const void *data,
	    uint32_t len);

/* Claim ports 0x510 (in/out) and 0x511 (in) (inout.h).  0 or -errno. */
int	fwctl_register(struct fwctl *fc);
void	fwctl_unregister(struct fwctl *fc);

/* The port handler (inout_func_t shape), for tests.  Always 0. */
int	fwctl_pio(struct fwctl *fc, int in, int port, int bytes,
	    uint32_t *eax);

/* Accesses refused so far (wrong state or width, bad request sizes). */
uint64_t fwctl_bad_requests(struct fwctl *fc);

#endif /* _BHYVE_FWCTL_H_ */
