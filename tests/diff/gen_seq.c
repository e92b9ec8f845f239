/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Families: instruction sequences that pass flags from one instruction to
 * the next (what lazy flags must get right), NOP forms, XLAT,
 * self-modifying code.
 *
 * flags_mix: 2 to 8 register-only instructions.  The generator tracks
 * which arithmetic flags are defined after each one (same SDM rules as
 * the single-instruction families: gen_alu.c, gen_misc.c) and only emits
 * a flag reader (ADC SBB RCL RCR CMC SETcc CMOVcc Jcc LAHF PUSHF) when
 * every flag it reads is defined.  Flags undefined at the end are not
 * compared.  No BSF/BSR: a zero source (which an earlier step may
 * produce) leaves their destination undefined.  flags_mix_32 and loop_32
 * are the same as 32-bit code, with INC/DEC 40-4F, DAA/DAS, AAM/AAD
 * among the steps.
 */
#include <string.h>

#include "tests/diff/difftest.h"


/* Flags each condition code reads (SDM Vol 1 Appendix B). */
static const uint32_t cc_reads[16] = {
	F_OF, F_OF, F_CF, F_CF, F_ZF, F_ZF, F_CF | F_ZF, F_CF | F_ZF,
	F_SF, F_SF, F_PF, F_PF, F_SF | F_OF, F_SF | F_OF,
	F_ZF | F_SF | F_OF, F_ZF | F_SF | F_OF,
};

static void
insn_reg(struct dt_gen *g, struct dt_insn *in, struct dt_op *rm,
    unsigned size, int nop, uint8_t op0, uint8_t op1)
{
	memset(rm, 0, sizeof(*rm));
	rm->reg = pick_reg(g, size);
	rm->base = rm->index = DT_NOREG;
	insn_init(g, in, size, nop, op0, op1);
	in->rm = rm;
}

/*
 * 32-bit code only: INC/DEC r16/r32 (40-4F), DAA DAS (read AF and CF;
 * OF undefined after), AAM AAD with a nonzero base (OF AF CF undefined
 * after); SDM Vol 2 DAA, DAS, AAM, AAD.  Not AAA/AAS: what they do to AH
 * for AL > F9h or AL < 6 differs between Intel and AMD (see gen_p32.c),
 * and AL is not known here.
 */
static bool
mix_step_32(struct dt_gen *g, uint32_t *def, char *d)
{
	uint8_t b[4];
	int n = 0, k = (int)rng_below(&g->r, 4), r;
	const char *name;

	switch (k) {
	case 0:
		r = pick_reg(g, 4);
		if (rng_below(&g->r, 3) == 0)
			b[n++] = 0x66;
		b[n++] = (uint8_t)((rng_below(&g->r, 2) ? 0x48 : 0x40) + r);
		*def = (*def & F_CF) | (F_ARITH & ~F_CF);
		name = b[n - 1] >= 0x48 ? "dec" : "inc";
		break;
	case 1:
		if ((*def & (F_AF | F_CF)) != (F_AF | F_CF))
			return (false);
		b[n++] = rng_below(&g->r, 2) ? 0x27 : 0x2f;
		*def = F_ARITH & ~F_OF;
		name = b[0] == 0x27 ? "daa" : "das";
		break;
	default:
		b[n++] = k == 2 ? 0xd4 : 0xd5;
		b[n++] = (uint8_t)(rng_below(&g->r, 2) ? 10 :
		    1 + rng_below(&g->r, 255));
		*def = F_SF | F_ZF | F_PF;
		name = k == 2 ? "aam" : "aad";
		break;
	}
	emit_bytes(g, b, n);
	dcat(d, name);
	dcat(d, " ");
	return (true);
}

