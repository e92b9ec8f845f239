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

/*
 * x86_rmw callback: sub = op | count << 3, cin = the arithmetic flags.
 * Rotates leave LF_NONE with the new flags in lf->res; shifts LF_EXPL.
 */
static uint64_t
grp2_rmw(unsigned sub, unsigned size, uint64_t a, uint64_t arg,
    uint64_t f, struct x86_lfrec *lf)
{
	unsigned op = sub & 7, cnt = sub >> 3;
	uint64_t r;
	uint32_t fl;

	if (cnt == 0) {
		lf->op = LF_NONE;
		lf->res = f;
		return (a);
	}
	if (op <= RCR) {
		r = rotate(op, size, a, cnt, (unsigned)f & X86_CF, &fl);
		lf->op = LF_NONE;
		lf->res = (f & ~(uint64_t)(X86_CF | X86_OF)) | fl;
		return (r);
	}
	r = shift(op, size, a, cnt, &fl);
	lf->op = LF_EXPL;
	lf->res = r;
	lf->s1 = a;
	lf->s2 = fl;
	return (r);
}

static void
rmw_flags(struct x86_cpu *cpu, const struct x86_lfrec *lf, unsigned size)
{
	if (lf->op == LF_NONE)
		x86_set_arith(cpu, (uint32_t)lf->res);
	else
		lf_commit(cpu, lf, size);
}

X86_OP(x86_op_grp2)
{
	unsigned size = in->opsize, cnt;
	struct x86_lfrec lf;
	uint64_t old;
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
	/* a count of 0 changes no flags (a 32-bit register still gets
	 * zero-extended by the write-back) */
	rc = x86_rmw(cpu, in, size, grp2_rmw, (in->reg & 7) | cnt << 3, 0,
	    (in->reg & 7) <= RCR ? x86_arith_flags(cpu) : 0, &lf, &old);
	if (rc != X86_OK)
		return (rc);
	if (cnt != 0)
		rmw_flags(cpu, &lf, size);
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

/* x86_rmw callback: sub = count | left << 6, arg = the G register. */
static uint64_t
shxd_rmw(unsigned sub, unsigned size, uint64_t a, uint64_t b, uint64_t cin,
    struct x86_lfrec *lf)
{
	unsigned bits = size * 8, top = bits - 1, c = sub & 63;
	uint64_t r, cf, m = x86_mask(size);
	unsigned __int128 v;
	bool left = (sub & 64) != 0;

	lf->op = LF_NONE;
	if (c == 0)
		return (a);
	if (c > bits) {
		/* 16-bit count > 16: undefined; model as dest:src:dest */
		v = ((unsigned __int128)a << 32) | (b << 16) | a;
		if (left) {
			r = (uint64_t)(v >> (48 - c)) & m;
			cf = (uint64_t)(v >> (48 - c + 16)) & 1;
		} else {
			r = (uint64_t)(v >> c) & m;
			cf = (uint64_t)(v >> (c - 1)) & 1;
		}
	} else if (left) {
		r = c == bits ? b : ((a << c) | (b >> (bits - c))) & m;
		cf = (a >> (bits - c)) & 1;
	} else {
		r = c == bits ? b : ((a >> c) | (b << (bits - c))) & m;
		cf = (a >> (c - 1)) & 1;
	}
	lf->op = LF_EXPL;
	lf->res = r;
	lf->s1 = a;
	lf->s2 = bitf(cf, X86_CF) | bitf((r ^ a) >> top, X86_OF);
	return (r);
}

static int
shxd(struct x86_cpu *cpu, const struct x86_insn *in, bool left)
{
	unsigned size = in->opsize, c = dbl_count(cpu, in);
	struct x86_lfrec lf;
	uint64_t old;
	int rc;

	rc = x86_rmw(cpu, in, size, shxd_rmw, c | (left ? 64 : 0),
	    rd_G(cpu, in, size), 0, &lf, &old);
	if (rc != X86_OK)
		return (rc);
	if (lf.op != LF_NONE)
		lf_commit(cpu, &lf, size);
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

/* ---- Specialized forms: register shifts by an immediate or 1 ---- */

#define X86_AI	static inline __attribute__((always_inline))

X86_AI int
shift_ri(struct x86_cpu *cpu, const struct x86_insn *in, unsigned op,
    unsigned size)
{
	unsigned cnt = (in->opcode == 0xd1 ? 1 : (unsigned)in->imm) &
	    (size == 8 ? 63 : 31);
	uint64_t a = cpu->gpr[in->rm] & x86_mask(size), r;
	uint32_t fl;

	if (cnt == 0) {
		wr_reg(cpu, in->rm, size, 1, a);
		return (X86_OK);
	}
	if (op == ROL || op == ROR) {
		r = rotate(op, size, a, cnt, 0, &fl);
		wr_reg(cpu, in->rm, size, 1, r);
		x86_set_cf_of(cpu, fl);
		return (X86_OK);
	}
	r = shift(op, size, a, cnt, &fl);
	wr_reg(cpu, in->rm, size, 1, r);
	lf_set(cpu, LF_EXPL, size, r, a, fl);
	return (X86_OK);
}

#define SHIFT_SZ(OP, SZ) \
static X86_OP(shift_ri_##OP##_##SZ) { return (shift_ri(cpu, in, OP, SZ)); }
#define SHIFT_OP(OP) SHIFT_SZ(OP, 4) SHIFT_SZ(OP, 8)
SHIFT_OP(ROL) SHIFT_OP(ROR) SHIFT_OP(SHL) SHIFT_OP(SHR) SHIFT_OP(SAR)

static const x86_handler_t shift_ri_tab[8][2] = {
	[ROL] = { shift_ri_ROL_4, shift_ri_ROL_8 },
	[ROR] = { shift_ri_ROR_4, shift_ri_ROR_8 },
	[SHL] = { shift_ri_SHL_4, shift_ri_SHL_8 },
	[SHR] = { shift_ri_SHR_4, shift_ri_SHR_8 },
	[SAL] = { shift_ri_SHL_4, shift_ri_SHL_8 },
	[SAR] = { shift_ri_SAR_4, shift_ri_SAR_8 },
};

x86_handler_t
x86_shift_fast(const struct x86_insn *in)
{
	if (in->fn != x86_op_grp2 || in->mod != 3 ||
	    (in->opcode != 0xc1 && in->opcode != 0xd1) ||
	    (in->opsize != 4 && in->opsize != 8))
		return (NULL);
	return (shift_ri_tab[in->reg & 7][in->opsize == 8]);
}
