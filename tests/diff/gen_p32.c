/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Families of 32-bit code (DT_MODE32, see difftest.h): what only exists
 * outside 64-bit mode, and what behaves differently there.  The
 * single-instruction families of the other files also run as 32-bit
 * code (alu_32, muldiv_32, shift_32, bitops_32, cond_32, move_32,
 * atomic_32, string_32, flags_mix_32, loop_32: one of their generators
 * per case, operand sizes 8, 16 and 32).
 *
 *   incdec_32        INC/DEC r16/r32 in their one-byte forms (40-4F)
 *   bcd_32           DAA DAS AAA AAS AAM AAD, alone or after the ADD/SUB
 *                    they adjust; AAM 0 raises #DE
 *   pusha_popa_32    PUSHA/POPA, 32- and 16-bit
 *   bound_32         BOUND r16/r32, m: #BR when out of bounds
 *   stack_32         PUSH/POP (16- and 32-bit, ESP included), PUSHF/
 *                    POPF, CALL/RET, ENTER/LEAVE with 16- and 32-bit
 *                    operands
 *   addr16_32        16-bit addressing (67): LEA computes the address;
 *                    any access lands in the unmapped first 64 KiB, so
 *                    #PF reports it in CR2; XLAT, moffs16, 0F 1F /0
 *   branch16_32      near and far branches with 16-bit operands: EIP is
 *                    truncated to 16 bits (#PF fetching there); rel32
 *                    branches whose target wraps below 0
 *   (stack_32 also wraps ESP at 4 GiB: #PF on the push or pop)
 *   segregs_32       PUSH/POP/MOV of segment registers, LDS/LES/LSS,
 *                    loads of null, code and data selectors and accesses
 *                    through them (#GP), ARPL, LAR, LSL, VERR, VERW
 *   far_32           far JMP, CALL, RETF, IRET at CPL 3 (#GP for null,
 *                    data and RPL 0 selectors)
 *   exceptions_32    #UD #BP #OF #DE #BR #GP, privileged instructions at
 *                    CPL 3 (#GP(0))
 *   pagefault_32     the memory operand of a random 32-bit family in the
 *                    unmapped page after the data pages
 *   segment_override_32  ES CS SS DS overrides (a write through CS:
 *                    #GP(0))
 *   single_step_32   TF set by POPFD, then a random 32-bit family: #DB
 *                    after its first instruction
 *
 * Selectors: both sides have Linux's GDT entries 4, 5 and 6 (0x23 32-bit
 * code, 0x2b data, 0x33 64-bit code, all DPL 3, flat and accessed);
 * tests load only those, their RPL 0 forms and null ones.  FS and GS
 * are never loaded: natively that would lose the C library's TLS base.
 *
 * Flags compared (SDM Vol 2 "Flags Affected"):
 *   INC DEC                  all (CF unchanged)
 *   DAA DAS                  OF undefined
 *   AAA AAS                  AF CF; OF SF ZF PF undefined
 *   AAM AAD                  SF ZF PF; OF AF CF undefined
 *   ARPL LAR LSL VERR VERW   ZF; the others unchanged: all compared
 *   the rest                 no flag changes (POPF: all): all compared
 */
#include <stdio.h>
#include <string.h>

#include "tests/diff/difftest.h"

/*
 * Sequences mark the registers they fix (addresses, results used later)
 * in g->used; with 7 usable registers they stop before an operation
 * could find none free (an operation takes at most three).
 */
static bool
regs_short(const struct dt_gen *g)
{
	return (__builtin_popcount(~g->used & 0xefu) < 3);
}

/* INC/DEC r16/r32, 40+r / 48+r, one to three of them. */
static void
gen_incdec_32(struct dt_gen *g)
{
	int i, n = 1 + (int)rng_below(&g->r, 3), r;
	char d[DT_DESC] = "";
	uint8_t b[2];
	bool w16, dec;

	for (i = 0; i < n; i++) {
		r = (int)rng_below(&g->r, 8);	/* ESP too */
		w16 = rng_below(&g->r, 3) == 0;
		dec = rng_below(&g->r, 2);
		if (r != RSP && i == 0)
			set_reg(g, r, w16 ? 2 : 4, rng_val(&g->r, w16 ? 2 : 4));
		if (w16)
			b[0] = 0x66;
		b[w16] = (uint8_t)((dec ? 0x48 : 0x40) + r);
		emit_bytes(g, b, w16 + 1);
		dcat(d, dec ? "dec" : "inc");
		dcat(d, w16 ? "16 " : "32 ");
	}
	describe(g, "%s", d);
}

/* An AL value biased to the BCD edges. */
static uint8_t
bcd_al(struct dt_gen *g)
{
	static const uint8_t edge[] = {
		0x00, 0x05, 0x06, 0x09, 0x0a, 0x0f, 0x10, 0x19, 0x1a, 0x5f,
		0x60, 0x66, 0x90, 0x99, 0x9a, 0x9f, 0xa0, 0xf9, 0xfa, 0xff,
	};

	if (rng_below(&g->r, 2))
		return (edge[rng_below(&g->r, sizeof(edge))]);
	return ((uint8_t)rng_next(&g->r));
}

/*
 * AAA with AL > F9h and AAS with AL < 6, when they adjust: the SDM has
 * AX += 106h / AX -= 6 then AH -= 1, so the carry or borrow reaches AH;
 * AMD's manual adds 6 to (subtracts 6 from) AL alone.  Not generated.
 */
static bool
aaa_vendor_split(bool aas, uint8_t al, bool af)
{
	if (!((al & 0xf) > 9 || af))
		return (false);
	return (aas ? al < 6 : al > 0xf9);
}

/*
 * DAA DAS AAA AAS (27 2F 37 3F), AAM AAD ib (D4 D5) with base 10 or
 * another; DAA/AAA may follow an ADD AL, imm8 and DAS/AAS a SUB AL,
 * imm8, the instruction they adjust after.
 */
static void
gen_bcd_32(struct dt_gen *g)
{
	static const uint8_t op[6] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5 };
	static const char *const name[6] = {
		"daa", "das", "aaa", "aas", "aam", "aad",
	};
	struct dt_case *c = g->c;
	int k = (int)rng_below(&g->r, 6), tries;
	bool pre = k < 4 && rng_below(&g->r, 2), sub = k == 1 || k == 3;
	uint8_t al, imm = 0, base = 10, b[4];
	bool af;
	int n = 0;

	for (tries = 0; ; tries++) {
		al = bcd_al(g);
		af = (c->in.rflags & F_AF) != 0;
		if (pre) {
			uint8_t res;

			imm = bcd_al(g);
			res = (uint8_t)(sub ? al - imm : al + imm);
			af = ((al ^ imm ^ res) & 0x10) != 0;
			if (!(k == 2 || k == 3) ||
			    !aaa_vendor_split(sub, res, af))
				break;
		} else if (!(k == 2 || k == 3) ||
		    !aaa_vendor_split(sub, al, af)) {
			break;
		}
		if (tries > 20) {
			c->in.rflags &= ~(uint64_t)F_AF;
			al = 0x35;
			pre = false;
			break;
		}
	}
	set_reg(g, RAX, 1, al);
	g->legacy8 = true;
	set_reg(g, 4, 1, rng_val(&g->r, 1));		/* AH */
	g->legacy8 = false;
	if (pre) {
		b[n++] = sub ? 0x2c : 0x04;	/* sub/add al, imm8 */
		b[n++] = imm;
	}
	b[n++] = op[k];
	if (k >= 4) {
		switch (rng_below(&g->r, 4)) {
		case 0:
			base = (uint8_t)rng_next(&g->r);
			break;
		case 1:
			base = (uint8_t)(1 + rng_below(&g->r, 16));
			break;
		default:
			break;
		}
		if (k == 4 && rng_below(&g->r, 16) == 0)
			base = 0;			/* #DE */
		b[n++] = base;
	}
	emit_bytes(g, b, n);
	if (k < 2)
		c->flag_mask &= ~F_OF;
	else if (k < 4)
		c->flag_mask &= ~(F_OF | F_SF | F_ZF | F_PF);
	else if (!(k == 4 && base == 0))
		c->flag_mask &= ~(F_OF | F_AF | F_CF);
	describe(g, "%s%s%s (base %u)", pre ? (sub ? "sub al; " : "add al; ") :
	    "", name[k], k == 4 && base == 0 ? " #DE" : "", base);
}

/* PUSHA/POPA (60/61), 32- or 16-bit (66), one to three, 67 ignored. */
static void
gen_pusha_popa_32(struct dt_gen *g)
{
	int i, n = 1 + (int)rng_below(&g->r, 3);
	char d[DT_DESC] = "";
	uint8_t b[3];
	int m;

	for (i = 0; i < n; i++) {
		m = 0;
		if (rng_below(&g->r, 8) == 0)
			b[m++] = 0x67;	/* the stack size decides */
		if (rng_below(&g->r, 3) == 0)
			b[m++] = 0x66;
		b[m++] = rng_below(&g->r, 2) ? 0x60 : 0x61;
		emit_bytes(g, b, m);
		dcat(d, b[m - 1] == 0x60 ? "pusha" : "popa");
		dcat(d, m > 1 && b[m - 2] == 0x66 ? "16 " : "32 ");
	}
	describe(g, "%s", d);
}

/* BOUND r16/r32, m16&16/m32&32 (62 /r): #BR out of the signed bounds. */
static void
gen_bound_32(struct dt_gen *g)
{
	unsigned size = rng_below(&g->r, 3) == 0 ? 2 : 4;
	struct dt_op rm;
	struct dt_insn in;
	uint64_t lo = rng_val(&g->r, size), hi = rng_val(&g->r, size), v;
	int reg;

	if (rng_below(&g->r, 2)) {
		/* mostly ordered bounds */
		int64_t a = (int64_t)(lo << (64 - 8 * size)) >>
		    (64 - 8 * size);
		int64_t b = (int64_t)(hi << (64 - 8 * size)) >>
		    (64 - 8 * size);

		if (a > b) {
			v = lo;
			lo = hi;
			hi = v;
		}
	}
	pick_mem(g, &rm, 2 * size, 0);
	g->c->npoke--;			/* replace pick_mem's value */
	poke(g, rm.addr, size, lo);
	poke(g, rm.addr + size, size, hi);
	reg = pick_reg(g, size);
	switch (rng_below(&g->r, 6)) {
	case 0: v = lo; break;
	case 1: v = hi; break;
	case 2: v = lo - 1; break;
	case 3: v = hi + 1; break;
	default: v = rng_val(&g->r, size); break;
	}
	set_reg(g, reg, size, v);
	insn_init(g, &in, size, 1, 0x62, 0);
	in.reg = reg;
	in.rm = &rm;
	emit(g, &in);
	describe(g, "bound r%u, m%u&%u", size * 8, size * 8, size * 8);
}

/*
 * 16-bit addressing (67 in 32-bit code, SDM Vol 2 Table 2-1): the
 * ModRM rm selects BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 when
 * mod = 0) or BX; the sum wraps at 64 KiB and registers' upper halves
 * are ignored.
 */
struct a16 {
	uint8_t		modrm_lo;	/* mod and rm; reg added later */
	uint8_t		disp[2];
	int		dispsz;
	uint16_t	ea;
};

static void
pick_a16(struct dt_gen *g, struct a16 *a)
{
	static const int8_t base[8] = { RBX, RBX, RBP, RBP, -1, -1, RBP, RBX };
	static const int8_t idx[8] = { RSI, RDI, RSI, RDI, RSI, RDI, -1, -1 };
	static const uint16_t edge[] = { 0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff };
	int mod = (int)rng_below(&g->r, 3), rm = (int)rng_below(&g->r, 8), i;
	uint32_t ea = 0, d = 0, v;

	a->dispsz = mod == 1 ? 1 : mod == 2 ? 2 : 0;
	if (mod == 0 && rm == 6)
		a->dispsz = 2;
	if (a->dispsz == 1) {
		d = (uint32_t)(int32_t)(int8_t)rng_next(&g->r);
		a->disp[0] = (uint8_t)d;
	} else if (a->dispsz == 2) {
		d = rng_below(&g->r, 2) ? edge[rng_below(&g->r, 6)] :
		    (uint32_t)rng_next(&g->r) & 0xffff;
		a->disp[0] = (uint8_t)d;
		a->disp[1] = (uint8_t)(d >> 8);
	}
	ea = d;
	for (i = 0; i < 2; i++) {
		int r = i == 0 ? base[rm] : idx[rm];

		if (r < 0 || (mod == 0 && rm == 6))
			continue;
		v = rng_below(&g->r, 2) ? edge[rng_below(&g->r, 6)] :
		    (uint32_t)rng_next(&g->r);
		/* the upper half is garbage the address must ignore */
		g->c->in.gpr[r] = (rng_next(&g->r) & ~0xffffull) | (v & 0xffff);
		g->used |= (uint16_t)(1u << r);
		ea += v;
	}
	a->modrm_lo = (uint8_t)(mod << 6 | rm);
	a->ea = (uint16_t)ea;
}

static int
put_a16(uint8_t *b, const struct a16 *a, int reg)
{
	int n = 0;

	b[n++] = (uint8_t)(a->modrm_lo | (reg & 7) << 3);
	memcpy(b + n, a->disp, (size_t)a->dispsz);
	return (n + a->dispsz);
}

static void
gen_addr16_32(struct dt_gen *g)
{
	static const uint8_t seg[] = { 0x26, 0x2e, 0x36, 0x3e };
	static const uint8_t access_op[] = {
		0x8b, 0x89, 0x01, 0x3b, 0x8a, 0x88, 0x00, 0x85,
	};
	struct a16 a;
	uint8_t b[24];
	int n = 0, k = (int)rng_below(&g->r, 10), reg;
	bool w16 = rng_below(&g->r, 3) == 0;

	if (rng_below(&g->r, 6) == 0)
		b[n++] = seg[rng_below(&g->r, 4)];
	switch (k) {
	case 0: case 1: case 2: case 3:
		/* LEA r16/r32, m: the 16-bit address, zero-extended */
		pick_a16(g, &a);
		reg = pick_reg(g, 4);
		if (w16)
			b[n++] = 0x66;
		b[n++] = 0x67;
		b[n++] = 0x8d;
		n += put_a16(b + n, &a, reg);
		describe(g, "lea r%d, [a16] (ea %#x)", w16 ? 16 : 32, a.ea);
		break;
	case 4: case 5: case 6: {
		/* a load or store: #PF at the address */
		uint8_t op = access_op[rng_below(&g->r, sizeof(access_op))];

		pick_a16(g, &a);
		reg = pick_reg(g, 4);
		if (w16 && (op & 1))
			b[n++] = 0x66;
		b[n++] = 0x67;
		b[n++] = op;
		n += put_a16(b + n, &a, reg);
		describe(g, "op %02x [a16] (ea %#x: #PF)", op, a.ea);
		break;
	}
	case 7: {
		/* XLAT: [BX + AL], wrapping at 64 KiB */
		uint32_t bx = rng_below(&g->r, 2) ? 0xff00 +
		    rng_below(&g->r, 256) : (uint32_t)rng_next(&g->r);

		g->c->in.gpr[RBX] = (rng_next(&g->r) & ~0xffffull) |
		    (bx & 0xffff);
		b[n++] = 0x67;
		b[n++] = 0xd7;
		describe(g, "xlat [bx + al] (a16)");
		break;
	}
	case 8: {
		/* MOV AL/eAX <-> moffs16 */
		uint16_t off = (uint16_t)rng_next(&g->r);

		if (w16)
			b[n++] = 0x66;
		b[n++] = 0x67;
		b[n++] = (uint8_t)(0xa0 + rng_below(&g->r, 4));
		memcpy(b + n, &off, 2);
		n += 2;
		describe(g, "mov moffs16 %#x", off);
		break;
	}
	default: {
		/* NOP r/m with a 16-bit ModRM: nothing accessed; a marker */
		uint32_t v = (uint32_t)rng_next(&g->r);

		pick_a16(g, &a);
		b[n++] = 0x67;
		b[n++] = 0x0f;
		b[n++] = 0x1f;
		n += put_a16(b + n, &a, 0);
		reg = pick_reg(g, 4);
		b[n++] = (uint8_t)(0xb8 + reg);
		memcpy(b + n, &v, 4);
		n += 4;
		describe(g, "nop [a16]; mov r32, imm32");
		break;
	}
	}
	emit_bytes(g, b, n);
}

/*
 * Near branches with a 16-bit operand size (66): the new EIP is
 * truncated to 16 bits (SDM Vol 2 JMP, Jcc, CALL, RET, LOOP), here
 * always below 64 KiB, so a taken branch raises #PF fetching there;
 * one not taken runs on into a marker.  CALL pushes IP (2 bytes), RET
 * pops 2; a far JMP/RET with 16-bit operands takes a 16-bit offset.
 */
static void
gen_branch16_32(struct dt_gen *g)
{
	uint8_t b[24];
	int n = 0, k = (int)rng_below(&g->r, 12), r;
	uint16_t rel = (uint16_t)rng_next(&g->r), t = (uint16_t)rng_next(&g->r);
	uint32_t mk = (uint32_t)rng_next(&g->r);

	b[n++] = 0x66;
	switch (k) {
	case 0:
		b[n++] = 0xeb;
		b[n++] = (uint8_t)rel;
		describe(g, "jmp rel8 (o16)");
		break;
	case 1:
		b[n++] = rng_below(&g->r, 2) ? 0xe9 : 0xe8;
		memcpy(b + n, &rel, 2);
		n += 2;
		describe(g, "%s rel16 (o16)", b[1] == 0xe9 ? "jmp" : "call");
		break;
	case 2:
		b[n++] = (uint8_t)(0x70 + rng_below(&g->r, 16));
		b[n++] = (uint8_t)rel;
		describe(g, "jcc rel8 (o16)");
		break;
	case 3:
		b[n++] = 0x0f;
		b[n++] = (uint8_t)(0x80 + rng_below(&g->r, 16));
		memcpy(b + n, &rel, 2);
		n += 2;
		describe(g, "jcc rel16 (o16)");
		break;
	case 4:		/* LOOPcc/JECXZ (ECX, or CX with 67 as well) */
		g->c->in.gpr[RCX] = rng_below(&g->r, 2) ? rng_below(&g->r, 3) :
		    rng_next(&g->r) << rng_below(&g->r, 32);
		if (rng_below(&g->r, 2)) {
			b[0] = 0x67;
			b[n++] = 0x66;
		}
		b[n++] = (uint8_t)(0xe0 + rng_below(&g->r, 4));
		b[n++] = (uint8_t)rel;
		describe(g, "loop/jcxz (o16%s)", b[0] == 0x67 ? " a16" : "");
		break;
	case 5:		/* jmp/call r16 */
		r = pick_reg(g, 2);
		set_reg(g, r, 4, t | (rng_next(&g->r) & 0xffff0000));
		b[n++] = 0xff;
		b[n++] = (uint8_t)((rng_below(&g->r, 2) ? 0xe0 : 0xd0) | r);
		describe(g, "jmp/call r16 to %#x", t);
		break;
	case 6: {	/* jmp/call m16 */
		struct dt_op rm;
		struct dt_insn in;

		pick_mem(g, &rm, 2, 0);
		g->c->npoke--;
		poke(g, rm.addr, 2, t);
		insn_init(g, &in, 2, 1, 0xff, 0);
		in.reg = rng_below(&g->r, 2) ? 4 : 2;
		in.rm = &rm;
		emit(g, &in);
		n = 0;
		describe(g, "jmp/call m16 to %#x", t);
		break;
	}
	case 7:		/* ret / ret imm16 */
		poke(g, DT_STACK_TOP, 2, t);
		if (rng_below(&g->r, 2)) {
			b[n++] = 0xc3;
		} else {
			b[n++] = 0xc2;
			b[n++] = (uint8_t)(2 * rng_below(&g->r, 4));
			b[n++] = 0;
		}
		describe(g, "ret (o16) to %#x", t);
		break;
	case 8:		/* jmp far ptr16:16 */
		b[n++] = 0xea;
		memcpy(b + n, &t, 2);
		n += 2;
		b[n++] = DT_SEL_CODE32;
		b[n++] = 0;
		describe(g, "jmp far ptr16:16 to %#x", t);
		break;
	case 9:		/* retf (o16): IP then CS, 2 bytes each */
		poke(g, DT_STACK_TOP, 2, t);
		poke(g, DT_STACK_TOP + 2, 2, DT_SEL_CODE32);
		b[n++] = 0xcb;
		describe(g, "retf (o16) to %#x", t);
		break;
	default: {
		/*
		 * 32-bit operands, rel32 near -2 GiB: EIP wraps below 0 to
		 * about 2 GiB (SDM Vol 2 JMP: the target is truncated to the
		 * operand size), #PF fetching there.
		 */
		uint64_t next;
		int32_t rel32 = INT32_MIN + (int32_t)rng_below(&g->r, 0x400000);

		n = 0;
		switch (rng_below(&g->r, 3)) {
		case 0:
			b[n++] = 0xe9;
			break;
		case 1:
			b[n++] = 0xe8;
			break;
		default:
			b[n++] = 0x0f;
			b[n++] = (uint8_t)(0x80 + rng_below(&g->r, 16));
			break;
		}
		memcpy(b + n, &rel32, 4);
		n += 4;
		next = code_here(g) + (uint64_t)n;
		describe(g, "jmp/call/jcc rel32 to %#x",
		    (uint32_t)(next + (uint64_t)(int64_t)rel32));
		break;
	}
	}
	emit_bytes(g, b, n);
	b[0] = (uint8_t)(0xb8 + pick_reg(g, 4));	/* marker */
	memcpy(b + 1, &mk, 4);
	emit_bytes(g, b, 5);
}

/*
 * A sequence of stack operations on a 32-bit stack (SS.B = 1), with
 * 32- and 16-bit operands (66).  ESP stays in the stack page; EBP is
 * tracked so that ENTER's nesting copies and LEAVE stay there too.
 */
struct stk {
	int64_t		depth;		/* DT_STACK_TOP - ESP */
	uint64_t	ebp;
	bool		ebp_ok;
	uint64_t	saved[8];	/* EBPs pushed by ENTER */
	unsigned	saved_sz[8];
	int		nsaved;
};

static int
stk_enter(struct dt_gen *g, struct stk *s, uint8_t *b, char *d)
{
	unsigned osz = rng_below(&g->r, 3) == 0 ? 2 : 4, size, level;
	int n = 0;

	size = 4 * rng_below(&g->r, 9);
	if (rng_below(&g->r, 4) == 0)
		size += rng_below(&g->r, 8);
	level = s->ebp_ok ? rng_below(&g->r, 5) : 0;
	if (rng_below(&g->r, 8) == 0 && s->ebp_ok)
		level = 32 + rng_below(&g->r, 3);	/* masked to 5 bits */
	if (osz == 2)
		b[n++] = 0x66;
	b[n++] = 0xc8;
	memcpy(b + n, &(uint16_t){ (uint16_t)size }, 2);
	n += 2;
	b[n++] = (uint8_t)level;
	level &= 31;
	if (s->nsaved < 8) {
		s->saved[s->nsaved] = s->ebp_ok ? s->ebp : 0;
		s->saved_sz[s->nsaved++] = osz;
	}
	s->depth += osz;
	/* 16-bit: BP gets the frame; EBP's upper half (0x0022) stays */
	s->ebp = DT_STACK_TOP - (uint64_t)s->depth;
	s->depth += osz * level + size;
	s->ebp_ok = true;
	dcat(d, osz == 2 ? "enter16 " : "enter ");
	return (n);
}

static int
stk_leave(struct dt_gen *g, struct stk *s, uint8_t *b, char *d)
{
	unsigned osz = rng_below(&g->r, 3) == 0 ? 2 : 4;
	int n = 0;

	if (!s->ebp_ok) {
		b[n++] = 0x90;
		dcat(d, "nop ");
		return (n);
	}
	if (osz == 2)
		b[n++] = 0x66;
	b[n++] = 0xc9;
	s->depth = (int64_t)(DT_STACK_TOP - s->ebp) - osz;
	/*
	 * A 16-bit LEAVE pops BP only: right after a 32-bit ENTER that is
	 * the low half of the old EBP, whose upper half is the same.
	 */
	if (s->nsaved > 0 && s->saved[s->nsaved - 1] != 0 &&
	    (s->saved_sz[s->nsaved - 1] == osz || osz == 2))
		s->ebp = s->saved[--s->nsaved];
	else
		s->ebp_ok = false;
	dcat(d, osz == 2 ? "leave16 " : "leave ");
	return (n);
}

static void
gen_stack_32(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	struct stk s = { 0 };
	int nops = 1 + (int)rng_below(&g->r, 4), i, r, n;
	char d[DT_DESC] = "";
	uint8_t b[32];
	bool last;

	s.ebp = DT_STACK_TOP + 4 * (uint64_t)rng_below(&g->r, 64);
	s.ebp_ok = true;
	c->in.gpr[RBP] = s.ebp;
	g->used |= 1u << RBP;
	for (i = 0; i < nops && !regs_short(g); i++) {
		int op = (int)rng_below(&g->r, 15);

		n = 0;
		last = i == nops - 1;
		if (s.depth > 1500 || s.depth < -1500)
			op = 1;
		switch (op) {
		case 0:		/* push r32, push esp included */
			b[n++] = (uint8_t)(0x50 + rng_below(&g->r, 8));
			s.depth += 4;
			dcat(d, "push ");
			break;
		case 1:		/* pop r32 (pop esp only last) */
			do {
				r = (int)rng_below(&g->r, 8);
			} while (r == RSP && !last);
			if (r == RBP)
				s.ebp_ok = false;
			if (r != RSP && r != RBP)
				g->used |= (uint16_t)(1u << r);
			b[n++] = (uint8_t)(0x58 + r);
			s.depth -= 4;
			dcat(d, "pop ");
			break;
		case 2:		/* push imm8/imm32, 16-bit imm16/imm8 */
			r = (int)rng_below(&g->r, 4);
			if (r >= 2)
				b[n++] = 0x66;
			if (r == 0 || r == 3) {
				b[n++] = 0x6a;
				b[n++] = (uint8_t)rng_next(&g->r);
			} else if (r == 1) {
				b[n++] = 0x68;
				memcpy(b + n, &(uint32_t){ (uint32_t)
				    rng_val(&g->r, 4) }, 4);
				n += 4;
			} else {
				b[n++] = 0x68;
				memcpy(b + n, &(uint16_t){ (uint16_t)
				    rng_val(&g->r, 2) }, 2);
				n += 2;
			}
			s.depth += r >= 2 ? 2 : 4;
			dcat(d, "pushi ");
			break;
		case 3:		/* 16-bit push/pop (pop sp only last) */
			r = (int)rng_below(&g->r, 8);
			b[n++] = 0x66;
			if (rng_below(&g->r, 2)) {
				b[n++] = (uint8_t)(0x50 + r);
				s.depth += 2;
				dcat(d, "push16 ");
			} else {
				if (r == RSP && !last)
					r = RAX;
				b[n++] = (uint8_t)(0x58 + r);
				s.depth -= 2;
				if (r == RBP)
					s.ebp_ok = false;
				if (r != RSP)
					g->used |= (uint16_t)(1u << r);
				dcat(d, "pop16 ");
			}
			break;
		case 4: {	/* push m / pop m (FF /6, 8F /0), 32 or 16 */
			struct dt_op rm;
			struct dt_insn in;
			bool push = rng_below(&g->r, 2);
			unsigned sz = rng_below(&g->r, 3) == 0 ? 2 : 4;

			pick_mem(g, &rm, sz, 0);
			insn_init(g, &in, sz, 1, push ? 0xff : 0x8f, 0);
			in.reg = push ? 6 : 0;
			in.rm = &rm;
			emit(g, &in);
			s.depth += push ? (int)sz : -(int)sz;
			dcat(d, push ? "pushm " : "popm ");
			break;
		}
		case 5:		/* pushfd / pushf */
			if (rng_below(&g->r, 3) == 0) {
				b[n++] = 0x66;
				s.depth += 2;
			} else
				s.depth += 4;
			b[n++] = 0x9c;
			dcat(d, "pushf ");
			break;
		case 6: {	/* push a flags image; popfd (or 16-bit) */
			uint32_t f = 0x202 | ((uint32_t)rng_next(&g->r) &
			    (F_ARITH | F_DF));

			/*
			 * At CPL 3 with IOPL 0, POPF leaves IF and IOPL
			 * alone (SDM Vol 2 POPF).  (No AC, NT or TF: they
			 * would act natively after the test.)
			 */
			if (rng_below(&g->r, 4) == 0)
				f ^= (uint32_t)(rng_below(&g->r, 2) ? 0x200 :
				    0x1000u << rng_below(&g->r, 2));

			n += enc_popf_image(b + n, f, rng_below(&g->r, 3) == 0);
			dcat(d, "popf ");
			break;
		}
		case 7: {	/* call rel32; jmp over; ret [imm16] */
			uint16_t pop = (uint16_t)(rng_below(&g->r, 3) == 0 ?
			    4 * rng_below(&g->r, 5) : 0);

			n += enc_call_ret(b + n, pop);
			s.depth -= pop;
			dcat(d, pop ? "call/reti " : "call/ret ");
			break;
		}
		case 8: {	/* mov r32, target; call r32; jmp over; ret */
			uint64_t start = code_here(g);

			r = pick_reg(g, 4);
			g->used |= (uint16_t)(1u << r);
			b[n++] = (uint8_t)(0xb8 + r);
			/* mov (5) call (2) jmp (2): the RET is at +9 */
			memcpy(b + n, &(uint32_t){ (uint32_t)(start + 9) }, 4);
			n += 4;
			b[n++] = 0xff;
			b[n++] = (uint8_t)(0xd0 + r);
			b[n++] = 0xeb;
			b[n++] = 1;
			b[n++] = 0xc3;
			dcat(d, "callr/ret ");
			break;
		}
		case 9:
		case 10:
			n = stk_enter(g, &s, b, d);
			break;
		case 11:
			n = stk_leave(g, &s, b, d);
			break;
		case 12: {	/* call m32 via memory; jmp over; ret */
			struct dt_op rm;
			struct dt_insn in;

			pick_mem(g, &rm, 4, 0);
			insn_init(g, &in, 4, 1, 0xff, 0);
			in.reg = 2;
			in.rm = &rm;
			emit(g, &in);
			poke(g, rm.addr, 4, code_here(g) + 2);
			b[n++] = 0xeb;
			b[n++] = 1;
			b[n++] = 0xc3;
			dcat(d, "callm/ret ");
			break;
		}
		case 13: {	/* push/pop dword [esp + disp8] */
			bool push = rng_below(&g->r, 2);

			b[n++] = push ? 0xff : 0x8f;
			b[n++] = push ? 0x74 : 0x44;	/* /6 or /0, SIB */
			b[n++] = 0x24;			/* base ESP */
			/* POP: the address uses ESP after the pop */
			b[n++] = (uint8_t)(4 * rng_below(&g->r, 5) - 4);
			s.depth += push ? 4 : -4;
			if (!push)	/* it may overwrite a saved EBP */
				s.ebp_ok = false;
			dcat(d, push ? "push[esp] " : "pop[esp] ");
			break;
		}
		default:	/* push esp; pop r32 */
			b[n++] = 0x54;
			r = pick_reg(g, 4);
			g->used |= (uint16_t)(1u << r);
			b[n++] = (uint8_t)(0x58 + r);
			dcat(d, "pushesp/pop ");
			break;
		}
		emit_bytes(g, b, n);
	}
	/*
	 * Sometimes ESP set near 0 or 4 GiB, then a push or pop: the stack
	 * address wraps at 4 GiB (SS.B = 1), and #PF reports where.  No
	 * access straddles the wrap: that is implementation-specific with
	 * a 4-GiB limit (SDM Vol 3 5.3).
	 */
	if (rng_below(&g->r, 10) == 0) {
		bool push = rng_below(&g->r, 2), w16 = rng_below(&g->r, 4) == 0;
		uint32_t esp = push ? 4 * rng_below(&g->r, 2) :
		    0u - 4 * (1 + rng_below(&g->r, 2));

		n = 0;
		b[n++] = 0xbc;				/* mov esp, imm32 */
		memcpy(b + n, &esp, 4);
		n += 4;
		if (w16)
			b[n++] = 0x66;
		if (push && rng_below(&g->r, 3) == 0) {
			b[n++] = 0xe8;		/* call rel32 (rel16) */
			memset(b + n, 0, w16 ? 2 : 4);
			n += w16 ? 2 : 4;
		} else
			b[n++] = (uint8_t)((push ? 0x50 : 0x58) +
			    rng_below(&g->r, 8));
		emit_bytes(g, b, n);
		dcat(d, "esp-wrap ");
	}
	describe(g, "%s", d);
}

/*
 * Segment register sequences.  Every GPR an operation writes is marked
 * used, so that no later operation takes it for an address: its value is
 * known only at run time (and natively the runner page below the code
 * is mapped, in our CPU it is not).
 *
 * Selectors the segment tests load: null (RPL 0 and 3), Linux's 32-bit
 * code, data and 64-bit code with RPL 0 and 3, and an LDT selector
 * (there is no LDT: #GP for loads, ZF = 0 for LAR and friends).
 */
static const uint16_t sel_set[] = {
	0x00, 0x03, 0x20, 0x23, 0x28, 0x2b, 0x30, 0x33, 0x2f,
};

static uint16_t
pick_sel(struct dt_gen *g)
{
	if (rng_below(&g->r, 3) == 0)
		return (DT_SEL_DATA32);
	return (sel_set[rng_below(&g->r, sizeof(sel_set) /
	    sizeof(sel_set[0]))]);
}

/* An access through DS or ES (override) to the data pages. */
static int
seg_access(struct dt_gen *g, uint8_t *b, char *d)
{
	int n = 0, r = pick_reg(g, 4);
	uint64_t addr = DT_DATA_VA + 64 + rng_below(&g->r, 8000);

	if (rng_below(&g->r, 2))
		b[n++] = 0x26;			/* ES */
	b[n++] = rng_below(&g->r, 2) ? 0x8b : 0x89;
	b[n++] = (uint8_t)(0x05 | r << 3);	/* [disp32] */
	if (b[n - 2] == 0x8b)
		g->used |= (uint16_t)(1u << r);
	memcpy(b + n, &(uint32_t){ (uint32_t)addr }, 4);
	n += 4;
	dcat(d, b[n - 6] == 0x8b ? "load " : "store ");
	return (n);
}

/*
 * A far JMP, CALL (and RETF back), RETF or IRET at CPL 3 to the same
 * code segment (0x23, or 0x20: its RPL is raised to 3 for JMP and CALL,
 * SDM Vol 3 5.8.1) or to a selector that faults: null, data, or RPL 0
 * for a return (SDM Vol 2 RET, IRET: #GP(selector)).  CALL far pushes
 * CS in a 4-byte slot whose upper half may or may not be written (as
 * for PUSH sreg): zero there.  IRET at CPL 3 with IOPL 0 leaves IF and
 * IOPL alone; with 16-bit operands it truncates EIP (#PF there).
 * Returns the bytes to emit after those it emitted itself.
 */
static int
far_op(struct dt_gen *g, uint8_t *b, int64_t *depth, char *d)
{
	static const uint16_t bad[] = { 0x00, 0x03, 0x20, 0x28, 0x2b };
	uint16_t sel = rng_below(&g->r, 3) ? DT_SEL_CODE32 :
	    bad[rng_below(&g->r, sizeof(bad) / sizeof(bad[0]))];
	int k = (int)rng_below(&g->r, 7), n = 0;
	uint64_t start = code_here(g), next;
	struct dt_op rm;
	struct dt_insn in;
	uint32_t f;

	switch (k) {
	case 0:		/* jmp far ptr16:32 */
		b[n++] = 0xea;
		memcpy(b + n, &(uint32_t){ (uint32_t)(start + 7) }, 4);
		n += 4;
		memcpy(b + n, &sel, 2);
		n += 2;
		dcat(d, "jmp far ");
		break;
	case 1:		/* jmp/call far m16:32 (FF /5, FF /3) */
	case 2:
		pick_mem(g, &rm, 6, 0);
		g->c->npoke--;
		insn_init(g, &in, 4, 1, 0xff, 0);
		in.reg = k == 1 ? 5 : 3;
		in.rm = &rm;
		emit(g, &in);
		next = code_here(g);
		if (k == 2) {
			poke(g, DT_STACK_TOP - (uint64_t)*depth - 2, 2, 0);
			b[n++] = 0xeb;		/* jmp over the retf */
			b[n++] = 1;
			b[n++] = 0xcb;
			next += 2;
		}
		poke(g, rm.addr, 4, next);
		poke(g, rm.addr + 4, 2, sel);
		dcat(d, k == 1 ? "jmp far m " : "call far m/retf ");
		break;
	case 3:		/* call far ptr16:32; jmp over; retf */
		b[n++] = 0x9a;
		memcpy(b + n, &(uint32_t){ (uint32_t)(start + 9) }, 4);
		n += 4;
		memcpy(b + n, &sel, 2);
		n += 2;
		b[n++] = 0xeb;
		b[n++] = 1;
		b[n++] = 0xcb;
		poke(g, DT_STACK_TOP - (uint64_t)*depth - 2, 2, 0);
		dcat(d, "call far/retf ");
		break;
	case 4:		/* push sel; push next; retf [imm16] */
		b[n++] = 0x6a;
		b[n++] = (uint8_t)sel;
		b[n++] = 0x68;
		n += 4;
		if (rng_below(&g->r, 3) == 0) {
			b[n++] = 0xca;
			b[n++] = 8;
			b[n++] = 0;
			if (sel == DT_SEL_CODE32)
				*depth -= 8;
		} else
			b[n++] = 0xcb;
		memcpy(b + 3, &(uint32_t){ (uint32_t)(start + (uint64_t)n) },
		    4);
		dcat(d, "retf ");
		break;
	default:	/* push flags; push sel; push next; iret (16: #PF) */
		f = 0x202 | ((uint32_t)rng_next(&g->r) & (F_ARITH | F_DF));
		if (rng_below(&g->r, 3) == 0)
			f ^= (uint32_t)(rng_below(&g->r, 2) ? 0x200 :
			    0x1000u << rng_below(&g->r, 2));
		if (k == 5) {
			b[n++] = 0x68;
			memcpy(b + n, &f, 4);
			n += 4;
			b[n++] = 0x6a;
			b[n++] = (uint8_t)sel;
			b[n++] = 0x68;
			memcpy(b + n, &(uint32_t){ (uint32_t)(start + 13) },
			    4);
			n += 4;
			b[n++] = 0xcf;
			dcat(d, "iret ");
		} else {
			b[n++] = 0x66;
			b[n++] = 0x68;
			memcpy(b + n, &f, 2);
			n += 2;
			b[n++] = 0x66;
			b[n++] = 0x6a;
			b[n++] = (uint8_t)sel;
			b[n++] = 0x66;
			b[n++] = 0x68;
			memcpy(b + n, &(uint16_t){ (uint16_t)
			    rng_next(&g->r) }, 2);
			n += 2;
			b[n++] = 0x66;
			b[n++] = 0xcf;
			dcat(d, "iret16 ");
		}
		break;
	}
	return (n);
}

/* One to three far transfers, then a marker. */
static void
gen_far_32(struct dt_gen *g)
{
	int64_t depth = 0;
	int i, n, nops = 1 + (int)rng_below(&g->r, 3);
	char d[DT_DESC] = "";
	uint8_t b[32];

	for (i = 0; i < nops && !regs_short(g); i++) {
		n = far_op(g, b, &depth, d);
		emit_bytes(g, b, n);
	}
	b[0] = (uint8_t)(0xb8 + pick_reg(g, 4));
	memcpy(b + 1, &(uint32_t){ (uint32_t)rng_next(&g->r) }, 4);
	emit_bytes(g, b, 5);
	describe(g, "%s", d);
}

static void
gen_segregs_32(struct dt_gen *g)
{
	static const uint8_t push_op[6][2] = {
		{ 0x06 }, { 0x0e }, { 0x16 }, { 0x1e }, { 0x0f, 0xa0 },
		{ 0x0f, 0xa8 },
	};
	static const uint8_t pop_op[3] = { 0x07, 0x17, 0x1f }; /* ES SS DS */
	int64_t depth = 0;
	int nops = 1 + (int)rng_below(&g->r, 3), i, n, r, s;
	char d[DT_DESC] = "";
	uint8_t b[32];
	uint16_t sel;
	bool w16;

	for (i = 0; i < nops && !regs_short(g); i++) {
		int op = (int)rng_below(&g->r, 12);

		n = 0;
		w16 = rng_below(&g->r, 4) == 0;
		switch (op) {
		case 0:		/* push sreg */
			s = (int)rng_below(&g->r, 6);
			if (w16)
				b[n++] = 0x66;
			b[n++] = push_op[s][0];
			if (s >= 4)
				b[n++] = push_op[s][1];
			/*
			 * A 32-bit push writes the selector zero-extended or
			 * with a 16-bit store (SDM Vol 2 PUSH): zero there.
			 */
			if (!w16)
				poke(g, DT_STACK_TOP - (uint64_t)depth - 2, 2,
				    0);
			depth += w16 ? 2 : 4;
			dcat(d, "push sreg ");
			break;
		case 1:		/* push a selector; pop es/ss/ds */
		case 2:
			s = (int)rng_below(&g->r, 3);
			sel = s == 1 && rng_below(&g->r, 2) ? DT_SEL_DATA32 :
			    pick_sel(g);
			if (w16)
				b[n++] = 0x66;
			b[n++] = 0x6a;
			b[n++] = (uint8_t)sel;
			if (w16)
				b[n++] = 0x66;
			b[n++] = pop_op[s];
			dcat(d, "pop sreg ");
			break;
		case 3:		/* mov es/ss/ds, r16 / m16 */
		case 4: {
			struct dt_op rm;
			struct dt_insn in;

			s = (int)(uint8_t[]){ 0, 2, 3 }[rng_below(&g->r, 3)];
			sel = pick_sel(g);
			pick_rm(g, &rm, 2, 30);
			if (rm.mem)
				poke(g, rm.addr, 2, sel);
			else
				set_reg(g, rm.reg, 2, sel);
			insn_init(g, &in, w16 ? 2 : 4, 1, 0x8e, 0);
			in.reg = s;
			in.rm = &rm;
			emit(g, &in);
			if (!rm.mem)
				g->used |= (uint16_t)(1u << rm.reg);
			dcat(d, "mov sreg ");
			break;
		}
		case 5: {	/* mov r/m, sreg (any of the six) */
			struct dt_op rm;
			struct dt_insn in;

			pick_rm(g, &rm, 2, 40);
			insn_init(g, &in, w16 ? 2 : 4, 1, 0x8c, 0);
			in.reg = (int)rng_below(&g->r, 6);
			in.rm = &rm;
			emit(g, &in);
			if (!rm.mem)
				g->used |= (uint16_t)(1u << rm.reg);
			dcat(d, "mov r/m,sreg ");
			break;
		}
		case 6:
		case 7:		/* an access through DS or ES */
			n = seg_access(g, b, d);
			break;
		case 8: {	/* lds/les/lss r, m16:32 (m16:16) */
			struct dt_op rm;
			struct dt_insn in;
			unsigned osz = w16 ? 2 : 4;
			int k = (int)rng_below(&g->r, 3);

			pick_mem(g, &rm, osz + 2, 0);
			g->c->npoke--;
			sel = k == 2 && rng_below(&g->r, 2) ? DT_SEL_DATA32 :
			    pick_sel(g);
			r = pick_reg(g, osz);
			if (k == 2) {
				/*
				 * LSS: the offset becomes ESP (SP: the upper
				 * half is that of the stack page already)
				 */
				int64_t up = 4 * (int64_t)rng_below(&g->r, 8);

				poke(g, rm.addr, osz, DT_STACK_TOP - (uint64_t)
				    depth + (uint64_t)up);
				if (sel == DT_SEL_DATA32)
					depth -= up;
				r = RSP;
			} else {
				poke(g, rm.addr, osz, rng_val(&g->r, osz));
				g->used |= (uint16_t)(1u << r);
			}
			poke(g, rm.addr + osz, 2, sel);
			if (k == 2)
				insn_init(g, &in, osz, 2, 0x0f, 0xb2);
			else
				insn_init(g, &in, osz, 1, k ? 0xc5 : 0xc4, 0);
			in.reg = r;
			in.rm = &rm;
			emit(g, &in);
			dcat(d, (const char *[]){ "les ", "lds ", "lss " }[k]);
			break;
		}
		case 9: {	/* arpl r/m16, r16 */
			struct dt_op rm;
			struct dt_insn in;

			pick_rm(g, &rm, 2, 40);
			if (!rm.mem)
				set_reg(g, rm.reg, 2, rng_val(&g->r, 2));
			insn_init(g, &in, 2, 1, 0x63, 0);
			if (rng_below(&g->r, 2))
				in.npfx = 0;	/* 66 changes nothing */
			in.reg = pick_reg(g, 2);
			set_reg(g, in.reg, 2, rng_val(&g->r, 2));
			in.rm = &rm;
			emit(g, &in);
			if (!rm.mem)
				g->used |= (uint16_t)(1u << rm.reg);
			dcat(d, "arpl ");
			break;
		}
		case 10: {	/* lar/lsl r, r/m16; verr/verw r/m16 */
			struct dt_op rm;
			struct dt_insn in;
			int k = (int)rng_below(&g->r, 4);

			sel = pick_sel(g);
			if (rng_below(&g->r, 4) == 0)
				sel = (uint16_t)(0x07 + 8 * rng_below(&g->r,
				    8));
			pick_rm(g, &rm, 2, 30);
			if (rm.mem)
				poke(g, rm.addr, 2, sel);
			else
				set_reg(g, rm.reg, 2, sel);
			if (k < 2) {
				insn_init(g, &in, w16 ? 2 : 4, 2, 0x0f,
				    k ? 0x03 : 0x02);
				in.reg = pick_reg(g, 4);
				g->used |= (uint16_t)(1u << in.reg);
			} else {
				insn_init(g, &in, 4, 2, 0x0f, 0x00);
				in.reg = k == 2 ? 4 : 5;
			}
			in.rm = &rm;
			emit(g, &in);
			dcat(d, (const char *[]){ "lar ", "lsl ", "verr ",
			    "verw " }[k]);
			/*
			 * 32-bit LAR: bits 19:16 (the limit's) are undefined
			 * (SDM Vol 2 LAR: "masked by 00FXFF00H"): cleared by
			 * an AND between PUSHFD and POPFD (ZF is compared).
			 */
			if (k == 0 && !w16) {
				b[n++] = 0x9c;
				b[n++] = 0x81;
				b[n++] = (uint8_t)(0xe0 | in.reg);
				memcpy(b + n, &(uint32_t){ 0xfff0ffff }, 4);
				n += 4;
				b[n++] = 0x9d;
			}
			break;
		}
		default:	/* a far transfer */
			n = far_op(g, b, &depth, d);
			break;
		}
		emit_bytes(g, b, n);
	}
	describe(g, "%s", d);
}

/*
 * Exceptions of 32-bit code at CPL 3 (natively and in our CPU alike):
 * the vector, RIP, error code and the state at the fault are compared.
 */
static void
gen_exceptions_32(struct dt_gen *g)
{
	static const uint8_t priv[][3] = {
		{ 0xf4 }, { 0xfa }, { 0xfb }, { 0xec }, { 0xee },
		{ 0xe4, 0x70 }, { 0xe6, 0x80 }, { 0x6c }, { 0x6f },
		{ 0x0f, 0x20, 0xc0 }, { 0x0f, 0x22, 0xd8 },
		{ 0x0f, 0x21, 0xf8 }, { 0x0f, 0x32 },
		{ 0x0f, 0x30 }, { 0x0f, 0x09 }, { 0x0f, 0x06 },
		{ 0x0f, 0x01, 0x38 },
	};
	static const int priv_len[] = {
		1, 1, 1, 1, 1, 2, 2, 1, 1, 3, 3, 3, 2, 2, 2, 2, 3,
	};
	struct dt_case *c = g->c;
	uint8_t b[32] = { 0 };
	int n = 0, k = (int)rng_below(&g->r, 11), i;

	switch (k) {
	case 0:
		b[n++] = 0x0f;
		b[n++] = 0x0b;
		describe(g, "ud2");
		break;
	case 1:		/* #OF if OF: a trap, RIP after INTO */
		if (rng_below(&g->r, 2)) {
			c->in.rflags |= F_OF;
		} else if (rng_below(&g->r, 2)) {
			b[n++] = 0x05;		/* add eax, imm32 */
			memcpy(b + n, &(uint32_t){ 0x7fffffff }, 4);
			n += 4;
			set_reg(g, RAX, 4, rng_val(&g->r, 4));
		}
		b[n++] = 0xce;
		describe(g, "into");
		break;
	case 2:
		b[n++] = 0xcc;
		describe(g, "int3");
		break;
	case 3:
		b[n++] = 0xd4;
		b[n++] = 0;
		describe(g, "aam 0 (#DE)");
		break;
	case 4:		/* a mov through CS: reads work, writes #GP(0) */
		g->c->in.gpr[RBX] = DT_DATA_VA + 8 * rng_below(&g->r, 1000);
		g->used |= 1u << RBX;
		b[n++] = 0x2e;
		b[n++] = rng_below(&g->r, 2) ? 0x89 : 0x8b;
		b[n++] = (uint8_t)(0x03 | pick_reg(g, 4) << 3);
		describe(g, "mov via cs:");
		break;
	case 5:
		b[n++] = 0xf0;
		b[n++] = rng_below(&g->r, 2) ? 0x90 : 0x8b;
		if (b[n - 1] == 0x8b) {
			b[n++] = 0x03;
			g->c->in.gpr[RBX] = DT_DATA_VA + 64;
		}
		describe(g, "lock on a non-lockable instruction");
		break;
	case 6:		/* 16 bytes: #GP(0) */
		for (i = 0; i < 14; i++)
			b[n++] = 0x66;
		b[n++] = 0x01;
		b[n++] = 0xc0;
		describe(g, "instruction longer than 15 bytes");
		break;
	case 7:
		b[n++] = 0x8d;
		b[n++] = (uint8_t)(0xc0 | rng_below(&g->r, 64));
		describe(g, "lea r, r (#UD)");
		break;
	case 8:		/* mov to CS or a reserved sreg: #UD */
		b[n++] = 0x8e;
		b[n++] = (uint8_t)(0xc0 | (rng_below(&g->r, 2) ? 1 :
		    6 + rng_below(&g->r, 2)) << 3 | rng_below(&g->r, 8));
		describe(g, "mov cs or sreg 6/7 (#UD)");
		break;
	default:	/* privileged at CPL 3: #GP(0) */
		i = (int)rng_below(&g->r, sizeof(priv_len) /
		    sizeof(priv_len[0]));
		memcpy(b, priv[i], (size_t)priv_len[i]);
		n = priv_len[i];
		if (b[0] == 0x6c || b[0] == 0x6f) {
			g->c->in.gpr[RSI] = g->c->in.gpr[RDI] = DT_DATA_VA + 64;
			g->used |= 1u << RSI | 1u << RDI;
		}
		describe(g, "privileged %02x %02x (#GP)", b[0], b[1]);
		break;
	}
	emit_bytes(g, b, n);
}

/* Families whose memory operands come from pick_rm()/pick_mem(). */
static const char *const mem_families_32[] = {
	"alu_32", "muldiv_32", "shift_32", "bitops_32", "cond_32",
	"move_32", "atomic_32", "bound_32",
};

static void
gen_mem_family_32(struct dt_gen *g)
{
	const struct dt_family *f;

	f = dt_find_family(mem_families_32[rng_below(&g->r,
	    sizeof(mem_families_32) / sizeof(mem_families_32[0]))]);
	f->gen(g);
}

static void
gen_pagefault_32(struct dt_gen *g)
{
	g->fault = true;
	gen_mem_family_32(g);
	g->fault = false;
}

/*
 * ES CS SS DS overrides: all flat, but CS is not writable (a write
 * through it raises #GP(0), SDM Vol 3 5.4.1).
 */
static void
gen_segment_override_32(struct dt_gen *g)
{
	static const uint8_t pfx[4] = { 0x26, 0x2e, 0x36, 0x3e };

	g->segpfx = pfx[rng_below(&g->r, 4)];
	if (rng_below(&g->r, 4) == 0)
		dt_find_family("string_32")->gen(g);
	else
		gen_mem_family_32(g);
	g->segpfx = 0;
}

/*
 * PUSHFD; OR dword [ESP], TF; POPFD, then one of the 32-bit families:
 * #DB after its first instruction (SDM Vol 3 17.3.1.4), or the fault
 * it raises first.
 */
static void
gen_single_step_32(struct dt_gen *g)
{
	static const uint8_t set_tf[] = {
		0x9c,					/* pushfd */
		0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, /* or [esp], TF */
		0x9d,					/* popfd */
	};
	static const char *const pool[] = {
		"alu_32", "muldiv_32", "shift_32", "bitops_32", "cond_32",
		"move_32", "atomic_32", "string_32", "incdec_32", "bcd_32",
		"pusha_popa_32", "bound_32", "stack_32", "addr16_32",
		"branch16_32", "far_32",
	};
	char d[DT_DESC + 24];

	emit_bytes(g, set_tf, sizeof(set_tf));
	dt_find_family(pool[rng_below(&g->r, sizeof(pool) /
	    sizeof(pool[0]))])->gen(g);
	snprintf(d, sizeof(d), "TF then %s", g->c->desc);
	d[DT_DESC - 1] = '\0';
	memcpy(g->c->desc, d, DT_DESC);
}

const struct dt_family dt_p32_families[] = {
	{ "incdec_32", gen_incdec_32, NULL, true },
	{ "bcd_32", gen_bcd_32, NULL, true },
	{ "pusha_popa_32", gen_pusha_popa_32, NULL, true },
	{ "bound_32", gen_bound_32, NULL, true },
	{ "stack_32", gen_stack_32, NULL, true },
	{ "addr16_32", gen_addr16_32, NULL, true },
	{ "branch16_32", gen_branch16_32, NULL, true },
	{ "segregs_32", gen_segregs_32, NULL, true },
	{ "far_32", gen_far_32, NULL, true },
	{ "exceptions_32", gen_exceptions_32, NULL, true },
	{ "pagefault_32", gen_pagefault_32, NULL, true },
	{ "segment_override_32", gen_segment_override_32, NULL, true },
	{ "single_step_32", gen_single_step_32, NULL, true },
	{ NULL, NULL, NULL },
};