/* One step; returns false if it needs flags that are undefined now. */
static bool
mix_step(struct dt_gen *g, uint32_t *def, char *d)
{
	struct dt_insn in;
	struct dt_op rm;
	unsigned size, cc, count, mc;
	int k = (int)rng_below(&g->r, 16), digit;
	const char *name;
	uint8_t b[16];
	int n = 0;

	switch (k) {
	case 0: case 1: case 2:		/* ALU r/m, r or r/m, imm8 */
		digit = (int)rng_below(&g->r, 8);
		if ((digit == 2 || digit == 3) && !(*def & F_CF))
			return (false);
		size = pick_size(g, SZ_ALL);
		insn_reg(g, &in, &rm, size, 1, 0, 0);
		if (rng_below(&g->r, 2) || size == 1) {
			in.op[0] = (uint8_t)(digit * 8 + (size == 1 ? 0 : 1));
			in.reg = pick_reg(g, size);
		} else {
			in.op[0] = 0x83;
			in.reg = digit;
			in.immsz = 1;
			in.imm = rng_val(&g->r, 1);
		}
		emit(g, &in);
		*def = F_ARITH;
		if (digit == 1 || digit == 4 || digit == 6)
			*def &= ~F_AF;
		name = (const char *[]){ "add", "or", "adc", "sbb", "and",
		    "sub", "xor", "cmp" }[digit];
		break;
	case 3:				/* INC DEC NEG NOT TEST */
		digit = (int)rng_below(&g->r, 5);
		size = pick_size(g, SZ_ALL);
		if (digit < 2) {
			insn_reg(g, &in, &rm, size, 1, size == 1 ? 0xfe : 0xff,
			    0);
			in.reg = digit;
			*def = (*def & F_CF) | (F_ARITH & ~F_CF);
			name = digit ? "dec" : "inc";
		} else if (digit < 4) {
			insn_reg(g, &in, &rm, size, 1, size == 1 ? 0xf6 : 0xf7,
			    0);
			in.reg = digit == 2 ? 3 : 2;
			if (digit == 2)
				*def = F_ARITH;
			name = digit == 2 ? "neg" : "not";
		} else {
			insn_reg(g, &in, &rm, size, 1, size == 1 ? 0x84 : 0x85,
			    0);
			in.reg = pick_reg(g, size);
			*def = F_ARITH & ~F_AF;
			name = "test";
		}
		emit(g, &in);
		break;
	case 4: case 5:			/* shifts and rotates by imm8 or 1 */
		digit = (int)rng_below(&g->r, 8);
		if (digit == 6)
			digit = 4;
		if ((digit == 2 || digit == 3) && !(*def & F_CF))
			return (false);
		size = pick_size(g, SZ_ALL);
		count = rng_below(&g->r, 2) ? 1 : rng_below(&g->r, 40);
		mc = count & (size == 8 ? 63 : 31);
		insn_reg(g, &in, &rm, size, 1, size == 1 ? 0xc0 : 0xc1, 0);
		in.reg = digit;
		in.immsz = 1;
		in.imm = count;
		emit(g, &in);
		if (mc != 0) {
			if (digit >= 4) {
				*def = F_ARITH & ~F_AF;
				if (digit != 7 && mc >= size * 8)
					*def &= ~F_CF;
			} else
				*def |= F_CF;
			if (mc == 1)
				*def |= F_OF;
			else
				*def &= ~F_OF;
		}
		name = (const char *[]){ "rol", "ror", "rcl", "rcr", "shl",
		    "shr", "sal", "sar" }[digit];
		break;
	case 6:				/* IMUL r, r/m / BT r/m, imm8 */
		size = pick_size(g, SZ_WIDE);
		if (rng_below(&g->r, 2)) {
			insn_reg(g, &in, &rm, size, 2, 0x0f, 0xaf);
			in.reg = pick_reg(g, size);
			*def = F_CF | F_OF;
			name = "imul";
		} else {
			insn_reg(g, &in, &rm, size, 2, 0x0f, 0xba);
			in.reg = 4 + (int)rng_below(&g->r, 4);
			in.immsz = 1;
			in.imm = rng_below(&g->r, 256);
			*def = (*def & F_ZF) | F_CF;
			name = "bt*";
		}
		emit(g, &in);
		break;
	case 7:				/* CLC STC CMC */
		k = (int)rng_below(&g->r, 3);
		if (k == 2 && !(*def & F_CF))
			return (false);
		b[n++] = (uint8_t[]){ 0xf8, 0xf9, 0xf5 }[k];
		emit_bytes(g, b, n);
		*def |= F_CF;
		name = (const char *[]){ "clc", "stc", "cmc" }[k];
		break;
	case 8:				/* SETcc */
		cc = rng_below(&g->r, 16);
		if ((cc_reads[cc] & *def) != cc_reads[cc])
			return (false);
		pick_size(g, 1);
		insn_reg(g, &in, &rm, 1, 2, 0x0f, (uint8_t)(0x90 + cc));
		in.reg = 0;
		emit(g, &in);
		name = "setcc";
		break;
	case 9:				/* CMOVcc */
		cc = rng_below(&g->r, 16);
		if ((cc_reads[cc] & *def) != cc_reads[cc])
			return (false);
		size = pick_size(g, SZ_WIDE);
		insn_reg(g, &in, &rm, size, 2, 0x0f, (uint8_t)(0x40 + cc));
		in.reg = pick_reg(g, size);
		emit(g, &in);
		name = "cmovcc";
		break;
	case 10: {			/* Jcc over "mov r32, imm32" */
		int r;

		cc = rng_below(&g->r, 16);
		if ((cc_reads[cc] & *def) != cc_reads[cc])
			return (false);
		r = pick_reg(g, 4);
		b[n++] = (uint8_t)(0x70 + cc);
		b[n++] = r >= 8 ? 6 : 5;
		if (r >= 8)
			b[n++] = 0x41;
		b[n++] = (uint8_t)(0xb8 + (r & 7));
		memcpy(b + n, &(uint32_t){ (uint32_t)rng_next(&g->r) }, 4);
		n += 4;
		emit_bytes(g, b, n);
		name = "jcc";
		break;
	}
	case 11:			/* LAHF / SAHF */
		if (rng_below(&g->r, 2)) {
			if ((*def & (F_ARITH & ~F_OF)) != (F_ARITH & ~F_OF))
				return (false);
			b[n++] = 0x9f;
			name = "lahf";
		} else {
			b[n++] = 0x9e;
			*def |= F_ARITH & ~F_OF;
			name = "sahf";
		}
		emit_bytes(g, b, n);
		break;
	case 12: {			/* PUSHFQ; POP r64 */
		int r = pick_reg(g, 8);

		if (*def != F_ARITH)
			return (false);
		b[n++] = 0x9c;
		if (r >= 8)
			b[n++] = 0x41;
		b[n++] = (uint8_t)(0x58 + (r & 7));
		emit_bytes(g, b, n);
		name = "pushf/pop";
		break;
	}
	case 13:			/* MUL / IMUL r/m (one operand) */
		size = pick_size(g, SZ_ALL);
		insn_reg(g, &in, &rm, size, 1, size == 1 ? 0xf6 : 0xf7, 0);
		in.reg = rng_below(&g->r, 2) ? 4 : 5;
		emit(g, &in);
		*def = F_CF | F_OF;
		name = in.reg == 4 ? "mul" : "imul1";
		break;
	case 14:			/* XADD / CMPXCHG r, r */
		size = pick_size(g, SZ_ALL);
		k = (int)rng_below(&g->r, 2);
		insn_reg(g, &in, &rm, size, 2, 0x0f, (uint8_t)((k ? 0xb0 :
		    0xc0) + (size == 1 ? 0 : 1)));
		in.reg = pick_reg(g, size);
		emit(g, &in);
		*def = F_ARITH;
		name = k ? "cmpxchg" : "xadd";
		break;
	default:			/* POPCNT (BSF: see above) */
		if (g->m32)
			return (mix_step_32(g, def, d));
		size = pick_size(g, SZ_WIDE);
		/* was POPCNT or TZCNT; F3 0F BC is BSF without BMI1 */
		(void)rng_below(&g->r, 2);
		k = 0;
		insn_reg(g, &in, &rm, size, 2, 0x0f, k ? 0xbc : 0xb8);
		memmove(in.pfx + 1, in.pfx, (size_t)in.npfx);
		in.pfx[0] = 0xf3;
		in.npfx++;
		in.reg = pick_reg(g, size);
		emit(g, &in);
		*def = k == 0 ? F_ARITH : F_ZF | F_CF;
		name = k ? "tzcnt" : "popcnt";
		break;
	}
	dcat(d, name);
	dcat(d, " ");
	return (true);
}

