/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's physical memory map as BIOS INT 15h E820 reports it (ACPI
 * 6.4 15 "System Address Map Interfaces"), for the Linux loader's
 * boot_params and fw_cfg "etc/e820":
 *
 *   [0, 0x9FC00)                 RAM
 *   [0x9FC00, 0x100000)          reserved: EBDA, VGA hole, BIOS area
 *                                (our MP, SMBIOS and ACPI tables)
 *   [0x100000, lowmem)           RAM
 *   [0xE0000000, 0xF0000000)     reserved: PCIe ECAM (MCFG)
 *   [0xFEC00000, 4 GiB)          reserved: IOAPIC, HPET, LAPIC, boot ROM
 *   [4 GiB, 4 GiB + highmem)     RAM
 */
#ifndef _BHYVE_E820_H_
#define _BHYVE_E820_H_

#include <stddef.h>
#include <stdint.h>

struct vmctx;

#define	E820_TYPE_MEMORY	1
#define	E820_TYPE_RESERVED	2
#define	E820_TYPE_ACPI		3
#define	E820_TYPE_NVS		4

#define	E820_MAX_ENTRIES	8
#define	E820_EBDA_BASE		0x9FC00ULL
#define	E820_ENTRY_SIZE		20	/* packed: base, length, type */

struct e820_entry {
	uint64_t	base;
	uint64_t	length;
	uint32_t	type;
};

/*
 * The map for `lowmem' bytes of RAM at 0 and `highmem' bytes at 4 GiB,
 * in address order, non-overlapping.  Returns the number of entries,
 * or -ENOSPC if `max' is too small.
 */
int	e820_compute(uint64_t lowmem, uint64_t highmem, struct e820_entry *e,
	    int max);

/* The map of the VM `ctx' (lowmem and highmem from libvmmapi). */
int	e820_get_entries(struct vmctx *ctx, struct e820_entry *e, int max);

/* The fw_cfg "etc/e820" encoding: n packed little-endian entries of
 * 20 bytes {u64 address, u64 length, u32 type} into buf. */
void	e820_encode(const struct e820_entry *e, int n, uint8_t *buf);

#endif /* _BHYVE_E820_H_ */
