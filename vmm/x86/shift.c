/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shifts and rotates: group 2 (ROL ROR RCL RCR SHL SHR SAL SAR), SHLD,
 * SHRD (SDM Vol 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
 *
 * The count is masked to 5 bits (6 with a 64-bit operand); a masked count
 * of 0 changes no flags.  OF is defined for a count of 1 only; for larger
 * counts we apply the count-1 formula, as Intel parts do.  Rotates change
 * only CF and OF, so they update RFLAGS eagerly; shifts record LF_EXPL.
 */
#include "vmm/x86/ops.h"

enum { ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR };

static inline uint32_t
bitf(uint64_t v, uint32_t flag)
{
	return ((v & 1) ? flag : 0);
}

/* Result of a rotate; *fl gets the new CF and OF. */
static uint64_t
rotate(unsigned op, unsigned size, uint64_t a, unsigned cnt, unsigned cf,
    uint32_t *fl)
{
	unsigned bits = size * 8, c, top = bits - 1;
	uint64_t m = x86_mask(size), r;
	unsigned __int128 v, wm;

	switch (op) {
	case ROL:
		c = cnt % bits;
		r = c ? ((a << c) | (a >> (bits - c))) & m : a;
		cf = r & 1;
		*fl = bitf(cf, X86_CF) | bitf((r >> top) ^ cf, X86_OF);
		return (r);
	case ROR:
		c = cnt % bits;
		r = c ? ((a >> c) | (a << (bits - c))) & m : a;
		*fl = bitf(r >> top, X86_CF) |
		    bitf((r >> top) ^ (r >> (top - 1)), X86_OF);
		return (r);
	case RCL:
		/* rotate the (bits+1)-bit quantity CF:a */
		c = cnt % (bits + 1);
		v = ((unsigned __int128)cf << bits) | a;
		wm = ((unsigned __int128)1 << (bits + 1)) - 1;
		if (c != 0)
			v = ((v << c) | (v >> (bits + 1 - c))) & wm;
		r = (uint64_t)v & m;
		cf = (unsigned)(v >> bits) & 1;
		*fl = bitf(cf, X86_CF) | bitf((r >> top) ^ cf, X86_OF);
		return (r);
	default:	/* RCR */
		c = cnt % (bits + 1);
		*fl = bitf((a >> top) ^ cf, X86_OF);
		v = ((unsigned __int128)cf << bits) | a;
		wm = ((unsigned __int128)1 << (bits + 1)) - 1;
		if (c != 0)
			v = ((v >> c) | (v << (bits + 1 - c))) & wm;
		r = (uint64_t)v & m;
		*fl |= bitf((unsigned)(v >> bits), X86_CF);
		return (r);
	}
}

/* Result of a shift; *fl gets CF and OF. */
static uint64_t
shift(unsigned op, unsigned size, uint64_t a, unsigned c, uint32_t *fl)
{
	unsigned bits = size * 8, top = bits - 1;
	uint64_t m = x86_mask(size), r, cf;
	int64_t sa;

	switch (op) {
	case SHL:
	case SAL:
		r = (a << c) & m;
		cf = c <= bits ? (a >> (bits - c)) & 1 : 0;
		*fl = bitf(cf, X86_CF) | bitf((r >> top) ^ cf, X86_OF);
		return (r);
	case SHR:
		r = a >> c;
		*fl = bitf(a >> (c - 1), X86_CF) | bitf(a >> top, X86_OF);
		return (r);
	default:	/* SAR */
		sa = x86_sext(a, size);
		r = (uint64_t)(sa >> c) & m;
		*fl = bitf((uint64_t)(sa >> (c - 1)), X86_CF);
		return (r);
	}
}

X86_OP(x86_op_grp2)
{
	unsigned size = in->opsize, op = in->reg & 7, cnt;
	uint64_t a, r;
	uint32_t fl, f;
	int rc;

	switch (in->opcode) {
	case 0xd0: case 0xd1:
		cnt = 1;
		break;
	case 0xd2: case 0xd3:
		cnt = (unsigned)cpu->gpr[X86_RCX] & 0xff;
		break;
	default:
		cnt = (unsigned)in->imm;
		break;
	}
	cnt &= size == 8 ? 63 : 31;
	rc = rd_E(cpu, in, size, &a);
	if (rc != X86_OK)
		return (rc);
	if (cnt == 0) {
		/* no flags; a 32-bit register still gets zero-extended */
		if (in->mod == 3)
			wr_reg(cpu, in->rm, size, in->rex, a);
		return (X86_OK);
	}
	if (op <= RCR) {
		f = x86_arith_flags(cpu);
		r = rotate(op, size, a, cnt, f & X86_CF, &fl);
		rc = wr_E(cpu, in, size, r);
		if (rc != X86_OK)
			return (rc);
		x86_set_arith(cpu, (f & ~(X86_CF | X86_OF)) | fl);
		return (X86_OK);
	}
	r = shift(op, size, a, cnt, &fl);
	rc = wr_E(cpu, in, size, r);
	if (rc != X86_OK)
		return (rc);
	lf_set(cpu, LF_EXPL, size, r, a, fl);
	return (X86_OK);
}

/* SHLD/SHRD count: imm8 (A4/AC) or CL (A5/AD). */
static unsigned
dbl_count(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned c = (in->opcode & 1) ? (unsigned)cpu->gpr[X86_RCX] :
	    (unsigned)in->imm;

	return (c & (in->opsize == 8 ? 63 : 31));
}

static int
shxd(struct x86_cpu *cpu, const struct x86_insn *in, bool left)
{
	unsigned size = in->opsize, bits = size * 8, top = bits - 1, c;
	uint64_t a, b, r, cf, m = x86_mask(size);
	unsigned __int128 v;
	int rc;

	c = dbl_count(cpu, in);
	rc = rd_E(cpu, in, size, &a);
	if (rc != X86_OK)
		return (rc);
	if (c == 0) {
		if (in->mod == 3)
			wr_reg(cpu, in->rm, size, in->rex, a);
		return (X86_OK);
	}
	b = rd_G(cpu, in, size);
	if (c > bits) {
		/* 16-bit count > 16: undefined; model as dest:src:dest */
		v = ((unsigned __int128)a << 32) | (b << 16) | a;
		if (left) {
			r = (uint64_t)(v >> (48 - c)) & m;
			cf = (uint64_t)(v >> (48 - c + 16)) & 1;
		} else {
			v = ((unsigned __int128)a << 32) | (b << 16) | a;
			r = (uint64_t)(v >> c) & m;
			cf = (uint64_t)(v >> (c - 1)) & 1;
		}
	} else if (left) {
		r = ((a << c) | (c == bits ? b : b >> (bits - c))) & m;
		if (c == bits)
			r = b;
		cf = (a >> (bits - c)) & 1;
	} else {
		r = ((c == bits ? 0 : a >> c) | (b << (bits - c))) & m;
		cf = (a >> (c - 1)) & 1;
	}
	rc = wr_E(cpu, in, size, r);
	if (rc != X86_OK)
		return (rc);
	lf_set(cpu, LF_EXPL, size, r, a, bitf(cf, X86_CF) |
	    bitf((r ^ a) >> top, X86_OF));
	return (X86_OK);
}

X86_OP(x86_op_shld)
{
	return (shxd(cpu, in, true));
}

X86_OP(x86_op_shrd)
{
	return (shxd(cpu, in, false));
}
