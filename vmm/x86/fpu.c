/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The x87 FPU (SDM Vol 1 ch. 8, Vol 2 D8-DF) and the checks shared by
 * every x87/MMX/SSE instruction (Vol 3 2.5, 13.1).
 *
 * Backend choice: this emulator runs x86 guests on x86-64 hosts, so the
 * arithmetic is done by the HOST's x87 unit on 80-bit long doubles, one
 * instruction at a time: the guest's control word (precision and
 * rounding control) is loaded with FLDCW with every exception masked,
 * the host instruction runs, FNSTSW reads the flags back and the host
 * control word is restored.  Results are therefore bit-exact with the
 * hardware, including the transcendental instructions' documented
 * accuracy and all NaN/denormal rules.  The guest's exception semantics
 * (unmasked exceptions, ES/B, #MF at the next waiting instruction) are
 * applied afterwards from the returned flags.  A portable soft-float
 * backend could replace the hx_* helpers below without touching the
 * instruction handlers.
 *
 * Deviations (documented, see issue 6 report):
 *   - unmasked #O/#U with a register destination store the biased
 *     result: computed here for FADD/FSUB/FMUL/FDIV (all forms), by the
 *     host's x87 with #O/#U unmasked for D9 F0-FF (FSCALE, FYL2X, ...);
 *   - CR0.NE = 0 (MS-DOS compatible FERR#/IRQ13 reporting): FERR#
 *     is signalled and the instruction proceeds at once, as if IGNNE#
 *     were asserted right after (see x86_fp_pending());
 *   - FCS/FDS are not kept (CPUID.7.EBX[13] set: they read as 0);
 *     FIP/FDP/FOP are updated by every non-control instruction;
 *   - FCW reserved bits read back as the host has them: bit 6 = 1,
 *     bits 7 and 13-15 = 0;
 *   - values the SDM calls undefined or "processor specific" (FBSTP of
 *     invalid digits, FSIN/FCOS/FPTAN beyond 2^63, C0/C2/C3 after
 *     arithmetic, unsupported formats such as unnormals) are the host's.
 */
#include "vmm/x86/fpu.h"

union f80 {
	long double	ld;
	uint8_t		b[16];
};

struct m80 {
	uint8_t		b[10];
};

/* ---- Checks ---- */

int
x86_fp_check(struct x86_cpu *cpu, enum fp_kind k)
{
	uint64_t cr0 = cpu->cr0;

	switch (k) {
	case FPK_X87:
	case FPK_X87_NW:
	case FPK_FXSR:
		if (cr0 & (X86_CR0_EM | X86_CR0_TS))
			return (x86_raise(cpu, IDT_NM, -1));
		break;
	case FPK_MMX:
		if (cr0 & X86_CR0_EM)
			return (x86_raise(cpu, IDT_UD, -1));
		if (cr0 & X86_CR0_TS)
			return (x86_raise(cpu, IDT_NM, -1));
		break;
	case FPK_SSE:
		if ((cr0 & X86_CR0_EM) || !(cpu->cr4 & X86_CR4_OSFXSR))
			return (x86_raise(cpu, IDT_UD, -1));
		if (cr0 & X86_CR0_TS)
			return (x86_raise(cpu, IDT_NM, -1));
		return (X86_OK);
	case FPK_XSAVE:
		if (!(cpu->cr4 & X86_CR4_OSXSAVE))
			return (x86_raise(cpu, IDT_UD, -1));
		if (cr0 & X86_CR0_TS)
			return (x86_raise(cpu, IDT_NM, -1));
		return (X86_OK);
	}
	if (k == FPK_X87_NW || k == FPK_FXSR)
		return (X86_OK);
	/*
	 * A pending unmasked x87 exception is reported at the next waiting
	 * x87 or MMX instruction (SDM Vol 1 8.6): #MF, or FERR# when
	 * CR0.NE = 0 (see x86_fp_pending()).
	 */
	return (x86_fp_pending(cpu));
}

static void
fp_ferr(struct x86_cpu *cpu, bool asserted)
{
	if (cpu->bus != NULL && cpu->bus->ferr != NULL)
		cpu->bus->ferr(cpu->bus_ctx, cpu->vcpuid, asserted);
}

/*
 * A waiting instruction found FSW.ES set.  CR0.NE = 1: #MF (SDM Vol 1
 * 8.6).  CR0.NE = 0 (MS-DOS compatibility, SDM Vol 1 8.7 and Vol 3
 * "Handling x87 FPU exceptions in software"): the processor asserts
 * FERR#, which a PC routes to IRQ13 of the 8259, and freezes before the
 * instruction until IGNNE# is asserted (the handler's write to port
 * 0xF0).  Here FERR# goes to the bus and the instruction then proceeds
 * at once, as if IGNNE# had been asserted right after signalling: the
 * guest's IRQ13 handler runs when the CPU next looks for interrupts
 * (between blocks, run.c), as with any device IRQ; on hardware it runs
 * before the frozen instruction completes.  The bus latches FERR# (one
 * edge per exception); x87 instructions clearing ES (FNCLEX, FNINIT,
 * FNSAVE, FLDCW/FNSTENV masking it, FLDENV/FRSTOR) release it, as does
 * the port 0xF0 write (handled by the bus, x86_vmm.c).  FXRSTOR and
 * XRSTOR do not (xsave.c).
 */
int
x86_fp_pending(struct x86_cpu *cpu)
{
	if (!(fx_get16(cpu, FX_FSW) & FSW_ES))
		return (X86_OK);
	if (cpu->cr0 & X86_CR0_NE)
		return (x86_raise(cpu, IDT_MF, -1));
	fp_ferr(cpu, true);
	return (X86_OK);
}

void
x86_mmx_enter(struct x86_cpu *cpu)
{
	fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) & ~FSW_TOP);
	cpu->fxstate[FX_FTW] = 0xff;
}

/* ---- Host x87 helpers ---- */

#define X87_PRE	"fnstcw %[hcw]\n\tfnclex\n\tfldcw %[gcw]\n\t"
/*
 * FNCLEX before FLDCW (a waiting instruction): with #O/#U unmasked for
 * the host (host_cw_ou()) a pending exception would otherwise trap.
 */
#define X87_POST "\n\tfnstsw %[sw]\n\tfnclex\n\tfldcw %[hcw]"
#define X87_CW	[sw] "=m" (sw), [hcw] "=m" (hcw)

/* Guest control word with every exception masked for the host. */
static inline uint16_t
host_cw(const struct x86_cpu *cpu)
{
	return ((uint16_t)((fx_get16(cpu, FX_FCW) & 0x0f00) | 0x7f));
}

/*
 * As host_cw() but with the guest's #O/#U masks: for the instructions
 * whose unmasked #O/#U result (exponent biased by -+24576, SDM Vol 1
 * 4.9.1.4, 4.9.1.5, 8.5.4, 8.5.5) is left to the host's x87 (D9 F0-FF).
 * The pending host exception is cleared by X87_POST before any waiting
 * instruction.
 */
static inline uint16_t
host_cw_ou(const struct x86_cpu *cpu)
{
	uint16_t cw = fx_get16(cpu, FX_FCW);

	return ((uint16_t)(host_cw(cpu) & ~(~cw & (FSW_OE | FSW_UE))));
}

#define OPC(b0, b1)	((b0) << 8 | (b1))

