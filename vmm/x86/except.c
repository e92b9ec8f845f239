/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exceptions and interrupts (SDM Vol 3 ch. 6): recording faults, delivery
 * through the real-mode IVT and the protected/IA-32e IDT with privilege
 * changes, #DF and triple fault, IRET, and INT n/INT3/INTO/INT1.
 */
#include <string.h>

#include "vmm/x86/mmu.h"
#include "vmm/x86/ops.h"
#include "vmm/x86/sysinsn.h"

#define IDTERR(v, ext)	((int64_t)(((v) << 3) | 2 | (ext)))
#define SELERR(sel, ext) ((int64_t)(((sel) & 0xfffc) | (ext)))

int
x86_raise(struct x86_cpu *cpu, int vector, int64_t err)
{
	cpu->exc.valid = 1;
	cpu->exc.vector = (uint8_t)vector;
	cpu->exc.has_err = err >= 0;
	cpu->exc.err = err >= 0 ? (uint32_t)err : 0;
	return (X86_FAULT);
}

/* Exception classes for double faults (SDM Vol 3 6.15, Table 6-5). */
enum { EXC_BENIGN, EXC_CONTRIB, EXC_PF };

static int
exc_class(int vector)
{
	switch (vector) {
	case IDT_DE:
	case IDT_TS:
	case IDT_NP:
	case IDT_SS:
	case IDT_GP:
		return (EXC_CONTRIB);
	case IDT_PF:
		return (EXC_PF);
	default:
		return (EXC_BENIGN);
	}
}

/*
 * Fault-class exceptions (SDM Vol 3 Table 6-1) restart the instruction
 * and push RF = 1.  #DB counts as a trap: instruction breakpoints, its
 * only fault form, are not implemented.
 */
static bool
exc_is_fault(int vector)
{
	switch (vector) {
	case IDT_DE:
	case IDT_BR:
	case IDT_UD:
	case IDT_NM:
	case IDT_TS:
	case IDT_NP:
	case IDT_SS:
	case IDT_GP:
	case IDT_PF:
	case IDT_MF:
	case IDT_AC:
	case IDT_XF:
	case IDT_VE:
	case IDT_CP:
		return (true);
	default:
		return (false);
	}
}

static int
triple_fault(struct x86_cpu *cpu)
{
	cpu->exc.valid = 0;
	if (cpu->exit != NULL) {
		cpu->exit->exitcode = VM_EXITCODE_SUSPENDED;
		cpu->exit->u.suspended.how = VM_SUSPEND_TRIPLEFAULT;
	}
	return (X86_EXIT);
}

/* Real-address mode (SDM Vol 3 20.1.4). */
static int
deliver_real(struct x86_cpu *cpu, int vector, uint64_t next_rip)
{
	struct x86_stack st;
	struct x86_seg cs = cpu->seg[X86_CS];
	uint64_t fl;
	uint16_t ivt[2];
	int rc;

	if ((uint32_t)vector * 4 + 3 > cpu->idtr.limit)
		return (x86_raise(cpu, IDT_GP, 0));
	rc = x86_lread(cpu, (cpu->idtr.base + vector * 4) & 0xffffffff, 4,
	    ivt, X86_ACC_SUPER);
	if (rc != X86_OK)
		return (rc);
	fl = x86_get_flags(cpu);
	x86_stk_cur(cpu, &st);
	rc = x86_stk_push(cpu, &st, fl, 2);
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, cpu->seg[X86_CS].sel, 2);
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, next_rip, 2);
	if (rc != X86_OK)
		return (rc);
	x86_seg_real(&cs, ivt[1], true);
	x86_stk_commit(cpu, &st);
	cpu->seg[X86_CS] = cs;
	cpu->rip = ivt[0];
	x86_set_flags(cpu, fl & ~(uint64_t)(X86_IF | X86_TF | X86_AC | X86_RF));
	return (X86_OK);
}