static void
gen_flags_mix(struct dt_gen *g)
{
	uint32_t def = F_ARITH;
	int steps = 2 + (int)rng_below(&g->r, 7), i, tries;
	char d[DT_DESC] = "";

	for (i = 0; i < steps; i++) {
		for (tries = 0; tries < 50; tries++)
			if (mix_step(g, &def, d))
				break;
		g->legacy8 = false;
	}
	g->c->flag_mask = def | F_DF;
	describe(g, "%s", d);
}

/*
 * Loops: a body of one to four flags_mix steps (RCX kept out of them),
 * closed by DEC ECX; JNZ or by LOOP back to its start, 1 to 40 times.
 * Exercises backward branches and re-executing decoded code.  The body
 * is generated as if no flag were defined on entry (on later iterations
 * the flags come from the end of the body or the DEC).
 */
static void
gen_loop(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	uint32_t def = 0;
	int i, steps = 1 + (int)rng_below(&g->r, 4), tries, start, len;
	bool use_loop = rng_below(&g->r, 2);
	char d[DT_DESC] = "";
	uint8_t b[4];

	g->used |= 1u << RCX;
	c->in.gpr[RCX] = 1 + rng_below(&g->r, 40);
	if (!use_loop)
		c->in.gpr[RCX] |= rng_next(&g->r) << 32;	/* ECX only */
	start = c->len;
	for (i = 0; i < steps; i++) {
		for (tries = 0; tries < 50; tries++)
			if (mix_step(g, &def, d))
				break;
		g->legacy8 = false;
	}
	if (use_loop) {
		len = c->len - start + 2;
		b[0] = 0xe2;
		b[1] = (uint8_t)-len;
		emit_bytes(g, b, 2);
		dcat(d, "loop");
	} else {
		len = c->len - start + 4;
		b[0] = 0xff;
		b[1] = 0xc9;		/* dec ecx */
		b[2] = 0x75;		/* jnz */
		b[3] = (uint8_t)-len;
		emit_bytes(g, b, 4);
		def = (def & F_CF) | (F_ARITH & ~F_CF);
		dcat(d, "dec/jnz");
	}
	g->c->flag_mask = def | F_DF;
	describe(g, "%s", d);
}