/* One operand ST0 in and out. */
#define HXU(b0, b1) case OPC(b0, b1): \
	__asm__ volatile(X87_PRE ".byte " #b0 ", " #b1 X87_POST \
	    : "=t" (r), X87_CW : "0" (a), [gcw] "m" (gcw)); break

static long double
hx_un(unsigned op, uint16_t gcw, long double a, uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	long double r = a;

	switch (op) {
	HXU(0xd9, 0xe0);	/* FCHS */
	HXU(0xd9, 0xe1);	/* FABS */
	HXU(0xd9, 0xe4);	/* FTST */
	HXU(0xd9, 0xe5);	/* FXAM */
	HXU(0xd9, 0xf0);	/* F2XM1 */
	HXU(0xd9, 0xfa);	/* FSQRT */
	HXU(0xd9, 0xfc);	/* FRNDINT */
	HXU(0xd9, 0xfe);	/* FSIN */
	HXU(0xd9, 0xff);	/* FCOS */
	default:
		break;
	}
	*swp = sw;
	return (r);
}

/* ST0 = a, ST1 = b in; both out (ST0 OP ST1 forms, FPREM, FSCALE). */
#define HXB(b0, b1) case OPC(b0, b1): \
	__asm__ volatile(X87_PRE ".byte " #b0 ", " #b1 X87_POST \
	    : "=t" (r0), "=u" (r1), X87_CW \
	    : "0" (a), "1" (b), [gcw] "m" (gcw)); break

static long double
hx_bin(unsigned op, uint16_t gcw, long double a, long double b,
    long double *r1p, uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	long double r0 = a, r1 = b;

	switch (op) {
	HXB(0xd8, 0xc1);	/* FADD ST0, ST1 */
	HXB(0xd8, 0xc9);	/* FMUL */
	HXB(0xd8, 0xd1);	/* FCOM ST1 */
	HXB(0xd8, 0xe1);	/* FSUB: ST0 - ST1 */
	HXB(0xd8, 0xe9);	/* FSUBR: ST1 - ST0 */
	HXB(0xd8, 0xf1);	/* FDIV */
	HXB(0xd8, 0xf9);	/* FDIVR */
	HXB(0xdd, 0xe1);	/* FUCOM ST1 */
	HXB(0xd9, 0xf8);	/* FPREM */
	HXB(0xd9, 0xf5);	/* FPREM1 */
	HXB(0xd9, 0xfd);	/* FSCALE */
	default:
		break;
	}
	if (r1p != NULL)
		*r1p = r1;
	*swp = sw;
	return (r0);
}

/*
 * ST0 OP memory operand with the host's own memory form, so that the
 * operand conversion and the operation report flags exactly as one
 * instruction (a NaN in ST0 hides a denormal memory operand, ...).
 */
#define HXM(k, ins) case k: \
	__asm__ volatile(X87_PRE ins " %[m]" X87_POST \
	    : "=t" (r), X87_CW : "0" (a), [m] "m" (*(const uint64_t *)p), \
	    [gcw] "m" (gcw)); break
#define HXM8(f, s) \
	HXM(f * 8 + 0, "fadd" s); HXM(f * 8 + 1, "fmul" s); \
	HXM(f * 8 + 2, "fcom" s); HXM(f * 8 + 3, "fcom" s); \
	HXM(f * 8 + 4, "fsub" s); HXM(f * 8 + 5, "fsubr" s); \
	HXM(f * 8 + 6, "fdiv" s); HXM(f * 8 + 7, "fdivr" s)
#define HXMI8(f, s) \
	HXM(f * 8 + 0, "fiadd" s); HXM(f * 8 + 1, "fimul" s); \
	HXM(f * 8 + 2, "ficom" s); HXM(f * 8 + 3, "ficom" s); \
	HXM(f * 8 + 4, "fisub" s); HXM(f * 8 + 5, "fisubr" s); \
	HXM(f * 8 + 6, "fidiv" s); HXM(f * 8 + 7, "fidivr" s)

/* row: 0 m32fp (D8), 1 m32int (DA), 2 m64fp (DC), 3 m16int (DE) */
static long double
hx_mem(unsigned row, unsigned reg, uint16_t gcw, long double a,
    const uint8_t *p, uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	long double r = a;

	switch (row * 8 + reg) {
	HXM8(0, "s");
	HXMI8(1, "l");
	HXM8(2, "l");
	HXMI8(3, "s");
	default:
		break;
	}
	*swp = sw;
	return (r);
}

/* ST0 = a, ST1 = b in, one result out (FYL2X, FPATAN, FYL2XP1). */
#define HXP(b0, b1) case OPC(b0, b1): \
	__asm__ volatile(X87_PRE ".byte " #b0 ", " #b1 X87_POST \
	    : "=t" (r), X87_CW : "0" (a), "u" (b), [gcw] "m" (gcw) \
	    : "st(1)"); break

static long double
hx_pop(unsigned op, uint16_t gcw, long double a, long double b,
    uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	long double r = b;

	switch (op) {
	HXP(0xd9, 0xf1);	/* FYL2X */
	HXP(0xd9, 0xf3);	/* FPATAN */
	HXP(0xd9, 0xf9);	/* FYL2XP1 */
	default:
		break;
	}
	*swp = sw;
	return (r);
}

/* ST0 in, two out (FPTAN, FXTRACT, FSINCOS): r0 new ST0, r1 new ST1. */
#define HXX(b0, b1) case OPC(b0, b1): \
	__asm__ volatile(X87_PRE ".byte " #b0 ", " #b1 X87_POST \
	    : "=t" (r0), "=u" (r1), X87_CW : "0" (a), [gcw] "m" (gcw)); \
	break

static long double
hx_push(unsigned op, uint16_t gcw, long double a, long double *r1p,
    uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	long double r0 = a, r1 = a;

	switch (op) {
	HXX(0xd9, 0xf2);	/* FPTAN */
	HXX(0xd9, 0xf4);	/* FXTRACT */
	HXX(0xd9, 0xfb);	/* FSINCOS */
	default:
		break;
	}
	*r1p = r1;
	*swp = sw;
	return (r0);
}

/* Constants (rounded by RC as the hardware does). */
#define HXK(b0, b1) case OPC(b0, b1): \
	__asm__ volatile(X87_PRE ".byte " #b0 ", " #b1 X87_POST \
	    : "=t" (r), X87_CW : [gcw] "m" (gcw)); break

static long double
hx_const(unsigned op, uint16_t gcw, uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	long double r = 0;

	switch (op) {
	HXK(0xd9, 0xe8);
	HXK(0xd9, 0xe9);
	HXK(0xd9, 0xea);
	HXK(0xd9, 0xeb);
	HXK(0xd9, 0xec);
	HXK(0xd9, 0xed);
	HXK(0xd9, 0xee);
	default:
		break;
	}
	*swp = sw;
	return (r);
}

/* Memory format conversions. */
enum { MF_F32, MF_F64, MF_F80, MF_I16, MF_I32, MF_I64, MF_BCD, MF_TT16,
	MF_TT32, MF_TT64 };

