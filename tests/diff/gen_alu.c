/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Families: arithmetic and logic, multiply and divide, shifts and
 * rotates.
 *
 * Flags compared (all others are left undefined by the SDM, Vol 2 ch. 3-4,
 * "Flags Affected" of each instruction, and masked):
 *   ADD ADC SUB SBB CMP NEG INC DEC   all six (INC/DEC leave CF alone:
 *                                     compared, it must be unchanged)
 *   AND OR XOR TEST                   AF undefined
 *   NOT                               none changed: all compared
 *   MUL IMUL (all forms)              SF ZF AF PF undefined
 *   DIV IDIV                          CF OF SF ZF AF PF undefined
 *   SHL SHR SAR (count masked to 5 or 6 bits; count 0: no flag changes)
 *                                     AF undefined; OF undefined unless
 *                                     the count is 1; CF undefined for
 *                                     SHL/SHR when count >= operand bits
 *   ROL ROR RCL RCR                   only CF and OF change; OF undefined
 *                                     unless the masked count is 1
 *   SHLD SHRD                         AF undefined; OF undefined unless
 *                                     count is 1; a 16-bit count above 16
 *                                     leaves result and flags undefined,
 *                                     so it is not generated
 * DF is always compared.  alu_32, muldiv_32 and shift_32 run these
 * generators as 32-bit code (gen_p32.c), where 82 is an alias of 80.
 */
#include <string.h>

#include "tests/diff/difftest.h"


static int64_t
sext(uint64_t v, unsigned size)
{
	int sh = 64 - 8 * (int)size;

	return ((int64_t)(v << sh) >> sh);
}

/* Give a register operand a value biased for its size. */
static void
rand_operand(struct dt_gen *g, const struct dt_op *op, unsigned size)
{
	if (!op->mem)
		set_reg(g, op->reg, size, rng_val(&g->r, size));
}

static const char *const alu_name[8] = {
	"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp",
};

/* ADD OR ADC SBB AND SUB XOR CMP in all their encodings. */
static void
gen_alu(struct dt_gen *g, int op)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;
	struct dt_insn in;
	int reg, form = (int)rng_below(&g->r, 5);
	uint8_t base = (uint8_t)(op * 8);
	bool lock = false;

	if (op == 1 || op == 4 || op == 6)	/* AND OR XOR */
		g->c->flag_mask &= ~F_AF;
	if (form == 4 && size == 1)
		form = 3;
	if (form == 2) {
		/* op AL/AX/EAX/RAX, imm */
		g->legacy8 = false;
		set_reg(g, RAX, size, rng_val(&g->r, size));
		memset(&in, 0, sizeof(in));
		if (size == 2)
			add_prefix(&in, 0x66);
		in.rexw = size == 8;
		in.op[0] = (uint8_t)(base + (size == 1 ? 4 : 5));
		in.nop = 1;
		in.reg = DT_NOREG;
		in.immsz = imm_size(size);
		in.imm = rng_val(&g->r, (unsigned)in.immsz);
		emit(g, &in);
		describe(g, "%s %s, imm", alu_name[op], size == 1 ? "al" :
		    size == 2 ? "ax" : size == 4 ? "eax" : "rax");
		return;
	}
	pick_rm(g, &rm, size, 40);
	rand_operand(g, &rm, size);
	lock = rm.mem && op != 7 && form != 1 && rng_below(&g->r, 3) == 0;
	memset(&in, 0, sizeof(in));
	if (lock)
		add_prefix(&in, 0xf0);
	if (size == 2)
		add_prefix(&in, 0x66);
	in.rexw = size == 8;
	in.rex = size == 1 && !g->legacy8;
	in.nop = 1;
	in.rm = &rm;
	switch (form) {
	case 0:
	case 1:
		reg = pick_reg(g, size);
		set_reg(g, reg, size, rng_val(&g->r, size));
		in.op[0] = (uint8_t)(base + (form == 0 ? 0 : 2) +
		    (size == 1 ? 0 : 1));
		in.reg = reg;
		describe(g, "%s%s %s%u", lock ? "lock " : "", alu_name[op],
		    form == 0 ? "r/m, r" : "r, r/m", size * 8);
		break;
	case 3:
		in.op[0] = size == 1 ? 0x80 : 0x81;
		/* 82: an alias of 80 outside 64-bit mode (SDM Vol 2 A.3) */
		if (g->m32 && size == 1 && rng_below(&g->r, 3) == 0)
			in.op[0] = 0x82;
		in.reg = op;
		in.immsz = imm_size(size);
		in.imm = rng_val(&g->r, (unsigned)in.immsz);
		describe(g, "%s%s r/m%u, imm", lock ? "lock " : "",
		    alu_name[op], size * 8);
		break;
	default:
		in.op[0] = 0x83;
		in.reg = op;
		in.immsz = 1;
		in.imm = rng_val(&g->r, 1);
		describe(g, "%s%s r/m%u, imm8", lock ? "lock " : "",
		    alu_name[op], size * 8);
		break;
	}
	emit(g, &in);
}

