/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * System instructions (SDM Vol 2; Vol 3 ch. 2, 5.8.7-5.8.8, 9.8.5):
 * control and debug registers, descriptor-table registers, INVLPG,
 * MSRs, TSC, CPUID, HLT, CLI/STI, fast system calls and SWAPGS.
 */
#include "vmm/x86/fpu.h"
#include "vmm/x86/mmu.h"
#include "vmm/x86/ops.h"
#include "vmm/x86/sysinsn.h"

static inline bool
is_real(const struct x86_cpu *cpu)
{
	return (cpu->mode == CPU_MODE_REAL || (cpu->rflags & X86_VM));
}

/* CPL 0 only: #GP(0) otherwise, also in virtual-8086 mode. */
static inline int
need_cpl0(struct x86_cpu *cpu)
{
	if (cpu->cpl != 0 || (cpu->rflags & X86_VM))
		return (x86_raise(cpu, IDT_GP, 0));
	return (X86_OK);
}

static inline bool
pae_paging(const struct x86_cpu *cpu, uint64_t cr0, uint64_t cr4,
    uint64_t efer)
{
	return ((cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
	    !(efer & X86_EFER_LME));
}

/* ---- Control registers ---- */

/* MOV to CR0 (SDM Vol 3 2.5, 9.8.5, 4.4.1). */
int
x86_set_cr0(struct x86_cpu *cpu, uint64_t v)
{
	const uint64_t valid = X86_CR0_PE | X86_CR0_MP | X86_CR0_EM |
	    X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM |
	    X86_CR0_NW | X86_CR0_CD | X86_CR0_PG;
	uint64_t efer = cpu->efer;
	int rc;

	if (v >> 32)
		return (x86_raise(cpu, IDT_GP, 0));
	v = (v & valid) | X86_CR0_ET;
	if (((v & X86_CR0_PG) && !(v & X86_CR0_PE)) ||
	    ((v & X86_CR0_NW) && !(v & X86_CR0_CD)))
		return (x86_raise(cpu, IDT_GP, 0));
	if ((v & X86_CR0_PG) && !(cpu->cr0 & X86_CR0_PG) &&
	    (efer & X86_EFER_LME)) {
		/* Activating IA-32e mode: PAE on, CS.L off. */
		if (!(cpu->cr4 & X86_CR4_PAE) ||
		    (cpu->seg[X86_CS].access & X86_AR_L))
			return (x86_raise(cpu, IDT_GP, 0));
		efer |= X86_EFER_LMA;
	}
	if (!(v & X86_CR0_PG) && (cpu->cr0 & X86_CR0_PG) &&
	    (efer & X86_EFER_LMA)) {
		if (cpu->mode == CPU_MODE_64BIT)
			return (x86_raise(cpu, IDT_GP, 0));
		efer &= ~(uint64_t)X86_EFER_LMA;
	}
	if (!(v & X86_CR0_PE) && (efer & X86_EFER_LMA))
		return (x86_raise(cpu, IDT_GP, 0));
	if (pae_paging(cpu, v, cpu->cr4, efer) &&
	    ((v ^ cpu->cr0) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW))) {
		rc = x86_mmu_load_pdptes(cpu, cpu->cr3);
		if (rc != X86_OK)
			return (rc);
	}
	cpu->cr0 = v;
	cpu->efer = efer;
	x86_update_mode(cpu);
	return (X86_OK);
}