static long double
hx_load(unsigned fmt, const uint8_t *p, uint16_t gcw, uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	long double r = 0;
	union f80 u;
	float f;
	double d;
	int16_t i16;
	int32_t i32;
	int64_t i64;

	switch (fmt) {
	case MF_F32:
		memcpy(&f, p, 4);
		__asm__ volatile(X87_PRE "flds %[m]" X87_POST
		    : "=t" (r), X87_CW : [m] "m" (f), [gcw] "m" (gcw));
		break;
	case MF_F64:
		memcpy(&d, p, 8);
		__asm__ volatile(X87_PRE "fldl %[m]" X87_POST
		    : "=t" (r), X87_CW : [m] "m" (d), [gcw] "m" (gcw));
		break;
	case MF_F80:
		memset(&u, 0, sizeof(u));
		memcpy(u.b, p, 10);
		r = u.ld;
		break;
	case MF_I16:
		memcpy(&i16, p, 2);
		r = i16;
		break;
	case MF_I32:
		memcpy(&i32, p, 4);
		r = i32;
		break;
	case MF_I64:
		memcpy(&i64, p, 8);
		r = (long double)i64;
		break;
	case MF_BCD:
		__asm__ volatile(X87_PRE "fbld %[m]" X87_POST
		    : "=t" (r), X87_CW
		    : [m] "m" (*(const struct m80 *)p), [gcw] "m" (gcw));
		break;
	default:
		break;
	}
	*swp = sw;
	return (r);
}

/* Store ST0 = a in format fmt to p (size by format); ST0 is kept. */
static void
hx_store(unsigned fmt, uint8_t *p, uint16_t gcw, long double a,
    uint16_t *swp)
{
	uint16_t sw = 0, hcw;
	union f80 u;
	float f = 0;
	double d = 0;
	int16_t i16 = 0;
	int32_t i32 = 0;
	int64_t i64 = 0;
	struct m80 m;

	switch (fmt) {
	case MF_F32:
		__asm__ volatile(X87_PRE "fsts %[m]" X87_POST
		    : [m] "=m" (f), X87_CW : "t" (a), [gcw] "m" (gcw));
		memcpy(p, &f, 4);
		break;
	case MF_F64:
		__asm__ volatile(X87_PRE "fstl %[m]" X87_POST
		    : [m] "=m" (d), X87_CW : "t" (a), [gcw] "m" (gcw));
		memcpy(p, &d, 8);
		break;
	case MF_F80:
		u.ld = a;
		memcpy(p, u.b, 10);
		break;
	case MF_I16:
		__asm__ volatile(X87_PRE "fists %[m]" X87_POST
		    : [m] "=m" (i16), X87_CW : "t" (a), [gcw] "m" (gcw));
		memcpy(p, &i16, 2);
		break;
	case MF_I32:
		__asm__ volatile(X87_PRE "fistl %[m]" X87_POST
		    : [m] "=m" (i32), X87_CW : "t" (a), [gcw] "m" (gcw));
		memcpy(p, &i32, 4);
		break;
	case MF_I64:	/* only a popping form exists: duplicate first */
		__asm__ volatile(X87_PRE "fld %%st(0)\n\tfistpll %[m]"
		    X87_POST : [m] "=m" (i64), X87_CW : "t" (a),
		    [gcw] "m" (gcw));
		memcpy(p, &i64, 8);
		break;
	case MF_TT16:
		__asm__ volatile(X87_PRE "fld %%st(0)\n\tfisttps %[m]"
		    X87_POST : [m] "=m" (i16), X87_CW : "t" (a),
		    [gcw] "m" (gcw));
		memcpy(p, &i16, 2);
		break;
	case MF_TT32:
		__asm__ volatile(X87_PRE "fld %%st(0)\n\tfisttpl %[m]"
		    X87_POST : [m] "=m" (i32), X87_CW : "t" (a),
		    [gcw] "m" (gcw));
		memcpy(p, &i32, 4);
		break;
	case MF_TT64:
		__asm__ volatile(X87_PRE "fld %%st(0)\n\tfisttpll %[m]"
		    X87_POST : [m] "=m" (i64), X87_CW : "t" (a),
		    [gcw] "m" (gcw));
		memcpy(p, &i64, 8);
		break;
	case MF_BCD:
		__asm__ volatile(X87_PRE "fld %%st(0)\n\tfbstp %[m]"
		    X87_POST : [m] "=m" (m), X87_CW : "t" (a),
		    [gcw] "m" (gcw));
		memcpy(p, m.b, 10);
		break;
	default:
		break;
	}
	*swp = sw;
}

static const uint8_t fmt_size[] = {
	[MF_F32] = 4, [MF_F64] = 8, [MF_F80] = 10, [MF_I16] = 2,
	[MF_I32] = 4, [MF_I64] = 8, [MF_BCD] = 10, [MF_TT16] = 2,
	[MF_TT32] = 4, [MF_TT64] = 8,
};

/* ---- Guest register stack ---- */

static inline bool
st_empty(struct x86_cpu *cpu, unsigned i)
{
	return (!((cpu->fxstate[FX_FTW] >> ((fx_top(cpu) + i) & 7)) & 1));
}

static long double
st_get(struct x86_cpu *cpu, unsigned i)
{
	union f80 u;

	memset(&u, 0, sizeof(u));
	memcpy(u.b, fx_phys(cpu, fx_top(cpu) + i), 10);
	return (u.ld);
}

static void
st_set(struct x86_cpu *cpu, unsigned i, long double v)
{
	unsigned r = (fx_top(cpu) + i) & 7;
	union f80 u;
	uint8_t *p = fx_phys(cpu, r);

	u.ld = v;
	memcpy(p, u.b, 10);
	memset(p + 10, 0, 6);
	cpu->fxstate[FX_FTW] |= (uint8_t)(1u << r);
}

static void
set_top(struct x86_cpu *cpu, unsigned top)
{
	fx_put16(cpu, FX_FSW, (uint16_t)((fx_get16(cpu, FX_FSW) & ~FSW_TOP) |
	    ((top & 7) << FSW_TOP_SHIFT)));
}

static void
st_pop(struct x86_cpu *cpu)
{
	unsigned top = fx_top(cpu);

	cpu->fxstate[FX_FTW] &= (uint8_t)~(1u << top);
	set_top(cpu, top + 1);
}

static void
st_push(struct x86_cpu *cpu, long double v)
{
	set_top(cpu, fx_top(cpu) - 1);
	st_set(cpu, 0, v);
}

/* The real indefinite (SDM Vol 1 4.8.3.7). */
static long double
indefinite(void)
{
	union f80 u;

	memset(&u, 0, sizeof(u));
	u.b[7] = 0xc0;
	u.b[8] = 0xff;
	u.b[9] = 0xff;
	return (u.ld);
}

void
x86_fsw_update_es(struct x86_cpu *cpu)
{
	uint16_t sw = fx_get16(cpu, FX_FSW), cw = fx_get16(cpu, FX_FCW);

	if (sw & ~cw & 0x3f) {
		sw |= FSW_ES | FSW_B;
	} else {
		/* FLDCW/FSTENV masking, FLDENV/FRSTOR: FERR# released */
		if (sw & FSW_ES)
			fp_ferr(cpu, false);
		sw &= (uint16_t)~(FSW_ES | FSW_B);
	}
	fx_put16(cpu, FX_FSW, sw);
}

/*
 * Merge host status `hsw` into the guest FSW: exception flags accumulate,
 * the condition codes in `ccmask` are taken from the host.  Returns true
 * when the result may be stored (no unmasked exception other than #P).
 */
#define CC_CMP	0x10000u	/* compare: C0-C3 set even when unmasked */

