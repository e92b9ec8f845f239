/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private interfaces between the system-architecture files of the
 * software CPU (mmu.c seg.c except.c system.c msr.c cpuid.c).  Nothing
 * here is a contract with the core: that is cpu.h and sysinsn.h.
 */
#ifndef _VMM_X86_MMU_H_
#define _VMM_X86_MMU_H_

#include "vmm/x86/cpu.h"

#define X86_MAXPHYADDR	40		/* CPUID 0x80000008 EAX[7:0] */
#define X86_MAXLINADDR	48
#define X86_PHYS_MASK	((1ull << X86_MAXPHYADDR) - 1)

/* VMX-layout access rights of struct x86_seg (SDM Vol 3 24.4.1). */
#define X86_AR_TYPE	0x000f
#define X86_AR_A	0x0001		/* accessed */
#define X86_AR_RW	0x0002		/* data writable / code readable */
#define X86_AR_DC	0x0004		/* data expand-down / code conforming */
#define X86_AR_CODE	0x0008
#define X86_AR_S	0x0010		/* code or data (not system) */
#define X86_AR_DPL(a)	(((a) >> 5) & 3)
#define X86_AR_P	0x0080
#define X86_AR_L	0x2000
#define X86_AR_DB	0x4000
#define X86_AR_G	0x8000
#define X86_AR_UNUSABLE	0x10000

/* System descriptor types (SDM Vol 3 3.5, Table 3-2). */
#define X86_SYS_TSS16	0x1
#define X86_SYS_LDT	0x2
#define X86_SYS_TSS16B	0x3
#define X86_SYS_CALL16	0x4
#define X86_SYS_TASK	0x5
#define X86_SYS_INT16	0x6
#define X86_SYS_TRAP16	0x7
#define X86_SYS_TSS	0x9		/* 32-bit / 64-bit available TSS */
#define X86_SYS_TSSB	0xb		/* busy */
#define X86_SYS_CALL	0xc
#define X86_SYS_INT	0xe
#define X86_SYS_TRAP	0xf

static inline bool
x86_canonical(uint64_t la)
{
	return ((uint64_t)((int64_t)(la << (64 - X86_MAXLINADDR)) >>
	    (64 - X86_MAXLINADDR)) == la);
}

static inline bool
x86_long_mode(const struct x86_cpu *cpu)
{
	return ((cpu->efer & X86_EFER_LMA) != 0);
}

/* mmu.c */
int	x86_seg_check(struct x86_cpu *cpu, int seg, uint64_t off,
	    unsigned size, int acc, uint64_t *la) X86_WUR;
int	x86_seg_check_cache(struct x86_cpu *cpu, const struct x86_seg *s,
	    bool stack, uint64_t off, unsigned size, int acc, uint64_t *la)
	    X86_WUR;
/* Host pointer for an atomic access at a linear address (NULL: none). */
int	x86_lptr(struct x86_cpu *cpu, uint64_t la, unsigned size, int acc,
	    void **hp) X86_WUR;
/* PAE PDPTE registers (SDM Vol 3 4.4.1): X86_FAULT (#GP(0)) if invalid. */
int	x86_mmu_load_pdptes(struct x86_cpu *cpu, uint64_t cr3) X86_WUR;
/* Resync the TLB with CR0/CR3/CR4/EFER (flushes what changed). */
void	x86_mmu_sync(struct x86_cpu *cpu);

/* seg.c: descriptors. */
struct x86_desc {
	uint64_t	lo, hi;		/* hi: upper half of 16-byte ones */
};
/* Read the descriptor for sel; #GP(sel) (or vector `vec`) if outside. */
int	x86_desc_read(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d,
	    int vec) X86_WUR;
int	x86_desc_read16(struct x86_cpu *cpu, uint16_t sel,
	    struct x86_desc *d, int vec) X86_WUR;
void	x86_desc_to_seg(const struct x86_desc *d, uint16_t sel,
	    struct x86_seg *s);