static void gen_add(struct dt_gen *g) { gen_alu(g, 0); }
static void gen_or(struct dt_gen *g) { gen_alu(g, 1); }
static void gen_adc(struct dt_gen *g) { gen_alu(g, 2); }
static void gen_sbb(struct dt_gen *g) { gen_alu(g, 3); }
static void gen_and(struct dt_gen *g) { gen_alu(g, 4); }
static void gen_sub(struct dt_gen *g) { gen_alu(g, 5); }
static void gen_xor(struct dt_gen *g) { gen_alu(g, 6); }
static void gen_cmp(struct dt_gen *g) { gen_alu(g, 7); }

/* TEST r/m, r; TEST AL.., imm; TEST r/m, imm. */
static void
gen_test(struct dt_gen *g)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;
	int reg, form = (int)rng_below(&g->r, 3);

	g->c->flag_mask &= ~F_AF;
	if (form == 1) {
		struct dt_insn in;

		g->legacy8 = false;
		set_reg(g, RAX, size, rng_val(&g->r, size));
		memset(&in, 0, sizeof(in));
		if (size == 2)
			add_prefix(&in, 0x66);
		in.rexw = size == 8;
		in.op[0] = size == 1 ? 0xa8 : 0xa9;
		in.nop = 1;
		in.reg = DT_NOREG;
		in.immsz = imm_size(size);
		in.imm = rng_val(&g->r, (unsigned)in.immsz);
		emit(g, &in);
		describe(g, "test acc%u, imm", size * 8);
		return;
	}
	pick_rm(g, &rm, size, 40);
	rand_operand(g, &rm, size);
	if (form == 0) {
		reg = pick_reg(g, size);
		set_reg(g, reg, size, rng_val(&g->r, size));
		emit_sized(g, size, 0x84, 0x85, reg, &rm, 0, 0);
		describe(g, "test r/m%u, r", size * 8);
	} else {
		emit_sized(g, size, 0xf6, 0xf7, 0, &rm, imm_size(size),
		    rng_val(&g->r, (unsigned)imm_size(size)));
		describe(g, "test r/m%u, imm", size * 8);
	}
}

/* Group 3 and 4/5 unary operations: NOT NEG (F6/F7), INC DEC (FE/FF). */
static void
gen_unary(struct dt_gen *g, uint8_t op8, uint8_t op, int digit,
    const char *name)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;
	struct dt_insn in;
	bool lock;

	pick_rm(g, &rm, size, 40);
	rand_operand(g, &rm, size);
	lock = rm.mem && rng_below(&g->r, 3) == 0;
	memset(&in, 0, sizeof(in));
	if (lock)
		add_prefix(&in, 0xf0);
	if (size == 2)
		add_prefix(&in, 0x66);
	in.rexw = size == 8;
	in.rex = size == 1 && !g->legacy8;
	in.op[0] = size == 1 ? op8 : op;
	in.nop = 1;
	in.reg = digit;
	in.rm = &rm;
	emit(g, &in);
	describe(g, "%s%s r/m%u", lock ? "lock " : "", name, size * 8);
}

static void gen_not(struct dt_gen *g) { gen_unary(g, 0xf6, 0xf7, 2, "not"); }
static void gen_neg(struct dt_gen *g) { gen_unary(g, 0xf6, 0xf7, 3, "neg"); }
static void gen_inc(struct dt_gen *g) { gen_unary(g, 0xfe, 0xff, 0, "inc"); }
static void gen_dec(struct dt_gen *g) { gen_unary(g, 0xfe, 0xff, 1, "dec"); }

/* MUL r/m (F6/F7 /4) and IMUL r/m (/5): rDX:rAX or AX result. */
static void
gen_mul1(struct dt_gen *g, int digit)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;

	g->c->flag_mask &= ~(F_SF | F_ZF | F_AF | F_PF);
	set_reg(g, RAX, size, rng_val(&g->r, size));
	pick_rm(g, &rm, size, 40);
	rand_operand(g, &rm, size);
	emit_sized(g, size, 0xf6, 0xf7, digit, &rm, 0, 0);
	describe(g, "%s r/m%u", digit == 4 ? "mul" : "imul", size * 8);
}