static bool
fp_merge(struct x86_cpu *cpu, uint16_t hsw, unsigned ccmask)
{
	uint16_t sw = fx_get16(cpu, FX_FSW), cw = fx_get16(cpu, FX_FCW);
	uint16_t ex = hsw & 0x3f, unm = ex & ~cw & 0x3f;

	/*
	 * An unmasked pre-computation exception (#I, #D, #Z) stops the
	 * operation: the post-computation flags the masked host run also
	 * raised (#O #U #P) are not reported (SDM Vol 1 8.5).
	 */
	if (unm & (FSW_IE | FSW_DE | FSW_ZE)) {
		ex &= FSW_IE | FSW_DE | FSW_ZE;
		if (!(ccmask & CC_CMP))	/* compares still set C0-C3 */
			ccmask = 0;
	}
	ccmask &= FSW_CC;
	sw = (uint16_t)(((sw | ex) & ~ccmask) | (hsw & ccmask));
	if (unm)
		sw |= FSW_ES | FSW_B;
	fx_put16(cpu, FX_FSW, sw);
	return (!(unm & ~FSW_PE));
}

/*
 * Stack fault (SDM Vol 1 8.5.1.1): underflow (c1 = 0) or overflow
 * (c1 = 1).  Returns true when #IA is masked and the instruction goes on
 * with the indefinite.
 */
static bool
fp_stack_fault(struct x86_cpu *cpu, bool overflow)
{
	uint16_t sw = fx_get16(cpu, FX_FSW), cw = fx_get16(cpu, FX_FCW);

	sw |= FSW_IE | FSW_SF;
	sw = (uint16_t)((sw & ~FSW_C1) | (overflow ? FSW_C1 : 0));
	if (!(cw & FSW_IE))
		sw |= FSW_ES | FSW_B;
	fx_put16(cpu, FX_FSW, sw);
	return ((cw & FSW_IE) != 0);
}

/* Fetch ST(i) or report underflow; false: stop (unmasked). */
static bool
st_src(struct x86_cpu *cpu, unsigned i, long double *v, bool *empty)
{
	if (!st_empty(cpu, i)) {
		*v = st_get(cpu, i);
		return (true);
	}
	*empty = true;
	*v = indefinite();
	return (fp_stack_fault(cpu, false));
}

void
x86_fpu_reset(struct x86_cpu *cpu)
{
	fx_put16(cpu, FX_FCW, 0x037f);
	fx_put16(cpu, FX_FSW, 0);
	cpu->fxstate[FX_FTW] = 0;
	memset(cpu->fxstate + FX_FOP, 0, 2 + 8 + 8);
}

/* Full tag word from the abridged one and the contents (Vol 1 8.1.7). */
uint16_t
x86_fpu_full_tag(struct x86_cpu *cpu)
{
	uint16_t tw = 0, exp;
	uint64_t mant;
	unsigned r, t;
	uint8_t *p;

	for (r = 0; r < 8; r++) {
		p = fx_phys(cpu, r);
		memcpy(&mant, p, 8);
		memcpy(&exp, p + 8, 2);
		exp &= 0x7fff;
		if (!((cpu->fxstate[FX_FTW] >> r) & 1))
			t = 3;
		else if (exp == 0x7fff || (exp == 0 && mant != 0) ||
		    (exp != 0 && !(mant >> 63)))
			t = 2;
		else if (exp == 0)
			t = 1;
		else
			t = 0;
		tw |= (uint16_t)(t << (2 * r));
	}
	return (tw);
}

/* ---- Environment images (Vol 1 8.1.10, Figures 8-9 to 8-12) ---- */

static bool
env_real(const struct x86_cpu *cpu)
{
	return (!(cpu->cr0 & X86_CR0_PE) || (cpu->rflags & X86_VM));
}

/* Build the 14- or 28-byte environment; returns its size. */
static unsigned
env_build(struct x86_cpu *cpu, unsigned opsize, uint8_t *e)
{
	uint16_t cw = fx_get16(cpu, FX_FCW), sw = fx_get16(cpu, FX_FSW);
	uint16_t tw = x86_fpu_full_tag(cpu), fop = fx_get16(cpu, FX_FOP);
	uint64_t fip, fdp;
	uint32_t w[7];
	uint16_t h[7];

	memcpy(&fip, cpu->fxstate + FX_FIP, 8);
	memcpy(&fdp, cpu->fxstate + FX_FDP, 8);
	if (opsize != 2) {
		w[0] = 0xffff0000u | cw;
		w[1] = 0xffff0000u | sw;
		w[2] = 0xffff0000u | tw;
		if (env_real(cpu)) {
			w[3] = 0xffff0000u | (uint16_t)fip;
			w[4] = (uint32_t)((fip >> 16) & 0xffff) << 12 |
			    (fop & 0x7ff);
			w[5] = 0xffff0000u | (uint16_t)fdp;
			w[6] = (uint32_t)((fdp >> 16) & 0xffff) << 12;
		} else {
			w[3] = (uint32_t)fip;
			w[4] = (uint32_t)(fop & 0x7ff) << 16;	/* FCS 0 */
			w[5] = (uint32_t)fdp;
			w[6] = 0;				/* FDS 0 */
		}
		memcpy(e, w, 28);
		return (28);
	}
	h[0] = cw;
	h[1] = sw;
	h[2] = tw;
	h[3] = (uint16_t)fip;
	h[5] = (uint16_t)fdp;
	if (env_real(cpu)) {
		h[4] = (uint16_t)(((fip >> 16) & 0xf) << 12 | (fop & 0x7ff));
		h[6] = (uint16_t)(((fdp >> 16) & 0xf) << 12);
	} else {
		h[4] = 0;
		h[6] = 0;
	}
	memcpy(e, h, 14);
	return (14);
}

static void
env_load(struct x86_cpu *cpu, unsigned opsize, const uint8_t *e)
{
	uint32_t w[7];
	uint16_t h[7], tw;
	uint64_t fip, fdp;
	uint16_t fop = 0;
	unsigned r;

	if (opsize != 2) {
		memcpy(w, e, 28);
		for (r = 0; r < 7; r++)
			h[r] = (uint16_t)w[r];
		if (env_real(cpu)) {
			fip = (uint16_t)w[3] | (uint64_t)((w[4] >> 12) &
			    0xffff) << 16;
			fop = w[4] & 0x7ff;
			fdp = (uint16_t)w[5] | (uint64_t)((w[6] >> 12) &
			    0xffff) << 16;
		} else {
			fip = w[3];
			fop = (w[4] >> 16) & 0x7ff;
			fdp = w[5];
		}
	} else {
		memcpy(h, e, 14);
		if (env_real(cpu)) {
			fip = h[3] | (uint64_t)(h[4] >> 12) << 16;
			fop = h[4] & 0x7ff;
			fdp = h[5] | (uint64_t)(h[6] >> 12) << 16;
		} else {
			fip = h[3];
			fdp = h[5];
		}
	}
	fx_put16(cpu, FX_FCW, (uint16_t)((h[0] & FCW_VALID) | FCW_ONE));
	fx_put16(cpu, FX_FSW, h[1]);
	tw = h[2];
	cpu->fxstate[FX_FTW] = 0;
	for (r = 0; r < 8; r++)
		if (((tw >> (2 * r)) & 3) != 3)
			cpu->fxstate[FX_FTW] |= (uint8_t)(1u << r);
	fx_put16(cpu, FX_FOP, fop);
	memcpy(cpu->fxstate + FX_FIP, &fip, 8);
	memcpy(cpu->fxstate + FX_FDP, &fdp, 8);
	x86_fsw_update_es(cpu);
}

