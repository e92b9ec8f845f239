/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hardware task switching (SDM Vol 3 7.3): JMP/CALL to a TSS descriptor
 * or task gate, interrupts and exceptions through a task gate, and IRET
 * with EFLAGS.NT.  32-bit TSSes only: a 16-bit TSS is refused like a bad
 * descriptor.  IA-32e mode has no task switching (the callers #GP).
 *
 * Everything that can fault in the old task's context (descriptor
 * checks, reading the new TSS, saving the old one) happens first; then
 * the switch is committed and the new task's segments are loaded.
 * Faults from that point belong to the new task and are delivered here
 * (SDM Vol 3 Table 7-1, "after the commit point").
 */
#include <string.h>

#include "vmm/x86/mmu.h"

/* 32-bit TSS (SDM Vol 3 Figure 7-2). */
#define TSS_LINK	0x00
#define TSS_CR3		0x1c
#define TSS_EIP		0x20
#define TSS_EFLAGS	0x24
#define TSS_GPR		0x28		/* EAX ... EDI */
#define TSS_SEG		0x48		/* ES CS SS DS FS GS */
#define TSS_LDT		0x60
#define TSS_SIZE	0x68

#define SELERR(sel)	((int64_t)((sel) & 0xfffc))

static uint32_t
tss32(const uint8_t *img, unsigned off)
{
	uint32_t v;

	memcpy(&v, img + off, 4);
	return (v);
}

/* Set or clear the busy bit of the TSS descriptor `sel` in the GDT. */
static int
tss_busy(struct x86_cpu *cpu, uint16_t sel, bool busy)
{
	uint64_t la = cpu->gdtr.base + (sel & ~7) + 5;
	uint8_t b;
	int rc;

	la &= 0xffffffff;
	rc = x86_lread(cpu, la, 1, &b, X86_ACC_SUPER);
	if (rc != X86_OK)
		return (rc);
	b = busy ? (b | 2) : (b & ~2);
	return (x86_lwrite(cpu, la, 1, &b, X86_ACC_SUPER));
}

/* Load the new task's LDTR and segment registers (SDM Vol 3 7.3 13). */
static int
task_load_ldt(struct x86_cpu *cpu, uint16_t sel)
{
	struct x86_desc d;
	uint32_t ar;
	int rc;

	if ((sel & ~3) == 0) {
		x86_seg_null(&cpu->seg[X86_LDTR], sel);
		return (X86_OK);
	}
	if (sel & 4)
		return (x86_raise(cpu, IDT_TS, SELERR(sel)));
	rc = x86_desc_read(cpu, sel, &d, IDT_TS);
	if (rc != X86_OK)
		return (rc);
	ar = (uint32_t)(d.lo >> 40) & 0xf0ff;
	if ((ar & (X86_AR_S | X86_AR_TYPE)) != X86_SYS_LDT ||
	    !(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_TS, SELERR(sel)));
	x86_desc_to_seg(&d, sel, &cpu->seg[X86_LDTR]);
	return (X86_OK);
}

