/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Segmentation: processor mode, descriptor tables, segment loads with
 * their protection checks, far JMP/CALL/RET and the descriptor
 * instructions of group 6, LAR and LSL (SDM Vol 3 ch. 3 and 5).
 *
 * CPL is SS.DPL outside real mode (as in VMX guest state); every path
 * that loads SS keeps SS.DPL equal to the new CPL, also for the null SS
 * of 64-bit mode.
 */
#include "vmm/x86/mmu.h"
#include "vmm/x86/ops.h"
#include "vmm/x86/sysinsn.h"

#define SELERR(sel)	((int64_t)((sel) & 0xfffc))

static inline uint32_t
desc_ar(const struct x86_desc *d)
{
	return ((uint32_t)(d->lo >> 40) & 0xf0ff);
}

/* ---- Mode ---- */

void
x86_update_mode(struct x86_cpu *cpu)
{
	const struct x86_seg *cs = &cpu->seg[X86_CS], *ss = &cpu->seg[X86_SS];

	if (!(cpu->cr0 & X86_CR0_PE)) {
		cpu->mode = CPU_MODE_REAL;
		cpu->cpl = 0;
		cpu->csz = 2;
		cpu->ssz = 2;
	} else if (cpu->efer & X86_EFER_LMA) {
		cpu->cpl = X86_AR_DPL(ss->access);
		if (cs->access & X86_AR_L) {
			cpu->mode = CPU_MODE_64BIT;
			cpu->csz = 8;
			cpu->ssz = 8;
		} else {
			cpu->mode = CPU_MODE_COMPATIBILITY;
			cpu->csz = (cs->access & X86_AR_DB) ? 4 : 2;
			cpu->ssz = (ss->access & X86_AR_DB) ? 4 : 2;
		}
	} else if (cpu->rflags & X86_VM) {
		/* Virtual-8086 mode (SDM Vol 3 20.2) */
		cpu->mode = CPU_MODE_PROTECTED;
		cpu->cpl = 3;
		cpu->csz = 2;
		cpu->ssz = 2;
	} else {
		cpu->mode = CPU_MODE_PROTECTED;
		cpu->cpl = X86_AR_DPL(ss->access);
		cpu->csz = (cs->access & X86_AR_DB) ? 4 : 2;
		cpu->ssz = (ss->access & X86_AR_DB) ? 4 : 2;
	}
	if (!(cpu->cr0 & X86_CR0_PG))
		cpu->paging = PAGING_MODE_FLAT;
	else if (cpu->efer & X86_EFER_LMA)
		cpu->paging = (cpu->cr4 & X86_CR4_LA57) ? PAGING_MODE_64_LA57 :
		    PAGING_MODE_64;
	else if (cpu->cr4 & X86_CR4_PAE)
		cpu->paging = PAGING_MODE_PAE;
	else
		cpu->paging = PAGING_MODE_32;
	x86_mmu_sync(cpu);
	x86_tlb_fast_sync(cpu);
}

static inline bool
is_real(const struct x86_cpu *cpu)
{
	return (cpu->mode == CPU_MODE_REAL || (cpu->rflags & X86_VM));
}

/* ---- Descriptors ---- */

int
x86_desc_read(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d, int vec)
{
	const struct x86_seg *ldt = &cpu->seg[X86_LDTR];
	uint64_t base;
	uint32_t limit;

	d->lo = d->hi = 0;
	if (sel & 4) {
		if (ldt->access & X86_AR_UNUSABLE)
			return (x86_raise(cpu, vec, SELERR(sel)));
		base = ldt->base;
		limit = ldt->limit;
	} else {
		base = cpu->gdtr.base;
		limit = cpu->gdtr.limit;
	}
	if ((uint32_t)(sel & ~7) + 7 > limit)
		return (x86_raise(cpu, vec, SELERR(sel)));
	if (!x86_long_mode(cpu))
		base &= 0xffffffff;
	return (x86_lread(cpu, base + (sel & ~7), 8, &d->lo,
	    X86_ACC_SUPER | X86_ACC_R));
}

/* 16-byte system descriptors of IA-32e mode (SDM Vol 3 7.2.3, 5.8.3.1). */
int
x86_desc_read16(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d,
    int vec)
{
	const struct x86_seg *ldt = &cpu->seg[X86_LDTR];
	uint64_t base;
	uint32_t limit;
	uint64_t v[2];
	int rc;

	d->lo = d->hi = 0;
	if (sel & 4) {
		if (ldt->access & X86_AR_UNUSABLE)
			return (x86_raise(cpu, vec, SELERR(sel)));
		base = ldt->base;
		limit = ldt->limit;
	} else {
		base = cpu->gdtr.base;
		limit = cpu->gdtr.limit;
	}
	if ((uint32_t)(sel & ~7) + 15 > limit)
		return (x86_raise(cpu, vec, SELERR(sel)));
	rc = x86_lread(cpu, base + (sel & ~7), 16, v,
	    X86_ACC_SUPER | X86_ACC_R);
	if (rc != X86_OK)
		return (rc);
	d->lo = v[0];
	d->hi = v[1];
	return (X86_OK);
}