/* Gate target code segment checks (SDM Vol 3 6.12.1.1, 6.14.1). */
static int
gate_target(struct x86_cpu *cpu, uint16_t sel, bool l64, int ext,
    struct x86_desc *d)
{
	uint32_t ar;
	int rc;

	if ((sel & ~3) == 0)
		return (x86_raise(cpu, IDT_GP, ext));
	rc = x86_desc_read(cpu, sel, d, IDT_GP);
	if (rc != X86_OK) {
		if (cpu->exc.vector == IDT_GP)
			cpu->exc.err |= (uint32_t)ext;
		return (rc);
	}
	ar = (uint32_t)(d->lo >> 40) & 0xf0ff;
	if ((ar & (X86_AR_S | X86_AR_CODE)) != (X86_AR_S | X86_AR_CODE) ||
	    X86_AR_DPL(ar) > cpu->cpl ||
	    (l64 && (!(ar & X86_AR_L) || (ar & X86_AR_DB))))
		return (x86_raise(cpu, IDT_GP, SELERR(sel, ext)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel, ext)));
	return (X86_OK);
}

/*
 * Protected mode and IA-32e mode through the IDT (SDM Vol 3 6.10-6.14).
 * Everything is read and pushed before any register is committed.
 */
static int
deliver_pm(struct x86_cpu *cpu, int vector, int64_t err, bool soft,
    uint64_t next_rip, int depth)
{
	bool lm = x86_long_mode(cpu), vm86 = (cpu->rflags & X86_VM) != 0;
	int ext = soft ? 0 : 1, rc;
	unsigned esz = lm ? 16 : 8, type, gsz, ist, ncpl, cpl = cpu->cpl;
	struct x86_desc g, d;
	struct x86_stack st;
	struct x86_seg cs;
	uint64_t v[2], off, fl, pushed, la;
	uint32_t ar;
	uint16_t sel;
	bool stack_switch;

	if ((uint32_t)vector * esz + esz - 1 > cpu->idtr.limit)
		return (x86_raise(cpu, IDT_GP, IDTERR(vector, ext)));
	la = cpu->idtr.base + (uint64_t)vector * esz;
	if (!lm)
		la &= 0xffffffff;
	rc = x86_lread(cpu, la, esz, v, X86_ACC_SUPER);
	if (rc != X86_OK)
		return (rc);
	g.lo = v[0];
	g.hi = lm ? v[1] : 0;
	ar = (uint32_t)(g.lo >> 40) & 0xff;
	type = ar & 0x1f;
	if (lm ? (type != X86_SYS_INT && type != X86_SYS_TRAP) :
	    (type != X86_SYS_INT && type != X86_SYS_TRAP &&
	    type != X86_SYS_INT16 && type != X86_SYS_TRAP16 &&
	    type != X86_SYS_TASK))
		return (x86_raise(cpu, IDT_GP, IDTERR(vector, ext)));
	if (soft && X86_AR_DPL(ar) < cpl)
		return (x86_raise(cpu, IDT_GP, IDTERR(vector, 0)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, IDTERR(vector, ext)));
	sel = (uint16_t)(g.lo >> 16);
	if (type == X86_SYS_TASK)
		return (x86_task_switch(cpu, sel, X86_TS_INT, err, next_rip,
		    depth));
	gsz = lm ? 8 : (type & 8) ? 4 : 2;
	off = g.lo & 0xffff;
	if (gsz >= 4)
		off |= (g.lo >> 32) & 0xffff0000;
	if (lm)
		off |= (g.hi & 0xffffffff) << 32;
	ist = lm ? (unsigned)(g.lo >> 32) & 7 : 0;
	rc = gate_target(cpu, sel, lm, ext, &d);
	if (rc != X86_OK)
		return (rc);
	ar = (uint32_t)(d.lo >> 40) & 0xf0ff;
	ncpl = (ar & X86_AR_DC) ? cpl : X86_AR_DPL(ar);
	if (vm86 && ncpl != 0)
		return (x86_raise(cpu, IDT_GP, SELERR(sel, ext)));
	x86_desc_to_seg(&d, (uint16_t)((sel & ~3) | ncpl), &cs);
	cs.access |= X86_AR_A;
	if (lm ? !x86_canonical(off) : off > cs.limit)
		return (x86_raise(cpu, IDT_GP, ext));
	stack_switch = ncpl < cpl || ist != 0;
	if (stack_switch) {
		rc = x86_tss_stack(cpu, ncpl, ist, &st, ext);
		if (rc != X86_OK)
			return (rc);
		if (ncpl == cpl)
			st.ss = cpu->seg[X86_SS];	/* IST, same CPL */
	} else {
		x86_stk_cur(cpu, &st);
		if (lm) {
			st.rsp &= ~0xfull;
			st.size = 8;
			st.l64 = true;
		}
	}
	/* In IA-32e mode the frame is always 8-byte slots with SS:RSP. */
	fl = x86_get_flags(cpu);
	pushed = fl;
	if (!soft && exc_is_fault(vector))
		pushed |= X86_RF;	/* SDM Vol 3 17.3.1.1 */
	rc = X86_OK;
	if (vm86) {
		static const int segs[] = { X86_GS, X86_FS, X86_DS, X86_ES };
		unsigned i;

		for (i = 0; i < 4 && rc == X86_OK; i++)
			rc = x86_stk_push(cpu, &st, cpu->seg[segs[i]].sel, gsz);
	}
	if (rc == X86_OK && (stack_switch || lm)) {
		rc = x86_stk_push(cpu, &st, cpu->seg[X86_SS].sel, gsz);
		if (rc == X86_OK)
			rc = x86_stk_push(cpu, &st, cpu->gpr[X86_RSP], gsz);
	}
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, pushed, gsz);
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, cpu->seg[X86_CS].sel, gsz);
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, next_rip, gsz);
	if (rc == X86_OK && err >= 0)
		rc = x86_stk_push(cpu, &st, (uint64_t)err, gsz);
	if (rc == X86_OK)
		rc = x86_desc_set_accessed(cpu, sel, &d);
	if (rc != X86_OK)
		return (rc);
	/* Commit. */
	if (vm86) {
		x86_seg_null(&cpu->seg[X86_ES], 0);
		x86_seg_null(&cpu->seg[X86_DS], 0);
		x86_seg_null(&cpu->seg[X86_FS], 0);
		x86_seg_null(&cpu->seg[X86_GS], 0);
	}
	if (stack_switch)
		cpu->seg[X86_SS] = st.ss;
	cpu->gpr[X86_RSP] = st.size == 4 ? (uint32_t)st.rsp : st.rsp;
	cpu->seg[X86_CS] = cs;
	cpu->rip = off;
	fl &= ~(uint64_t)(X86_TF | X86_NT | X86_RF | X86_VM);
	if ((type & 1) == 0)			/* interrupt gate */
		fl &= ~(uint64_t)X86_IF;
	x86_set_flags(cpu, fl);
	x86_update_mode(cpu);
	return (X86_OK);
}