/* CR4 bits this CPU has (the matching CPUID features are offered). */
static uint64_t
cr4_valid(void)
{
	uint64_t v = X86_CR4_TSD | X86_CR4_PCE;

	if (x86_cpuid_has(1, 3, 2))
		v |= X86_CR4_DE;
	if (x86_cpuid_has(1, 3, 3))
		v |= X86_CR4_PSE;
	if (x86_cpuid_has(1, 3, 6))
		v |= X86_CR4_PAE;
	if (x86_cpuid_has(1, 3, 7))
		v |= X86_CR4_MCE;
	if (x86_cpuid_has(1, 3, 13))
		v |= X86_CR4_PGE;
	if (x86_cpuid_has(1, 3, 24))
		v |= X86_CR4_OSFXSR;
	if (x86_cpuid_has(1, 3, 25))
		v |= X86_CR4_OSXMMEXCPT;
	if (x86_cpuid_has(1, 2, 26))
		v |= X86_CR4_OSXSAVE;
	if (x86_cpuid_has(7, 1, 0))
		v |= X86_CR4_FSGSBASE;
	if (x86_cpuid_has(7, 1, 7))
		v |= X86_CR4_SMEP;
	if (x86_cpuid_has(7, 1, 20))
		v |= X86_CR4_SMAP;
	if (x86_cpuid_has(7, 2, 2))
		v |= X86_CR4_UMIP;
	return (v);
}

int
x86_set_cr4(struct x86_cpu *cpu, uint64_t v)
{
	const uint64_t pdpte_bits = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE |
	    X86_CR4_SMEP | X86_CR4_SMAP;
	int rc;

	if (v & ~cr4_valid())
		return (x86_raise(cpu, IDT_GP, 0));
	if ((cpu->efer & X86_EFER_LMA) && !(v & X86_CR4_PAE))
		return (x86_raise(cpu, IDT_GP, 0));
	if (pae_paging(cpu, cpu->cr0, v, cpu->efer) &&
	    ((v ^ cpu->cr4) & pdpte_bits)) {
		rc = x86_mmu_load_pdptes(cpu, cpu->cr3);
		if (rc != X86_OK)
			return (rc);
	}
	cpu->cr4 = v;
	x86_update_mode(cpu);
	return (X86_OK);
}

/* MOV to CR3 (SDM Vol 3 4.10.4.1): drops non-global translations. */
static int
set_cr3(struct x86_cpu *cpu, uint64_t v)
{
	int rc;

	if (x86_long_mode(cpu)) {
		if (v & ~X86_PHYS_MASK)
			return (x86_raise(cpu, IDT_GP, 0));
	} else
		v &= 0xffffffff;
	if (pae_paging(cpu, cpu->cr0, cpu->cr4, cpu->efer)) {
		rc = x86_mmu_load_pdptes(cpu, v);
		if (rc != X86_OK)
			return (rc);
	}
	if (v == cpu->cr3)
		x86_tlb_flush(cpu, false);
	cpu->cr3 = v;
	x86_mmu_sync(cpu);
	return (X86_OK);
}

X86_SYSOP(x86_op_mov_from_cr)
{
	uint64_t v;
	int rc;

	rc = need_cpl0(cpu);
	if (rc != X86_OK)
		return (rc);
	switch (in->reg) {
	case 0:
		v = cpu->cr0;
		break;
	case 2:
		v = cpu->cr2;
		break;
	case 3:
		v = cpu->cr3;
		break;
	case 4:
		v = cpu->cr4;
		break;
	case 8:
		v = cpu->bus != NULL && cpu->bus->get_cr8 != NULL ?
		    cpu->bus->get_cr8(cpu->bus_ctx, cpu->vcpuid) : cpu->cr8;
		break;
	default:
		return (x86_raise(cpu, IDT_UD, -1));
	}
	/* Always a full register: 64 bits in 64-bit mode, else 32. */
	cpu->gpr[in->rm] = cpu->mode == CPU_MODE_64BIT ? v : (uint32_t)v;
	return (X86_OK);
}