static void gen_mul(struct dt_gen *g) { gen_mul1(g, 4); }

/* IMUL in its one-, two- (0F AF) and three-operand (69, 6B) forms. */
static void
gen_imul(struct dt_gen *g)
{
	unsigned size;
	struct dt_op rm;
	struct dt_insn in;
	int reg, form = (int)rng_below(&g->r, 4);

	if (form == 0) {
		gen_mul1(g, 5);
		return;
	}
	g->c->flag_mask &= ~(F_SF | F_ZF | F_AF | F_PF);
	size = pick_size(g, SZ_WIDE);
	pick_rm(g, &rm, size, 40);
	rand_operand(g, &rm, size);
	reg = pick_reg(g, size);
	set_reg(g, reg, size, rng_val(&g->r, size));
	memset(&in, 0, sizeof(in));
	if (size == 2)
		add_prefix(&in, 0x66);
	in.rexw = size == 8;
	in.reg = reg;
	in.rm = &rm;
	if (form == 1) {
		in.op[0] = 0x0f;
		in.op[1] = 0xaf;
		in.nop = 2;
		describe(g, "imul r%u, r/m", size * 8);
	} else if (form == 2) {
		in.op[0] = 0x69;
		in.nop = 1;
		in.immsz = imm_size(size);
		in.imm = rng_val(&g->r, (unsigned)in.immsz);
		describe(g, "imul r%u, r/m, imm", size * 8);
	} else {
		in.op[0] = 0x6b;
		in.nop = 1;
		in.immsz = 1;
		in.imm = rng_val(&g->r, 1);
		describe(g, "imul r%u, r/m, imm8", size * 8);
	}
	emit(g, &in);
}

/* Would DIV/IDIV of hi:lo by d raise #DE?  (SDM Vol 2 DIV, IDIV) */
static bool
div_faults(unsigned size, bool sgn, uint64_t hi, uint64_t lo, uint64_t d)
{
	unsigned bits = size * 8;

	d &= smask(size);
	if (d == 0)
		return (true);
	if (!sgn) {
		unsigned __int128 n = size == 8 ?
		    ((unsigned __int128)hi << 64 | lo) :
		    ((unsigned __int128)(hi & smask(size)) << bits |
		    (lo & smask(size)));

		return (n / d > smask(size));
	} else {
		__int128 n, q;
		int64_t sd = sext(d, size);

		if (size == 8)
			n = (__int128)((unsigned __int128)hi << 64 | lo);
		else
			n = (__int128)(((int64_t)sext(hi, size) * (__int128)
			    ((__int128)1 << bits)) + (__int128)(lo &
			    smask(size)));
		if (sd == -1) {
			if (size == 8 && (uint64_t)(n >> 64) == 1ull << 63 &&
			    (uint64_t)n == 0)
				return (true);	/* INT128_MIN */
			q = -n;
		} else
			q = n / sd;
		return (q > (__int128)(smask(size) >> 1) ||
		    q < -(__int128)(smask(size) >> 1) - 1);
	}
}

/*
 * DIV/IDIV: dividend AX (8-bit) or rDX:rAX, divisor r/m.  want_fault
 * picks faulting operands for the divide_error family, else operands
 * that do not fault.
 */
static void
gen_div1(struct dt_gen *g, bool sgn, bool want_fault)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;
	uint64_t hi, lo, d;
	int tries;

	g->c->flag_mask &= ~F_ARITH;
	g->used |= 1u << RAX | 1u << RDX;
	pick_rm(g, &rm, size, 40);
	for (tries = 0; ; tries++) {
		d = rng_val(&g->r, size);
		lo = rng_val(&g->r, size);
		hi = rng_val(&g->r, size);
		if (!want_fault) {
			if (tries > 2)
				hi = sgn && sext(lo, size) < 0 ? smask(size) :
				    0;
			if (tries > 4 && !sgn)
				d |= 1;
			if (tries > 6)
				d = 1;
		} else if (tries > 2) {
			switch (rng_below(&g->r, 3)) {
			case 0:
				d = 0;
				break;
			case 1:		/* INT_MIN / -1 */
				d = smask(size);
				lo = size == 8 ? 1ull << 63 : 0;
				hi = size == 8 ? ~0ull : 1ull << (size * 8 - 1);
				if (size == 1) {
					lo = 0x80;
					hi = 0xff;
				}
				break;
			default:
				hi = smask(size) >> 2;
				d = rng_below(&g->r, 8) + 1;
				break;
			}
		}
		if (div_faults(size, sgn, hi, lo, d) == want_fault)
			break;
	}
	if (size == 1) {
		set_reg(g, RAX, 2, (hi & 0xff) << 8 | (lo & 0xff));
	} else {
		set_reg(g, RAX, size, lo);
		set_reg(g, RDX, size, hi);
	}
	/* pick_rm avoided RAX and RDX (marked used) for the divisor. */
	if (rm.mem)
		poke(g, rm.addr, size, d);
	else
		set_reg(g, rm.reg, size, d);
	emit_sized(g, size, 0xf6, 0xf7, sgn ? 7 : 6, &rm, 0, 0);
	describe(g, "%s r/m%u%s", sgn ? "idiv" : "div", size * 8,
	    want_fault ? " (#DE)" : "");
}

