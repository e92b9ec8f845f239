/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * State save/restore: FXSAVE/FXRSTOR (SDM Vol 1 10.5, Vol 2 FXSAVE),
 * LDMXCSR/STMXCSR, XSAVE/XRSTOR/XSAVEOPT in the standard format for the
 * x87 and SSE components (Vol 1 ch. 13), XGETBV/XSETBV.  The compacted
 * format (XSAVEC/XSAVES, XCOMP_BV[63] = 1) is not offered: CPUID.0xD.1
 * reports only XSAVEOPT, and XRSTOR of a compacted image is #GP.
 *
 * Choices where the manuals leave room: XINUSE is reported as 1 for x87
 * and SSE (XSAVE sets their XSTATE_BV bits, XGETBV(1) = XCR0); XSAVEOPT
 * writes like XSAVE (no init/modified optimization); FXSAVE saves
 * MXCSR and XMM even with CR4.OSFXSR = 0; bytes 416-511 of the legacy
 * area and header bytes 8-63 are never written; FCS/FDS are stored as 0.
 */
#include "vmm/x86/fpu.h"

/* Linear address of a memory operand, for alignment checks. */
static uint64_t
op_la(const struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea)
{
	if (cpu->csz == 8 && in->seg != X86_FS && in->seg != X86_GS)
		return (ea);
	return (cpu->seg[in->seg].base + ea);
}

static unsigned
nxmm(const struct x86_cpu *cpu)
{
	return (cpu->csz == 8 ? 16 : 8);
}

/*
 * Legacy-area image (Table 10-2): header (x87 part bytes 0-23, MXCSR
 * 24-31), ST0-7 in stack order, XMM registers.  REX.W: 64-bit FIP/FDP.
 */
static void
legacy_image(struct x86_cpu *cpu, uint8_t *img, bool rexw)
{
	unsigned i, top = fx_top(cpu);
	uint32_t mask = MXCSR_VALID;
	uint64_t fip, fdp;

	memset(img, 0, 416);
	memcpy(img, cpu->fxstate, 8);
	img[5] = 0;
	memcpy(&fip, cpu->fxstate + FX_FIP, 8);
	memcpy(&fdp, cpu->fxstate + FX_FDP, 8);
	if (!rexw) {
		fip &= 0xffffffffu;	/* FCS, FDS read as 0 */
		fdp &= 0xffffffffu;
	}
	memcpy(img + FX_FIP, &fip, 8);
	memcpy(img + FX_FDP, &fdp, 8);
	memcpy(img + FX_MXCSR, cpu->fxstate + FX_MXCSR, 4);
	memcpy(img + FX_MXCSR_MASK, &mask, 4);
	for (i = 0; i < 8; i++)
		memcpy(img + FX_ST + 16 * i, fx_phys(cpu, top + i), 10);
	memcpy(img + FX_XMM, cpu->fxstate + FX_XMM, 16 * nxmm(cpu));
}

static void
legacy_load_x87(struct x86_cpu *cpu, const uint8_t *img, bool rexw)
{
	uint64_t fip, fdp;
	unsigned i, top;

	memcpy(cpu->fxstate, img, 8);
	cpu->fxstate[5] = 0;
	memcpy(&fip, img + FX_FIP, 8);
	memcpy(&fdp, img + FX_FDP, 8);
	if (!rexw) {
		fip &= 0xffffffffu;
		fdp &= 0xffffffffu;
	}
	memcpy(cpu->fxstate + FX_FIP, &fip, 8);
	memcpy(cpu->fxstate + FX_FDP, &fdp, 8);
	top = fx_top(cpu);
	for (i = 0; i < 8; i++) {
		memcpy(fx_phys(cpu, top + i), img + FX_ST + 16 * i, 10);
		memset(fx_phys(cpu, top + i) + 10, 0, 6);
	}
}

static int
mxcsr_ok(struct x86_cpu *cpu, const uint8_t *img)
{
	uint32_t m;

	memcpy(&m, img + FX_MXCSR, 4);
	if (m & ~MXCSR_VALID)
		return (x86_raise(cpu, IDT_GP, 0));
	return (X86_OK);
}

static bool
rex_w(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	return (cpu->csz == 8 && (in->rex & 8));
}

