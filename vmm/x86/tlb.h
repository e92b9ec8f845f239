/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The soft TLB's layout (mmu.c owns it; see the design comment there)
 * and the inline fast path for data accesses that hit it, so that the
 * handlers' common case (64-bit mode, RAM, one page, TLB hit) needs no
 * call into mmu.c.  Everything else goes to x86_vread/x86_vwrite.
 */
#ifndef _VMM_X86_TLB_H_
#define _VMM_X86_TLB_H_

#include <string.h>

#include "vmm/x86/cpu.h"

#define TLB_BITS	8
#define TLB_N		(1u << TLB_BITS)
#define TLB_INVALID	(~0ull)
enum { TLB_R, TLB_W, TLB_X, TLB_NKIND };

#define TLBF_MMIO	0x01		/* not RAM: bus->mmio */
#define TLBF_CODE	0x02		/* write entry of a code page */
#define TLBF_SLOW	(TLBF_MMIO | TLBF_CODE)
#define TLBF_GLOBAL	0x10
#define TLBF_LARGE	0x20		/* piece of a 2M/4M/1G page */
#define TLBF_SHIFT(f)	((f) >> 8)	/* log2 of the page size */

struct tlb_ent {
	uint64_t	tag;		/* linear page number or TLB_INVALID */
	uint8_t		*host;
	uint64_t	gpa;		/* of the 4 KiB page */
	uint32_t	flags;
};

struct x86_tlb {
	struct tlb_ent	e[2][TLB_NKIND][TLB_N];	/* [user][kind][index] */
	uint64_t	epoch;		/* mach->tlb_epoch seen */
	_Atomic uint64_t *epoch_src;
	bool		has_large;
	bool		pdpte_valid;
	uint64_t	pdpte_cr3;
	uint64_t	pdpte[4];
	/* paging controls the entries were built under */
	uint64_t	s_cr0, s_cr3, s_cr4, s_efer;
};

/*
 * cpu->tlb_fast: the TLB half (user or supervisor) the inline path may
 * use, or NULL while it must not (not 64-bit mode, no TLB, data
 * breakpoints armed).  Recomputed wherever one of those changes:
 * x86_update_mode (mode, CPL), x86_mmu_init/fini, run.c (DR7).
 */
static inline void
x86_tlb_fast_sync(struct x86_cpu *cpu)
{
	struct x86_tlb *t = cpu->tlb;

	cpu->tlb_fast = t != NULL && cpu->mode == CPU_MODE_64BIT &&
	    !cpu->dbg_data ? &t->e[cpu->cpl == 3][0][0] : NULL;
}

/*
 * The TLB entry for a 64-bit-mode data access of `size` bytes at
 * seg:off when it hits and lies within one page, else NULL.  The entry
 * is the one of the first byte's page, its tag compared with the last
 * byte's page: a page-crossing access cannot match, since the next
 * page has another index.  Tags only ever hold canonical page numbers,
 * so a hit also proves the address canonical.  CPL 3 with RFLAGS.AC may
 * need an alignment check: left to mmu.c.
 */
static inline __attribute__((always_inline)) struct tlb_ent *
x86_tlb_hit64(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    int kind, uint64_t *la)
{
	struct tlb_ent *e = cpu->tlb_fast;

	if (__builtin_expect(e == NULL, 0))
		return (NULL);
	if (__builtin_expect(seg == X86_FS || seg == X86_GS, 0))
		off += cpu->seg[seg].base;
	if (__builtin_expect((cpu->rflags & X86_AC) && cpu->cpl == 3, 0))
		return (NULL);
	e += kind * TLB_N + ((off >> 12) & (TLB_N - 1));
	if (__builtin_expect(e->tag != (off + size - 1) >> 12, 0))
		return (NULL);
	*la = off;
	return (e);
}

/* Inline read of 1, 2, 4 or 8 bytes; zero-extended into *v. */
static inline __attribute__((always_inline)) int X86_WUR
x86_fast_read(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    uint64_t *v)
{
	struct tlb_ent *e;
	const uint8_t *p;
	uint64_t la = 0;

	e = x86_tlb_hit64(cpu, seg, off, size, TLB_R, &la);
	if (__builtin_expect(e != NULL && e->host != NULL, 1)) {
		p = e->host + (la & 0xfff);
		switch (size) {
		case 1:
			*v = *p;
			return (X86_OK);
		case 2: {
			uint16_t x;

			memcpy(&x, p, 2);
			*v = x;
			return (X86_OK);
		}
		case 4: {
			uint32_t x;

			memcpy(&x, p, 4);
			*v = x;
			return (X86_OK);
		}
		case 8:
			memcpy(v, p, 8);
			return (X86_OK);
		default:
			break;
		}
	}
	*v = 0;
	return (x86_vread(cpu, seg, off, size, v));
}

/*
 * Inline write of 1, 2, 4 or 8 bytes.  Write entries of code pages and
 * MMIO carry TLBF_SLOW; a moved tlb_epoch (a page newly holds decoded
 * code) sends the write to mmu.c, which drops the stale entries.
 */
static inline __attribute__((always_inline)) int X86_WUR
x86_fast_write(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    uint64_t v)
{
	struct tlb_ent *e;
	uint8_t *p;
	uint64_t la = 0;

	e = x86_tlb_hit64(cpu, seg, off, size, TLB_W, &la);
	if (__builtin_expect(e != NULL && !(e->flags & TLBF_SLOW) &&
	    atomic_load_explicit(cpu->tlb->epoch_src, memory_order_acquire) ==
	    cpu->tlb->epoch, 1)) {
		p = e->host + (la & 0xfff);
		switch (size) {
		case 1: {
			uint8_t x = (uint8_t)v;

			memcpy(p, &x, 1);
			return (X86_OK);
		}
		case 2: {
			uint16_t x = (uint16_t)v;

			memcpy(p, &x, 2);
			return (X86_OK);
		}
		case 4: {
			uint32_t x = (uint32_t)v;

			memcpy(p, &x, 4);
			return (X86_OK);
		}
		case 8:
			memcpy(p, &v, 8);
			return (X86_OK);
		default:
			break;
		}
	}
	return (x86_vwrite(cpu, seg, off, size, &v));
}

#endif /* _VMM_X86_TLB_H_ */