X86_SYSOP(x86_op_mov_to_cr)
{
	uint64_t v = cpu->gpr[in->rm];
	int rc;

	if (cpu->mode != CPU_MODE_64BIT)
		v = (uint32_t)v;
	rc = need_cpl0(cpu);
	if (rc != X86_OK)
		return (rc);
	switch (in->reg) {
	case 0:
		return (x86_set_cr0(cpu, v));
	case 2:
		cpu->cr2 = v;
		return (X86_OK);
	case 3:
		return (set_cr3(cpu, v));
	case 4:
		return (x86_set_cr4(cpu, v));
	case 8:
		if (v & ~0xfull)
			return (x86_raise(cpu, IDT_GP, 0));
		cpu->cr8 = v;
		if (cpu->bus != NULL && cpu->bus->set_cr8 != NULL)
			cpu->bus->set_cr8(cpu->bus_ctx, cpu->vcpuid, v);
		return (X86_OK);
	default:
		return (x86_raise(cpu, IDT_UD, -1));
	}
}

/* ---- Debug registers (SDM Vol 3 17.2): stored; breakpoints later ---- */

#define DR6_BD	(1u << 13)
#define DR7_GD	(1u << 13)

static int
dr_index(struct x86_cpu *cpu, unsigned r, unsigned *idx)
{
	if (r > 7)
		return (x86_raise(cpu, IDT_UD, -1));
	if (r == 4 || r == 5) {
		if (cpu->cr4 & X86_CR4_DE)
			return (x86_raise(cpu, IDT_UD, -1));
		r += 2;				/* aliases of DR6/DR7 */
	}
	/*
	 * General detect (SDM Vol 3 17.2.4): with DR7.GD any debug register
	 * access is a #DB fault with DR6.BD; GD is cleared so the handler
	 * can use them.
	 */
	if (cpu->dr[7] & DR7_GD) {
		cpu->dr[6] |= DR6_BD;
		cpu->dr[7] &= ~(uint64_t)DR7_GD;
		return (x86_raise(cpu, IDT_DB, -1));
	}
	*idx = r;
	return (X86_OK);
}

X86_SYSOP(x86_op_mov_from_dr)
{
	unsigned r;
	uint64_t v;
	int rc;

	rc = need_cpl0(cpu);
	if (rc == X86_OK)
		rc = dr_index(cpu, in->reg, &r);
	if (rc != X86_OK)
		return (rc);
	v = cpu->dr[r];
	if (r == 6)
		v = (v & 0x1e00f) | 0xffff0ff0;	/* reserved-1 bits */
	else if (r == 7)
		v = (v & ~0xd800ull) | 0x400;
	cpu->gpr[in->rm] = cpu->mode == CPU_MODE_64BIT ? v : (uint32_t)v;
	return (X86_OK);
}

X86_SYSOP(x86_op_mov_to_dr)
{
	uint64_t v = cpu->gpr[in->rm];
	unsigned r;
	int rc;

	if (cpu->mode != CPU_MODE_64BIT)
		v = (uint32_t)v;
	rc = need_cpl0(cpu);
	if (rc == X86_OK)
		rc = dr_index(cpu, in->reg, &r);
	if (rc != X86_OK)
		return (rc);
	if ((r == 6 || r == 7) && (v >> 32))
		return (x86_raise(cpu, IDT_GP, 0));
	if (r < 4 && cpu->mode != CPU_MODE_64BIT)
		v = (uint32_t)v;
	cpu->dr[r] = v;
	return (X86_OK);
}

X86_SYSOP(x86_op_clts)
{
	int rc = need_cpl0(cpu);

	if (rc != X86_OK)
		return (rc);
	cpu->cr0 &= ~(uint64_t)X86_CR0_TS;
	return (X86_OK);
}

X86_SYSOP(x86_op_wbinvd)
{
	return (need_cpl0(cpu));	/* caches are coherent: nothing */
}

/* ---- Group 7 ---- */

static int
umip_check(struct x86_cpu *cpu)
{
	if ((cpu->cr4 & X86_CR4_UMIP) && cpu->cpl > 0)
		return (x86_raise(cpu, IDT_GP, 0));
	return (X86_OK);
}

