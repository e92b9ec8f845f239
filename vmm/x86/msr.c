/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Model-specific registers the CPU implements itself (SDM Vol 4 ch. 2);
 * the rest goes to the engine through bus->rdmsr/wrmsr, which may
 * complete it, ask userland (exit) or refuse (#GP).
 */
#include <string.h>

#include "vmm/x86/mmu.h"

#define MSR_TSC			0x010
#define MSR_APIC_BASE		0x01b
#define MSR_FEATURE_CONTROL	0x03a
#define MSR_BIOS_UPDT_TRIG	0x079
#define MSR_BIOS_SIGN		0x08b
#define MSR_MTRRCAP		0x0fe
#define MSR_SYSENTER_CS		0x174
#define MSR_SYSENTER_ESP	0x175
#define MSR_SYSENTER_EIP	0x176
#define MSR_MCG_CAP		0x179
#define MSR_MCG_STATUS		0x17a
#define MSR_MISC_ENABLE		0x1a0
#define MSR_MTRR_PHYS0		0x200		/* base/mask pairs */
#define MSR_MTRR_FIX64K		0x250
#define MSR_MTRR_FIX16K_8	0x258
#define MSR_MTRR_FIX16K_A	0x259
#define MSR_MTRR_FIX4K		0x268		/* ..0x26f */
#define MSR_PAT			0x277
#define MSR_MTRR_DEF		0x2ff
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KGS_BASE		0xc0000102
#define MSR_TSC_AUX		0xc0000103

#define MTRR_NVAR		8	/* MTRRCAP.VCNT */

/* Guest TSC: host-derived and invariant, plus the offset WRMSR set. */
uint64_t
x86_tsc(struct x86_cpu *cpu)
{
	uint64_t t = 0;

	if (cpu->bus != NULL && cpu->bus->tsc != NULL)
		t = cpu->bus->tsc(cpu->bus_ctx, cpu->vcpuid);
	return (t + (uint64_t)cpu->msr.tsc_offset);
}

static uint64_t *
mtrr_slot(struct x86_cpu *cpu, uint32_t msr)
{
	if (msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 2 * MTRR_NVAR)
		return (&cpu->msr.mtrr_var[msr - MSR_MTRR_PHYS0]);
	if (msr == MSR_MTRR_FIX64K)
		return (&cpu->msr.mtrr_fix[0]);
	if (msr == MSR_MTRR_FIX16K_8)
		return (&cpu->msr.mtrr_fix[1]);
	if (msr == MSR_MTRR_FIX16K_A)
		return (&cpu->msr.mtrr_fix[2]);
	if (msr >= MSR_MTRR_FIX4K && msr <= MSR_MTRR_FIX4K + 7)
		return (&cpu->msr.mtrr_fix[3 + msr - MSR_MTRR_FIX4K]);
	if (msr == MSR_MTRR_DEF)
		return (&cpu->msr.mtrr_def);
	return (NULL);
}

static int
msr_bus_exit(struct x86_cpu *cpu, bool write, uint32_t msr, uint64_t val)
{
	if (cpu->exit != NULL) {
		cpu->exit->exitcode = write ? VM_EXITCODE_WRMSR :
		    VM_EXITCODE_RDMSR;
		memset(&cpu->exit->u.msr, 0, sizeof(cpu->exit->u.msr));
		cpu->exit->u.msr.code = msr;
		cpu->exit->u.msr.wval = write ? val : 0;
	}
	return (X86_EXIT);
}

int
x86_rdmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t *val)
{
	uint64_t *slot;
	int rc;

	*val = 0;
	switch (msr) {
	case MSR_TSC:
		*val = x86_tsc(cpu);
		return (X86_OK);
	case MSR_APIC_BASE:
		*val = cpu->msr.apic_base;
		return (X86_OK);
	case MSR_FEATURE_CONTROL:
		*val = 1;		/* locked, VMX off */
		return (X86_OK);
	case MSR_BIOS_SIGN:
	case MSR_MCG_CAP:
	case MSR_MCG_STATUS:
		return (X86_OK);
	case MSR_MTRRCAP:
		*val = MTRR_NVAR | 1u << 8 | 1u << 10;	/* FIX, WC */
		return (X86_OK);
	case MSR_SYSENTER_CS:
		*val = cpu->msr.sysenter_cs;
		return (X86_OK);
	case MSR_SYSENTER_ESP:
		*val = cpu->msr.sysenter_esp;
		return (X86_OK);
	case MSR_SYSENTER_EIP:
		*val = cpu->msr.sysenter_eip;
		return (X86_OK);
	case MSR_MISC_ENABLE:
		*val = cpu->msr.misc_enable;
		return (X86_OK);
	case MSR_PAT:
		*val = cpu->msr.pat;
		return (X86_OK);
	case MSR_EFER:
		*val = cpu->efer;
		return (X86_OK);
	case MSR_STAR:
		*val = cpu->msr.star;
		return (X86_OK);
	case MSR_LSTAR:
		*val = cpu->msr.lstar;
		return (X86_OK);
	case MSR_CSTAR:
		*val = cpu->msr.cstar;
		return (X86_OK);
	case MSR_SFMASK:
		*val = cpu->msr.sfmask;
		return (X86_OK);
	case MSR_FS_BASE:
		*val = cpu->seg[X86_FS].base;
		return (X86_OK);
	case MSR_GS_BASE:
		*val = cpu->seg[X86_GS].base;
		return (X86_OK);
	case MSR_KGS_BASE:
		*val = cpu->msr.kgsbase;
		return (X86_OK);
	case MSR_TSC_AUX:
		*val = cpu->msr.tsc_aux;
		return (X86_OK);
	}
	slot = mtrr_slot(cpu, msr);
	if (slot != NULL) {
		*val = *slot;
		return (X86_OK);
	}
	if (cpu->bus == NULL || cpu->bus->rdmsr == NULL)
		return (x86_raise(cpu, IDT_GP, 0));
	rc = cpu->bus->rdmsr(cpu->bus_ctx, cpu->vcpuid, msr, val);
	if (rc == X86_OK)
		return (X86_OK);
	if (rc == X86_EXIT)
		return (msr_bus_exit(cpu, false, msr, 0));
	return (x86_raise(cpu, IDT_GP, 0));
}

