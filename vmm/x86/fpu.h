/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x87, MMX and SSE state of the software CPU (fpu.c, sse.c, xsave.c;
 * issue 6).  Private to those files and to the decoder's table entries.
 *
 * The guest state lives in cpu->fxstate in the FXSAVE layout (SDM Vol 1
 * 10.5.1, Table 10-2) with two internal differences, undone by the
 * FXSAVE/FSAVE/XSAVE image conversions in xsave.c:
 *   - the 80-bit registers are kept by PHYSICAL register R0..R7 (so that
 *     MMi is slot i whatever TOP is); the image holds them in ST order;
 *   - FIP and FDP are kept 64 bits wide (the REX.W layout); FCS and FDS
 *     are not kept: CPUID.7.EBX[13] tells the guest they read as 0.
 */
#ifndef _VMM_X86_FPU_H_
#define _VMM_X86_FPU_H_

#include "vmm/x86/ops.h"

/* Offsets in cpu->fxstate (FXSAVE layout). */
#define FX_FCW		0
#define FX_FSW		2
#define FX_FTW		4	/* abridged: bit i = physical Ri not empty */
#define FX_FOP		6
#define FX_FIP		8
#define FX_FDP		16
#define FX_MXCSR	24
#define FX_MXCSR_MASK	28
#define FX_ST		32	/* 8 x 16 bytes, physical order */
#define FX_XMM		160	/* 16 x 16 bytes */

/* x87 status word (SDM Vol 1 8.1.3). */
#define FSW_IE		0x0001
#define FSW_DE		0x0002
#define FSW_ZE		0x0004
#define FSW_OE		0x0008
#define FSW_UE		0x0010
#define FSW_PE		0x0020
#define FSW_SF		0x0040
#define FSW_ES		0x0080
#define FSW_C0		0x0100
#define FSW_C1		0x0200
#define FSW_C2		0x0400
#define FSW_C3		0x4000
#define FSW_B		0x8000
#define FSW_TOP_SHIFT	11
#define FSW_TOP		(7u << FSW_TOP_SHIFT)
#define FSW_CC		(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* x87 control word bits that exist (Vol 1 8.1.5; 6, 7, 13-15 reserved). */
#define FCW_VALID	0x1f3f
#define FCW_ONE		0x0040	/* bit 6 reads as 1 (as the hardware does) */

/* MXCSR (SDM Vol 1 10.2.3). */
#define MXCSR_FLAGS	0x003f
#define MXCSR_DAZ	0x0040
#define MXCSR_MASKS	0x1f80
#define MXCSR_FTZ	0x8000
#define MXCSR_VALID	0xffffu	/* our MXCSR_MASK */
#define MXCSR_RESET	0x1f80u

/* XCR0 components offered (SDM Vol 1 13.1). */
#define XCR0_X87	0x1ull
#define XCR0_SSE	0x2ull
#define XCR0_SUPPORTED	(XCR0_X87 | XCR0_SSE)
#define XSAVE_SIZE	576	/* legacy area + header */

static inline uint16_t
fx_get16(const struct x86_cpu *cpu, unsigned off)
{
	uint16_t v;

	memcpy(&v, cpu->fxstate + off, 2);
	return (v);
}

static inline void
fx_put16(struct x86_cpu *cpu, unsigned off, uint16_t v)
{
	memcpy(cpu->fxstate + off, &v, 2);
}

static inline uint32_t
fx_mxcsr(const struct x86_cpu *cpu)
{
	uint32_t v;

	memcpy(&v, cpu->fxstate + FX_MXCSR, 4);
	return (v);
}

static inline void
fx_set_mxcsr(struct x86_cpu *cpu, uint32_t v)
{
	memcpy(cpu->fxstate + FX_MXCSR, &v, 4);
}

static inline uint8_t *
fx_xmm(struct x86_cpu *cpu, unsigned r)
{
	return (cpu->fxstate + FX_XMM + 16 * (r & 15));
}

/* Physical x87 register / MMX register i (80 bits in a 16-byte slot). */
static inline uint8_t *
fx_phys(struct x86_cpu *cpu, unsigned i)
{
	return (cpu->fxstate + FX_ST + 16 * (i & 7));
}

static inline unsigned
fx_top(const struct x86_cpu *cpu)
{
	return ((fx_get16(cpu, FX_FSW) >> FSW_TOP_SHIFT) & 7);
}

/*
 * Device-not-available and friends (SDM Vol 3 2.5 Table 2-2, 13.1,
 * Vol 2 "SIMD Floating-Point Exceptions" class tables).  Every x87, MMX
 * and SSE handler starts with one of these.
 */
enum fp_kind {
	FPK_X87,	/* waiting x87: EM|TS -> #NM, then pending #MF */
	FPK_X87_NW,	/* FNINIT FNCLEX FNSTSW FNSTCW FNSTENV FNSAVE */
	FPK_MMX,	/* EM -> #UD, TS -> #NM, pending x87 -> #MF */
	FPK_SSE,	/* EM or !OSFXSR -> #UD, TS -> #NM */
	FPK_FXSR,	/* FXSAVE/FXRSTOR: EM|TS -> #NM */
	FPK_XSAVE,	/* !OSXSAVE -> #UD, TS -> #NM */
};
int	x86_fp_check(struct x86_cpu *cpu, enum fp_kind k) X86_WUR;
/* Pending x87 exception at a waiting instruction: #MF or FERR#. */
int	x86_fp_pending(struct x86_cpu *cpu) X86_WUR;

/* MMX register write side effects: TOP = 0, all tags valid (SDM 9.5). */
void	x86_mmx_enter(struct x86_cpu *cpu);

/* fpu.c */
void	x86_fpu_reset(struct x86_cpu *cpu);	/* FNINIT state */
void	x86_fsw_update_es(struct x86_cpu *cpu);
uint16_t x86_fpu_full_tag(struct x86_cpu *cpu);	/* FSTENV tag word */
/* xsave.c: 0F AE /0../6 memory forms (called from x86_op_grp15) */
X86_OP(x86_op_fp_grp15);
/* XGETBV / XSETBV, called from grp7 (0F 01 D0 / D1) */
int	x86_op_xgetsetbv(struct x86_cpu *cpu, const struct x86_insn *in)
	    X86_WUR;
/* sse.c: every MMX/SSE opcode of maps 0F, 0F38, 0F3A */
X86_OP(x86_op_sse);
/* The host has SSE3..SSE4.2 to execute them with (cpuid.c asks). */
bool	x86_sse_host_full(void);

#endif /* _VMM_X86_FPU_H_ */