void
x86_desc_to_seg(const struct x86_desc *d, uint16_t sel, struct x86_seg *s)
{
	uint32_t limit;

	s->sel = sel;
	s->base = ((d->lo >> 16) & 0xffffff) | ((d->lo >> 56) << 24);
	if (!((d->lo >> 44) & 1))		/* system: 64-bit base */
		s->base |= (d->hi & 0xffffffff) << 32;
	limit = (uint32_t)(d->lo & 0xffff) | (uint32_t)((d->lo >> 32) &
	    0xf0000);
	if ((d->lo >> 55) & 1)
		limit = (limit << 12) | 0xfff;
	s->limit = limit;
	s->access = desc_ar(d);
}

/* Set the accessed bit in memory (SDM Vol 3 3.4.5.1), atomically. */
int
x86_desc_set_accessed(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d)
{
	uint64_t base;
	uint8_t b;
	void *hp;
	int rc;

	if (d->lo & (1ull << 40))
		return (X86_OK);
	base = (sel & 4) ? cpu->seg[X86_LDTR].base : cpu->gdtr.base;
	if (!x86_long_mode(cpu))
		base &= 0xffffffff;
	base += (sel & ~7) + 5;
	rc = x86_lptr(cpu, base, 1, X86_ACC_SUPER | X86_ACC_W, &hp);
	if (rc != X86_OK)
		return (rc);
	if (hp != NULL) {
		__atomic_fetch_or((uint8_t *)hp, 1, __ATOMIC_SEQ_CST);
	} else {
		b = (uint8_t)(d->lo >> 40) | 1;
		rc = x86_lwrite(cpu, base, 1, &b, X86_ACC_SUPER);
		if (rc != X86_OK)
			return (rc);
	}
	d->lo |= 1ull << 40;
	return (X86_OK);
}

void
x86_seg_null(struct x86_seg *s, uint16_t sel)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0;
	s->access = X86_AR_UNUSABLE;
}

/* Real mode (SDM Vol 3 20.1.1): base = sel << 4, rest of cache kept. */
void
x86_seg_real(struct x86_seg *s, uint16_t sel, bool code)
{
	s->sel = sel;
	s->base = (uint64_t)sel << 4;
	if (s->access & X86_AR_UNUSABLE) {
		s->access = code ? 0x9b : 0x93;
		s->limit = 0xffff;
	}
	s->access |= X86_AR_P | X86_AR_S;
}

static void
seg_vm86(struct x86_seg *s, uint16_t sel)
{
	s->sel = sel;
	s->base = (uint64_t)sel << 4;
	s->limit = 0xffff;
	s->access = 0xf3;		/* DPL 3, present, data RW accessed */
}

int
x86_check_ss(struct x86_cpu *cpu, uint16_t sel, unsigned cpl, int vec,
    struct x86_seg *out)
{
	struct x86_desc d;
	uint32_t ar;
	int rc;