static int
deliver_one(struct x86_cpu *cpu, int vector, int64_t err, bool soft,
    uint64_t next_rip, int depth)
{
	cpu->exc.valid = 0;
	if (cpu->mode == CPU_MODE_REAL)
		return (deliver_real(cpu, vector, next_rip));
	return (deliver_pm(cpu, vector, err, soft, next_rip, depth));
}

int
x86_deliver(struct x86_cpu *cpu, int vector, int64_t err, bool soft,
    uint64_t next_rip)
{
	cpu->halted = 0;
	if (soft) {
		/* Faults while delivering INT n are the INT's own faults. */
		return (deliver_one(cpu, vector, err, true, next_rip, 0));
	}
	return (x86_deliver_depth(cpu, vector, err, next_rip, 0));
}

int
x86_deliver_depth(struct x86_cpu *cpu, int vector, int64_t err,
    uint64_t next_rip, int depth)
{
	int rc, nv, c1, c2, tries;
	int64_t nerr;

	if (depth > 4)		/* task gates faulting into task gates */
		return (triple_fault(cpu));
	for (tries = 0; tries < 8; tries++) {
		rc = deliver_one(cpu, vector, err, false, next_rip, depth);
		if (rc != X86_FAULT) {
			if (rc == X86_OK && vector == IDT_NMI)
				cpu->nmi_blocked = 1;
			return (rc);
		}
		nv = cpu->exc.vector;
		nerr = cpu->exc.has_err ? (int64_t)cpu->exc.err : -1;
		if (vector == IDT_DF)
			return (triple_fault(cpu));
		c1 = exc_class(vector);
		c2 = exc_class(nv);
		if ((c1 == EXC_CONTRIB && c2 == EXC_CONTRIB) ||
		    (c1 == EXC_PF && c2 != EXC_BENIGN)) {
			vector = IDT_DF;
			err = 0;
		} else {
			vector = nv;
			err = nerr;
		}
	}
	return (triple_fault(cpu));
}

