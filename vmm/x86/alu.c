/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST NOT
 * NEG INC DEC (SDM Vol 2), and the read-modify-write helper shared with
 * the other families (LOCK: host atomics on the guest page, DESIGN §5).
 */
#include "vmm/x86/ops.h"

/* ---- Host atomics ---- */

uint64_t
x86_atomic_load(void *hp, unsigned size)
{
	switch (size) {
	case 1:
		return (__atomic_load_n((uint8_t *)hp, __ATOMIC_SEQ_CST));
	case 2:
		return (__atomic_load_n((uint16_t *)hp, __ATOMIC_SEQ_CST));
	case 4:
		return (__atomic_load_n((uint32_t *)hp, __ATOMIC_SEQ_CST));
	default:
		return (__atomic_load_n((uint64_t *)hp, __ATOMIC_SEQ_CST));
	}
}

bool
x86_atomic_cas(void *hp, unsigned size, uint64_t *old, uint64_t new)
{
	bool ok;

	switch (size) {
	case 1: {
		uint8_t o = (uint8_t)*old;

		ok = __atomic_compare_exchange_n((uint8_t *)hp, &o,
		    (uint8_t)new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return (ok);
	}
	case 2: {
		uint16_t o = (uint16_t)*old;

		ok = __atomic_compare_exchange_n((uint16_t *)hp, &o,
		    (uint16_t)new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return (ok);
	}
	case 4: {
		uint32_t o = (uint32_t)*old;

		ok = __atomic_compare_exchange_n((uint32_t *)hp, &o,
		    (uint32_t)new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return (ok);
	}
	default:
		return (__atomic_compare_exchange_n((uint64_t *)hp, old, new,
		    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	}
}

uint64_t
x86_atomic_xchg(void *hp, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		return (__atomic_exchange_n((uint8_t *)hp, (uint8_t)v,
		    __ATOMIC_SEQ_CST));
	case 2:
		return (__atomic_exchange_n((uint16_t *)hp, (uint16_t)v,
		    __ATOMIC_SEQ_CST));
	case 4:
		return (__atomic_exchange_n((uint32_t *)hp, (uint32_t)v,
		    __ATOMIC_SEQ_CST));
	default:
		return (__atomic_exchange_n((uint64_t *)hp, v,
		    __ATOMIC_SEQ_CST));
	}
}

/*
 * Read-modify-write of the E operand: fn computes the new value and the
 * flag record from the old one; nothing is committed until the write has
 * succeeded.  With LOCK the update is a compare-and-swap loop on the host
 * page; when the operand is not plain RAM within a page (MMIO, split)
 * it falls back to read + write, as the bus cannot lock anyway.
 */
int
x86_rmw(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    x86_rmw_fn fn, unsigned sub, uint64_t arg, uint64_t cin,
    struct x86_lfrec *lf, uint64_t *oldp)
{
	uint64_t old, new, ea;
	void *hp;
	int rc;

	if (in->mod == 3) {
		old = rd_reg(cpu, in->rm, size, in->rex);
		new = fn(sub, size, old, arg, cin, lf);
		wr_reg(cpu, in->rm, size, in->rex, new);
		*oldp = old;
		return (X86_OK);
	}
	ea = x86_ea(cpu, in);
	if (in->lock) {
		rc = x86_vptr(cpu, in->seg, ea, size, X86_ACC_R | X86_ACC_W,
		    &hp);
		if (rc != X86_OK)
			return (rc);
		if (hp != NULL) {
			old = x86_atomic_load(hp, size);
			do {
				new = fn(sub, size, old, arg, cin, lf);
			} while (!x86_atomic_cas(hp, size, &old, new));
			*oldp = old;
			return (X86_OK);
		}
	}
	rc = rd_mem(cpu, in->seg, ea, size, &old);
	if (rc != X86_OK)
		return (rc);
	new = fn(sub, size, old, arg, cin, lf);
	rc = wr_mem(cpu, in->seg, ea, size, new);
	if (rc != X86_OK)
		return (rc);
	*oldp = old;
	return (X86_OK);
}

/* ---- The eight ALU operations (opcode bits 5:3, or ModRM.reg of grp1) */

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

static inline uint64_t
alu(unsigned op, unsigned size, uint64_t a, uint64_t b, uint64_t cf,
    struct x86_lfrec *lf)
{
	uint64_t r;

	switch (op) {
	case ALU_ADD:
		r = a + b;
		lf->op = LF_ADD;
		break;
	case ALU_OR:
		r = a | b;
		lf->op = LF_LOGIC;
		break;
	case ALU_ADC:
		r = a + b + cf;
		lf->op = LF_ADD;
		break;
	case ALU_SBB:
		r = a - b - cf;
		lf->op = LF_SUB;
		break;
	case ALU_AND:
		r = a & b;
		lf->op = LF_LOGIC;
		break;
	case ALU_XOR:
		r = a ^ b;
		lf->op = LF_LOGIC;
		break;
	default:		/* SUB, CMP */
		r = a - b;
		lf->op = LF_SUB;
		break;
	}
	r &= x86_mask(size);
	lf->res = r;
	lf->s1 = a;
	lf->s2 = b;
	return (r);
}

static uint64_t
alu_rmw(unsigned op, unsigned size, uint64_t old, uint64_t arg, uint64_t cin,
    struct x86_lfrec *lf)
{
	return (alu(op, size, old, arg, cin, lf));
}

static inline uint64_t
carry_in(const struct x86_cpu *cpu, unsigned op)
{
	return (op == ALU_ADC || op == ALU_SBB ? x86_cf(cpu) : 0);
}

/* E op= src; CMP only reads. */
static inline int
alu_E(struct x86_cpu *cpu, const struct x86_insn *in, unsigned op,
    uint64_t src)
{
	unsigned size = in->opsize;
	struct x86_lfrec lf;
	uint64_t a, old;
	int rc;

	if (op == ALU_CMP) {
		rc = rd_E(cpu, in, size, &a);
		if (rc != X86_OK)
			return (rc);
		(void)alu(op, size, a, src, 0, &lf);
	} else if (in->mod == 3) {
		a = rd_reg(cpu, in->rm, size, in->rex);
		wr_reg(cpu, in->rm, size, in->rex,
		    alu(op, size, a, src, carry_in(cpu, op), &lf));
	} else {
		rc = x86_rmw(cpu, in, size, alu_rmw, op, src & x86_mask(size),
		    carry_in(cpu, op), &lf, &old);
		if (rc != X86_OK)
			return (rc);
	}
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

X86_OP(x86_op_alu_EG)
{
	return (alu_E(cpu, in, (in->opcode >> 3) & 7,
	    rd_G(cpu, in, in->opsize)));
}

X86_OP(x86_op_alu_EI)
{
	return (alu_E(cpu, in, in->reg & 7, in->imm & x86_mask(in->opsize)));
}

X86_OP(x86_op_alu_GE)
{
	unsigned size = in->opsize, op = (in->opcode >> 3) & 7;
	struct x86_lfrec lf;
	uint64_t a, b, r;
	int rc;

	rc = rd_E(cpu, in, size, &b);
	if (rc != X86_OK)
		return (rc);
	a = rd_G(cpu, in, size);
	r = alu(op, size, a, b, carry_in(cpu, op), &lf);
	if (op != ALU_CMP)
		wr_G(cpu, in, size, r);
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

X86_OP(x86_op_alu_AI)
{
	unsigned size = in->opsize, op = (in->opcode >> 3) & 7;
	struct x86_lfrec lf;
	uint64_t a, r;

	a = rd_reg(cpu, X86_RAX, size, 1);
	r = alu(op, size, a, in->imm & x86_mask(size), carry_in(cpu, op), &lf);
	if (op != ALU_CMP)
		wr_reg(cpu, X86_RAX, size, 1, r);
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

/* ---- TEST ---- */

static inline void
test_flags(struct x86_cpu *cpu, unsigned size, uint64_t r)
{
	lf_set(cpu, LF_LOGIC, size, r & x86_mask(size), 0, 0);
}

X86_OP(x86_op_test_EG)
{
	uint64_t a;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &a);
	if (rc != X86_OK)
		return (rc);
	test_flags(cpu, in->opsize, a & rd_G(cpu, in, in->opsize));
	return (X86_OK);
}

X86_OP(x86_op_test_EI)
{
	uint64_t a;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &a);
	if (rc != X86_OK)
		return (rc);
	test_flags(cpu, in->opsize, a & in->imm);
	return (X86_OK);
}

X86_OP(x86_op_test_AI)
{
	test_flags(cpu, in->opsize,
	    rd_reg(cpu, X86_RAX, in->opsize, 1) & in->imm);
	return (X86_OK);
}

/* ---- NOT NEG INC DEC ---- */

enum { U_NOT, U_NEG, U_INC, U_DEC };

static uint64_t
unary(unsigned op, unsigned size, uint64_t old, uint64_t arg, uint64_t cin,
    struct x86_lfrec *lf)
{
	uint64_t r, m = x86_mask(size);

	switch (op) {
	case U_NOT:
		lf->op = LF_NONE;
		return (~old & m);
	case U_NEG:
		r = (0 - old) & m;
		lf->op = LF_SUB;
		lf->s1 = 0;
		lf->s2 = old;
		break;
	case U_INC:
		r = (old + 1) & m;
		lf->op = LF_INC;
		lf->s1 = old;
		lf->s2 = cin;
		break;
	default:
		r = (old - 1) & m;
		lf->op = LF_DEC;
		lf->s1 = old;
		lf->s2 = cin;
		break;
	}
	lf->res = r;
	return (r);
}

static int
unary_E(struct x86_cpu *cpu, const struct x86_insn *in, unsigned op)
{
	struct x86_lfrec lf;
	uint64_t old, cin = 0;
	int rc;

	if (op == U_INC || op == U_DEC)
		cin = x86_cf(cpu);	/* INC/DEC keep CF (SDM Vol 2 INC) */
	rc = x86_rmw(cpu, in, in->opsize, unary, op, 0, cin, &lf, &old);
	if (rc != X86_OK)
		return (rc);
	if (lf.op != LF_NONE)
		lf_commit(cpu, &lf, in->opsize);
	return (X86_OK);
}

X86_OP(x86_op_not_E)
{
	return (unary_E(cpu, in, U_NOT));
}

X86_OP(x86_op_neg_E)
{
	return (unary_E(cpu, in, U_NEG));
}

X86_OP(x86_op_inc_E)
{
	return (unary_E(cpu, in, U_INC));
}

X86_OP(x86_op_dec_E)
{
	return (unary_E(cpu, in, U_DEC));
}

/* 40-4F outside 64-bit mode: INC/DEC r16/r32. */
X86_OP(x86_op_incdec_Z)
{
	unsigned r = in->opcode & 7, size = in->opsize;
	uint64_t old = rd_reg(cpu, r, size, 1), cin = x86_cf(cpu);
	struct x86_lfrec lf;

	wr_reg(cpu, r, size, 1, unary((in->opcode & 8) ? U_DEC : U_INC, size,
	    old, 0, cin, &lf));
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}
