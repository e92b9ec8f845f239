/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot ROM (-l bootrom,ROM[,VARS]; lpc.bootrom / lpc.bootvars, or
 * the newer top-level bootrom / bootvars keys).
 *
 * The ROM file is mapped read-only so that it ends at 4 GiB, where the
 * reset vector F000:FFF0 (physical 0xFFFFFFF0) finds it; the variable
 * store, if any, is mapped read-write right below it and written back
 * to its file when bhyve exits.  The last 128 KiB of the ROM (all of a
 * smaller one) also show at the top of 0xE0000-0xFFFFF, for firmware and
 * test programs that run below 1 MiB: read-only there too, as a PC's
 * BIOS area after POST has write-protected its shadow RAM (there are no
 * PAM registers to make it writable).  Guest writes to the ROM are
 * ignored; the variable store is the only writable part.
 */
#ifndef _BHYVE_BOOTROM_H_
#define _BHYVE_BOOTROM_H_

#include <stddef.h>

struct vmctx;

#define	BOOTROM_MAXSIZE		(16u << 20)	/* ROM + VARS */
#define	BOOTROM_LEGACY_BASE	0xE0000u
#define	BOOTROM_LEGACY_SIZE	0x20000u

/* The configured ROM path, or NULL. */
const char *bootrom_path(void);

/*
 * Map the configured ROM and VARS, if any.  0 (also when none is
 * configured), or -1 with a message printed.
 */
int	bootrom_init(struct vmctx *ctx);

/* Write the variable store back to its file (also done at exit). */
int	bootrom_sync_vars(void);

/*
 * Check a ROM / VARS pair of sizes: 0, or -1 with *why set to a
 * message.  Exposed for tests.
 */
int	bootrom_check_sizes(size_t romsize, size_t varsize, const char **why);

#endif /* _BHYVE_BOOTROM_H_ */
