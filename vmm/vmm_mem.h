/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest physical memory (DESIGN §4).  One host reservation, PROT_NONE,
 * covers the whole guest-physical space plus a guard region below and
 * above it; segments are memfds mapped MAP_SHARED|MAP_FIXED into it, so a
 * gpa's host address is always base + gpa and everything not mapped is a
 * guard that faults.
 *
 * sysmem is one segment (VM_SYSMEM) seen at [0, lowmem) and at
 * [4 GiB, 4 GiB + highmem); devmem segments (boot ROM, framebuffer) are
 * named and mapped where the guest sees them, read-only or read-write.
 *
 * Below 1 MiB a PC chipset decodes [0xA0000, 0x100000) to VGA and ROMs
 * rather than DRAM.  So there, and only there, a devmem mapping may lie
 * over sysmem ("shadow"): the guest sees the devmem while it is mapped
 * (a read-only one is a ROM: writes are dropped), vm_map_gpa() refuses
 * the range, and unmapping it shows the RAM underneath again.  sysmem
 * must be set up first.
 */
#ifndef _VMM_VMM_MEM_H_
#define _VMM_VMM_MEM_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define	VMM_PAGE_SIZE		4096ULL
#define	VMM_PAGE_MASK		(VMM_PAGE_SIZE - 1)
/*
 * Guards as FreeBSD's MAP_GUARD gaps.  512 GiB of guest-physical space,
 * or down to 8 GiB when the host limits address space.
 */
#define	VMM_GUARD_SIZE		(4ULL << 20)
#define	VMM_GPA_LIMIT		(1ULL << 39)
#define	VMM_GPA_MIN		(1ULL << 33)
#define	VMM_LOWMEM_LIMIT	(3ULL << 30)
#define	VMM_HIGHMEM_BASE	(4ULL << 30)
#define	VMM_LEGACY_BASE		0xA0000ULL	/* the legacy hole */
#define	VMM_LEGACY_END		0x100000ULL
#define	VMM_MAX_MEMSEGS		8
#define	VMM_MAX_MEMMAPS		16
#define	VMM_SEGNAME_MAX		64

/* prot bits are PROT_READ/WRITE/EXEC from <sys/mman.h>. */

struct vmm_mem;

struct vmm_mem *vmm_mem_create(void);
void	vmm_mem_destroy(struct vmm_mem *m);

/*
 * Back the next allocation of segment `segid` with `fd` (a file of at
 * least the segment's size, which the memory then takes over) instead of
 * a fresh memfd: how a named VM's sysmem lives in a file that outlives
 * the process (libvmmapi/vmmapi_persist.c).  -1 forgets a preset fd.
 */
int	vmm_mem_set_backing(struct vmm_mem *m, int segid, int fd);
/* sysmem of `len` bytes split at VMM_LOWMEM_LIMIT; once per VM. */
int	vmm_mem_setup_sysmem(struct vmm_mem *m, size_t len);
/* A named device segment; returns 0 and a host view in *hostp. */
int	vmm_mem_alloc_devmem(struct vmm_mem *m, int segid, const char *name,
	    size_t len, void **hostp);
int	vmm_mem_mmap(struct vmm_mem *m, uint64_t gpa, int segid,
	    uint64_t off, size_t len, int prot);
int	vmm_mem_munmap(struct vmm_mem *m, uint64_t gpa, size_t len);
/* Guest memory in core dumps (VM_MEM_F_INCORE) or not. */
void	vmm_mem_set_dump(struct vmm_mem *m, bool incore);

/*
 * Host pointer for [gpa, gpa + len) if the whole range lies inside one
 * sysmem mapping, else NULL.  Overflow-safe; the check every guest-
 * supplied address goes through.
 */
void	*vmm_mem_map_gpa(struct vmm_mem *m, uint64_t gpa, size_t len);
/* gpa of a host pointer into sysmem, or (uint64_t)-1. */
uint64_t vmm_mem_rev_map(struct vmm_mem *m, const void *host);

/*
 * The CPU's view: host address of the 4 KiB page holding gpa, or NULL
 * when it is not memory (MMIO) or a write to a read-only mapping.
 */
uint8_t	*vmm_mem_ram_page(struct vmm_mem *m, uint64_t gpa, bool write);
/* Protection of the mapping holding gpa, or -1 when none. */
int	vmm_mem_prot(struct vmm_mem *m, uint64_t gpa);

size_t	vmm_mem_lowmem(struct vmm_mem *m);
size_t	vmm_mem_highmem(struct vmm_mem *m);
/* End of the highest guest-physical mapping (at least 4 GiB). */
uint64_t vmm_mem_top(struct vmm_mem *m);
uint8_t	*vmm_mem_base(struct vmm_mem *m);

#endif /* _VMM_VMM_MEM_H_ */
