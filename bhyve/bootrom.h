/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot ROM (-l bootrom,ROM[,VARS]; lpc.bootrom / lpc.bootvars, or
 * the newer top-level bootrom / bootvars keys).
 *
 * The ROM file is mapped read-only so that it ends at 4 GiB, where the
 * reset vector F000:FFF0 (physical 0xFFFFFFF0) finds it; the variable
 * store, if any, is mapped read-write right below it and written back
 * to its file when bhyve exits.  Guest writes to the ROM are ignored.
 *
 * Below 1 MiB the guest finds a copy of the ROM's top, ending at
 * 0xFFFFF, in its RAM (bootrom_shadow_size(): all of a ROM of up to
 * 256 KiB, which a legacy BIOS image links to fill 0xC0000-0xFFFFF,
 * else the top 128 KiB, the E and F segments).  That is the BIOS area
 * of a PC whose firmware has set the chipset's PAM registers to "RAM,
 * read/write" and copied itself there: the state SeaBIOS needs for its
 * variables, for the code a 256 KiB image keeps at 0xC0000-0xDFFFF and
 * for the tables fw_cfg DMA writes there.  Our host bridge has no PAM
 * registers (neither has bhyve's), so firmware cannot get there by
 * itself.  As in Xen, whose hvmloader copies SeaBIOS to RAM ending at
 * 1 MiB, the area then stays writable.
 */
#ifndef _BHYVE_BOOTROM_H_
#define _BHYVE_BOOTROM_H_

#include <stddef.h>

struct vmctx;

#define	BOOTROM_MAXSIZE		(16u << 20)	/* ROM + VARS */
#define	BOOTROM_SHADOW_END	0x100000u	/* the BIOS area ends here */
#define	BOOTROM_SHADOW_MAX	0x40000u	/* 0xC0000-0xFFFFF */
#define	BOOTROM_LEGACY_SIZE	0x20000u	/* 0xE0000-0xFFFFF */

/* The configured ROM path, or NULL. */
const char *bootrom_path(void);

/*
 * Map the configured ROM and VARS, if any.  0 (also when none is
 * configured), or -1 with a message printed.
 */
int	bootrom_init(struct vmctx *ctx);

/* Bytes of the ROM's top copied into the BIOS area (see above). */
size_t	bootrom_shadow_size(size_t romsize);

/* Write the variable store back to its file (also done at exit). */
int	bootrom_sync_vars(void);

/*
 * Check a ROM / VARS pair of sizes: 0, or -1 with *why set to a
 * message.  Exposed for tests.
 */
int	bootrom_check_sizes(size_t romsize, size_t varsize, const char **why);

#endif /* _BHYVE_BOOTROM_H_ */