static int
task_load_cs(struct x86_cpu *cpu, uint16_t sel)
{
	struct x86_desc d;
	unsigned rpl = sel & 3, dpl;
	uint32_t ar;
	int rc;

	if ((sel & ~3) == 0)
		return (x86_raise(cpu, IDT_TS, 0));
	rc = x86_desc_read(cpu, sel, &d, IDT_TS);
	if (rc != X86_OK)
		return (rc);
	ar = (uint32_t)(d.lo >> 40) & 0xf0ff;
	dpl = X86_AR_DPL(ar);
	if ((ar & (X86_AR_S | X86_AR_CODE)) != (X86_AR_S | X86_AR_CODE) ||
	    ((ar & X86_AR_DC) ? dpl > rpl : dpl != rpl))
		return (x86_raise(cpu, IDT_TS, SELERR(sel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	x86_desc_to_seg(&d, sel, &cpu->seg[X86_CS]);
	return (X86_OK);
}

static int
task_load_data(struct x86_cpu *cpu, int seg, uint16_t sel, unsigned cpl)
{
	struct x86_desc d;
	unsigned dpl;
	uint32_t ar;
	int rc;

	if ((sel & ~3) == 0) {
		x86_seg_null(&cpu->seg[seg], sel);
		return (X86_OK);
	}
	rc = x86_desc_read(cpu, sel, &d, IDT_TS);
	if (rc != X86_OK)
		return (rc);
	ar = (uint32_t)(d.lo >> 40) & 0xf0ff;
	dpl = X86_AR_DPL(ar);
	if (!(ar & X86_AR_S) || ((ar & X86_AR_CODE) && !(ar & X86_AR_RW)))
		return (x86_raise(cpu, IDT_TS, SELERR(sel)));
	if ((!(ar & X86_AR_CODE) || !(ar & X86_AR_DC)) &&
	    (dpl < cpl || dpl < (sel & 3u)))
		return (x86_raise(cpu, IDT_TS, SELERR(sel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	x86_desc_to_seg(&d, sel, &cpu->seg[seg]);
	return (X86_OK);
}

static int
task_load_segs(struct x86_cpu *cpu, const uint8_t *img)
{
	static const int data[] = { X86_ES, X86_DS, X86_FS, X86_GS };
	uint16_t sel[6];
	unsigned cpl, i;
	int rc;

	for (i = 0; i < 6; i++)
		sel[i] = (uint16_t)tss32(img, TSS_SEG + 4 * i);
	if (cpu->rflags & X86_VM) {
		for (i = 0; i < 6; i++) {
			cpu->seg[i].sel = sel[i];
			cpu->seg[i].base = (uint64_t)sel[i] << 4;
			cpu->seg[i].limit = 0xffff;
			cpu->seg[i].access = i == X86_CS ? 0xfb : 0xf3;
		}
		x86_update_mode(cpu);
		return (task_load_ldt(cpu, (uint16_t)tss32(img, TSS_LDT)));
	}
	/* Selectors first; caches stay unusable until loaded. */
	for (i = 0; i < 6; i++)
		x86_seg_null(&cpu->seg[i], sel[i]);
	cpl = sel[X86_CS] & 3;
	cpu->seg[X86_SS].access |= cpl << 5;
	x86_update_mode(cpu);
	rc = task_load_ldt(cpu, (uint16_t)tss32(img, TSS_LDT));
	if (rc == X86_OK)
		rc = task_load_cs(cpu, sel[X86_CS]);
	if (rc == X86_OK)
		rc = x86_check_ss(cpu, sel[X86_SS], cpl, IDT_TS,
		    &cpu->seg[X86_SS]);
	if (rc == X86_FAULT && cpu->seg[X86_SS].access & X86_AR_UNUSABLE)
		cpu->seg[X86_SS].access |= cpl << 5;
	for (i = 0; i < 4 && rc == X86_OK; i++)
		rc = task_load_data(cpu, data[i], sel[data[i]], cpl);
	x86_update_mode(cpu);
	return (rc);
}

int
x86_task_switch(struct x86_cpu *cpu, uint16_t sel, int reason, int64_t err,
    uint64_t next_rip, int depth)
{
	const int vec = reason == X86_TS_IRET ? IDT_TS : IDT_GP;
	struct x86_seg otr = cpu->seg[X86_TR], ntr;
	struct x86_stack st;
	struct x86_desc d;
	uint8_t img[TSS_SIZE];
	uint32_t dyn[16], type, nfl;
	uint64_t fl, cr3;
	unsigned i;
	int rc;

	/* New TSS descriptor (SDM Vol 3 7.3 steps 1-3). */
	if (sel & 4)
		return (x86_raise(cpu, vec, SELERR(sel)));
	rc = x86_desc_read(cpu, sel, &d, vec);
	if (rc != X86_OK)
		return (rc);
	type = (uint32_t)(d.lo >> 40) & 0x1f;
	if (type != (reason == X86_TS_IRET ? X86_SYS_TSSB : X86_SYS_TSS))
		return (x86_raise(cpu, vec, SELERR(sel)));
	if (!((d.lo >> 47) & 1))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	x86_desc_to_seg(&d, sel, &ntr);
	if (ntr.limit < TSS_SIZE - 1)
		return (x86_raise(cpu, IDT_TS, SELERR(sel)));
	if ((otr.access & X86_AR_UNUSABLE) || otr.limit < 0x5f)
		return (x86_raise(cpu, IDT_TS, SELERR(otr.sel)));
	/* Read the new task, save the old one (steps 4-8). */
	rc = x86_lread(cpu, ntr.base & 0xffffffff, TSS_SIZE, img,
	    X86_ACC_SUPER);
	if (rc != X86_OK)
		return (rc);
	fl = x86_get_flags(cpu);
	if (reason == X86_TS_JMP || reason == X86_TS_IRET)
		fl &= ~(uint64_t)X86_NT;
	dyn[0] = (uint32_t)next_rip;
	dyn[1] = (uint32_t)fl;
	for (i = 0; i < 8; i++)
		dyn[2 + i] = (uint32_t)cpu->gpr[i];
	for (i = 0; i < 6; i++)
		dyn[10 + i] = cpu->seg[i].sel;
	rc = x86_lwrite(cpu, (otr.base + TSS_EIP) & 0xffffffff, sizeof(dyn),
	    dyn, X86_ACC_SUPER);
	if (rc == X86_OK && (reason == X86_TS_JMP || reason == X86_TS_IRET))
		rc = tss_busy(cpu, otr.sel, false);
	if (rc == X86_OK && reason != X86_TS_IRET)
		rc = tss_busy(cpu, sel, true);
	if (rc == X86_OK && (reason == X86_TS_CALL || reason == X86_TS_INT)) {
		uint16_t link = otr.sel;

		rc = x86_lwrite(cpu, (ntr.base + TSS_LINK) & 0xffffffff, 2,
		    &link, X86_ACC_SUPER);
	}
	if (rc != X86_OK)
		return (rc);
	/* Commit point: the new task's state (steps 9-12). */
	nfl = tss32(img, TSS_EFLAGS);
	if (reason == X86_TS_CALL || reason == X86_TS_INT)
		nfl |= X86_NT;
	ntr.access |= 2;			/* busy */
	cpu->seg[X86_TR] = ntr;
	cpu->cr0 |= X86_CR0_TS;
	cr3 = tss32(img, TSS_CR3);
	if (cpu->cr0 & X86_CR0_PG) {
		if ((cpu->cr4 & X86_CR4_PAE) &&
		    x86_mmu_load_pdptes(cpu, cr3) != X86_OK)
			return (x86_deliver_depth(cpu, IDT_GP, 0, cpu->rip,
			    depth + 1));
		cpu->cr3 = cr3;
	}
	x86_mmu_sync(cpu);
	cpu->rip = tss32(img, TSS_EIP);
	for (i = 0; i < 8; i++)
		cpu->gpr[i] = tss32(img, TSS_GPR + 4 * i);
	x86_set_flags(cpu, nfl | X86_RF1);
	cpu->rflags = (cpu->rflags & ~(uint64_t)X86_VM) | (nfl & X86_VM);
	rc = task_load_segs(cpu, img);
	if (rc == X86_OK && err >= 0) {
		/* An exception's error code goes on the new stack. */
		x86_stk_cur(cpu, &st);
		rc = x86_stk_push(cpu, &st, (uint64_t)err,
		    (cpu->seg[X86_CS].access & X86_AR_DB) ? 4 : 2);
		if (rc == X86_OK)
			x86_stk_commit(cpu, &st);
	}
	if (rc == X86_OK && cpu->rip > cpu->seg[X86_CS].limit)
		rc = x86_raise(cpu, IDT_GP, 0);
	if (rc != X86_FAULT)
		return (rc);
	/* A fault of the new task, delivered in its context. */
	cpu->exc.valid = 0;
	return (x86_deliver_depth(cpu, cpu->exc.vector, cpu->exc.has_err ?
	    (int64_t)cpu->exc.err : -1, cpu->rip, depth + 1));
}