/* SGDT/SIDT: limit then base, 8 bytes of base in 64-bit mode. */
static int
store_dtr(struct x86_cpu *cpu, const struct x86_insn *in,
    const struct x86_dtr *dt)
{
	uint8_t buf[10];
	unsigned n = cpu->mode == CPU_MODE_64BIT ? 10 : 6;
	uint64_t base = dt->base;
	uint16_t limit = (uint16_t)dt->limit;
	int rc;

	rc = umip_check(cpu);
	if (rc != X86_OK)
		return (rc);
	memcpy(buf, &limit, 2);
	memcpy(buf + 2, &base, n - 2);
	return (x86_vwrite(cpu, in->seg, x86_ea(cpu, in), n, buf));
}

static int
load_dtr(struct x86_cpu *cpu, const struct x86_insn *in, struct x86_dtr *dt)
{
	uint8_t buf[10];
	unsigned n = cpu->mode == CPU_MODE_64BIT ? 10 : 6;
	uint64_t base = 0;
	uint16_t limit;
	int rc;

	rc = need_cpl0(cpu);
	if (rc != X86_OK)
		return (rc);
	rc = x86_vread(cpu, in->seg, x86_ea(cpu, in), n, buf);
	if (rc != X86_OK)
		return (rc);
	memcpy(&limit, buf, 2);
	memcpy(&base, buf + 2, n - 2);
	if (n == 10 && !x86_canonical(base))
		return (x86_raise(cpu, IDT_GP, 0));
	if (n == 6 && in->opsize == 2)
		base &= 0xffffff;
	dt->base = base;
	dt->limit = limit;
	return (X86_OK);
}

/* LMSW (SDM Vol 2): PE MP EM TS only; PE cannot be cleared. */
static int
lmsw(struct x86_cpu *cpu, const struct x86_insn *in)
{
	uint64_t v;
	int rc;

	rc = need_cpl0(cpu);
	if (rc == X86_OK)
		rc = rd_E(cpu, in, 2, &v);
	if (rc != X86_OK)
		return (rc);
	v = (cpu->cr0 & ~0xeull) | (v & 0xf) | (cpu->cr0 & X86_CR0_PE);
	return (x86_set_cr0(cpu, v));
}

static int
smsw(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int rc = umip_check(cpu);

	if (rc != X86_OK)
		return (rc);
	if (in->mod == 3) {
		wr_reg(cpu, in->rm, in->opsize, in->rex, cpu->cr0);
		return (X86_OK);
	}
	return (wr_E(cpu, in, 2, cpu->cr0 & 0xffff));
}

static int
invlpg(struct x86_cpu *cpu, const struct x86_insn *in)
{
	uint64_t la = x86_ea(cpu, in);
	int rc = need_cpl0(cpu);

	if (rc != X86_OK)
		return (rc);
	if (cpu->mode != CPU_MODE_64BIT || in->seg == X86_FS ||
	    in->seg == X86_GS)
		la += cpu->seg[in->seg].base;
	if (cpu->mode != CPU_MODE_64BIT)
		la &= 0xffffffff;
	x86_tlb_flush_page(cpu, la);
	return (X86_OK);
}

static int
rdtscp(struct x86_cpu *cpu)
{
	uint64_t t;

	if (!x86_cpuid_has(0x80000001, 3, 27))
		return (x86_raise(cpu, IDT_UD, -1));
	if ((cpu->cr4 & X86_CR4_TSD) && cpu->cpl > 0)
		return (x86_raise(cpu, IDT_GP, 0));
	t = x86_tsc(cpu);
	cpu->gpr[X86_RAX] = (uint32_t)t;
	cpu->gpr[X86_RDX] = t >> 32;
	cpu->gpr[X86_RCX] = (uint32_t)cpu->msr.tsc_aux;
	return (X86_OK);
}