/* FNSTENV / FNSAVE (SDM Vol 2): store, then mask (FSTENV) or init. */
static int
fp_stenv(struct x86_cpu *cpu, const struct x86_insn *in, bool save)
{
	uint8_t buf[28 + 80];
	unsigned n, i;
	int rc;

	n = env_build(cpu, in->opsize, buf);
	if (save) {
		for (i = 0; i < 8; i++)
			memcpy(buf + n + 10 * i, fx_phys(cpu, fx_top(cpu) + i),
			    10);
		n += 80;
	}
	rc = x86_vwrite(cpu, in->seg, x86_ea(cpu, in), n, buf);
	if (rc != X86_OK)
		return (rc);
	if (save) {
		if (fx_get16(cpu, FX_FSW) & FSW_ES)
			fp_ferr(cpu, false);
		x86_fpu_reset(cpu);
	} else {
		fx_put16(cpu, FX_FCW, fx_get16(cpu, FX_FCW) | 0x3f);
		x86_fsw_update_es(cpu);
	}
	return (X86_OK);
}

static int
fp_ldenv(struct x86_cpu *cpu, const struct x86_insn *in, bool rstor)
{
	uint8_t buf[28 + 80];
	unsigned n = in->opsize == 2 ? 14 : 28, i;
	int rc;

	rc = x86_vread(cpu, in->seg, x86_ea(cpu, in), n + (rstor ? 80 : 0),
	    buf);
	if (rc != X86_OK)
		return (rc);
	env_load(cpu, in->opsize, buf);
	if (rstor)
		for (i = 0; i < 8; i++) {
			memcpy(fx_phys(cpu, fx_top(cpu) + i), buf + n + 10 * i,
			    10);
			memset(fx_phys(cpu, fx_top(cpu) + i) + 10, 0, 6);
		}
	return (X86_OK);
}

/* ---- Instruction helpers ---- */

/* CF/PF/ZF from C0/C2/C3 (FCOMI family, SDM Vol 2 FCOMI). */
static void
fp_set_eflags(struct x86_cpu *cpu, uint16_t hsw)
{
	uint32_t f = 0;

	if (hsw & FSW_C0)
		f |= X86_CF;
	if (hsw & FSW_C2)
		f |= X86_PF;
	if (hsw & FSW_C3)
		f |= X86_ZF;
	x86_set_arith(cpu, f);
}

/* Arithmetic ModRM.reg -> host opcode computing a OP b, a = dest. */
static const uint16_t arith_op[8] = {
	OPC(0xd8, 0xc1), OPC(0xd8, 0xc9), OPC(0xd8, 0xd1), OPC(0xd8, 0xd1),
	OPC(0xd8, 0xe1), OPC(0xd8, 0xe9), OPC(0xd8, 0xf1), OPC(0xd8, 0xf9),
};

static int
ld_exp(long double x)
{
	union f80 u;
	uint16_t e;

	u.ld = x;
	memcpy(&e, u.b + 8, 2);
	return (e & 0x7fff);
}

/* x * 2^k, exact while the result stays in range. */
static long double
ld_scale(long double x, int k)
{
	uint16_t sw;

	return (hx_bin(OPC(0xd9, 0xfd), 0x037f, x, (long double)k, NULL, &sw));
}

/*
 * Unmasked #O or #U with a register destination (SDM Vol 1 8.5.4,
 * 8.5.5): the result is stored with its exponent adjusted by -24576
 * (overflow) or +24576 (underflow), rounded as usual.  Computed by
 * scaling the operand(s) by 2^-+24576 first, which is exact for the one
 * farther from 1.  Returns true with the result and its flags (#O or #U
 * kept, #P and C1 from the scaled operation).
 */
static bool
fp_biased(struct x86_cpu *cpu, unsigned reg, long double a, long double b,
    uint16_t hsw, long double *r, uint16_t *swp)
{
	uint16_t unm = hsw & ~fx_get16(cpu, FX_FCW) & 0x3f, sw;
	int k, ea = ld_exp(a) - 16383, eb = ld_exp(b) - 16383;
	bool first;

	if (unm & (FSW_IE | FSW_DE | FSW_ZE))
		return (false);
	if (unm & FSW_OE)
		k = -24576;
	else if (unm & FSW_UE)
		k = 24576;
	else
		return (false);
	switch (reg) {
	case 0: case 4: case 5:		/* add, sub: both */
		a = ld_scale(a, k);
		b = ld_scale(b, k);
		break;
	case 1:				/* mul: the larger (smaller) one */
		first = k < 0 ? ea >= eb : ea <= eb;
		if (first)
			a = ld_scale(a, k);
		else
			b = ld_scale(b, k);
		break;
	case 6:				/* a / b */
	case 7:				/* b / a */
		if (reg == 7) {
			int t = ea;

			ea = eb;
			eb = t;
		}
		/* numerator ea, denominator eb */
		first = k < 0 ? ea >= -eb : -ea >= eb;
		if (first == (reg == 6))
			a = ld_scale(a, first ? k : -k);
		else
			b = ld_scale(b, first ? k : -k);
		break;
	default:
		return (false);
	}
	*r = hx_bin(arith_op[reg], host_cw(cpu), a, b, NULL, &sw);
	*swp = (uint16_t)((sw & ~(FSW_OE | FSW_UE | FSW_DE)) |
	    (hsw & (FSW_OE | FSW_UE | FSW_DE)));
	return (true);
}

/*
 * With #U unmasked, tininess alone signals underflow, even when exact
 * (SDM Vol 1 4.9.1.5); the masked host run only reports tiny AND
 * inexact results.  Add #U for a denormal result.
 */
static uint16_t
fp_tiny(struct x86_cpu *cpu, long double r, uint16_t sw)
{
	union f80 u;
	uint64_t m;

	if (fx_get16(cpu, FX_FCW) & FSW_UE)
		return (sw);
	u.ld = r;
	memcpy(&m, u.b, 8);
	if (ld_exp(r) == 0 && m != 0)
		sw |= FSW_UE;
	return (sw);
}

/* dest ST(di) = ST(di) op src; compare ops only set C0..C3. */
static void
fp_arith(struct x86_cpu *cpu, unsigned reg, unsigned di, long double a,
    long double b, uint16_t presw, unsigned pops)
{
	uint16_t sw;
	long double r;

	r = hx_bin(arith_op[reg], host_cw(cpu), a, b, NULL, &sw);
	sw |= presw & 0x3f;
	if (reg != 2 && reg != 3)
		sw = fp_tiny(cpu, r, sw);
	if (reg != 2 && reg != 3 && fp_biased(cpu, reg, a, b, sw, &r, &sw)) {
		(void)fp_merge(cpu, sw, FSW_C1);
		st_set(cpu, di, r);
	} else if (reg == 2 || reg == 3) {
		(void)fp_merge(cpu, sw, FSW_CC);
	} else if (fp_merge(cpu, sw, FSW_C1)) {
		st_set(cpu, di, r);
	} else {
		return;
	}
	while (pops-- > 0)
		st_pop(cpu);
}

/* Memory operand format for the arithmetic rows D8 DA DC DE. */
static unsigned
arith_fmt(unsigned opc)
{
	switch (opc) {
	case 0xd8:
		return (MF_F32);
	case 0xda:
		return (MF_I32);
	case 0xdc:
		return (MF_F64);
	default:
		return (MF_I16);
	}
}

