/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MUL, IMUL (one, two and three operands), DIV, IDIV (SDM Vol 2).
 * MUL/IMUL: CF = OF = "the upper half is significant"; SF ZF AF PF are
 * undefined (we derive SF ZF PF from the low half, AF = 0).  DIV/IDIV:
 * #DE on a zero divisor or a quotient that does not fit; flags undefined
 * and left unchanged.
 */
#include "vmm/x86/ops.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* Implicit rDX:rAX (AH:AL for bytes) of size `size`. */
static void
wr_pair(struct x86_cpu *cpu, unsigned size, uint64_t lo, uint64_t hi)
{
	if (size == 1) {
		wr_reg(cpu, X86_RAX, 2, 1, (lo & 0xff) | ((hi & 0xff) << 8));
		return;
	}
	wr_reg(cpu, X86_RAX, size, 1, lo);
	wr_reg(cpu, X86_RDX, size, 1, hi);
}

static void
mul_flags(struct x86_cpu *cpu, unsigned size, uint64_t lo, bool of)
{
	lf_set(cpu, LF_EXPL, size, lo, 0, of ? X86_CF | X86_OF : 0);
}

X86_OP(x86_op_mul_E)
{
	unsigned size = in->opsize;
	uint64_t b, a = rd_reg(cpu, X86_RAX, size, 1), lo, hi;
	u128 p;
	int rc;

	rc = rd_E(cpu, in, size, &b);
	if (rc != X86_OK)
		return (rc);
	p = (u128)a * b;
	lo = (uint64_t)p & x86_mask(size);
	hi = size == 8 ? (uint64_t)(p >> 64) : (uint64_t)(p >> (8 * size)) &
	    x86_mask(size);
	wr_pair(cpu, size, lo, hi);
	mul_flags(cpu, size, lo, hi != 0);
	return (X86_OK);
}

X86_OP(x86_op_imul_E)
{
	unsigned size = in->opsize;
	int64_t a = x86_sext(rd_reg(cpu, X86_RAX, size, 1), size);
	uint64_t b, lo, hi;
	s128 p;
	int rc;

	rc = rd_E(cpu, in, size, &b);
	if (rc != X86_OK)
		return (rc);
	p = (s128)a * x86_sext(b, size);
	lo = (uint64_t)p & x86_mask(size);
	hi = size == 8 ? (uint64_t)((u128)p >> 64) :
	    (uint64_t)(p >> (8 * size)) & x86_mask(size);
	wr_pair(cpu, size, lo, hi);
	mul_flags(cpu, size, lo, p != (s128)x86_sext(lo, size));
	return (X86_OK);
}

static int
imul2(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t b)
{
	unsigned size = in->opsize;
	uint64_t a, lo;
	s128 p;
	int rc;

	rc = rd_E(cpu, in, size, &a);
	if (rc != X86_OK)
		return (rc);
	p = (s128)x86_sext(a, size) * x86_sext(b, size);
	lo = (uint64_t)p & x86_mask(size);
	wr_G(cpu, in, size, lo);
	mul_flags(cpu, size, lo, p != (s128)x86_sext(lo, size));
	return (X86_OK);
}

/* 0F AF: Gv = Gv * Ev */
X86_OP(x86_op_imul_GE)
{
	return (imul2(cpu, in, rd_G(cpu, in, in->opsize)));
}

/* 69, 6B: Gv = Ev * imm */
X86_OP(x86_op_imul_GEI)
{
	return (imul2(cpu, in, in->imm & x86_mask(in->opsize)));
}

X86_OP(x86_op_div_E)
{
	unsigned size = in->opsize;
	uint64_t d, lo, hi, q, r;
	u128 n;
	int rc;

	rc = rd_E(cpu, in, size, &d);
	if (rc != X86_OK)
		return (rc);
	if (d == 0)
		return (x86_raise(cpu, IDT_DE, -1));
	if (size == 1) {
		n = cpu->gpr[X86_RAX] & 0xffff;
	} else {
		lo = rd_reg(cpu, X86_RAX, size, 1);
		hi = rd_reg(cpu, X86_RDX, size, 1);
		n = size == 8 ? ((u128)hi << 64) | lo :
		    ((u128)hi << (8 * size)) | lo;
	}
	if (n / d > x86_mask(size))
		return (x86_raise(cpu, IDT_DE, -1));
	q = (uint64_t)(n / d);
	r = (uint64_t)(n % d);
	wr_pair(cpu, size, q, r);
	return (X86_OK);
}

X86_OP(x86_op_idiv_E)
{
	unsigned size = in->opsize, bits = size * 8;
	uint64_t d, lo, hi;
	s128 n, q, r, sd;
	int rc;

	rc = rd_E(cpu, in, size, &d);
	if (rc != X86_OK)
		return (rc);
	sd = x86_sext(d, size);
	if (sd == 0)
		return (x86_raise(cpu, IDT_DE, -1));
	if (size == 1) {
		n = (int16_t)cpu->gpr[X86_RAX];
	} else {
		lo = rd_reg(cpu, X86_RAX, size, 1);
		hi = rd_reg(cpu, X86_RDX, size, 1);
		if (size == 8)
			n = (s128)(((u128)hi << 64) | lo);
		else
			n = x86_sext(hi, size) * ((s128)1 << bits) + (s128)lo;
	}
	/* the one quotient s128 cannot hold: -2^127 / -1 (size 8) */
	if (size == 8 && sd == -1 && (u128)n == (u128)1 << 127)
		return (x86_raise(cpu, IDT_DE, -1));
	q = n / sd;
	r = n % sd;
	if (q > (s128)(x86_mask(size) >> 1) ||
	    q < -(s128)(x86_mask(size) >> 1) - 1)
		return (x86_raise(cpu, IDT_DE, -1));
	wr_pair(cpu, size, (uint64_t)q, (uint64_t)r);
	return (X86_OK);
}

/* ---- Specialized forms: 32/64-bit IMUL with register operands ---- */

static inline __attribute__((always_inline)) int
imul_k(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t b,
    unsigned size)
{
	int64_t a = x86_sext(cpu->gpr[in->rm], size);
	uint64_t lo;
	s128 p;

	p = (s128)a * x86_sext(b, size);
	lo = (uint64_t)p & x86_mask(size);
	wr_reg(cpu, in->reg, size, 1, lo);
	mul_flags(cpu, size, lo, p != (s128)x86_sext(lo, size));
	return (X86_OK);
}

static X86_OP(imul_rr_4)
{
	return (imul_k(cpu, in, cpu->gpr[in->reg], 4));
}

static X86_OP(imul_rr_8)
{
	return (imul_k(cpu, in, cpu->gpr[in->reg], 8));
}

static X86_OP(imul_rri_4)
{
	return (imul_k(cpu, in, in->imm, 4));
}

static X86_OP(imul_rri_8)
{
	return (imul_k(cpu, in, in->imm, 8));
}

x86_handler_t
x86_muldiv_fast(const struct x86_insn *in)
{
	if (in->mod != 3 || (in->opsize != 4 && in->opsize != 8))
		return (NULL);
	if (in->fn == x86_op_imul_GE)
		return (in->opsize == 8 ? imul_rr_8 : imul_rr_4);
	if (in->fn == x86_op_imul_GEI)
		return (in->opsize == 8 ? imul_rri_8 : imul_rri_4);
	return (NULL);
}