/*
 * NOP forms: 90, 66 90, 0F 1F /0 with any ModRM (the address is never
 * accessed, so registers may hold garbage), PAUSE (F3 90).
 */
static void
gen_nop(struct dt_gen *g)
{
	struct dt_insn in;
	struct dt_op rm;
	uint8_t b[4];
	int k = (int)rng_below(&g->r, 4), n = 0;

	switch (k) {
	case 0:
		b[n++] = 0x90;
		emit_bytes(g, b, n);
		describe(g, "nop");
		break;
	case 1:
		b[n++] = 0x66;
		b[n++] = 0x90;
		emit_bytes(g, b, n);
		describe(g, "xchg ax, ax (nop)");
		break;
	case 2:
		memset(&in, 0, sizeof(in));
		if (rng_below(&g->r, 3) == 0)
			add_prefix(&in, 0x66);
		mem_at(g, &rm, rng_next(&g->r) >> rng_below(&g->r, 64));
		in.op[0] = 0x0f;
		in.op[1] = 0x1f;
		in.nop = 2;
		in.reg = 0;
		in.rm = &rm;
		emit(g, &in);
		describe(g, "nop r/m (0f 1f /0)");
		break;
	default:
		b[n++] = 0xf3;
		b[n++] = 0x90;
		emit_bytes(g, b, n);
		describe(g, "pause");
		break;
	}
}