static int
swapgs(struct x86_cpu *cpu)
{
	uint64_t t;

	if (cpu->mode != CPU_MODE_64BIT)
		return (x86_raise(cpu, IDT_UD, -1));
	if (cpu->cpl != 0)
		return (x86_raise(cpu, IDT_GP, 0));
	t = cpu->seg[X86_GS].base;
	cpu->seg[X86_GS].base = cpu->msr.kgsbase;
	cpu->msr.kgsbase = t;
	return (X86_OK);
}

/* CLAC/STAC (SDM Vol 2): #UD without SMAP or at CPL > 0. */
static int
clac_stac(struct x86_cpu *cpu, bool set)
{
	if (!x86_cpuid_has(7, 1, 20) || cpu->cpl > 0 ||
	    (cpu->rflags & X86_VM))
		return (x86_raise(cpu, IDT_UD, -1));
	if (set)
		cpu->rflags |= X86_AC;
	else
		cpu->rflags &= ~(uint64_t)X86_AC;
	return (X86_OK);
}

/* 0F 01 with a register operand (mod = 3): the instruction is in r/m. */
static int
grp7_reg(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned rm = in->modrm & 7;

	switch (in->reg & 7) {
	case 1:
		if (rm == 2)
			return (clac_stac(cpu, false));
		if (rm == 3)
			return (clac_stac(cpu, true));
		break;		/* MONITOR/MWAIT: not offered */
	case 2:
		if (rm <= 1)	/* XGETBV XSETBV: xsave.c (issue 6) */
			return (x86_op_xgetsetbv(cpu, in));
		break;
	case 4:
		return (smsw(cpu, in));
	case 6:
		return (lmsw(cpu, in));
	case 7:
		if (rm == 0)
			return (swapgs(cpu));
		if (rm == 1)
			return (rdtscp(cpu));
		break;
	}
	return (x86_raise(cpu, IDT_UD, -1));
}

X86_SYSOP(x86_op_grp7)
{
	if (in->mod == 3)
		return (grp7_reg(cpu, in));
	switch (in->reg & 7) {
	case 0:
		return (store_dtr(cpu, in, &cpu->gdtr));
	case 1:
		return (store_dtr(cpu, in, &cpu->idtr));
	case 2:
		return (load_dtr(cpu, in, &cpu->gdtr));
	case 3:
		return (load_dtr(cpu, in, &cpu->idtr));
	case 4:
		return (smsw(cpu, in));
	case 6:
		return (lmsw(cpu, in));
	case 7:
		return (invlpg(cpu, in));
	default:
		return (x86_raise(cpu, IDT_UD, -1));
	}
}

/* ---- MSRs, TSC, CPUID ---- */

X86_SYSOP(x86_op_rdmsr)
{
	uint64_t v;
	int rc;

	rc = need_cpl0(cpu);
	if (rc != X86_OK)
		return (rc);
	rc = x86_rdmsr(cpu, (uint32_t)cpu->gpr[X86_RCX], &v);
	if (rc == X86_EXIT)
		cpu->exit_retired = 1;	/* userland sets EDX:EAX */
	if (rc != X86_OK)
		return (rc);
	cpu->gpr[X86_RAX] = (uint32_t)v;
	cpu->gpr[X86_RDX] = v >> 32;
	return (X86_OK);
}

X86_SYSOP(x86_op_wrmsr)
{
	uint64_t v;
	int rc;

	rc = need_cpl0(cpu);
	if (rc != X86_OK)
		return (rc);
	v = (cpu->gpr[X86_RDX] << 32) | (uint32_t)cpu->gpr[X86_RAX];
	rc = x86_wrmsr(cpu, (uint32_t)cpu->gpr[X86_RCX], v);
	if (rc == X86_EXIT)
		cpu->exit_retired = 1;
	return (rc);
}

X86_SYSOP(x86_op_rdtsc)
{
	uint64_t t;

	if ((cpu->cr4 & X86_CR4_TSD) && cpu->cpl > 0)
		return (x86_raise(cpu, IDT_GP, 0));
	t = x86_tsc(cpu);
	cpu->gpr[X86_RAX] = (uint32_t)t;
	cpu->gpr[X86_RDX] = t >> 32;
	return (X86_OK);
}