/* ---- IRET (SDM Vol 2 IRET) ---- */

uint64_t
x86_flags_for_iret(struct x86_cpu *cpu, uint64_t cur, uint64_t v,
    unsigned opsize, unsigned cpl)
{
	/*
	 * RF is loaded: it suppresses instruction breakpoints for the one
	 * instruction returned to; run.c clears it after that one (SDM
	 * Vol 3 17.3.1.1).
	 */
	uint64_t chg = X86_ARITH_FLAGS | X86_TF | X86_DF | X86_NT | X86_AC |
	    X86_ID | X86_RF;
	unsigned iopl = (unsigned)(cur & X86_IOPL) >> 12;

	if (cpl <= iopl)
		chg |= X86_IF;
	if (cpl == 0)
		chg |= X86_IOPL | X86_VIF | X86_VIP;
	if (opsize == 2)
		chg &= 0xffff;
	return ((cur & ~chg) | (v & chg) | X86_RF1);
}

static int
iret_real(struct x86_cpu *cpu, unsigned opsize)
{
	struct x86_stack st;
	struct x86_seg cs = cpu->seg[X86_CS];
	uint64_t ip, sel, fl, cur = x86_get_flags(cpu), keep;
	int rc;

	if ((cpu->rflags & X86_VM) && (cpu->rflags & X86_IOPL) != X86_IOPL)
		return (x86_raise(cpu, IDT_GP, 0));	/* no VME */
	x86_stk_cur(cpu, &st);
	rc = x86_stk_pop(cpu, &st, &ip, opsize);
	if (rc == X86_OK)
		rc = x86_stk_pop(cpu, &st, &sel, opsize);
	if (rc == X86_OK)
		rc = x86_stk_pop(cpu, &st, &fl, opsize);
	if (rc != X86_OK)
		return (rc);
	if (opsize == 2)
		ip &= 0xffff;
	else
		ip &= 0xffffffff;
	if (cpu->rflags & X86_VM) {
		cs.sel = (uint16_t)sel;
		cs.base = (sel & 0xffff) << 4;
	} else
		x86_seg_real(&cs, (uint16_t)sel, true);
	if (ip > cs.limit)
		return (x86_raise(cpu, IDT_GP, 0));
	/* VM, VIF, VIP survive; in VM86 IOPL does too (RF is loaded). */
	keep = X86_VM | X86_VIF | X86_VIP | ~0x3fffffull;
	if (cpu->rflags & X86_VM)
		keep |= X86_IOPL;
	if (opsize == 2)
		keep |= ~0xffffull;
	fl = (cur & keep) | (fl & ~keep) | X86_RF1;
	x86_stk_commit(cpu, &st);
	cpu->seg[X86_CS] = cs;
	cpu->rip = ip;
	x86_set_flags(cpu, fl);
	return (X86_OK);
}