	if ((sel & ~3) == 0)
		return (x86_raise(cpu, vec, 0));
	rc = x86_desc_read(cpu, sel, &d, vec);
	if (rc != X86_OK)
		return (rc);
	ar = desc_ar(&d);
	if ((sel & 3) != cpl || !(ar & X86_AR_S) || (ar & X86_AR_CODE) ||
	    !(ar & X86_AR_RW) || X86_AR_DPL(ar) != cpl)
		return (x86_raise(cpu, vec, SELERR(sel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_SS, SELERR(sel)));
	rc = x86_desc_set_accessed(cpu, sel, &d);
	if (rc != X86_OK)
		return (rc);
	x86_desc_to_seg(&d, sel, out);
	return (X86_OK);
}

/* MOV/POP SS, LSS (SDM Vol 2 MOV "Operation"). */
static int
load_ss(struct x86_cpu *cpu, uint16_t sel)
{
	struct x86_seg s;
	int rc;

	if ((sel & ~3) == 0) {
		if (cpu->mode != CPU_MODE_64BIT || cpu->cpl == 3 ||
		    (sel & 3) != cpu->cpl)
			return (x86_raise(cpu, IDT_GP, 0));
		x86_seg_null(&cpu->seg[X86_SS], sel);
		cpu->seg[X86_SS].access |= (uint32_t)cpu->cpl << 5;
		return (X86_OK);
	}
	if ((sel & 3) != cpu->cpl) {
		/* RPL != CPL is #GP(sel) before reading (SDM MOV) */
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	}
	rc = x86_check_ss(cpu, sel, cpu->cpl, IDT_GP, &s);
	if (rc != X86_OK)
		return (rc);
	cpu->seg[X86_SS] = s;
	x86_update_mode(cpu);
	return (X86_OK);
}

/* DS ES FS GS. */
static int
load_data(struct x86_cpu *cpu, int seg, uint16_t sel)
{
	struct x86_desc d;
	unsigned dpl, rpl = sel & 3;
	uint32_t ar;
	int rc;

	if ((sel & ~3) == 0) {
		x86_seg_null(&cpu->seg[seg], sel);
		return (X86_OK);
	}
	rc = x86_desc_read(cpu, sel, &d, IDT_GP);
	if (rc != X86_OK)
		return (rc);
	ar = desc_ar(&d);
	dpl = X86_AR_DPL(ar);
	if (!(ar & X86_AR_S) ||
	    ((ar & X86_AR_CODE) && !(ar & X86_AR_RW)))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	/* Data and non-conforming code: DPL >= max(CPL, RPL). */
	if ((!(ar & X86_AR_CODE) || !(ar & X86_AR_DC)) &&
	    (rpl > dpl || cpu->cpl > dpl))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	rc = x86_desc_set_accessed(cpu, sel, &d);
	if (rc != X86_OK)
		return (rc);
	x86_desc_to_seg(&d, sel, &cpu->seg[seg]);
	return (X86_OK);
}

/* LLDT (SDM Vol 2). */
static int
load_ldt(struct x86_cpu *cpu, uint16_t sel)
{
	struct x86_desc d;
	struct x86_seg s;
	int rc;

	if ((sel & ~3) == 0) {
		x86_seg_null(&cpu->seg[X86_LDTR], sel);
		return (X86_OK);
	}
	if (sel & 4)
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (x86_long_mode(cpu))
		rc = x86_desc_read16(cpu, sel, &d, IDT_GP);
	else
		rc = x86_desc_read(cpu, sel, &d, IDT_GP);
	if (rc != X86_OK)
		return (rc);
	if ((desc_ar(&d) & (X86_AR_S | X86_AR_TYPE)) != X86_SYS_LDT)
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (!(desc_ar(&d) & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	x86_desc_to_seg(&d, sel, &s);
	if (x86_long_mode(cpu) && !x86_canonical(s.base))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	cpu->seg[X86_LDTR] = s;
	return (X86_OK);
}

/* LTR (SDM Vol 2): marks the TSS busy. */
static int
load_tr(struct x86_cpu *cpu, uint16_t sel)
{
	struct x86_desc d;
	struct x86_seg s;
	uint64_t la;
	uint32_t type;
	uint8_t b;
	int rc;

	if ((sel & ~3) == 0)
		return (x86_raise(cpu, IDT_GP, 0));
	if (sel & 4)
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (x86_long_mode(cpu))
		rc = x86_desc_read16(cpu, sel, &d, IDT_GP);
	else
		rc = x86_desc_read(cpu, sel, &d, IDT_GP);
	if (rc != X86_OK)
		return (rc);
	type = desc_ar(&d) & (X86_AR_S | X86_AR_TYPE);
	if (type != X86_SYS_TSS &&
	    (x86_long_mode(cpu) || type != X86_SYS_TSS16))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (!(desc_ar(&d) & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	x86_desc_to_seg(&d, sel, &s);
	if (x86_long_mode(cpu) && !x86_canonical(s.base))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	la = cpu->gdtr.base + (sel & ~7) + 5;
	if (!x86_long_mode(cpu))
		la &= 0xffffffff;
	b = (uint8_t)(d.lo >> 40) | 2;
	rc = x86_lwrite(cpu, la, 1, &b, X86_ACC_SUPER);
	if (rc != X86_OK)
		return (rc);
	s.access |= 2;
	cpu->seg[X86_TR] = s;
	return (X86_OK);
}

int
x86_load_seg(struct x86_cpu *cpu, int seg, uint16_t sel)
{
	if (seg < 0 || seg >= X86_NSEG)
		return (x86_raise(cpu, IDT_UD, -1));
	if (cpu->mode == CPU_MODE_REAL) {
		if (seg == X86_LDTR || seg == X86_TR)
			return (x86_raise(cpu, IDT_UD, -1));
		x86_seg_real(&cpu->seg[seg], sel, seg == X86_CS);
		return (X86_OK);
	}
	if (cpu->rflags & X86_VM) {
		if (seg == X86_LDTR || seg == X86_TR)
			return (x86_raise(cpu, IDT_UD, -1));
		seg_vm86(&cpu->seg[seg], sel);
		return (X86_OK);
	}
	switch (seg) {
	case X86_SS:
		return (load_ss(cpu, sel));
	case X86_CS:
		/* CS changes only through far transfers. */
		return (x86_raise(cpu, IDT_UD, -1));
	case X86_LDTR:
		return (load_ldt(cpu, sel));
	case X86_TR:
		return (load_tr(cpu, sel));
	default:
		return (load_data(cpu, seg, sel));
	}
}

/* ---- Stacks under construction ---- */

void
x86_stk_cur(struct x86_cpu *cpu, struct x86_stack *s)
{
	s->ss = cpu->seg[X86_SS];
	s->rsp = cpu->gpr[X86_RSP];
	s->size = cpu->ssz;
	s->l64 = cpu->mode == CPU_MODE_64BIT;
	s->acc = 0;
	s->err = 0;
}

static uint64_t
stk_mask(const struct x86_stack *s)
{
	return (s->size == 8 ? ~0ull : s->size == 4 ? 0xffffffffull :
	    0xffffull);
}

static int
stk_la(struct x86_cpu *cpu, struct x86_stack *s, uint64_t off, unsigned n,
    int acc, uint64_t *la)
{
	int rc;

	if (s->l64) {
		if (!x86_canonical(off) || !x86_canonical(off + n - 1))
			return (x86_raise(cpu, IDT_SS, s->err));
		*la = off;
		return (X86_OK);
	}
	rc = x86_seg_check_cache(cpu, &s->ss, true, off, n, acc, la);
	if (rc == X86_FAULT && cpu->exc.vector == IDT_SS)
		cpu->exc.err = (uint32_t)s->err;
	return (rc);
}

int
x86_stk_push(struct x86_cpu *cpu, struct x86_stack *s, uint64_t v,
    unsigned n)
{
	uint64_t m = stk_mask(s), sp = (s->rsp - n) & m, la;
	int rc;

	rc = stk_la(cpu, s, sp, n, X86_ACC_W, &la);
	if (rc != X86_OK)
		return (rc);
	rc = x86_lwrite(cpu, la, n, &v, X86_ACC_W | s->acc);
	if (rc != X86_OK)
		return (rc);
	s->rsp = (s->rsp & ~m) | sp;
	return (X86_OK);
}

int
x86_stk_pop(struct x86_cpu *cpu, struct x86_stack *s, uint64_t *v,
    unsigned n)
{
	uint64_t m = stk_mask(s), sp = s->rsp & m, la;
	int rc;

	*v = 0;
	rc = stk_la(cpu, s, sp, n, X86_ACC_R, &la);
	if (rc != X86_OK)
		return (rc);
	rc = x86_lread(cpu, la, n, v, X86_ACC_R | s->acc);
	if (rc != X86_OK)
		return (rc);
	s->rsp = (s->rsp & ~m) | ((sp + n) & m);
	return (X86_OK);
}

void
x86_stk_commit(struct x86_cpu *cpu, const struct x86_stack *s)
{
	cpu->gpr[X86_RSP] = s->size == 4 ? (uint32_t)s->rsp : s->rsp;
}

/* ---- Far transfers (SDM Vol 2 JMP, CALL, RET; Vol 3 5.8) ---- */

static uint64_t
trunc_ip(uint64_t ip, unsigned opsize)
{
	return (opsize == 8 ? ip : ip & x86_mask(opsize));
}

static int
check_target(struct x86_cpu *cpu, const struct x86_seg *cs, uint64_t ip)
{
	if (x86_long_mode(cpu) && (cs->access & X86_AR_L)) {
		if (!x86_canonical(ip))
			return (x86_raise(cpu, IDT_GP, 0));
	} else if (ip > cs->limit)
		return (x86_raise(cpu, IDT_GP, 0));
	return (X86_OK);
}

static int
far_real(struct x86_cpu *cpu, uint16_t sel, uint64_t off, unsigned opsize,
    bool call, uint64_t ret_rip)
{
	struct x86_stack st;
	struct x86_seg cs = cpu->seg[X86_CS];
	int rc;

	off = trunc_ip(off, opsize);
	if (cpu->rflags & X86_VM)
		seg_vm86(&cs, sel);
	else
		x86_seg_real(&cs, sel, true);
	if (off > cs.limit)
		return (x86_raise(cpu, IDT_GP, 0));
	x86_stk_cur(cpu, &st);
	if (call) {
		rc = x86_stk_push(cpu, &st, cpu->seg[X86_CS].sel, opsize);
		if (rc == X86_OK)
			rc = x86_stk_push(cpu, &st, ret_rip, opsize);
		if (rc != X86_OK)
			return (rc);
		x86_stk_commit(cpu, &st);
	}
	cpu->seg[X86_CS] = cs;
	cpu->rip = off;
	return (X86_OK);
}

/* Direct JMP/CALL to a code segment (SDM Vol 3 5.8.1). */
static int
far_code(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d, uint64_t off,
    unsigned opsize, bool call, uint64_t ret_rip)
{
	struct x86_stack st;
	struct x86_seg cs;
	uint32_t ar = desc_ar(d);
	unsigned dpl = X86_AR_DPL(ar), cpl = cpu->cpl;
	int rc;

	if (ar & X86_AR_DC) {
		if (dpl > cpl)
			return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	} else if ((sel & 3u) > cpl || dpl != cpl)
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	if (x86_long_mode(cpu) && (ar & X86_AR_L) && (ar & X86_AR_DB))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	x86_desc_to_seg(d, (uint16_t)((sel & ~3) | cpl), &cs);
	off = trunc_ip(off, opsize);
	rc = check_target(cpu, &cs, off);
	if (rc != X86_OK)
		return (rc);
	x86_stk_cur(cpu, &st);
	if (call) {
		rc = x86_stk_push(cpu, &st, cpu->seg[X86_CS].sel, opsize);
		if (rc == X86_OK)
			rc = x86_stk_push(cpu, &st, ret_rip, opsize);
		if (rc != X86_OK)
			return (rc);
	}
	rc = x86_desc_set_accessed(cpu, sel, d);
	if (rc != X86_OK)
		return (rc);
	cs.access |= X86_AR_A;
	x86_stk_commit(cpu, &st);
	cpu->seg[X86_CS] = cs;
	cpu->rip = off;
	x86_update_mode(cpu);
	return (X86_OK);
}


int
x86_tss_stack(struct x86_cpu *cpu, unsigned dpl, unsigned ist,
    struct x86_stack *st, int64_t ext)
{
	const struct x86_seg *tr = &cpu->seg[X86_TR];
	uint32_t type = tr->access & X86_AR_TYPE;
	uint64_t rsp = 0;
	uint16_t ss = 0;
	uint32_t off;
	int rc;

	if (tr->access & X86_AR_UNUSABLE)
		return (x86_raise(cpu, IDT_TS, SELERR(tr->sel) | ext));
	if (x86_long_mode(cpu)) {
		off = ist != 0 ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;
		if (off + 7 > tr->limit)
			return (x86_raise(cpu, IDT_TS, SELERR(tr->sel) | ext));
		rc = x86_lread(cpu, tr->base + off, 8, &rsp, X86_ACC_SUPER);
		if (rc != X86_OK)
			return (rc);
		st->ss = cpu->seg[X86_SS];
		x86_seg_null(&st->ss, (uint16_t)dpl);
		st->ss.access |= dpl << 5;
		st->rsp = rsp & ~0xfull;	/* 64-bit: 16-byte aligned */
		st->size = 8;
		st->l64 = true;
		st->acc = dpl < 3 ? X86_ACC_SUPER : 0;
		st->err = 0;
		return (X86_OK);
	}
	if (type == X86_SYS_TSS || type == X86_SYS_TSSB) {
		off = 4 + 8 * dpl;
		if (off + 5 > tr->limit)
			return (x86_raise(cpu, IDT_TS, SELERR(tr->sel) | ext));
		rc = x86_lread(cpu, (tr->base + off) & 0xffffffff, 4, &rsp,
		    X86_ACC_SUPER);
		if (rc == X86_OK)
			rc = x86_lread(cpu, (tr->base + off + 4) & 0xffffffff,
			    2, &ss, X86_ACC_SUPER);
	} else {
		off = 2 + 4 * dpl;
		if (off + 3 > tr->limit)
			return (x86_raise(cpu, IDT_TS, SELERR(tr->sel) | ext));
		rc = x86_lread(cpu, (tr->base + off) & 0xffffffff, 2, &rsp,
		    X86_ACC_SUPER);
		if (rc == X86_OK)
			rc = x86_lread(cpu, (tr->base + off + 2) & 0xffffffff,
			    2, &ss, X86_ACC_SUPER);
	}
	if (rc != X86_OK)
		return (rc);
	rc = x86_check_ss(cpu, ss, dpl, IDT_TS, &st->ss);
	if (rc != X86_OK) {
		if (cpu->exc.vector == IDT_TS)
			cpu->exc.err |= (uint32_t)ext;
		return (rc);
	}
	st->rsp = rsp;
	st->size = (st->ss.access & X86_AR_DB) ? 4 : 2;
	st->l64 = false;
	st->acc = dpl < 3 ? X86_ACC_SUPER : 0;
	st->err = SELERR(ss);
	return (X86_OK);
}

/* JMP/CALL through a call gate (SDM Vol 3 5.8.3 - 5.8.6). */
static int
far_gate(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *g,
    bool call, uint64_t ret_rip)
{
	struct x86_stack st, old;
	struct x86_desc d;
	struct x86_seg cs;
	uint32_t gar = desc_ar(g), ar;
	unsigned gsz, cpl = cpu->cpl, dpl, i, pcount;
	uint16_t tsel = (uint16_t)(g->lo >> 16);
	uint64_t off, params[31];
	int rc;

	if (X86_AR_DPL(gar) < cpl || X86_AR_DPL(gar) < (sel & 3u))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (!(gar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	gsz = x86_long_mode(cpu) ? 8 : (gar & 8) ? 4 : 2;
	off = g->lo & 0xffff;
	if (gsz >= 4)
		off |= (g->lo >> 32) & 0xffff0000;
	if (gsz == 8)
		off |= (g->hi & 0xffffffff) << 32;
	pcount = gsz == 8 ? 0 : (unsigned)(g->lo >> 32) & 0x1f;
	if ((tsel & ~3) == 0)
		return (x86_raise(cpu, IDT_GP, 0));
	rc = x86_desc_read(cpu, tsel, &d, IDT_GP);
	if (rc != X86_OK)
		return (rc);
	ar = desc_ar(&d);
	dpl = X86_AR_DPL(ar);
	if ((ar & (X86_AR_S | X86_AR_CODE)) != (X86_AR_S | X86_AR_CODE) ||
	    dpl > cpl)
		return (x86_raise(cpu, IDT_GP, SELERR(tsel)));
	if (gsz == 8 && (!(ar & X86_AR_L) || (ar & X86_AR_DB)))
		return (x86_raise(cpu, IDT_GP, SELERR(tsel)));
	if (!call && !(ar & X86_AR_DC) && dpl != cpl)
		return (x86_raise(cpu, IDT_GP, SELERR(tsel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(tsel)));
	if (!call || (ar & X86_AR_DC) || dpl == cpl) {
		/* No privilege change. */
		x86_desc_to_seg(&d, (uint16_t)((tsel & ~3) | cpl), &cs);
		rc = check_target(cpu, &cs, off);
		if (rc != X86_OK)
			return (rc);
		x86_stk_cur(cpu, &st);
		if (call) {
			rc = x86_stk_push(cpu, &st, cpu->seg[X86_CS].sel, gsz);
			if (rc == X86_OK)
				rc = x86_stk_push(cpu, &st, ret_rip, gsz);
			if (rc != X86_OK)
				return (rc);
		}
		rc = x86_desc_set_accessed(cpu, tsel, &d);
		if (rc != X86_OK)
			return (rc);
		x86_stk_commit(cpu, &st);
		cpu->seg[X86_CS] = cs;
		cpu->rip = off;
		x86_update_mode(cpu);
		return (X86_OK);
	}
	/* CALL to more privilege: stack switch (5.8.5). */
	rc = x86_tss_stack(cpu, dpl, 0, &st, 0);
	if (rc != X86_OK)
		return (rc);
	x86_desc_to_seg(&d, (uint16_t)((tsel & ~3) | dpl), &cs);
	rc = check_target(cpu, &cs, off);
	if (rc != X86_OK)
		return (rc);
	x86_stk_cur(cpu, &old);
	for (i = 0; i < pcount; i++) {
		rc = x86_stk_pop(cpu, &old, &params[i], gsz);
		if (rc != X86_OK)
			return (rc);
	}
	rc = x86_stk_push(cpu, &st, cpu->seg[X86_SS].sel, gsz);
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, cpu->gpr[X86_RSP], gsz);
	for (i = pcount; rc == X86_OK && i > 0; i--)
		rc = x86_stk_push(cpu, &st, params[i - 1], gsz);
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, cpu->seg[X86_CS].sel, gsz);
	if (rc == X86_OK)
		rc = x86_stk_push(cpu, &st, ret_rip, gsz);
	if (rc == X86_OK)
		rc = x86_desc_set_accessed(cpu, tsel, &d);
	if (rc != X86_OK)
		return (rc);
	cpu->seg[X86_SS] = st.ss;
	x86_stk_commit(cpu, &st);
	cpu->seg[X86_CS] = cs;
	cpu->rip = off;
	x86_update_mode(cpu);
	return (X86_OK);
}

/* JMP/CALL to a TSS or through a task gate (SDM Vol 3 7.3 step 2). */
static int
far_task(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d, bool call,
    uint64_t next_rip)
{
	uint32_t ar = desc_ar(d);

	if (X86_AR_DPL(ar) < cpu->cpl || X86_AR_DPL(ar) < (sel & 3u))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	if ((ar & X86_AR_TYPE) == X86_SYS_TASK)
		sel = (uint16_t)(d->lo >> 16);
	return (x86_task_switch(cpu, sel, call ? X86_TS_CALL : X86_TS_JMP, -1,
	    next_rip, 0));
}

int
x86_far_jump(struct x86_cpu *cpu, uint16_t sel, uint64_t off,
    unsigned opsize, bool call, uint64_t ret_rip)
{
	struct x86_desc d;
	uint32_t ar;
	int rc;

	if (is_real(cpu))
		return (far_real(cpu, sel, off, opsize, call, ret_rip));
	if ((sel & ~3) == 0)
		return (x86_raise(cpu, IDT_GP, 0));
	rc = x86_desc_read(cpu, sel, &d, IDT_GP);
	if (rc != X86_OK)
		return (rc);
	ar = desc_ar(&d);
	if (ar & X86_AR_S) {
		if (!(ar & X86_AR_CODE))
			return (x86_raise(cpu, IDT_GP, SELERR(sel)));
		return (far_code(cpu, sel, &d, off, opsize, call, ret_rip));
	}
	switch (ar & X86_AR_TYPE) {
	case X86_SYS_CALL:
		if (x86_long_mode(cpu)) {
			rc = x86_desc_read16(cpu, sel, &d, IDT_GP);
			if (rc != X86_OK)
				return (rc);
			/* upper half type must be 0 (SDM Vol 3 5.8.3.1) */
			if ((d.hi >> 40) & 0x1f)
				return (x86_raise(cpu, IDT_GP,
				    SELERR(sel)));
		}
		return (far_gate(cpu, sel, &d, call, ret_rip));
	case X86_SYS_CALL16:
		if (x86_long_mode(cpu))
			break;
		return (far_gate(cpu, sel, &d, call, ret_rip));
	case X86_SYS_TSS:
	case X86_SYS_TASK:
		if (x86_long_mode(cpu))
			break;
		return (far_task(cpu, sel, &d, call, call ? ret_rip :
		    cpu->rip));
	default:
		/* 16-bit TSSes and gates to them are not supported. */
		break;
	}
	return (x86_raise(cpu, IDT_GP, SELERR(sel)));
}

/* On return to outer privilege: data segments the new CPL may not use
 * become null (SDM Vol 2 RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
void
x86_seg_fixup_outer(struct x86_cpu *cpu)
{
	static const int segs[] = { X86_ES, X86_DS, X86_FS, X86_GS };
	struct x86_seg *s;
	unsigned i;

	for (i = 0; i < 4; i++) {
		s = &cpu->seg[segs[i]];
		if (s->access & X86_AR_UNUSABLE)
			continue;
		if ((!(s->access & X86_AR_CODE) || !(s->access & X86_AR_DC)) &&
		    X86_AR_DPL(s->access) < cpu->cpl)
			x86_seg_null(s, 0);
	}
}


int
x86_ret_cs(struct x86_cpu *cpu, uint16_t sel, struct x86_desc *d)
{
	uint32_t ar;
	unsigned rpl = sel & 3;
	int rc;

	if ((sel & ~3) == 0)
		return (x86_raise(cpu, IDT_GP, 0));
	rc = x86_desc_read(cpu, sel, d, IDT_GP);
	if (rc != X86_OK)
		return (rc);
	ar = desc_ar(d);
	if ((ar & (X86_AR_S | X86_AR_CODE)) != (X86_AR_S | X86_AR_CODE) ||
	    rpl < cpu->cpl)
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if ((ar & X86_AR_DC) ? X86_AR_DPL(ar) > rpl : X86_AR_DPL(ar) != rpl)
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	if (!(ar & X86_AR_P))
		return (x86_raise(cpu, IDT_NP, SELERR(sel)));
	if (x86_long_mode(cpu) && (ar & X86_AR_L) && (ar & X86_AR_DB))
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	return (X86_OK);
}


int
x86_ret_ss(struct x86_cpu *cpu, uint16_t sel, unsigned rpl, bool to64,
    struct x86_seg *ss)
{
	if ((sel & ~3) == 0 && to64 && rpl != 3 && (sel & 3) == rpl) {
		/* 64-bit mode allows a null SS below ring 3. */
		x86_seg_null(ss, sel);
		ss->access |= rpl << 5;
		return (X86_OK);
	}
	if ((sel & ~3) == 0)
		return (x86_raise(cpu, IDT_GP, 0));
	if ((sel & 3) != rpl)
		return (x86_raise(cpu, IDT_GP, SELERR(sel)));
	return (x86_check_ss(cpu, sel, rpl, IDT_GP, ss));
}

int
x86_far_return(struct x86_cpu *cpu, unsigned opsize, uint16_t pop)
{
	struct x86_stack st;
	struct x86_desc d;
	struct x86_seg cs, ss;
	uint64_t ip, sel, nsp, nss;
	unsigned rpl;
	bool to64;
	int rc;

	x86_stk_cur(cpu, &st);
	rc = x86_stk_pop(cpu, &st, &ip, opsize);
	if (rc == X86_OK)
		rc = x86_stk_pop(cpu, &st, &sel, opsize);
	if (rc != X86_OK)
		return (rc);
	sel &= 0xffff;
	if (is_real(cpu)) {
		cs = cpu->seg[X86_CS];
		if (cpu->rflags & X86_VM)
			seg_vm86(&cs, (uint16_t)sel);
		else
			x86_seg_real(&cs, (uint16_t)sel, true);
		ip = trunc_ip(ip, opsize);
		if (ip > cs.limit)
			return (x86_raise(cpu, IDT_GP, 0));
		st.rsp = (st.rsp & ~stk_mask(&st)) |
		    ((st.rsp + pop) & stk_mask(&st));
		x86_stk_commit(cpu, &st);
		cpu->seg[X86_CS] = cs;
		cpu->rip = ip;
		return (X86_OK);
	}
	rc = x86_ret_cs(cpu, (uint16_t)sel, &d);
	if (rc != X86_OK)
		return (rc);
	rpl = sel & 3;
	x86_desc_to_seg(&d, (uint16_t)sel, &cs);
	ip = trunc_ip(ip, opsize);
	to64 = x86_long_mode(cpu) && (cs.access & X86_AR_L);
	st.rsp = (st.rsp & ~stk_mask(&st)) | ((st.rsp + pop) & stk_mask(&st));
	if (rpl == cpu->cpl) {
		rc = check_target(cpu, &cs, ip);
		if (rc == X86_OK)
			rc = x86_desc_set_accessed(cpu, (uint16_t)sel, &d);
		if (rc != X86_OK)
			return (rc);
		cs.access |= X86_AR_A;
		x86_stk_commit(cpu, &st);
		cpu->seg[X86_CS] = cs;
		cpu->rip = ip;
		x86_update_mode(cpu);
		return (X86_OK);
	}
	/* Return to outer privilege: pop SS:rSP too. */
	rc = x86_stk_pop(cpu, &st, &nsp, opsize);
	if (rc == X86_OK)
		rc = x86_stk_pop(cpu, &st, &nss, opsize);
	if (rc != X86_OK)
		return (rc);
	rc = x86_ret_ss(cpu, (uint16_t)nss, rpl, to64, &ss);
	if (rc == X86_OK)
		rc = check_target(cpu, &cs, ip);
	if (rc == X86_OK)
		rc = x86_desc_set_accessed(cpu, (uint16_t)sel, &d);
	if (rc != X86_OK)
		return (rc);
	cs.access |= X86_AR_A;
	nsp += pop;
	cpu->seg[X86_CS] = cs;
	cpu->seg[X86_SS] = ss;
	if (to64)
		cpu->gpr[X86_RSP] = nsp;
	else if (ss.access & X86_AR_DB)
		cpu->gpr[X86_RSP] = (uint32_t)nsp;
	else
		cpu->gpr[X86_RSP] = (cpu->gpr[X86_RSP] & ~0xffffull) |
		    (nsp & 0xffff);
	cpu->rip = ip;
	x86_update_mode(cpu);
	x86_seg_fixup_outer(cpu);
	return (X86_OK);
}

/* ---- Group 6, LAR, LSL ---- */

static int
umip_check(struct x86_cpu *cpu)
{
	if ((cpu->cr4 & X86_CR4_UMIP) && cpu->cpl > 0)
		return (x86_raise(cpu, IDT_GP, 0));
	return (X86_OK);
}

/* SLDT/STR store: register gets the operand size, memory 16 bits. */
static int
store_sel(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t sel)
{
	if (in->mod == 3) {
		wr_reg(cpu, in->rm, in->opsize, in->rex, sel);
		return (X86_OK);
	}
	return (wr_E(cpu, in, 2, sel));
}

static void
set_zf(struct x86_cpu *cpu, bool zf)
{
	uint32_t f = x86_arith_flags(cpu);

	x86_set_arith(cpu, zf ? (f | X86_ZF) : (f & ~X86_ZF));
}

/*
 * Is the descriptor of sel visible to LAR/LSL/VERR/VERW at this CPL?
 * `what`: 0 LAR, 1 LSL, 2 VERR, 3 VERW (SDM Vol 2 for each).
 */
static int
desc_visible(struct x86_cpu *cpu, uint16_t sel, int what, struct x86_desc *d,
    bool *ok)
{
	static const uint16_t lar_legacy = 0x1a3e, lar_long = 0x1a04;
	static const uint16_t lsl_legacy = 0x0a0e, lsl_long = 0x0a04;
	uint32_t ar;
	unsigned dpl;
	int rc;

	*ok = false;
	if ((sel & ~3) == 0)
		return (X86_OK);
	if (sel & 4) {
		if (cpu->seg[X86_LDTR].access & X86_AR_UNUSABLE)
			return (X86_OK);
		if ((uint32_t)(sel & ~7) + 7 > cpu->seg[X86_LDTR].limit)
			return (X86_OK);
	} else if ((uint32_t)(sel & ~7) + 7 > cpu->gdtr.limit)
		return (X86_OK);
	rc = x86_desc_read(cpu, sel, d, IDT_GP);
	if (rc != X86_OK)
		return (rc);
	ar = desc_ar(d);
	dpl = X86_AR_DPL(ar);
	if (!(ar & X86_AR_S)) {
		uint16_t mask;

		if (what >= 2)
			return (X86_OK);
		if (what == 0)
			mask = x86_long_mode(cpu) ? lar_long : lar_legacy;
		else
			mask = x86_long_mode(cpu) ? lsl_long : lsl_legacy;
		if (!((mask >> (ar & 0xf)) & 1))
			return (X86_OK);
	} else if (what == 2 && (ar & X86_AR_CODE) && !(ar & X86_AR_RW))
		return (X86_OK);
	else if (what == 3 && ((ar & X86_AR_CODE) || !(ar & X86_AR_RW)))
		return (X86_OK);
	/* Conforming code skips the privilege check. */
	if (!((ar & X86_AR_S) && (ar & X86_AR_CODE) && (ar & X86_AR_DC)) &&
	    (dpl < cpu->cpl || dpl < (sel & 3u)))
		return (X86_OK);
	*ok = true;
	return (X86_OK);
}

X86_SYSOP(x86_op_grp6)
{
	struct x86_desc d;
	uint64_t v;
	bool ok;
	int rc;

	if (is_real(cpu))
		return (x86_raise(cpu, IDT_UD, -1));
	switch (in->reg & 7) {
	case 0:		/* SLDT */
		rc = umip_check(cpu);
		if (rc != X86_OK)
			return (rc);
		return (store_sel(cpu, in, cpu->seg[X86_LDTR].sel));
	case 1:		/* STR */
		rc = umip_check(cpu);
		if (rc != X86_OK)
			return (rc);
		return (store_sel(cpu, in, cpu->seg[X86_TR].sel));
	case 2:		/* LLDT */
	case 3:		/* LTR */
		if (cpu->cpl != 0)
			return (x86_raise(cpu, IDT_GP, 0));
		rc = rd_E(cpu, in, 2, &v);
		if (rc != X86_OK)
			return (rc);
		return (x86_load_seg(cpu, (in->reg & 7) == 2 ? X86_LDTR :
		    X86_TR, (uint16_t)v));
	case 4:		/* VERR */
	case 5:		/* VERW */
		rc = rd_E(cpu, in, 2, &v);
		if (rc != X86_OK)
			return (rc);
		rc = desc_visible(cpu, (uint16_t)v, (in->reg & 7) == 4 ? 2 : 3,
		    &d, &ok);
		if (rc != X86_OK)
			return (rc);
		set_zf(cpu, ok);
		return (X86_OK);
	default:
		return (x86_raise(cpu, IDT_UD, -1));
	}
}

static int
lar_lsl(struct x86_cpu *cpu, const struct x86_insn *in, bool lsl)
{
	struct x86_desc d;
	struct x86_seg s;
	uint64_t v, res;
	bool ok;
	int rc;

	if (is_real(cpu))
		return (x86_raise(cpu, IDT_UD, -1));
	rc = rd_E(cpu, in, 2, &v);
	if (rc != X86_OK)
		return (rc);
	rc = desc_visible(cpu, (uint16_t)v, lsl ? 1 : 0, &d, &ok);
	if (rc != X86_OK)
		return (rc);
	if (ok) {
		if (lsl) {
			x86_desc_to_seg(&d, (uint16_t)v, &s);
			res = s.limit;
		} else
			res = (d.lo >> 32) & 0x00f0ff00;
		wr_G(cpu, in, in->opsize == 2 ? 2 : 4, res);
	}
	set_zf(cpu, ok);
	return (X86_OK);
}

X86_SYSOP(x86_op_lar)
{
	return (lar_lsl(cpu, in, false));
}

X86_SYSOP(x86_op_lsl)
{
	return (lar_lsl(cpu, in, true));
}