/* XLAT (D7): AL = [RBX + AL], and with 67: [EBX + AL]. */
static void
gen_xlat(struct dt_gen *g)
{
	uint8_t b[3];
	int n = 0;
	bool a32 = rng_below(&g->r, 4) == 0;
	uint64_t table = DT_DATA_VA + 64 + rng_below(&g->r, 7800);

	g->c->in.gpr[RBX] = table | (a32 ? rng_next(&g->r) << 32 : 0);
	if (a32)
		b[n++] = 0x67;
	if (rng_below(&g->r, 3) == 0)
		b[n++] = 0x48;		/* REX.W changes nothing */
	b[n++] = 0xd7;
	emit_bytes(g, b, n);
	describe(g, "%sxlat", a32 ? "addr32 " : "");
}

/*
 * Self-modifying code: a store into an instruction of the same code block
 * before it runs.  x86 guarantees the modified instruction executes as
 * stored (SDM Vol 3 11.6), so the decode cache must notice the write.
 * Targets: the imm8 of "add r32, imm8" (83 /0 ib) or the ModRM of
 * "inc r32" (FF C0+r, turned into dec r32 or another register), zero to
 * three filler instructions after the store; the store is a RIP-relative
 * MOV m8, imm8, a MOV m8, r8 through RBX, or REP STOSB writing NOPs over
 * a "mov r32, imm32".
 */
static void
gen_smc(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	uint8_t b[24];
	int n, k = (int)rng_below(&g->r, 3), fill = (int)rng_below(&g->r, 4);
	int i, r = pick_reg(g, 4), store_len, tgt_off;
	uint8_t newbyte;
	uint64_t tgt;

	/* the store's length first: it decides where the target lands */
	store_len = k == 0 ? 7 : k == 1 ? 3 : 2;
	if (k == 2) {
		/* rep stosb: RDI -> the mov, RCX = 5, AL = 0x90 */
		tgt = code_here(g) + (uint64_t)store_len + (uint64_t)fill;
		c->in.gpr[RDI] = tgt;
		c->in.gpr[RCX] = 5;
		c->in.gpr[RAX] = (c->in.gpr[RAX] & ~0xffull) | 0x90;
		c->in.rflags &= ~(uint64_t)F_DF;
		b[0] = 0xf3;
		b[1] = 0xaa;
		emit_bytes(g, b, 2);
		for (i = 0; i < fill; i++)
			emit_bytes(g, (const uint8_t[]){ 0x90 }, 1);
		b[0] = (uint8_t)(0xb8 + (r & 7));
		memcpy(b + 1, &(uint32_t){ (uint32_t)rng_next(&g->r) }, 4);
		if (r >= 8) {
			/* keep it 5 bytes: use a low register */
			b[0] = 0xb8 + RAX;
		}
		emit_bytes(g, b, 5);
		describe(g, "rep stosb of NOPs over the next instruction");
		return;
	}
	if (rng_below(&g->r, 2)) {
		/* add r32, imm8: the target is the imm8 (offset 2) */
		tgt_off = 2;
		newbyte = (uint8_t)rng_next(&g->r);
	} else {
		/* inc r32: the target is the ModRM (offset 1) */
		tgt_off = 1;
		newbyte = (uint8_t)(0xc0 | rng_below(&g->r, 16));
		if ((newbyte & 7) == RSP)
			newbyte ^= 1;
	}
	tgt = code_here(g) + (uint64_t)store_len + 3 * (uint64_t)fill +
	    (uint64_t)tgt_off;
	n = 0;
	if (k == 0) {
		/* mov byte [rip + disp32], imm8 */
		b[n++] = 0xc6;
		b[n++] = 0x05;
		memcpy(b + n, &(int32_t){ (int32_t)(tgt - (code_here(g) + 7)) },
		    4);
		n += 4;
		b[n++] = newbyte;
		describe(g, "mov [rip], imm8 into a later instruction");
	} else {
		/* mov [rbx + 0], al */
		c->in.gpr[RBX] = tgt;
		c->in.gpr[RAX] = (c->in.gpr[RAX] & ~0xffull) | newbyte;
		b[n++] = 0x88;
		b[n++] = 0x43;
		b[n++] = 0;
		describe(g, "mov [rbx], al into a later instruction");
	}
	emit_bytes(g, b, n);
	for (i = 0; i < fill; i++) {
		/* fillers that do not touch RAX/RBX/RSP */
		b[0] = 0x48;
		b[1] = 0xff;
		/* inc rcx/rdx */
		b[2] = 0xc1 + (uint8_t)rng_below(&g->r, 2);
		emit_bytes(g, b, 3);
	}
	/* the target, as first written (a lower register: no REX) */
	r &= 7;
	if (r == RSP)
		r = RSI;
	if (tgt_off == 2) {
		b[0] = 0x83;
		b[1] = (uint8_t)(0xc0 | r);
		b[2] = (uint8_t)rng_next(&g->r);
		emit_bytes(g, b, 3);
	} else {
		b[0] = 0xff;
		b[1] = (uint8_t)(0xc0 | r);
		emit_bytes(g, b, 2);
	}
}