static void gen_div(struct dt_gen *g) { gen_div1(g, false, false); }
static void gen_idiv(struct dt_gen *g) { gen_div1(g, true, false); }

static void
gen_divide_error(struct dt_gen *g)
{
	gen_div1(g, rng_below(&g->r, 2) == 0, true);
}

/* A shift count: 0..70 biased to the boundaries. */
static unsigned
shift_count(struct dt_gen *g, unsigned size)
{
	static const unsigned edge[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32,
	    33, 63, 64, 65 };

	if (rng_below(&g->r, 16) == 0)
		return (rng_below(&g->r, 256));	/* masked by the CPU */
	if (rng_below(&g->r, 3) == 0)
		return (edge[rng_below(&g->r, sizeof(edge) / sizeof(edge[0]))]);
	if (rng_below(&g->r, 2) == 0)
		return (rng_below(&g->r, size * 8 + 2));
	return (rng_below(&g->r, 71));
}

static const char *const sh_name[8] = {
	"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar",
};

/* Flags compared after shift/rotate `digit` by count (see the table). */
static uint32_t
shift_flags(int digit, unsigned size, unsigned count)
{
	unsigned mc = count & (size == 8 ? 63 : 31);
	uint32_t m = F_TESTED;

	if (mc == 0)
		return (m);
	if (mc != 1)
		m &= ~F_OF;
	if (digit >= 4) {
		m &= ~F_AF;
		if ((digit == 4 || digit == 5) && mc >= size * 8)
			m &= ~F_CF;
	}
	return (m);
}

/* Group 2: C0/C1 ib, D0/D1 (by 1), D2/D3 (by CL). */
static void
gen_shift(struct dt_gen *g, int digit)
{
	unsigned size = pick_size(g, SZ_ALL), count;
	struct dt_op rm;
	int form = (int)rng_below(&g->r, 3);

	count = form == 1 ? 1 : shift_count(g, size);
	if (form == 2)
		g->used |= 1u << RCX;
	pick_rm(g, &rm, size, 35);
	rand_operand(g, &rm, size);
	if (form == 2)
		set_reg(g, RCX, 1, count);
	g->c->flag_mask = shift_flags(digit, size, count);
	if (form == 0)
		emit_sized(g, size, 0xc0, 0xc1, digit, &rm, 1, count);
	else if (form == 1)
		emit_sized(g, size, 0xd0, 0xd1, digit, &rm, 0, 0);
	else
		emit_sized(g, size, 0xd2, 0xd3, digit, &rm, 0, 0);
	describe(g, "%s r/m%u, %s (count %u)", sh_name[digit], size * 8,
	    form == 0 ? "imm8" : form == 1 ? "1" : "cl", count);
}

static void gen_rol(struct dt_gen *g) { gen_shift(g, 0); }
static void gen_ror(struct dt_gen *g) { gen_shift(g, 1); }
static void gen_rcl(struct dt_gen *g) { gen_shift(g, 2); }
static void gen_rcr(struct dt_gen *g) { gen_shift(g, 3); }
static void gen_shl(struct dt_gen *g) { gen_shift(g, 4); }
static void gen_shr(struct dt_gen *g) { gen_shift(g, 5); }
static void gen_sar(struct dt_gen *g) { gen_shift(g, 7); }

