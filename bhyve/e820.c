/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * E820 memory map (see e820.h for the layout).  The reserved ranges
 * follow DESIGN §6: tables in the BIOS area, ECAM at 0xE0000000 and the
 * interrupt controllers, HPET and boot ROM in the top 20 MiB below 4 GiB.
 */
#include <errno.h>

#include "bhyve/e820.h"
#include "bhyve/le_bytes.h"
#include "libvmmapi/vmmapi.h"

#define	MB		(1ULL << 20)
#define	ECAM_BASE	0xE0000000ULL
#define	ECAM_END	0xF0000000ULL
#define	APIC_BASE	0xFEC00000ULL
#define	FOUR_GB		(4ULL << 30)

static int
add(struct e820_entry *e, int n, int max, uint64_t base, uint64_t end,
    uint32_t type)
{
	if (n < 0 || end <= base)
		return (n);
	if (n >= max)
		return (-ENOSPC);
	e[n].base = base;
	e[n].length = end - base;
	e[n].type = type;
	return (n + 1);
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return (a < b ? a : b);
}

int
e820_compute(uint64_t lowmem, uint64_t highmem, struct e820_entry *e,
    int max)
{
	int n = 0;

	/* Lowmem never reaches the PCI hole (VM_LOWMEM_LIMIT, 3 GiB). */
	lowmem = min_u64(lowmem, ECAM_BASE);
	n = add(e, n, max, 0, min_u64(lowmem, E820_EBDA_BASE),
	    E820_TYPE_MEMORY);
	n = add(e, n, max, E820_EBDA_BASE, MB, E820_TYPE_RESERVED);
	n = add(e, n, max, MB, lowmem, E820_TYPE_MEMORY);
	n = add(e, n, max, ECAM_BASE, ECAM_END, E820_TYPE_RESERVED);
	n = add(e, n, max, APIC_BASE, FOUR_GB, E820_TYPE_RESERVED);
	if (highmem > 0)
		n = add(e, n, max, FOUR_GB, FOUR_GB + highmem,
		    E820_TYPE_MEMORY);
	return (n);
}

int
e820_get_entries(struct vmctx *ctx, struct e820_entry *e, int max)
{
	return (e820_compute(vm_get_lowmem_size(ctx),
	    vm_get_highmem_size(ctx), e, max));
}

void
e820_encode(const struct e820_entry *e, int n, uint8_t *buf)
{
	for (int i = 0; i < n; i++, buf += E820_ENTRY_SIZE) {
		put_le(buf, e[i].base, 8);
		put_le(buf + 8, e[i].length, 8);
		put_le(buf + 16, e[i].type, 4);
	}
}