/*
 * Two to five random instructions from families that neither read flags
 * nor leave registers undefined (and no BT*: a bit offset an earlier
 * instruction changed could address anything), memory operands addressed
 * through R14
 * and R15 (fixed pointers no instruction writes), RIP-relative or
 * absolute.  Registers and memory are compared; flags are not (earlier
 * instructions may leave some undefined that later ones do not set).
 */
static void
gen_mem_mix(struct dt_gen *g)
{
	static const char *const pool[] = {
		"add", "sub", "and", "or", "xor", "cmp", "test", "neg", "not",
		"inc", "dec", "mul", "imul", "div", "idiv", "shl", "shr",
		"sar", "rol", "ror", "popcnt",
		"mov", "movzx_movsx", "xchg", "xadd", "cmpxchg", "cmpxchg8b",
		"bswap", "convert", "lea",
	};
	struct dt_case *c = g->c;
	int i, n = 2 + (int)rng_below(&g->r, 4);
	const struct dt_family *f;
	char d[DT_DESC] = "";

	c->in.gpr[R14] = DT_DATA_VA + 0x400 + rng_below(&g->r, 0x800);
	c->in.gpr[R15] = DT_DATA_VA + 0x1000 + rng_below(&g->r, 0x800);
	g->used |= 1u << R14 | 1u << R15;
	g->seq = true;
	for (i = 0; i < n; i++) {
		f = dt_find_family(pool[rng_below(&g->r,
		    sizeof(pool) / sizeof(pool[0]))]);
		f->gen(g);
		g->legacy8 = false;
		g->addr32 = false;
		dcat(d, f->name);
		dcat(d, " ");
		/* registers the generators fixed stay usable as data */
		g->used = 1u << RSP | 1u << R14 | 1u << R15;
	}
	g->seq = false;
	c->flag_mask = F_DF;
	describe(g, "%s", d);
}

const struct dt_family dt_seq_families[] = {
	{ "flags_mix", gen_flags_mix, NULL },
	{ "nop", gen_nop, NULL },
	{ "xlat", gen_xlat, NULL },
	{ "smc", gen_smc, NULL },
	{ "loop", gen_loop, NULL },
	{ "mem_mix", gen_mem_mix, NULL },
	{ "flags_mix_32", gen_flags_mix, NULL, true },
	{ "loop_32", gen_loop, NULL, true },
	{ NULL, NULL, NULL },
};