/* SHLD (0F A4 ib, 0F A5 CL) and SHRD (0F AC, 0F AD). */
static void
gen_shxd(struct dt_gen *g, bool right)
{
	unsigned size = pick_size(g, SZ_WIDE), count, mc;
	struct dt_op rm;
	struct dt_insn in;
	bool cl = rng_below(&g->r, 2) == 0;
	int reg;

	count = shift_count(g, size);
	mc = count & (size == 8 ? 63 : 31);
	if (size == 2 && mc > 16)
		count = mc = mc % 17;
	if (cl)
		g->used |= 1u << RCX;
	pick_rm(g, &rm, size, 35);
	rand_operand(g, &rm, size);
	reg = pick_reg(g, size);
	set_reg(g, reg, size, rng_val(&g->r, size));
	if (cl)
		set_reg(g, RCX, 1, count);
	g->c->flag_mask = F_TESTED;
	if (mc != 0) {
		g->c->flag_mask &= ~F_AF;
		if (mc != 1)
			g->c->flag_mask &= ~F_OF;
	}
	memset(&in, 0, sizeof(in));
	if (size == 2)
		add_prefix(&in, 0x66);
	in.rexw = size == 8;
	in.op[0] = 0x0f;
	in.op[1] = (uint8_t)((right ? 0xac : 0xa4) + (cl ? 1 : 0));
	in.nop = 2;
	in.reg = reg;
	in.rm = &rm;
	in.immsz = cl ? 0 : 1;
	in.imm = count;
	emit(g, &in);
	describe(g, "%s r/m%u, r, %s (count %u)", right ? "shrd" : "shld",
	    size * 8, cl ? "cl" : "imm8", count);
}

static void gen_shld(struct dt_gen *g) { gen_shxd(g, false); }
static void gen_shrd(struct dt_gen *g) { gen_shxd(g, true); }

/*
 * 32-bit code (DT_MODE32): the same generators, picked at random per
 * case; operand sizes 8, 16 (66) and 32, AH..BH always.
 */
typedef void gen_fn(struct dt_gen *);

static void
pick_gen(struct dt_gen *g, gen_fn *const *fns, size_t n)
{
	fns[rng_below(&g->r, (uint32_t)n)](g);
}

static void
gen_alu_32(struct dt_gen *g)
{
	static gen_fn *const fns[] = {
		gen_add, gen_or, gen_adc, gen_sbb, gen_and, gen_sub, gen_xor,
		gen_cmp, gen_test, gen_neg, gen_not, gen_inc, gen_dec,
	};

	pick_gen(g, fns, sizeof(fns) / sizeof(fns[0]));
}

static void
gen_muldiv_32(struct dt_gen *g)
{
	static gen_fn *const fns[] = {
		gen_mul, gen_imul, gen_div, gen_idiv, gen_divide_error,
	};

	pick_gen(g, fns, sizeof(fns) / sizeof(fns[0]));
}

static void
gen_shift_32(struct dt_gen *g)
{
	static gen_fn *const fns[] = {
		gen_shl, gen_shr, gen_sar, gen_rol, gen_ror, gen_rcl, gen_rcr,
		gen_shld, gen_shrd,
	};

	pick_gen(g, fns, sizeof(fns) / sizeof(fns[0]));
}

const struct dt_family dt_alu_families[] = {
	{ "add", gen_add, NULL },
	{ "adc", gen_adc, NULL },
	{ "sub", gen_sub, NULL },
	{ "sbb", gen_sbb, NULL },
	{ "and", gen_and, NULL },
	{ "or", gen_or, NULL },
	{ "xor", gen_xor, NULL },
	{ "cmp", gen_cmp, NULL },
	{ "test", gen_test, NULL },
	{ "neg", gen_neg, NULL },
	{ "not", gen_not, NULL },
	{ "inc", gen_inc, NULL },
	{ "dec", gen_dec, NULL },
	{ "mul", gen_mul, NULL },
	{ "imul", gen_imul, NULL },
	{ "div", gen_div, NULL },
	{ "idiv", gen_idiv, NULL },
	{ "divide_error", gen_divide_error, NULL },
	{ "shl", gen_shl, NULL },
	{ "shr", gen_shr, NULL },
	{ "sar", gen_sar, NULL },
	{ "rol", gen_rol, NULL },
	{ "ror", gen_ror, NULL },
	{ "rcl", gen_rcl, NULL },
	{ "rcr", gen_rcr, NULL },
	{ "shld", gen_shld, NULL },
	{ "shrd", gen_shrd, NULL },
	{ "alu_32", gen_alu_32, NULL, true },
	{ "muldiv_32", gen_muldiv_32, NULL, true },
	{ "shift_32", gen_shift_32, NULL, true },
	{ NULL, NULL, NULL },
};