/* EFER (SDM Vol 3 2.2.1, 9.8.5): LME only with paging off, LMA r/o. */
int
x86_set_efer(struct x86_cpu *cpu, uint64_t v)
{
	uint64_t valid = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA |
	    X86_EFER_NXE;

	if (v & ~valid)
		return (x86_raise(cpu, IDT_GP, 0));
	if ((cpu->cr0 & X86_CR0_PG) &&
	    ((v ^ cpu->efer) & X86_EFER_LME))
		return (x86_raise(cpu, IDT_GP, 0));
	cpu->efer = (v & ~(uint64_t)X86_EFER_LMA) |
	    (cpu->efer & X86_EFER_LMA);
	x86_update_mode(cpu);
	return (X86_OK);
}

/* PAT entries must name a memory type: 0, 1, 4, 5, 6, 7 (Vol 3 11.12). */
static bool
pat_valid(uint64_t v)
{
	unsigned i, t;

	for (i = 0; i < 8; i++) {
		t = (v >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return (false);
	}
	return (true);
}

static int
wr_canonical(struct x86_cpu *cpu, uint64_t *dst, uint64_t v)
{
	if (!x86_canonical(v))
		return (x86_raise(cpu, IDT_GP, 0));
	*dst = v;
	return (X86_OK);
}

int
x86_wrmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t val)
{
	uint64_t *slot, t;
	int rc;

	switch (msr) {
	case MSR_TSC:
		t = x86_tsc(cpu) - (uint64_t)cpu->msr.tsc_offset;
		cpu->msr.tsc_offset = (int64_t)(val - t);
		return (X86_OK);
	case MSR_APIC_BASE:
		/* Reserved: 7:0 but BSP(8), 9, 63:MAXPHYADDR (Vol 3 10.4.4). */
		if (val & (0xffull | 1u << 9 | ~X86_PHYS_MASK))
			return (x86_raise(cpu, IDT_GP, 0));
		if (cpu->bus != NULL && cpu->bus->wrmsr != NULL) {
			rc = cpu->bus->wrmsr(cpu->bus_ctx, cpu->vcpuid, msr,
			    val);
			if (rc != X86_OK && rc != X86_EXIT)
				return (x86_raise(cpu, IDT_GP, 0));
			cpu->msr.apic_base = val;
			if (rc == X86_EXIT)
				return (msr_bus_exit(cpu, true, msr, val));
			return (X86_OK);
		}
		cpu->msr.apic_base = val;
		return (X86_OK);
	case MSR_BIOS_SIGN:
	case MSR_BIOS_UPDT_TRIG:
	case MSR_MCG_STATUS:
		return (X86_OK);
	case MSR_SYSENTER_CS:
		cpu->msr.sysenter_cs = val & 0xffff;
		return (X86_OK);
	case MSR_SYSENTER_ESP:
		return (wr_canonical(cpu, &cpu->msr.sysenter_esp, val));
	case MSR_SYSENTER_EIP:
		return (wr_canonical(cpu, &cpu->msr.sysenter_eip, val));
	case MSR_MISC_ENABLE:
		cpu->msr.misc_enable = val;
		return (X86_OK);
	case MSR_PAT:
		if (!pat_valid(val))
			return (x86_raise(cpu, IDT_GP, 0));
		cpu->msr.pat = val;
		return (X86_OK);
	case MSR_EFER:
		return (x86_set_efer(cpu, val));
	case MSR_STAR:
		cpu->msr.star = val;
		return (X86_OK);
	case MSR_LSTAR:
		return (wr_canonical(cpu, &cpu->msr.lstar, val));
	case MSR_CSTAR:
		return (wr_canonical(cpu, &cpu->msr.cstar, val));
	case MSR_SFMASK:
		if (val >> 32)
			return (x86_raise(cpu, IDT_GP, 0));
		cpu->msr.sfmask = val;
		return (X86_OK);
	case MSR_FS_BASE:
		return (wr_canonical(cpu, &cpu->seg[X86_FS].base, val));
	case MSR_GS_BASE:
		return (wr_canonical(cpu, &cpu->seg[X86_GS].base, val));
	case MSR_KGS_BASE:
		return (wr_canonical(cpu, &cpu->msr.kgsbase, val));
	case MSR_TSC_AUX:
		if (val >> 32)
			return (x86_raise(cpu, IDT_GP, 0));
		cpu->msr.tsc_aux = val;
		return (X86_OK);
	case MSR_MTRRCAP:
	case MSR_MCG_CAP:
		return (x86_raise(cpu, IDT_GP, 0));	/* read-only */
	}
	slot = mtrr_slot(cpu, msr);
	if (slot != NULL) {
		if (msr == MSR_MTRR_DEF && (val & ~0xcffull))
			return (x86_raise(cpu, IDT_GP, 0));
		*slot = val;
		return (X86_OK);
	}
	if (cpu->bus == NULL || cpu->bus->wrmsr == NULL)
		return (x86_raise(cpu, IDT_GP, 0));
	rc = cpu->bus->wrmsr(cpu->bus_ctx, cpu->vcpuid, msr, val);
	if (rc == X86_OK)
		return (X86_OK);
	if (rc == X86_EXIT)
		return (msr_bus_exit(cpu, true, msr, val));
	return (x86_raise(cpu, IDT_GP, 0));
}