static int
op_fxsave(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea)
{
	uint8_t img[416];

	legacy_image(cpu, img, rex_w(cpu, in));
	/* bytes 416-511 are reserved/available: left untouched */
	return (x86_vwrite(cpu, in->seg, ea, FX_XMM + 16 * nxmm(cpu), img));
}

static int
op_fxrstor(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea)
{
	uint8_t img[416];
	unsigned n = FX_XMM + 16 * nxmm(cpu);
	int rc;

	rc = x86_vread(cpu, in->seg, ea, n, img);
	if (rc == X86_OK)
		rc = mxcsr_ok(cpu, img);
	if (rc != X86_OK)
		return (rc);
	legacy_load_x87(cpu, img, rex_w(cpu, in));
	memcpy(cpu->fxstate + FX_MXCSR, img + FX_MXCSR, 4);
	memcpy(cpu->fxstate + FX_XMM, img + FX_XMM, 16 * nxmm(cpu));
	return (X86_OK);
}

/* XSAVE/XSAVEOPT, standard format (Vol 1 13.7, 13.9). */
static int
op_xsave(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea)
{
	uint64_t rfbm = ((cpu->gpr[X86_RDX] << 32) |
	    (uint32_t)cpu->gpr[X86_RAX]) & cpu->xcr0, bv;
	uint8_t img[416];
	int rc;

	rc = x86_vread(cpu, in->seg, (ea + 512) & x86_mask(in->adsize), 8,
	    &bv);
	if (rc != X86_OK)
		return (rc);
	legacy_image(cpu, img, rex_w(cpu, in));
	if (rfbm & XCR0_X87) {
		rc = x86_vwrite(cpu, in->seg, ea, 24, img);
		if (rc == X86_OK)
			rc = x86_vwrite(cpu, in->seg, (ea + FX_ST) &
			    x86_mask(in->adsize), 128, img + FX_ST);
		if (rc != X86_OK)
			return (rc);
	}
	if (rfbm & XCR0_SSE) {
		rc = x86_vwrite(cpu, in->seg, (ea + FX_MXCSR) &
		    x86_mask(in->adsize), 8, img + FX_MXCSR);
		if (rc == X86_OK)
			rc = x86_vwrite(cpu, in->seg, (ea + FX_XMM) &
			    x86_mask(in->adsize), 16 * nxmm(cpu), img + FX_XMM);
		if (rc != X86_OK)
			return (rc);
	}
	/* XINUSE is reported as 1 for every requested component. */
	bv = (bv & ~rfbm) | (rfbm & XCR0_SUPPORTED);
	return (x86_vwrite(cpu, in->seg, (ea + 512) & x86_mask(in->adsize),
	    8, &bv));
}

static int
op_xrstor(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea)
{
	uint64_t rfbm = ((cpu->gpr[X86_RDX] << 32) |
	    (uint32_t)cpu->gpr[X86_RAX]) & cpu->xcr0, hdr[8];
	uint8_t img[416];
	unsigned n = FX_XMM + 16 * nxmm(cpu), i;
	int rc;

	rc = x86_vread(cpu, in->seg, ea, n, img);
	if (rc == X86_OK)
		rc = x86_vread(cpu, in->seg, (ea + 512) & x86_mask(in->adsize),
		    64, hdr);
	if (rc != X86_OK)
		return (rc);
	/*
	 * Vol 1 13.8.1: XSTATE_BV within XCR0; XCOMP_BV[63] = 1 (compacted,
	 * not offered) or any other XCOMP_BV bit, or header bytes 16-63
	 * not zero: #GP(0).
	 */
	if ((hdr[0] & ~cpu->xcr0) || hdr[1] != 0 || (hdr[2] | hdr[3] |
	    hdr[4] | hdr[5] | hdr[6] | hdr[7]) != 0)
		return (x86_raise(cpu, IDT_GP, 0));
	if (rfbm & XCR0_SSE) {
		rc = mxcsr_ok(cpu, img);
		if (rc != X86_OK)
			return (rc);
		memcpy(cpu->fxstate + FX_MXCSR, img + FX_MXCSR, 4);
	}
	if (rfbm & XCR0_X87) {
		if (hdr[0] & XCR0_X87) {
			legacy_load_x87(cpu, img, rex_w(cpu, in));
		} else {
			x86_fpu_reset(cpu);
			cpu->fxstate[5] = 0;
			for (i = 0; i < 8; i++)
				memset(fx_phys(cpu, i), 0, 16);
		}
	}
	if (rfbm & XCR0_SSE) {
		if (hdr[0] & XCR0_SSE)
			memcpy(cpu->fxstate + FX_XMM, img + FX_XMM,
			    16 * nxmm(cpu));
		else
			memset(cpu->fxstate + FX_XMM, 0, 16 * nxmm(cpu));
	}
	return (X86_OK);
}

