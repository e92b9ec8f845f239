/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bit instructions: BT BTS BTR BTC, BSF BSR, TZCNT LZCNT (F3 prefix),
 * POPCNT, BSWAP (SDM Vol 2).
 */
#include "vmm/x86/ops.h"

enum { BT, BTS, BTR, BTC };

static uint64_t
bt_rmw(unsigned op, unsigned size, uint64_t old, uint64_t bit, uint64_t cin,
    struct x86_lfrec *lf)
{
	lf->op = LF_NONE;
	switch (op) {
	case BTS:
		return (old | bit);
	case BTR:
		return (old & ~bit);
	case BTC:
		return (old ^ bit);
	default:
		return (old);
	}
}

/* CF = the selected bit; ZF unchanged; OF SF AF PF undefined (kept). */
static void
bt_flags(struct x86_cpu *cpu, bool set)
{
	uint32_t f = x86_arith_flags(cpu) & ~X86_CF;

	x86_set_arith(cpu, f | (set ? X86_CF : 0));
}

static int
bt_do(struct x86_cpu *cpu, const struct x86_insn *in, unsigned op,
    uint64_t bitoff)
{
	unsigned size = in->opsize;
	struct x86_lfrec lf;
	uint64_t old, bit = 1ull << (bitoff & (8 * size - 1));
	int rc;

	if (op == BT) {
		rc = rd_E(cpu, in, size, &old);
		if (rc != X86_OK)
			return (rc);
	} else {
		rc = x86_rmw(cpu, in, size, bt_rmw, op, bit, 0, &lf, &old);
		if (rc != X86_OK)
			return (rc);
	}
	bt_flags(cpu, (old & bit) != 0);
	return (X86_OK);
}

/*
 * 0F A3/AB/B3/BB: with a memory operand the register offset is signed
 * and may address bits outside the operand (SDM Vol 2 BT, "bit base").
 */
X86_OP(x86_op_bt_EG)
{
	unsigned size = in->opsize, op = (in->opcode >> 3) & 3;
	int64_t off = x86_sext(rd_G(cpu, in, size), size);
	struct x86_insn mi;

	if (in->mod == 3)
		return (bt_do(cpu, in, op, (uint64_t)off));
	mi = *in;
	/* arithmetic shift: floor division by the operand width in bits */
	mi.disp += (off >> (size == 2 ? 4 : size == 4 ? 5 : 6)) * size;
	return (bt_do(cpu, &mi, op, (uint64_t)off));
}

/* 0F BA /4-7 ib */
X86_OP(x86_op_bt_EI)
{
	return (bt_do(cpu, in, (in->reg & 7) - 4, in->imm));
}

/* BSF; TZCNT (F3 0F BC) when BMI1 is offered (decode.c) */
X86_OP(x86_op_bsf)
{
	unsigned size = in->opsize;
	uint32_t f;
	uint64_t v, n;
	int rc;

	rc = rd_E(cpu, in, size, &v);
	if (rc != X86_OK)
		return (rc);
	f = x86_arith_flags(cpu);
	n = v != 0 ? (uint64_t)__builtin_ctzll(v) : 8 * size;
	if (in->rep == 0xf3) {
		wr_G(cpu, in, size, n);
		x86_set_arith(cpu, (f & ~(X86_CF | X86_ZF)) |
		    (v == 0 ? X86_CF : 0) | (n == 0 ? X86_ZF : 0));
		return (X86_OK);
	}
	if (v != 0)
		wr_G(cpu, in, size, n);
	x86_set_arith(cpu, (f & ~X86_ZF) | (v == 0 ? X86_ZF : 0));
	return (X86_OK);
}

/* BSR / LZCNT (F3 0F BD) */
X86_OP(x86_op_bsr)
{
	unsigned size = in->opsize;
	uint32_t f;
	uint64_t v, n;
	int rc;

	rc = rd_E(cpu, in, size, &v);
	if (rc != X86_OK)
		return (rc);
	f = x86_arith_flags(cpu);
	n = v != 0 ? 63 - (uint64_t)__builtin_clzll(v) : 0;
	if (in->rep == 0xf3) {
		n = v != 0 ? 8 * size - 1 - n : 8 * size;
		wr_G(cpu, in, size, n);
		x86_set_arith(cpu, (f & ~(X86_CF | X86_ZF)) |
		    (v == 0 ? X86_CF : 0) | (n == 0 ? X86_ZF : 0));
		return (X86_OK);
	}
	if (v != 0)
		wr_G(cpu, in, size, n);
	x86_set_arith(cpu, (f & ~X86_ZF) | (v == 0 ? X86_ZF : 0));
	return (X86_OK);
}

/* F3 0F B8; without F3 it is JMPE (#UD). */
X86_OP(x86_op_popcnt)
{
	uint64_t v;
	int rc;

	if (in->rep != 0xf3)
		return (x86_raise(cpu, IDT_UD, -1));
	rc = rd_E(cpu, in, in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	wr_G(cpu, in, in->opsize, (uint64_t)__builtin_popcountll(v));
	x86_set_arith(cpu, v == 0 ? X86_ZF : 0);
	return (X86_OK);
}

/* 0F C8+r; a 16-bit BSWAP is undefined: zero, as hardware gives. */
X86_OP(x86_op_bswap)
{
	unsigned r = (in->opcode & 7) | ((in->rex & 1) << 3);

	switch (in->opsize) {
	case 8:
		cpu->gpr[r] = __builtin_bswap64(cpu->gpr[r]);
		break;
	case 4:
		cpu->gpr[r] = __builtin_bswap32((uint32_t)cpu->gpr[r]);
		break;
	default:
		wr_reg(cpu, r, 2, 1, 0);
		break;
	}
	return (X86_OK);
}