X86_SYSOP(x86_op_rdpmc)
{
	/* No performance counters are offered (CPUID leaf 0xA is 0). */
	return (x86_raise(cpu, IDT_GP, 0));
}

X86_SYSOP(x86_op_cpuid)
{
	uint32_t r[4];

	x86_cpuid(cpu, (uint32_t)cpu->gpr[X86_RAX], (uint32_t)cpu->gpr[X86_RCX],
	    r);
	cpu->gpr[X86_RAX] = r[0];
	cpu->gpr[X86_RBX] = r[1];
	cpu->gpr[X86_RCX] = r[2];
	cpu->gpr[X86_RDX] = r[3];
	return (X86_OK);
}

/* ---- HLT, CLI, STI ---- */

X86_SYSOP(x86_op_hlt)
{
	int rc = need_cpl0(cpu);

	if (rc != X86_OK)
		return (rc);
	cpu->halted = 1;		/* the run loop exits or wakes */
	return (X86_OK);
}

/* IF may change: real mode, CPL <= IOPL (SDM Vol 2 CLI/STI; no VME/PVI). */
static int
if_allowed(struct x86_cpu *cpu)
{
	unsigned iopl = (unsigned)(cpu->rflags & X86_IOPL) >> 12;

	if (cpu->mode == CPU_MODE_REAL)
		return (X86_OK);
	if ((cpu->rflags & X86_VM) ? iopl != 3 : cpu->cpl > iopl)
		return (x86_raise(cpu, IDT_GP, 0));
	return (X86_OK);
}

X86_SYSOP(x86_op_cli)
{
	int rc = if_allowed(cpu);

	if (rc != X86_OK)
		return (rc);
	cpu->rflags &= ~(uint64_t)X86_IF;
	return (X86_OK);
}

X86_SYSOP(x86_op_sti)
{
	int rc = if_allowed(cpu);

	if (rc != X86_OK)
		return (rc);
	if (!(cpu->rflags & X86_IF))
		cpu->intr_shadow = 1;
	cpu->rflags |= X86_IF;
	return (X86_OK);
}

/* ---- SYSCALL/SYSRET, SYSENTER/SYSEXIT (SDM Vol 2) ---- */

static void
flat_seg(struct x86_seg *s, uint16_t sel, uint32_t access)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->access = access;
}

#define AR_CODE64(dpl)	(0xa09bu | (dpl) << 5)	/* L, P, S, code RX A */
#define AR_CODE32(dpl)	(0xc09bu | (dpl) << 5)	/* G, D */
#define AR_DATA(dpl)	(0xc093u | (dpl) << 5)	/* G, B, data RW A */

X86_SYSOP(x86_op_syscall)
{
	uint16_t sel = (uint16_t)(cpu->msr.star >> 32);
	uint64_t fl;

	if (cpu->mode != CPU_MODE_64BIT || !(cpu->efer & X86_EFER_SCE))
		return (x86_raise(cpu, IDT_UD, -1));
	fl = x86_get_flags(cpu);
	cpu->gpr[X86_RCX] = cpu->rip;
	cpu->gpr[X86_R11] = fl & ~(uint64_t)X86_RF;
	cpu->rip = cpu->msr.lstar;
	x86_set_flags(cpu, (fl & ~cpu->msr.sfmask & ~(uint64_t)X86_RF) |
	    X86_RF1);
	flat_seg(&cpu->seg[X86_CS], sel & 0xfffc, AR_CODE64(0));
	flat_seg(&cpu->seg[X86_SS], (uint16_t)(sel + 8), AR_DATA(0));
	x86_update_mode(cpu);
	return (X86_OK);
}

