/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Families mostly built on the single-instruction ones: faults in the
 * middle of things, single-stepping, segment overrides, extra prefixes,
 * code across page boundaries.
 *
 * Both sides leave the page after the data pages (and all of
 * [DT_HOLE_LO, DT_HOLE_HI) outside the test pages) unmapped, so accesses
 * there raise #PF: compared are the
 * vector, the RIP, CR2, the P and W bits of the error code, and the
 * registers, flags and memory at the fault.  A fault must leave no trace
 * (SDM Vol 3 6.5: faults are restartable), except for the iterations a
 * REP string instruction completed before it (SDM Vol 2 REP).
 *
 *   pagefault         a memory operand of a random single-instruction
 *                     family lies in or straddles into the hole
 *   pagefault_stack   PUSH/POP/CALL/RET/ENTER/LEAVE/PUSHF/POPF running
 *                     off either end of the stack page, PUSH/POP with a
 *                     memory operand in the hole
 *   pagefault_string  REP string instructions running off the data pages
 *   segment_override  ES CS SS DS (ignored) and GS (adds its base)
 *   fetch_fault       a random instruction at the end of the code pages:
 *                     straddling into the unmapped page after it (#PF on
 *                     the fetch, nothing executed), ending right at the
 *                     page end (#PF fetching the next one, with the state
 *                     after it), or ending just before
 *   single_step       PUSHF; OR [RSP], TF; POPF, then a random instruction
 *                     (REP strings included): #DB after it (SDM Vol 3
 *                     17.3.1.4; a REP string traps after each iteration)
 *   code_straddle     code crossing from the first code page to the second
 *   branch_fault      JMP/CALL/RET/Jcc to an unmapped address (#PF
 *                     on the fetch at the target; CALL has pushed) or to
 *                     a non-canonical one (#GP)
 *   prefixes          one to four prefix bytes put in front of a random
 *                     instruction (see gen_prefixes), up to the 15-byte
 *                     limit and past it (#GP)
 */
#include <stdio.h>
#include <string.h>

#include "tests/diff/difftest.h"

/* Families whose memory operands come from pick_rm()/pick_mem(). */
static const char *const mem_families[] = {
	"add", "adc", "sub", "sbb", "and", "or", "xor", "cmp", "test", "neg",
	"not", "inc", "dec", "mul", "imul", "div", "idiv", "shl", "shr",
	"sar", "rol", "ror", "rcl", "rcr", "shld", "shrd", "bt", "bts",
	"btr", "btc", "bsf", "bsr", "popcnt", "cmovcc", "setcc", "mov",
	"movzx_movsx", "xchg", "xadd", "cmpxchg", "cmpxchg8b", "cmpxchg16b",
};

static const struct dt_family *
random_mem_family(struct dt_gen *g)
{
	const struct dt_family *f;
	size_t n = sizeof(mem_families) / sizeof(mem_families[0]);

	do {
		f = dt_find_family(mem_families[rng_below(&g->r,
		    (uint32_t)n)]);
	} while (f == NULL || (f->host_ok != NULL && !f->host_ok()));
	return (f);
}

static void
gen_pagefault(struct dt_gen *g)
{
	const struct dt_family *f = random_mem_family(g);

	g->fault = true;
	f->gen(g);
	g->fault = false;
}

/*
 * Segment override prefixes on the memory operand of a random family:
 * ES CS SS DS are ignored in 64-bit mode, GS adds its base (SDM Vol 1
 * 3.4.2.1).  Both sides run with GS base DT_GS_BASE.
 */
static void
gen_segment_override(struct dt_gen *g)
{
	static const uint8_t pfx[5] = { 0x26, 0x2e, 0x36, 0x3e, 0x65 };
	const struct dt_family *f = random_mem_family(g);

	static const char *const strings[] = {
		"movs", "stos", "lods", "scas", "cmps",
	};

	if (rng_below(&g->r, 4) == 0)
		f = dt_find_family(strings[rng_below(&g->r, 5)]);
	g->segpfx = pfx[rng_below(&g->r, 5)];
	if (rng_below(&g->r, 2))
		g->segpfx = 0x65;
	f->gen(g);
	g->segpfx = 0;
}

/* PUSH m64 (FF /6) or POP m64 (8F /0) with an operand from pick_mem(). */
static void
stack_mem_op(struct dt_gen *g, bool push, char *d)
{
	struct dt_op rm;
	struct dt_insn in;

	pick_mem(g, &rm, 8, 0);
	memset(&in, 0, sizeof(in));
	in.op[0] = push ? 0xff : 0x8f;
	in.nop = 1;
	in.reg = push ? 6 : 0;
	in.rm = &rm;
	emit(g, &in);
	dcat(d, push ? "pushm " : "popm ");
}

/* One stack operation that moves RSP down (push-like). */
static void
push_op(struct dt_gen *g, char *d)
{
	uint8_t b[16];
	int n = 0, r;

	switch (rng_below(&g->r, 7)) {
	case 0:
		r = (int)rng_below(&g->r, 16);
		if (r >= 8)
			b[n++] = 0x41;
		b[n++] = (uint8_t)(0x50 + (r & 7));
		dcat(d, "push ");
		break;
	case 1:
		b[n++] = 0x66;
		b[n++] = 0x50 + (uint8_t)rng_below(&g->r, 8);
		dcat(d, "push16 ");
		break;
	case 2:
		b[n++] = 0x6a;
		b[n++] = (uint8_t)rng_next(&g->r);
		dcat(d, "pushi ");
		break;
	case 3:
		b[n++] = 0x9c;
		dcat(d, "pushf ");
		break;
	case 4:
		/* call rel32 to the next instruction */
		b[n++] = 0xe8;
		memset(b + n, 0, 4);
		n += 4;
		dcat(d, "call ");
		break;
	case 5:
		/* enter size, level (RBP points into the stack page) */
		b[n++] = 0xc8;
		b[n++] = (uint8_t)(8 * rng_below(&g->r, 4));
		b[n++] = 0;
		b[n++] = (uint8_t)rng_below(&g->r, 3);
		dcat(d, "enter ");
		break;
	default:
		stack_mem_op(g, true, d);
		return;
	}
	emit_bytes(g, b, n);
}

/*
 * One stack operation that moves RSP up (pop-like), RSP being `rsp`.
 * POPF and RET would use whatever is on the stack (TF, AC, a random
 * return address), so they are only chosen when they fault: when fewer
 * than 8 bytes are left.  Returns the bytes popped.
 */
static unsigned
pop_op(struct dt_gen *g, uint64_t rsp, char *d)
{
	bool faults = rsp + 8 > DT_STACK_VA + DT_STACK_SZ;
	uint8_t b[16];
	int n = 0, r;
	unsigned popped = 8;

	switch (rng_below(&g->r, faults ? 6 : 4)) {
	case 0:
		do {
			r = (int)rng_below(&g->r, 16);
		} while (r == RSP || r == RBP);
		g->used |= (uint16_t)(1u << r);	/* no pointer after this */
		if (r >= 8)
			b[n++] = 0x41;
		b[n++] = (uint8_t)(0x58 + (r & 7));
		dcat(d, "pop ");
		break;
	case 1:
		b[n++] = 0x66;
		b[n++] = 0x58;		/* pop ax */
		g->used |= 1u << RAX;
		popped = 2;
		dcat(d, "pop16 ");
		break;
	case 2:
		/* RSP = RBP, 4 bytes before the end: always faults */
		b[n++] = 0xc9;
		dcat(d, "leave ");
		break;
	case 3:
		stack_mem_op(g, false, d);
		return (popped);
	case 4:
		b[n++] = 0x9d;
		dcat(d, "popf ");
		break;
	default:
		b[n++] = 0xc3;
		dcat(d, "ret ");
		break;
	}
	emit_bytes(g, b, n);
	return (popped);
}

static void
gen_pagefault_stack(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	char d[DT_DESC] = "";
	int i, nops = 1 + (int)rng_below(&g->r, 3);
	uint64_t rsp;

	switch (rng_below(&g->r, 3)) {
	case 0:
		/* off the bottom: pushes fault once RSP leaves the page */
		rsp = DT_STACK_VA + 8 * rng_below(&g->r, 3) +
		    (rng_below(&g->r, 4) == 0 ? 2 : 0);
		c->in.gpr[RBP] = DT_STACK_VA + 64 + 8 * rng_below(&g->r, 8);
		g->used |= 1u << RBP;
		c->in.gpr[RSP] = rsp;
		for (i = 0; i < nops; i++)
			push_op(g, d);
		break;
	case 1:
		/* off the top: pops fault */
		rsp = DT_STACK_VA + DT_STACK_SZ - 8 * rng_below(&g->r, 3) -
		    (rng_below(&g->r, 4) == 0 ? 2 : 0);
		c->in.gpr[RSP] = rsp;
		c->in.gpr[RBP] = DT_STACK_VA + DT_STACK_SZ - 4;
		g->used |= 1u << RBP;
		for (i = 0; i < nops && rsp < DT_STACK_VA + DT_STACK_SZ; i++)
			rsp += pop_op(g, rsp, d);
		break;
	default:
		/* valid stack, memory operand in the hole */
		g->fault = true;
		stack_mem_op(g, rng_below(&g->r, 2), d);
		g->fault = false;
		break;
	}
	describe(g, "%s(rsp %#llx)", d, (unsigned long long)c->in.gpr[RSP]);
}

static const uint8_t str_op[5] = { 0xa4, 0xaa, 0xac, 0xae, 0xa6 };
static const char *const str_name[5] = {
	"movs", "stos", "lods", "scas", "cmps",
};

static void
gen_pagefault_string(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	int kind = (int)rng_below(&g->r, 5), n = 0;
	unsigned size = 1u << rng_below(&g->r, 4);
	bool df = rng_below(&g->r, 2), rep = rng_below(&g->r, 4) != 0;
	uint64_t edge, near, other;
	uint8_t b[4];

	c->memkind = kind >= 3 ? 1 : 0;
	/* start within 40 elements of the edge the direction runs into */
	edge = df ? DT_DATA_VA : DT_DATA_VA + DT_DATA_SZ;
	near = df ? edge + rng_below(&g->r, 40 * size) :
	    edge - rng_below(&g->r, 40 * size) - 1;
	if (!df && near + size <= edge && rng_below(&g->r, 2))
		near = edge - 1 - rng_below(&g->r, size);	/* straddle */
	other = DT_DATA_VA + 2048 + rng_below(&g->r, 4096);
	if (rng_below(&g->r, 2)) {
		c->in.gpr[RSI] = near;
		c->in.gpr[RDI] = other;
	} else {
		c->in.gpr[RSI] = other;
		c->in.gpr[RDI] = near;
	}
	if (kind == 1 || kind == 3)		/* STOS/SCAS use only RDI */
		c->in.gpr[RDI] = near;
	if (kind == 2)				/* LODS only RSI */
		c->in.gpr[RSI] = near;
	c->in.gpr[RCX] = rep ? 1 + rng_below(&g->r, 48) : c->in.gpr[RCX];
	if (kind == 3 && rng_below(&g->r, 2))
		c->in.gpr[RAX] = 0x5a5a5a5a5a5a5a5aull;
	if (df)
		c->in.rflags |= F_DF;
	else
		c->in.rflags &= ~(uint64_t)F_DF;
	if (rep)
		b[n++] = kind >= 3 && rng_below(&g->r, 2) ? 0xf2 : 0xf3;
	if (size == 2)
		b[n++] = 0x66;
	if (size == 8)
		b[n++] = 0x48;
	b[n++] = (uint8_t)(str_op[kind] + (size == 1 ? 0 : 1));
	emit_bytes(g, b, n);
	describe(g, "%s%s%c DF=%d into the hole", rep ? "rep " : "",
	    str_name[kind], "?bw?d???q"[size], df);
}

/*
 * Prefixes that keep the instruction's length and the flag rules its
 * generator assumed: segment overrides, 67 (addresses stay below 4 GiB,
 * so truncating them changes nothing), F0, F2/F3 (mostly ignored, else
 * turning BSR into LZCNT, compared on fewer flags; never F3 on BSF,
 * which a BMI1 host runs as TZCNT), a repeat of
 * a 66 already there, and a REX only in front of a REX already there
 * (then it is ignored: only a REX right before the opcode counts).
 */
static void
gen_prefixes(struct dt_gen *g)
{
	static const uint8_t pfx[] = {
		0x26, 0x2e, 0x36, 0x3e, 0x65, 0x67, 0x67, 0xf0, 0xf2, 0xf3,
	};
	struct dt_case *c = g->c;
	const struct dt_family *f = random_mem_family(g);
	int k = 1 + (int)rng_below(&g->r, 4), i, p;
	bool has66 = false, hasrex = false;
	uint8_t ins[4];
	char d[DT_DESC + 24];

	f->gen(g);
	for (p = 0; p < c->len; p++) {
		uint8_t b = c->code[p];

		if (b == 0x66)
			has66 = true;
		else if (b >= 0x40 && b <= 0x4f)
			hasrex = true;
		else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e &&
		    b != 0x64 && b != 0x65 && b != 0x67 && b != 0xf0 &&
		    b != 0xf2 && b != 0xf3)
			break;
	}
	for (i = 0; i < k; i++) {
		ins[i] = pfx[rng_below(&g->r, sizeof(pfx))];
		/* 67 would shorten a moffs (A0-A3) to 4 bytes */
		if (ins[i] == 0x67 && p < c->len && c->code[p] >= 0xa0 &&
		    c->code[p] <= 0xa3)
			ins[i] = 0x3e;
		if (has66 && rng_below(&g->r, 4) == 0)
			ins[i] = 0x66;
		if (hasrex && rng_below(&g->r, 4) == 0)
			ins[i] = (uint8_t)(0x40 + rng_below(&g->r, 16));
		/* F3 BSF is TZCNT on a BMI1 host, BSF in ours (no BMI1) */
		if (ins[i] == 0xf3 && p + 1 < c->len &&
		    c->code[p] == 0x0f && c->code[p + 1] == 0xbc)
			ins[i] = 0x3e;
	}
	memmove(c->code + k, c->code, c->len);
	memcpy(c->code, ins, (size_t)k);
	c->len = (uint8_t)(c->len + k);
	snprintf(d, sizeof(d), "+%d prefixes: %s", k, c->desc);
	d[DT_DESC - 1] = '\0';
	memcpy(c->desc, d, DT_DESC);
}

static void
gen_fetch_fault(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	const struct dt_family *f = random_mem_family(g);
	unsigned len;

	f->gen(g);
	len = c->len;
	switch (rng_below(&g->r, len > 1 ? 3 : 2)) {
	case 0:		/* completes, then the next fetch faults */
		c->code_at = (uint16_t)(DT_CODE_SZ - len);
		break;
	case 1:		/* completes well inside the page */
		c->code_at = (uint16_t)(DT_CODE_SZ - len - 5 -
		    rng_below(&g->r, 8));
		break;
	default:	/* straddles: 1 .. len-1 bytes in the page */
		c->code_at = (uint16_t)(DT_CODE_SZ - 1 -
		    rng_below(&g->r, len - 1));
		break;
	}
}

/*
 * A random instruction, or a short flags_mix run, straddling the
 * boundary between the two code pages, both present: decoded code that
 * spans two pages (the decode cache and the fetch must join them).
 */
static void
gen_code_straddle(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	const struct dt_family *f = random_mem_family(g);

	if (rng_below(&g->r, 3) == 0)
		f = dt_find_family(rng_below(&g->r, 2) ? "flags_mix" : "smc");
	/* first, so that addresses the generator computes are right */
	c->code_at = (uint16_t)(4096 - 1 - rng_below(&g->r, 8));
	f->gen(g);
}

static void
gen_single_step(struct dt_gen *g)
{
	static const uint8_t set_tf[] = {
		0x9c,					/* pushfq */
		0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, /* or TF */
		0x9d,					/* popfq */
	};
	static const char *const others[] = {
		"movs", "stos", "lods", "scas", "cmps", "jcc", "stack",
		"flagops", "convert", "bswap", "lea", "xlat", "nop",
		"lahf_sahf",
	};	/* no flags_mix/loop: their flag masks are for the whole run */
	const struct dt_family *f = random_mem_family(g);
	char d[DT_DESC + 24];

	if (rng_below(&g->r, 2) == 0)
		f = dt_find_family(others[rng_below(&g->r,
		    sizeof(others) / sizeof(others[0]))]);
	emit_bytes(g, set_tf, sizeof(set_tf));
	f->gen(g);
	snprintf(d, sizeof(d), "TF then %s", g->c->desc);
	d[DT_DESC - 1] = '\0';
	memcpy(g->c->desc, d, DT_DESC);
}

static void
gen_branch_fault(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	uint64_t target;
	uint8_t b[16];
	int n = 0, r = pick_reg(g, 8), k = (int)rng_below(&g->r, 6);

	switch (rng_below(&g->r, 4)) {
	case 0:		/* the unmapped page after the code */
		target = DT_CODE_VA + DT_CODE_SZ + rng_below(&g->r, 4096);
		break;
	case 1:		/* after the data pages */
		target = DT_DATA_VA + DT_DATA_SZ + rng_below(&g->r, 256);
		break;
	case 2:		/* non-canonical */
		target = 0x0000800000000000ull + rng_below(&g->r, 4096);
		break;
	default:
		target = 0xffff7fffffff0000ull + rng_below(&g->r, 65536);
		break;
	}
	switch (k) {
	case 0:		/* jmp r64 */
	case 1:		/* call r64 */
		c->in.gpr[r] = target;
		if (r >= 8)
			b[n++] = 0x41;
		b[n++] = 0xff;
		b[n++] = (uint8_t)((k == 0 ? 0xe0 : 0xd0) | (r & 7));
		break;
	case 2:		/* ret */
		poke(g, DT_STACK_TOP, 8, target);
		b[n++] = 0xc3;
		break;
	case 3:		/* ret imm16 */
		poke(g, DT_STACK_TOP, 8, target);
		b[n++] = 0xc2;
		b[n++] = (uint8_t)(8 * rng_below(&g->r, 4));
		b[n++] = 0;
		break;
	default: {	/* jmp/call/jcc rel32 into the hole (canonical only) */
		int32_t rel;
		uint8_t op = (uint8_t)(k == 4 ? (rng_below(&g->r, 2) ? 0xe9 :
		    0xe8) : 0x80 + rng_below(&g->r, 16));

		target = DT_CODE_VA + DT_CODE_SZ + rng_below(&g->r, 4096);
		if (k == 5)
			b[n++] = 0x0f;
		b[n++] = op;
		rel = (int32_t)(target - (code_here(g) + (uint64_t)n + 4));
		memcpy(b + n, &rel, 4);
		n += 4;
		break;
	}
	}
	emit_bytes(g, b, n);
	describe(g, "%s to %#llx", (const char *[]){ "jmp r64", "call r64",
	    "ret", "ret imm16", "jmp/call rel32", "jcc rel32" }[k],
	    (unsigned long long)target);
}

const struct dt_family dt_fault_families[] = {
	{ "pagefault", gen_pagefault, NULL },
	{ "pagefault_stack", gen_pagefault_stack, NULL },
	{ "pagefault_string", gen_pagefault_string, NULL },
	{ "segment_override", gen_segment_override, NULL },
	{ "prefixes", gen_prefixes, NULL },
	{ "fetch_fault", gen_fetch_fault, NULL },
	{ "code_straddle", gen_code_straddle, NULL },
	{ "branch_fault", gen_branch_fault, NULL },
	{ "single_step", gen_single_step, NULL },
	{ NULL, NULL, NULL },
};