static int
fp_mem(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea)
{
	unsigned opc = in->opcode, reg = in->reg & 7, fmt = 0;
	uint8_t buf[16];
	long double a, v;
	bool empty = false;
	uint16_t sw;
	int rc;

	memset(buf, 0, sizeof(buf));
	if (opc == 0xd8 || opc == 0xda || opc == 0xdc || opc == 0xde) {
		fmt = arith_fmt(opc);
		rc = x86_vread(cpu, in->seg, ea, fmt_size[fmt], buf);
		if (rc != X86_OK)
			return (rc);
		if (!st_src(cpu, 0, &a, &empty))
			return (X86_OK);
		if (empty) {
			if (reg != 2 && reg != 3)
				st_set(cpu, 0, a);
			else
				fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) |
				    FSW_C0 | FSW_C2 | FSW_C3);
			if (reg == 3)
				st_pop(cpu);
			return (X86_OK);
		}
		v = hx_mem((opc - 0xd8) / 2, reg, host_cw(cpu), a, buf, &sw);
		if (reg != 2 && reg != 3)
			sw = fp_tiny(cpu, v, sw);
		if (reg != 2 && reg != 3 && (sw & (FSW_OE | FSW_UE))) {
			uint16_t sw2;
			long double b = hx_load(fmt, buf, 0x037f, &sw2);

			if (fp_biased(cpu, reg, a, b, sw, &v, &sw)) {
				(void)fp_merge(cpu, sw, FSW_C1);
				st_set(cpu, 0, v);
				return (X86_OK);
			}
		}
		if (reg == 2 || reg == 3) {
			if (!fp_merge(cpu, sw, FSW_CC | CC_CMP))
				return (X86_OK);	/* no pop */
		} else if (fp_merge(cpu, sw, FSW_C1)) {
			st_set(cpu, 0, v);
		} else {
			return (X86_OK);
		}
		if (reg == 3)
			st_pop(cpu);
		return (X86_OK);
	}
	/* Loads, stores and control, by (opcode, reg). */
	switch (opc << 4 | reg) {
	case 0xd90: fmt = MF_F32; goto load;
	case 0xdb0: fmt = MF_I32; goto load;
	case 0xdb5: fmt = MF_F80; goto load;
	case 0xdd0: fmt = MF_F64; goto load;
	case 0xdf0: fmt = MF_I16; goto load;
	case 0xdf4: fmt = MF_BCD; goto load;
	case 0xdf5: fmt = MF_I64; goto load;
	case 0xd92: case 0xd93: fmt = MF_F32; goto store;
	case 0xdb2: case 0xdb3: fmt = MF_I32; goto store;
	case 0xdb7: fmt = MF_F80; goto store;
	case 0xdd2: case 0xdd3: fmt = MF_F64; goto store;
	case 0xdf2: case 0xdf3: fmt = MF_I16; goto store;
	case 0xdf6: fmt = MF_BCD; goto store;
	case 0xdf7: fmt = MF_I64; goto store;
	case 0xdb1:		/* FISTTP: SSE3 */
	case 0xdd1:
	case 0xdf1:
		if (!x86_sse_host_full())
			return (x86_raise(cpu, IDT_UD, -1));
		fmt = opc == 0xdb ? MF_TT32 : opc == 0xdd ? MF_TT64 : MF_TT16;
		goto store;
	case 0xd94:
		return (fp_ldenv(cpu, in, false));
	case 0xdd4:
		return (fp_ldenv(cpu, in, true));
	case 0xd96:
		return (fp_stenv(cpu, in, false));
	case 0xdd6:
		return (fp_stenv(cpu, in, true));
	case 0xd95:
		rc = x86_vread(cpu, in->seg, ea, 2, buf);
		if (rc != X86_OK)
			return (rc);
		/* reserved bits 7, 13-15 read back as 0, bit 6 as 1 */
		fx_put16(cpu, FX_FCW, (uint16_t)(((buf[0] | buf[1] << 8) &
		    FCW_VALID) | FCW_ONE));
		x86_fsw_update_es(cpu);
		return (X86_OK);
	case 0xd97:
		return (x86_vwrite(cpu, in->seg, ea, 2,
		    cpu->fxstate + FX_FCW));
	case 0xdd7:
		return (x86_vwrite(cpu, in->seg, ea, 2,
		    cpu->fxstate + FX_FSW));
	default:
		return (x86_raise(cpu, IDT_UD, -1));
	}
load:
	rc = x86_vread(cpu, in->seg, ea, fmt_size[fmt], buf);
	if (rc != X86_OK)
		return (rc);
	if (!st_empty(cpu, 7)) {
		if (fp_stack_fault(cpu, true))
			st_push(cpu, indefinite());
		return (X86_OK);
	}
	v = hx_load(fmt, buf, host_cw(cpu), &sw);
	if (fp_merge(cpu, sw, FSW_C1))
		st_push(cpu, v);
	return (X86_OK);
store:
	if (!st_src(cpu, 0, &a, &empty))
		return (X86_OK);
	hx_store(fmt, buf, host_cw(cpu), a, &sw);
	if (!(fx_get16(cpu, FX_FCW) & FSW_UE) && (fmt == MF_F32 ||
	    fmt == MF_F64)) {
		/* exact tiny results underflow too when #U is unmasked */
		uint64_t bits = 0;

		memcpy(&bits, buf, fmt_size[fmt]);
		if (fmt == MF_F32 ? ((bits & 0x7f800000u) == 0 &&
		    (bits & 0x007fffffu) != 0) : ((bits &
		    0x7ff0000000000000ull) == 0 && (bits &
		    0x000fffffffffffffull) != 0))
			sw |= FSW_UE;
	}
	/* check first: an unmasked exception stores nothing */
	{
		uint16_t cw = fx_get16(cpu, FX_FCW);

		if ((sw & ~cw & 0x3f) & ~FSW_PE) {
			/* unmasked #O/#U to memory: no store, no #P */
			if (sw & ~cw & (FSW_OE | FSW_UE))
				sw &= (uint16_t)~(FSW_PE | FSW_C1);
			(void)fp_merge(cpu, sw, FSW_C1);
			return (X86_OK);
		}
	}
	rc = x86_vwrite(cpu, in->seg, ea, fmt_size[fmt], buf);
	if (rc != X86_OK)
		return (rc);
	(void)fp_merge(cpu, sw, FSW_C1);
	if (reg != 2)		/* all but FST/FIST pop */
		st_pop(cpu);
	return (X86_OK);
}

static bool
fcmov_cond(struct x86_cpu *cpu, unsigned opc, unsigned reg)
{
	uint32_t f = x86_arith_flags(cpu);
	bool c;

	switch (reg & 3) {
	case 0:
		c = (f & X86_CF) != 0;
		break;
	case 1:
		c = (f & X86_ZF) != 0;
		break;
	case 2:
		c = (f & (X86_CF | X86_ZF)) != 0;
		break;
	default:
		c = (f & X86_PF) != 0;
		break;
	}
	return (opc == 0xda ? c : !c);
}