X86_SYSOP(x86_op_sysret)
{
	uint16_t sel = (uint16_t)(cpu->msr.star >> 48);
	bool q = in->opsize == 8;

	if (cpu->mode != CPU_MODE_64BIT || !(cpu->efer & X86_EFER_SCE))
		return (x86_raise(cpu, IDT_UD, -1));
	if (cpu->cpl != 0)
		return (x86_raise(cpu, IDT_GP, 0));
	if (q && !x86_canonical(cpu->gpr[X86_RCX]))
		return (x86_raise(cpu, IDT_GP, 0));
	cpu->rip = q ? cpu->gpr[X86_RCX] : (uint32_t)cpu->gpr[X86_RCX];
	x86_set_flags(cpu, (cpu->gpr[X86_R11] & 0x3c7fd7) | X86_RF1);
	if (q)
		flat_seg(&cpu->seg[X86_CS], (uint16_t)((sel + 16) | 3),
		    AR_CODE64(3));
	else
		flat_seg(&cpu->seg[X86_CS], sel | 3, AR_CODE32(3));
	flat_seg(&cpu->seg[X86_SS], (uint16_t)((sel + 8) | 3), AR_DATA(3));
	x86_update_mode(cpu);
	return (X86_OK);
}

X86_SYSOP(x86_op_sysenter)
{
	uint16_t sel = (uint16_t)cpu->msr.sysenter_cs;
	bool lm = x86_long_mode(cpu);

	if (!(cpu->cr0 & X86_CR0_PE) || (sel & 0xfffc) == 0)
		return (x86_raise(cpu, IDT_GP, 0));
	x86_set_flags(cpu, x86_get_flags(cpu) &
	    ~(uint64_t)(X86_VM | X86_IF | X86_RF));
	cpu->gpr[X86_RSP] = lm ? cpu->msr.sysenter_esp :
	    (uint32_t)cpu->msr.sysenter_esp;
	cpu->rip = lm ? cpu->msr.sysenter_eip :
	    (uint32_t)cpu->msr.sysenter_eip;
	flat_seg(&cpu->seg[X86_CS], sel & 0xfffc,
	    lm ? AR_CODE64(0) : AR_CODE32(0));
	flat_seg(&cpu->seg[X86_SS], (uint16_t)((sel & 0xfffc) + 8),
	    AR_DATA(0));
	x86_update_mode(cpu);
	return (X86_OK);
}

X86_SYSOP(x86_op_sysexit)
{
	uint16_t sel = (uint16_t)cpu->msr.sysenter_cs;
	bool q = in->opsize == 8;

	if (!(cpu->cr0 & X86_CR0_PE) || (sel & 0xfffc) == 0 ||
	    (cpu->rflags & X86_VM) || cpu->cpl != 0)
		return (x86_raise(cpu, IDT_GP, 0));
	if (q && (!x86_canonical(cpu->gpr[X86_RDX]) ||
	    !x86_canonical(cpu->gpr[X86_RCX])))
		return (x86_raise(cpu, IDT_GP, 0));
	if (q) {
		cpu->gpr[X86_RSP] = cpu->gpr[X86_RCX];
		cpu->rip = cpu->gpr[X86_RDX];
		flat_seg(&cpu->seg[X86_CS], (uint16_t)((sel + 32) | 3),
		    AR_CODE64(3));
		flat_seg(&cpu->seg[X86_SS], (uint16_t)((sel + 40) | 3),
		    AR_DATA(3));
	} else {
		cpu->gpr[X86_RSP] = (uint32_t)cpu->gpr[X86_RCX];
		cpu->rip = (uint32_t)cpu->gpr[X86_RDX];
		flat_seg(&cpu->seg[X86_CS], (uint16_t)((sel + 16) | 3),
		    AR_CODE32(3));
		flat_seg(&cpu->seg[X86_SS], (uint16_t)((sel + 24) | 3),
		    AR_DATA(3));
	}
	x86_update_mode(cpu);
	return (X86_OK);
}