/* 0F AE /0-/6 memory forms; misc.c keeps fences and CLFLUSH. */
X86_OP(x86_op_fp_grp15)
{
	unsigned op = in->reg & 7;
	uint64_t ea = x86_ea(cpu, in);
	uint32_t m;
	int rc;

	if (in->mod == 3 || op == 7)
		return (x86_raise(cpu, IDT_UD, -1));
	switch (op) {
	case 0:
	case 1:
		rc = x86_fp_check(cpu, FPK_FXSR);
		if (rc != X86_OK)
			return (rc);
		if (op_la(cpu, in, ea) & 15)
			return (x86_raise(cpu, IDT_GP, 0));
		return (op == 0 ? op_fxsave(cpu, in, ea) :
		    op_fxrstor(cpu, in, ea));
	case 2:
	case 3:
		if (in->opsz_prefix)
			return (x86_raise(cpu, IDT_UD, -1));
		rc = x86_fp_check(cpu, FPK_SSE);
		if (rc != X86_OK)
			return (rc);
		if (op == 3) {
			m = fx_mxcsr(cpu);
			return (x86_vwrite(cpu, in->seg, ea, 4, &m));
		}
		rc = x86_vread(cpu, in->seg, ea, 4, &m);
		if (rc != X86_OK)
			return (rc);
		if (m & ~MXCSR_VALID)
			return (x86_raise(cpu, IDT_GP, 0));
		fx_set_mxcsr(cpu, m);
		return (X86_OK);
	default:
		if (in->opsz_prefix)		/* 66 /6 CLWB: not offered */
			return (x86_raise(cpu, IDT_UD, -1));
		rc = x86_fp_check(cpu, FPK_XSAVE);
		if (rc != X86_OK)
			return (rc);
		if (op_la(cpu, in, ea) & 63)
			return (x86_raise(cpu, IDT_GP, 0));
		return (op == 5 ? op_xrstor(cpu, in, ea) :
		    op_xsave(cpu, in, ea));
	}
}

/*
 * 0F 01 D0 XGETBV, 0F 01 D1 XSETBV (SDM Vol 2), called from grp7:
 * ECX 0 = XCR0; XGETBV ECX 1 = XINUSE & XCR0 (every component reported
 * in use).  XSETBV: CPL 0, x87 bit set, only offered components.
 */
int
x86_op_xgetsetbv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	uint32_t ecx = (uint32_t)cpu->gpr[X86_RCX];
	uint64_t val;

	if (!(cpu->cr4 & X86_CR4_OSXSAVE) || in->opsz_prefix || in->rep)
		return (x86_raise(cpu, IDT_UD, -1));
	if ((in->modrm & 7) == 0) {
		if (ecx == 0)
			val = cpu->xcr0;
		else if (ecx == 1)
			val = cpu->xcr0 & XCR0_SUPPORTED;
		else
			return (x86_raise(cpu, IDT_GP, 0));
		cpu->gpr[X86_RAX] = (uint32_t)val;
		cpu->gpr[X86_RDX] = (uint32_t)(val >> 32);
		return (X86_OK);
	}
	val = (cpu->gpr[X86_RDX] << 32) | (uint32_t)cpu->gpr[X86_RAX];
	if (cpu->cpl != 0 || ecx != 0 || !(val & XCR0_X87) ||
	    (val & ~XCR0_SUPPORTED))
		return (x86_raise(cpu, IDT_GP, 0));
	cpu->xcr0 = val;
	return (X86_OK);
}
