/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMBIOS tables (DMTF DSP0134 3.x; we present version 3.0 through both
 * the 32-bit entry point "_SM_"/"_DMI_" (5.2.1), for older readers and
 * firmware, and the 64-bit one "_SM3_" (5.2.2), which Linux and
 * dmidecode look for first; both name the same structures, and both lie
 * on 16-byte boundaries in 0xF0000-0xFFFFF where readers scan):
 *
 *   SMBIOS_GPA + 0x00   "_SM_" entry point, 0x1F bytes
 *   SMBIOS_GPA + 0x20   "_SM3_" entry point, 0x18 bytes
 *   SMBIOS_GPA + 0x40   the structure table
 *
 * The structures: types 0 BIOS, 1 system
 * (UUID from the "uuid" key, else derived from host name and VM name),
 * 2 baseboard, 3 chassis, 4 processor (one per socket), 16 memory
 * array, 17 memory device, 19 array mapped addresses (lowmem, highmem),
 * 32 boot information, 127 end.  Strings from the bios.*, system.*,
 * board.*, chassis.* keys (bhyve_config(5)), with bhyve's defaults.
 */
#ifndef _BHYVE_SMBIOSTBL_H_
#define _BHYVE_SMBIOSTBL_H_

#include <stddef.h>
#include <stdint.h>

struct vmctx;

#define	SMBIOS_GPA	0xF1000ULL	/* entry points, 16-byte aligned */
#define	SMBIOS_MAXLEN	0x1400		/* up to the ACPI area (0xF2400) */
#define	SMBIOS_EPS_LEN	0x1F		/* the 32-bit entry point */
#define	SMBIOS_EPS3_OFF	0x20		/* the 64-bit entry point */
#define	SMBIOS_EPS3_LEN	0x18
#define	SMBIOS_TABLE_OFF 0x40		/* the structures, after them */
#define	SMBIOS_MAJOR	3		/* the version the structures follow */
#define	SMBIOS_MINOR	0

struct smbios_params {
	uint64_t	lowmem;
	uint64_t	highmem;
	int		sockets, cores, threads;
	uint8_t		uuid[16];	/* RFC 4122 byte order */
};

/*
 * The UUID for the config: the "uuid" key, else a name-based one: two
 * FNV-1a 64-bit hashes of "hostname/vmname" (different offset bases),
 * with the RFC 4122 variant and version 8 ("custom") bits set.
 */
int	smbios_uuid(const char *vmname, uint8_t uuid[16]);

/* Build both entry points + table for guest address `gpa' (the layout
 * above); the length or -ENOSPC / -EINVAL. */
long	smbios_build(const struct smbios_params *p, uint64_t gpa,
	    uint8_t *buf, size_t bufsize);

/* Build into guest memory at SMBIOS_GPA.  0 or -errno. */
int	smbios_install(struct vmctx *ctx, const struct smbios_params *p);

#endif /* _BHYVE_SMBIOSTBL_H_ */