/* IRET from CPL 0 with EFLAGS.VM set in the image (SDM Vol 3 20.3). */
static int
iret_to_vm86(struct x86_cpu *cpu, struct x86_stack *st, uint64_t ip,
    uint64_t sel, uint64_t fl)
{
	static const int segs[] = { X86_ES, X86_DS, X86_FS, X86_GS };
	uint64_t sp, ss, s[4];
	unsigned i;
	int rc;

	rc = x86_stk_pop(cpu, st, &sp, 4);
	if (rc == X86_OK)
		rc = x86_stk_pop(cpu, st, &ss, 4);
	for (i = 0; i < 4 && rc == X86_OK; i++)
		rc = x86_stk_pop(cpu, st, &s[i], 4);
	if (rc != X86_OK)
		return (rc);
	if ((ip & 0xffffffff) > 0xffff)
		return (x86_raise(cpu, IDT_GP, 0));
	x86_set_flags(cpu, (fl & 0x3e7fd5) | X86_RF1 | X86_VM);
	cpu->rflags |= X86_VM;
	for (i = 0; i < 4; i++) {
		cpu->seg[segs[i]].sel = (uint16_t)s[i];
		cpu->seg[segs[i]].base = (s[i] & 0xffff) << 4;
		cpu->seg[segs[i]].limit = 0xffff;
		cpu->seg[segs[i]].access = 0xf3;
	}
	cpu->seg[X86_SS].sel = (uint16_t)ss;
	cpu->seg[X86_SS].base = (ss & 0xffff) << 4;
	cpu->seg[X86_SS].limit = 0xffff;
	cpu->seg[X86_SS].access = 0xf3;
	cpu->seg[X86_CS].sel = (uint16_t)sel;
	cpu->seg[X86_CS].base = (sel & 0xffff) << 4;
	cpu->seg[X86_CS].limit = 0xffff;
	cpu->seg[X86_CS].access = 0xfb;
	cpu->gpr[X86_RSP] = (uint32_t)sp;
	cpu->rip = ip & 0xffff;
	x86_update_mode(cpu);
	return (X86_OK);
}

/* IRET with NT: return to the task in the TSS back link (7.3, 7.4). */
static int
iret_task(struct x86_cpu *cpu)
{
	uint16_t link;
	int rc;

	if (x86_long_mode(cpu))
		return (x86_raise(cpu, IDT_GP, 0));
	rc = x86_lread(cpu, cpu->seg[X86_TR].base & 0xffffffff, 2, &link,
	    X86_ACC_SUPER);
	if (rc == X86_OK)
		rc = x86_task_switch(cpu, link, X86_TS_IRET, -1, cpu->rip, 0);
	if (rc == X86_OK)
		cpu->nmi_blocked = 0;
	return (rc);
}

