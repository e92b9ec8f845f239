/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stack instructions: PUSH POP (registers, immediates, memory, segment
 * registers), PUSHA POPA, PUSHF POPF, ENTER LEAVE (SDM Vol 2).  Stack
 * width comes from cpu->ssz, operand width from the decoded insn; RSP is
 * committed only after every memory access has succeeded.
 */
#include "vmm/x86/ops.h"

static inline unsigned
zreg(const struct x86_insn *in)
{
	return ((in->opcode & 7) | ((in->rex & 1) << 3));
}

X86_OP(x86_op_push_Z)
{
	return (x86_push(cpu, in->opsize,
	    rd_reg(cpu, zreg(in), in->opsize, 1)));
}

/* POP rSP: the popped value wins over the increment (SDM Vol 2 POP). */
X86_OP(x86_op_pop_Z)
{
	uint64_t sp = cpu->gpr[X86_RSP], v;
	int rc;

	rc = x86_pop_at(cpu, &sp, in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	x86_set_sp(cpu, sp);
	wr_reg(cpu, zreg(in), in->opsize, 1, v);
	return (X86_OK);
}

X86_OP(x86_op_push_I)
{
	return (x86_push(cpu, in->opsize, in->imm));
}

/* FF /6 */
X86_OP(x86_op_push_E)
{
	uint64_t v;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	return (x86_push(cpu, in->opsize, v));
}

/* 8F /0: an rSP-based destination address uses the incremented rSP. */
X86_OP(x86_op_pop_E)
{
	uint64_t sp = cpu->gpr[X86_RSP], old = sp, v;
	int rc;

	rc = x86_pop_at(cpu, &sp, in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	x86_set_sp(cpu, sp);
	rc = wr_E(cpu, in, in->opsize, v);
	if (rc != X86_OK)
		cpu->gpr[X86_RSP] = old;
	return (rc);
}

static int
sreg_of(const struct x86_insn *in)
{
	if (in->map == 1)
		return (in->opcode < 0xa8 ? X86_FS : X86_GS);
	return ((in->opcode >> 3) & 3);
}

/*
 * PUSH Sreg with a 32/64-bit operand size decrements by the operand size
 * but writes only the 16-bit selector, as recent Intel processors do.
 */
X86_OP(x86_op_push_sreg)
{
	uint64_t sp = cpu->gpr[X86_RSP];
	int rc;

	sp = (sp - in->opsize) & x86_sp_mask(cpu);
	rc = wr_mem(cpu, X86_SS, sp, 2, cpu->seg[sreg_of(in)].sel);
	if (rc != X86_OK)
		return (rc);
	x86_set_sp(cpu, sp);
	return (X86_OK);
}

X86_OP(x86_op_pop_sreg)
{
	uint64_t sp = cpu->gpr[X86_RSP], m = x86_sp_mask(cpu), v;
	int seg = sreg_of(in), rc;

	rc = x86_pop_at(cpu, &sp, in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	rc = x86_load_seg(cpu, seg, (uint16_t)v);
	if (rc != X86_OK)
		return (rc);
	/* the mask of the old SS applies (POP SS may change SS.B) */
	cpu->gpr[X86_RSP] = (cpu->gpr[X86_RSP] & ~m) | (sp & m);
	if (seg == X86_SS)
		cpu->intr_shadow = 1;
	return (X86_OK);
}

/* 60: AX CX DX BX (original SP) BP SI DI */
X86_OP(x86_op_pusha)
{
	unsigned size = in->opsize;
	uint64_t sp = cpu->gpr[X86_RSP];
	int r, rc;

	for (r = X86_RAX; r <= X86_RDI; r++) {
		rc = x86_push_at(cpu, &sp, size, rd_reg(cpu, r, size, 1));
		if (rc != X86_OK)
			return (rc);
	}
	x86_set_sp(cpu, sp);
	return (X86_OK);
}

/* 61: DI SI BP (skip SP) BX DX CX AX */
X86_OP(x86_op_popa)
{
	unsigned size = in->opsize;
	uint64_t sp = cpu->gpr[X86_RSP], v[8];
	int r, rc;

	for (r = X86_RDI; r >= X86_RAX; r--) {
		rc = x86_pop_at(cpu, &sp, size, &v[r]);
		if (rc != X86_OK)
			return (rc);
	}
	for (r = X86_RAX; r <= X86_RDI; r++)
		if (r != X86_RSP)
			wr_reg(cpu, r, size, 1, v[r]);
	x86_set_sp(cpu, sp);
	return (X86_OK);
}

static inline unsigned
iopl(const struct x86_cpu *cpu)
{
	return ((cpu->rflags & X86_IOPL) >> 12);
}

/* 9C: VM and RF are pushed as zero (SDM Vol 2 PUSHF). */
X86_OP(x86_op_pushf)
{
	if ((cpu->rflags & X86_VM) && iopl(cpu) < 3)
		return (x86_raise(cpu, IDT_GP, 0));
	return (x86_push(cpu, in->opsize,
	    x86_get_flags(cpu) & ~(uint64_t)(X86_VM | X86_RF)));
}

/*
 * 9D: which bits may change depends on mode, CPL and IOPL (SDM Vol 2
 * POPF, Operation).  VIP, VIF, VM never change; RF is cleared; IOPL only
 * at CPL 0; IF only when CPL <= IOPL.  In VM86 mode (IOPL 3, no VME) IOPL
 * is kept; with IOPL < 3 it is #GP(0).
 */
X86_OP(x86_op_popf)
{
	unsigned size = in->opsize;
	uint64_t sp = cpu->gpr[X86_RSP], v, cur, can;
	int rc;

	if ((cpu->rflags & X86_VM) && iopl(cpu) < 3)
		return (x86_raise(cpu, IDT_GP, 0));
	rc = x86_pop_at(cpu, &sp, size, &v);
	if (rc != X86_OK)
		return (rc);
	can = X86_ARITH_FLAGS | X86_TF | X86_IF | X86_DF | X86_NT | X86_AC |
	    X86_ID | X86_IOPL;
	if (cpu->rflags & X86_VM)
		can &= ~(uint64_t)X86_IOPL;
	else if (cpu->mode != CPU_MODE_REAL && cpu->cpl > 0) {
		can &= ~(uint64_t)X86_IOPL;
		if (cpu->cpl > iopl(cpu))
			can &= ~(uint64_t)X86_IF;
	}
	if (size == 2)
		can &= 0xffff;
	cur = x86_get_flags(cpu) & ~(uint64_t)X86_RF;
	x86_set_flags(cpu, (cur & ~can) | (v & can));
	x86_set_sp(cpu, sp);
	return (X86_OK);
}

/*
 * C8 iw ib: ENTER (SDM Vol 2 ENTER, Operation).  Frame pointers of outer
 * levels are copied from [rBP - i*size]; rBP moves with the stack width.
 */
X86_OP(x86_op_enter)
{
	unsigned size = in->opsize, level = (unsigned)in->imm2 & 31, i;
	uint64_t m = x86_sp_mask(cpu), sp = cpu->gpr[X86_RSP];
	uint64_t bp = cpu->gpr[X86_RBP], frame, v;
	void *hp;
	int rc;

	rc = x86_push_at(cpu, &sp, size, rd_reg(cpu, X86_RBP, size, 1));
	if (rc != X86_OK)
		return (rc);
	frame = sp;
	if (level > 0) {
		for (i = 1; i < level; i++) {
			bp = (bp - size) & m;
			rc = rd_mem(cpu, X86_SS, bp, size, &v);
			if (rc == X86_OK)
				rc = x86_push_at(cpu, &sp, size, v);
			if (rc != X86_OK)
				return (rc);
		}
		rc = x86_push_at(cpu, &sp, size, frame);
		if (rc != X86_OK)
			return (rc);
	}
	sp = (sp - (in->imm & 0xffff)) & m;
	/* the new stack top is checked for write, as hardware does */
	rc = x86_vptr(cpu, X86_SS, sp, 1, X86_ACC_W, &hp);
	if (rc != X86_OK)
		return (rc);
	/* BP, EBP or RBP by operand size (SDM Vol 2 ENTER) */
	wr_reg(cpu, X86_RBP, size, 1, frame);
	x86_set_sp(cpu, sp);
	return (X86_OK);
}

/* C9: rSP = rBP, then pop rBP */
X86_OP(x86_op_leave)
{
	uint64_t m = x86_sp_mask(cpu), sp = cpu->gpr[X86_RBP] & m, v;
	int rc;

	rc = x86_pop_at(cpu, &sp, in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	x86_set_sp(cpu, sp);
	wr_reg(cpu, X86_RBP, in->opsize, 1, v);
	return (X86_OK);
}

/* ---- Specialized forms: 64-bit PUSH/POP r ---- */

static X86_OP(push_Z8)
{
	return (x86_push(cpu, 8, cpu->gpr[zreg(in)]));
}

static X86_OP(pop_Z8)
{
	uint64_t sp = cpu->gpr[X86_RSP], v;
	int rc;

	rc = rd_mem(cpu, X86_SS, sp, 8, &v);
	if (rc != X86_OK)
		return (rc);
	cpu->gpr[X86_RSP] = sp + 8;
	cpu->gpr[zreg(in)] = v;
	return (X86_OK);
}

x86_handler_t
x86_stack_fast(const struct x86_insn *in)
{
	if (in->opsize != 8)
		return (NULL);
	if (in->fn == x86_op_push_Z)
		return (push_Z8);
	if (in->fn == x86_op_pop_Z)
		return (pop_Z8);
	return (NULL);
}