/* FCOM/FUCOM/FCOMI/FUCOMI on ST0, ST(i). */
static void
fp_compare(struct x86_cpu *cpu, unsigned i, bool unordered, bool eflags,
    unsigned pops)
{
	long double a, b;
	bool empty = false;
	uint16_t sw;

	if (!st_src(cpu, 0, &a, &empty) || !st_src(cpu, i, &b, &empty))
		return;
	if (empty) {
		sw = FSW_C0 | FSW_C2 | FSW_C3;
	} else {
		(void)hx_bin(unordered ? OPC(0xdd, 0xe1) : OPC(0xd8, 0xd1),
		    host_cw(cpu), a, b, NULL, &sw);
		if (!fp_merge(cpu, sw, eflags ? FSW_C1 : FSW_CC | CC_CMP)) {
			/* EFLAGS are written even then (unordered for #I) */
			if (eflags)
				fp_set_eflags(cpu, sw);
			return;
		}
	}
	if (eflags) {
		fp_set_eflags(cpu, sw);
		fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) &
		    (uint16_t)~FSW_C1);
	} else if (empty) {
		fx_put16(cpu, FX_FSW, (uint16_t)((fx_get16(cpu, FX_FSW) &
		    ~FSW_CC) | sw));
	}
	while (pops-- > 0)
		st_pop(cpu);
}

/*
 * fp_merge() for a result the host computed with host_cw_ou(): an
 * unmasked #O or #U still stores the (biased) result, unless a
 * pre-computation exception (#I #D #Z) stopped the operation.
 */
static bool
fp_merge_ou(struct x86_cpu *cpu, uint16_t hsw, unsigned ccmask)
{
	uint16_t unm = hsw & ~fx_get16(cpu, FX_FCW) & 0x3f;

	if (fp_merge(cpu, hsw, ccmask))
		return (true);
	return (!(unm & (FSW_IE | FSW_DE | FSW_ZE)));
}

static int
fp_d9_reg(struct x86_cpu *cpu, unsigned modrm)
{
	unsigned i = modrm & 7, op = OPC(0xd9, modrm);
	long double a, b, r, r1;
	bool empty = false;
	uint16_t sw;

	switch (modrm & 0xf8) {
	case 0xc0:	/* FLD ST(i) */
		if (!st_src(cpu, i, &a, &empty))
			return (X86_OK);
		if (!st_empty(cpu, 7)) {
			if (fp_stack_fault(cpu, true))
				st_push(cpu, indefinite());
			return (X86_OK);
		}
		st_push(cpu, a);
		fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) & ~FSW_C1);
		return (X86_OK);
	case 0xc8:	/* FXCH ST(i) */
		if (!st_src(cpu, 0, &a, &empty) || !st_src(cpu, i, &b, &empty))
			return (X86_OK);
		st_set(cpu, 0, b);
		st_set(cpu, i, a);
		if (!empty)
			fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) & ~FSW_C1);
		return (X86_OK);
	case 0xd8:	/* FSTP1 alias */
		if (!st_src(cpu, 0, &a, &empty))
			return (X86_OK);
		st_set(cpu, i, a);
		st_pop(cpu);
		return (X86_OK);
	default:
		break;
	}
	switch (modrm) {
	case 0xd0:	/* FNOP */
		return (X86_OK);
	case 0xe0: case 0xe1: case 0xfa: case 0xfc: case 0xf0: case 0xfe:
	case 0xff:
		if (!st_src(cpu, 0, &a, &empty))
			return (X86_OK);
		if (empty) {
			st_set(cpu, 0, a);
			return (X86_OK);
		}
		r = hx_un(op, host_cw_ou(cpu), a, &sw);
		if (fp_merge_ou(cpu, sw, modrm >= 0xfe ? (FSW_C1 | FSW_C2) :
		    FSW_C1))
			st_set(cpu, 0, r);
		return (X86_OK);
	case 0xe4:	/* FTST */
		if (!st_src(cpu, 0, &a, &empty))
			return (X86_OK);
		if (empty) {
			fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) | FSW_C0 |
			    FSW_C2 | FSW_C3);
			return (X86_OK);
		}
		(void)hx_un(op, host_cw(cpu), a, &sw);
		(void)fp_merge(cpu, sw, FSW_CC | CC_CMP);
		return (X86_OK);
	case 0xe5:	/* FXAM: never faults, classifies empty too */
		a = st_get(cpu, 0);
		(void)hx_un(op, host_cw(cpu), a, &sw);
		if (st_empty(cpu, 0)) {
			sw = (uint16_t)((sw & FSW_C1) | FSW_C3 | FSW_C0);
		}
		fx_put16(cpu, FX_FSW, (uint16_t)((fx_get16(cpu, FX_FSW) &
		    ~FSW_CC) | (sw & FSW_CC)));
		return (X86_OK);
	case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed:
	case 0xee:
		if (!st_empty(cpu, 7)) {
			if (fp_stack_fault(cpu, true))
				st_push(cpu, indefinite());
			return (X86_OK);
		}
		r = hx_const(op, host_cw(cpu), &sw);
		(void)fp_merge(cpu, sw, FSW_C1);
		st_push(cpu, r);
		return (X86_OK);
	case 0xf6:	/* FDECSTP */
	case 0xf7:	/* FINCSTP */
		set_top(cpu, fx_top(cpu) + (modrm == 0xf7 ? 1 : -1u));
		fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) & ~FSW_C1);
		return (X86_OK);
	case 0xf1: case 0xf3: case 0xf9:	/* FYL2X FPATAN FYL2XP1 */
		if (!st_src(cpu, 0, &a, &empty) || !st_src(cpu, 1, &b, &empty))
			return (X86_OK);
		if (empty) {
			st_set(cpu, 1, indefinite());
			st_pop(cpu);
			return (X86_OK);
		}
		r = hx_pop(op, host_cw_ou(cpu), a, b, &sw);
		if (fp_merge_ou(cpu, sw, FSW_C1)) {
			st_set(cpu, 1, r);
			st_pop(cpu);
		}
		return (X86_OK);
	case 0xf5: case 0xf8: case 0xfd:	/* FPREM1 FPREM FSCALE */
		if (!st_src(cpu, 0, &a, &empty) || !st_src(cpu, 1, &b, &empty))
			return (X86_OK);
		if (empty) {
			st_set(cpu, 0, indefinite());
			return (X86_OK);
		}
		r = hx_bin(op, host_cw_ou(cpu), a, b, NULL, &sw);
		if (fp_merge_ou(cpu, sw, modrm == 0xfd ? FSW_C1 : FSW_CC))
			st_set(cpu, 0, r);
		return (X86_OK);
	case 0xf2: case 0xf4: case 0xfb:	/* FPTAN FXTRACT FSINCOS */
		if (!st_src(cpu, 0, &a, &empty))
			return (X86_OK);
		if (!st_empty(cpu, 7)) {
			if (fp_stack_fault(cpu, true)) {
				st_set(cpu, 0, indefinite());
				st_push(cpu, indefinite());
			}
			return (X86_OK);
		}
		if (empty) {
			st_set(cpu, 0, a);
			st_push(cpu, a);
			return (X86_OK);
		}
		r = hx_push(op, host_cw_ou(cpu), a, &r1, &sw);
		if (!fp_merge_ou(cpu, sw, FSW_C1 | FSW_C2))
			return (X86_OK);
		/* C2 = 1: operand out of range, stack unchanged (FPTAN) */
		if ((sw & FSW_C2) && modrm != 0xf4)
			return (X86_OK);
		st_set(cpu, 0, r1);
		st_push(cpu, r);
		return (X86_OK);
	default:
		return (x86_raise(cpu, IDT_UD, -1));
	}
}