int	x86_desc_set_accessed(struct x86_cpu *cpu, uint16_t sel,
	    struct x86_desc *d) X86_WUR;
void	x86_seg_null(struct x86_seg *s, uint16_t sel);
void	x86_seg_real(struct x86_seg *s, uint16_t sel, bool code);
/* Check a stack segment for the new privilege `cpl`; err vector #TS. */
int	x86_check_ss(struct x86_cpu *cpu, uint16_t sel, unsigned cpl,
	    int vec, struct x86_seg *out) X86_WUR;
/* Checks on the CS popped by RETF/IRET (SDM Vol 2 RET, IRET). */
int	x86_ret_cs(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d)
	    X86_WUR;
/* SS popped on a return to outer privilege `rpl` (to64: 64-bit code). */
int	x86_ret_ss(struct x86_cpu *cpu, uint16_t sel, unsigned rpl,
	    bool to64, struct x86_seg *ss) X86_WUR;
/* After a return to outer privilege: null DS/ES/FS/GS not accessible. */
void	x86_seg_fixup_outer(struct x86_cpu *cpu);

/*
 * A stack under construction: pushes and pops go through a copy of the
 * SS cache and a private RSP so that nothing is committed until the
 * whole transfer has succeeded (faults stay restartable).
 */
struct x86_stack {
	struct x86_seg	ss;
	uint64_t	rsp;
	uint8_t		size;		/* stack address size: 2, 4 or 8 */
	bool		l64;		/* 64-bit mode: no segmentation */
	int		acc;		/* 0 or X86_ACC_SUPER */
	int64_t		err;		/* #SS error code for limit faults */
};
void	x86_stk_cur(struct x86_cpu *cpu, struct x86_stack *s);
int	x86_stk_push(struct x86_cpu *cpu, struct x86_stack *s, uint64_t v,
	    unsigned n) X86_WUR;
int	x86_stk_pop(struct x86_cpu *cpu, struct x86_stack *s, uint64_t *v,
	    unsigned n) X86_WUR;
/* Store back RSP of a stack (respecting its size). */
void	x86_stk_commit(struct x86_cpu *cpu, const struct x86_stack *s);
/*
 * Stack for privilege `dpl` from the current TSS (SDM Vol 3 7.2.1, 7.7;
 * ist != 0: IA-32e interrupt stack table).  ext: EXT bit of #TS codes.
 */
int	x86_tss_stack(struct x86_cpu *cpu, unsigned dpl, unsigned ist,
	    struct x86_stack *st, int64_t ext) X86_WUR;

/* task.c: hardware task switch to the TSS `sel` (SDM Vol 3 7.3). */
enum { X86_TS_JMP, X86_TS_CALL, X86_TS_IRET, X86_TS_INT };
int	x86_task_switch(struct x86_cpu *cpu, uint16_t sel, int reason,
	    int64_t err, uint64_t next_rip, int depth) X86_WUR;

/* except.c */
/* x86_deliver() of a hardware event, nested `depth` deep (task switch). */
int	x86_deliver_depth(struct x86_cpu *cpu, int vector, int64_t err,
	    uint64_t next_rip, int depth) X86_WUR;
uint64_t x86_flags_for_iret(struct x86_cpu *cpu, uint64_t cur,
	    uint64_t v, unsigned opsize, unsigned cpl);

/* cpuid.c: is the feature (leaf, register 0-3 = EAX-EDX, bit) offered? */
bool	x86_cpuid_has(uint32_t leaf, int reg, unsigned bit);

/* system.c */
int	x86_set_cr0(struct x86_cpu *cpu, uint64_t v) X86_WUR;
int	x86_set_cr4(struct x86_cpu *cpu, uint64_t v) X86_WUR;
/* msr.c */
int	x86_set_efer(struct x86_cpu *cpu, uint64_t v) X86_WUR;
uint64_t x86_tsc(struct x86_cpu *cpu);		/* guest TSC now */

#endif /* _VMM_X86_MMU_H_ */