int
x86_iret(struct x86_cpu *cpu, unsigned opsize)
{
	struct x86_stack st;
	struct x86_desc d;
	struct x86_seg cs, ss;
	uint64_t ip, sel, fl, nsp = 0, nss = 0, cur;
	unsigned rpl, cpl = cpu->cpl;
	bool to64, pop_ss;
	int rc;

	if (cpu->mode == CPU_MODE_REAL || (cpu->rflags & X86_VM))
		rc = iret_real(cpu, opsize);
	else {
		cur = x86_get_flags(cpu);
		if (cur & X86_NT)
			return (iret_task(cpu));
		x86_stk_cur(cpu, &st);
		rc = x86_stk_pop(cpu, &st, &ip, opsize);
		if (rc == X86_OK)
			rc = x86_stk_pop(cpu, &st, &sel, opsize);
		if (rc == X86_OK)
			rc = x86_stk_pop(cpu, &st, &fl, opsize);
		if (rc != X86_OK)
			return (rc);
		sel &= 0xffff;
		if (opsize == 2)
			fl = (cur & ~0xffffull) | (fl & 0xffff);
		if ((fl & X86_VM) && cpl == 0 && !x86_long_mode(cpu) &&
		    opsize == 4) {
			rc = iret_to_vm86(cpu, &st, ip, sel, fl);
			if (rc == X86_OK)
				cpu->nmi_blocked = 0;
			return (rc);
		}
		rc = x86_ret_cs(cpu, (uint16_t)sel, &d);
		if (rc != X86_OK)
			return (rc);
		rpl = sel & 3;
		x86_desc_to_seg(&d, (uint16_t)sel, &cs);
		to64 = x86_long_mode(cpu) && (cs.access & X86_AR_L);
		if (!to64)
			ip &= opsize == 2 ? 0xffff : 0xffffffff;
		pop_ss = cpu->mode == CPU_MODE_64BIT || rpl > cpl;
		if (pop_ss) {
			rc = x86_stk_pop(cpu, &st, &nsp, opsize);
			if (rc == X86_OK)
				rc = x86_stk_pop(cpu, &st, &nss, opsize);
			if (rc == X86_OK)
				rc = x86_ret_ss(cpu, (uint16_t)nss, rpl, to64,
				    &ss);
			if (rc != X86_OK)
				return (rc);
		}
		if (to64 ? !x86_canonical(ip) : ip > cs.limit)
			return (x86_raise(cpu, IDT_GP, 0));
		rc = x86_desc_set_accessed(cpu, (uint16_t)sel, &d);
		if (rc != X86_OK)
			return (rc);
		cs.access |= X86_AR_A;
		fl = x86_flags_for_iret(cpu, cur, fl, opsize, cpl);
		if (x86_long_mode(cpu))
			fl &= ~(uint64_t)X86_VM;
		cpu->seg[X86_CS] = cs;
		cpu->rip = ip;
		x86_set_flags(cpu, fl);
		if (pop_ss) {
			cpu->seg[X86_SS] = ss;
			if (to64)
				cpu->gpr[X86_RSP] = nsp;
			else if (ss.access & X86_AR_DB)
				cpu->gpr[X86_RSP] = (uint32_t)nsp;
			else
				cpu->gpr[X86_RSP] = (cpu->gpr[X86_RSP] &
				    ~0xffffull) | (nsp & 0xffff);
		} else
			x86_stk_commit(cpu, &st);
		x86_update_mode(cpu);
		if (rpl > cpl)
			x86_seg_fixup_outer(cpu);
	}
	if (rc == X86_OK)
		cpu->nmi_blocked = 0;
	return (rc);
}

/* ---- INT n, INT3, INTO, INT1, IRET ---- */

static int
soft_int(struct x86_cpu *cpu, int vector)
{
	/* VM86 without VME: INT n is IOPL-sensitive (SDM Vol 3 20.3.3). */
	if ((cpu->rflags & X86_VM) && (cpu->rflags & X86_IOPL) != X86_IOPL)
		return (x86_raise(cpu, IDT_GP, 0));
	return (x86_deliver(cpu, vector, -1, true, cpu->rip));
}

X86_SYSOP(x86_op_int)
{
	return (soft_int(cpu, (int)(in->imm & 0xff)));
}

X86_SYSOP(x86_op_int3)
{
	return (x86_deliver(cpu, IDT_BP, -1, true, cpu->rip));
}

X86_SYSOP(x86_op_into)
{
	if (cpu->mode == CPU_MODE_64BIT)
		return (x86_raise(cpu, IDT_UD, -1));
	if (!(x86_get_flags(cpu) & X86_OF))
		return (X86_OK);
	return (x86_deliver(cpu, IDT_OF, -1, true, cpu->rip));
}

X86_SYSOP(x86_op_int1)
{
	/* ICEBP: a #DB trap without the gate DPL check (SDM Vol 3 6.3.1). */
	return (x86_deliver(cpu, IDT_DB, -1, false, cpu->rip));
}

X86_SYSOP(x86_op_iret)
{
	return (x86_iret(cpu, in->opsize));
}