/* D8 DC DE register forms: arithmetic between ST0 and ST(i). */
static int
fp_arith_reg(struct x86_cpu *cpu, unsigned opc, unsigned modrm)
{
	unsigned i = modrm & 7, reg = (modrm >> 3) & 7, di = 0, pops = 0;
	long double a, b;
	bool empty = false;

	if (opc == 0xde && reg == 3) {
		if (i != 1)		/* DE D9 FCOMPP only */
			return (x86_raise(cpu, IDT_UD, -1));
		fp_compare(cpu, 1, false, false, 2);
		return (X86_OK);
	}
	if (reg == 2 || reg == 3) {		/* FCOM/FCOMP (and aliases) */
		fp_compare(cpu, i, false, false, reg == 3 || opc == 0xde);
		return (X86_OK);
	}
	if (!st_src(cpu, 0, &a, &empty) || !st_src(cpu, i, &b, &empty))
		return (X86_OK);
	if (opc != 0xd8) {
		/* dest ST(i): swap operands and the R forms (DC E0..FF) */
		long double t = a;

		a = b;
		b = t;
		di = i;
		if (reg >= 4)
			reg ^= 1;
		pops = opc == 0xde;
	}
	if (empty) {
		st_set(cpu, di, indefinite());
		while (pops-- > 0)
			st_pop(cpu);
		return (X86_OK);
	}
	fp_arith(cpu, reg, di, a, b, 0, pops);
	return (X86_OK);
}

static int
fp_reg(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned opc = in->opcode, modrm = in->modrm, i = modrm & 7;
	unsigned reg = (modrm >> 3) & 7;
	long double a;
	bool empty = false;

	switch (opc) {
	case 0xd8:
	case 0xdc:
	case 0xde:
		return (fp_arith_reg(cpu, opc, modrm));
	case 0xd9:
		return (fp_d9_reg(cpu, modrm));
	case 0xda:
	case 0xdb:
		if (reg < 4) {		/* FCMOVcc */
			if (!st_src(cpu, i, &a, &empty))
				return (X86_OK);
			if (empty || fcmov_cond(cpu, opc, reg))
				st_set(cpu, 0, a);
			return (X86_OK);
		}
		if (opc == 0xda) {
			if (modrm != 0xe9)
				break;
			fp_compare(cpu, 1, true, false, 2);	/* FUCOMPP */
			return (X86_OK);
		}
		if (reg == 5 || reg == 6) {	/* FUCOMI FCOMI */
			fp_compare(cpu, i, reg == 5, true, 0);
			return (X86_OK);
		}
		if (modrm == 0xe0 || modrm == 0xe1 || modrm == 0xe4)
			return (X86_OK);	/* FENI FDISI FSETPM: no-ops */
		break;
	case 0xdd:
		switch (reg) {
		case 0:			/* FFREE */
			cpu->fxstate[FX_FTW] &= (uint8_t)~(1u <<
			    ((fx_top(cpu) + i) & 7));
			return (X86_OK);
		case 1:
			return (fp_d9_reg(cpu, 0xc8 | i));
		case 2:
		case 3:			/* FST / FSTP ST(i) */
			if (!st_src(cpu, 0, &a, &empty))
				return (X86_OK);
			st_set(cpu, i, a);
			if (reg == 3)
				st_pop(cpu);
			return (X86_OK);
		case 4:
		case 5:			/* FUCOM / FUCOMP */
			fp_compare(cpu, i, true, false, reg == 5);
			return (X86_OK);
		default:
			break;
		}
		break;
	case 0xdf:
		switch (reg) {
		case 0:			/* FFREEP */
			cpu->fxstate[FX_FTW] &= (uint8_t)~(1u <<
			    ((fx_top(cpu) + i) & 7));
			st_pop(cpu);
			return (X86_OK);
		case 1:
			return (fp_d9_reg(cpu, 0xc8 | i));
		case 2:
		case 3:
			return (fp_d9_reg(cpu, 0xd8 | i));
		case 5:
		case 6:			/* FUCOMIP FCOMIP */
			fp_compare(cpu, i, reg == 5, true, 1);
			return (X86_OK);
		default:
			break;
		}
		break;
	}
	return (x86_raise(cpu, IDT_UD, -1));
}

/* Control instructions: no FIP/FOP update, some never wait. */
static bool
fp_is_control(const struct x86_insn *in)
{
	unsigned opc = in->opcode, reg = in->reg & 7;

	if (in->mod == 3)
		return ((opc == 0xdb && (in->modrm == 0xe2 ||
		    in->modrm == 0xe3)) || (opc == 0xdf && in->modrm == 0xe0));
	return ((opc == 0xd9 && reg >= 4) || (opc == 0xdd && reg >= 4));
}

/* D8-DF (SDM Vol 2; opcode map Table ). */
X86_OP(x86_op_x87)
{
	uint64_t ea = 0, fip;
	uint16_t fop;
	bool nowait;
	int rc;

	nowait = (in->mod == 3 && in->opcode == 0xdb && (in->modrm == 0xe2 ||
	    in->modrm == 0xe3)) || (in->mod == 3 && in->opcode == 0xdf &&
	    in->modrm == 0xe0) || (in->mod != 3 && ((in->opcode == 0xd9 &&
	    ((in->reg & 7) == 6 || (in->reg & 7) == 7)) ||
	    (in->opcode == 0xdd && ((in->reg & 7) >= 6))));
	rc = x86_fp_check(cpu, nowait ? FPK_X87_NW : FPK_X87);
	if (rc != X86_OK)
		return (rc);
	if (in->mod != 3)
		ea = x86_ea(cpu, in);
	if (in->mod == 3 && in->opcode == 0xdb && in->modrm == 0xe2) {
		/* FNCLEX; clearing ES drops FERR# (SDM Vol 1 8.7) */
		if (fx_get16(cpu, FX_FSW) & FSW_ES)
			fp_ferr(cpu, false);
		fx_put16(cpu, FX_FSW, fx_get16(cpu, FX_FSW) & 0x7f00);
		return (X86_OK);
	}
	if (in->mod == 3 && in->opcode == 0xdb && in->modrm == 0xe3) {
		if (fx_get16(cpu, FX_FSW) & FSW_ES)
			fp_ferr(cpu, false);
		x86_fpu_reset(cpu);		/* FNINIT */
		return (X86_OK);
	}
	if (in->mod == 3 && in->opcode == 0xdf && in->modrm == 0xe0) {
		/* FNSTSW AX */
		cpu->gpr[X86_RAX] = (cpu->gpr[X86_RAX] & ~0xffffull) |
		    fx_get16(cpu, FX_FSW);
		return (X86_OK);
	}
	if (!fp_is_control(in)) {
		/* last instruction/operand pointers (Vol 1 8.1.8) */
		fop = (uint16_t)((in->opcode & 7) << 8 | in->modrm);
		fip = cpu->rip - in->len;
		if (cpu->csz != 8)
			fip &= 0xffffffffu;
		fx_put16(cpu, FX_FOP, fop);
		memcpy(cpu->fxstate + FX_FIP, &fip, 8);
		if (in->mod != 3)
			memcpy(cpu->fxstate + FX_FDP, &ea, 8);
	}
	if (in->mod != 3)
		return (fp_mem(cpu, in, ea));
	return (fp_reg(cpu, in));
}

/* 9B: WAIT/FWAIT: #NM when CR0.MP and CR0.TS, then pending #MF. */
X86_OP(x86_op_fwait)
{
	if ((cpu->cr0 & (X86_CR0_MP | X86_CR0_TS)) ==
	    (X86_CR0_MP | X86_CR0_TS))
		return (x86_raise(cpu, IDT_NM, -1));
	return (x86_fp_pending(cpu));
}
