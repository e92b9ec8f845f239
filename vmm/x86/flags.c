/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Lazy arithmetic flags (DESIGN §5).  Arithmetic handlers record the
 * operation, its operands and its result in cpu->lf; the six flags are
 * computed only when something reads them (Jcc, PUSHF, an exception...).
 *
 * Carry and overflow come from the operands and the result alone, which
 * also covers ADC/SBB (the carry-in is implied by src1, src2 and res):
 *   add carry out of the top bit  = (a & b) | ((a | b) & ~r)
 *   sub borrow out of the top bit = (~a & b) | ((~a | b) & r)
 *   add overflow = (a ^ r) & (b ^ r),  sub overflow = (a ^ b) & (a ^ r)
 *   AF = carry/borrow out of bit 3   = (a ^ b ^ r) & 0x10
 * (SDM Vol 1 3.4.3.1, Appendix A "EFLAGS cross-reference").
 */
#include "vmm/x86/ops.h"

static inline uint32_t
szp(uint64_t r, unsigned size)
{
	uint32_t f = 0;

	r &= x86_mask(size);
	if (r == 0)
		f |= X86_ZF;
	if (r & x86_sign(size))
		f |= X86_SF;
	if (!__builtin_parity((unsigned)(r & 0xff)))
		f |= X86_PF;
	return (f);
}

uint32_t
x86_arith_flags(const struct x86_cpu *cpu)
{
	unsigned size = cpu->lf.size;
	uint64_t a = cpu->lf.src1, b = cpu->lf.src2, r = cpu->lf.res, sb;
	uint32_t f;

	if (cpu->lf.op == LF_NONE)
		return ((uint32_t)cpu->rflags & X86_ARITH_FLAGS);
	sb = x86_sign(size);
	f = szp(r, size);
	switch (cpu->lf.op) {
	case LF_ADD:
		if (((a & b) | ((a | b) & ~r)) & sb)
			f |= X86_CF;
		if ((a ^ r) & (b ^ r) & sb)
			f |= X86_OF;
		f |= (uint32_t)((a ^ b ^ r) & X86_AF);
		break;
	case LF_SUB:
		if (((~a & b) | ((~a | b) & r)) & sb)
			f |= X86_CF;
		if ((a ^ b) & (a ^ r) & sb)
			f |= X86_OF;
		f |= (uint32_t)((a ^ b ^ r) & X86_AF);
		break;
	case LF_LOGIC:
		break;
	case LF_INC:
		f |= (uint32_t)(b & X86_CF);
		if ((r & x86_mask(size)) == sb)
			f |= X86_OF;
		f |= (uint32_t)((a ^ r) & X86_AF);
		break;
	case LF_DEC:
		f |= (uint32_t)(b & X86_CF);
		if ((r & x86_mask(size)) == sb - 1)
			f |= X86_OF;
		f |= (uint32_t)((a ^ r) & X86_AF);
		break;
	default:	/* LF_EXPL */
		f |= (uint32_t)(b & (X86_CF | X86_OF | X86_AF));
		break;
	}
	return (f);
}

uint64_t
x86_get_flags(struct x86_cpu *cpu)
{
	if (cpu->lf.op != LF_NONE) {
		cpu->rflags = (cpu->rflags & ~(uint64_t)X86_ARITH_FLAGS) |
		    x86_arith_flags(cpu);
		cpu->lf.op = LF_NONE;
	}
	return (cpu->rflags | X86_RF1);
}

void
x86_set_flags(struct x86_cpu *cpu, uint64_t rflags)
{
	/* Bits 3, 5, 15, 22-63 are reserved zero, bit 1 reserved one. */
	cpu->rflags = (rflags & 0x3f7fd5ull) | X86_RF1;
	cpu->lf.op = LF_NONE;
	cpu->lf.size = 8;	/* keep the record well-formed */
}

/*
 * Condition codes (SDM Vol 2 Appendix B.1): cc>>1 selects the test, cc&1
 * negates it.  After a compare (the common case) answer from the
 * operands directly.
 */
bool
x86_cond(const struct x86_cpu *cpu, unsigned cc)
{
	unsigned size = cpu->lf.size, neg = cc & 1;
	uint64_t m, a, b;
	uint32_t f;
	bool t;

	if (cpu->lf.op == LF_SUB) {
		m = x86_mask(size);
		a = cpu->lf.src1 & m;
		b = cpu->lf.src2 & m;
		/* only valid when the record is a plain SUB/CMP (no borrow) */
		if (((a - b) & m) == (cpu->lf.res & m)) {
			switch (cc >> 1) {
			case 1:
				return ((a < b) ^ neg);
			case 2:
				return ((a == b) ^ neg);
			case 3:
				return ((a <= b) ^ neg);
			case 6:
				return ((x86_sext(a, size) <
				    x86_sext(b, size)) ^ neg);
			case 7:
				return ((x86_sext(a, size) <=
				    x86_sext(b, size)) ^ neg);
			default:
				break;
			}
		}
	} else if (cpu->lf.op != LF_NONE && (cc >> 1) == 2) {
		return (((cpu->lf.res & x86_mask(size)) == 0) ^ neg);
	}
	f = x86_arith_flags(cpu);
	switch (cc >> 1) {
	case 0:
		t = (f & X86_OF) != 0;
		break;
	case 1:
		t = (f & X86_CF) != 0;
		break;
	case 2:
		t = (f & X86_ZF) != 0;
		break;
	case 3:
		t = (f & (X86_CF | X86_ZF)) != 0;
		break;
	case 4:
		t = (f & X86_SF) != 0;
		break;
	case 5:
		t = (f & X86_PF) != 0;
		break;
	case 6:
		t = !(f & X86_SF) != !(f & X86_OF);
		break;
	default:
		t = (f & X86_ZF) || (!(f & X86_SF) != !(f & X86_OF));
		break;
	}
	return (t ^ neg);
}
