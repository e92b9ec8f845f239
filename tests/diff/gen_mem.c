/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Families: string instructions, stack operations, flag instructions,
 * and exceptions.
 *
 * Flags compared (SDM Vol 2 "Flags Affected"):
 *   MOVS STOS LODS           unchanged: all compared
 *   SCAS CMPS                all (as CMP; unchanged when RCX = 0)
 *   PUSH POP CALL RET ENTER LEAVE PUSHF       unchanged: all compared
 *   POPF LAHF SAHF CLC STC CMC CLD STD        all
 *   exceptions: all flags at the fault (a fault changes nothing)
 * string_32 runs the string generator as 32-bit code.
 */
#include <string.h>

#include "tests/diff/difftest.h"

static const char *const str_name[5] = {
	"movs", "stos", "lods", "scas", "cmps",
};
static const uint8_t str_op[5] = { 0xa4, 0xaa, 0xac, 0xae, 0xa6 };

/*
 * MOVS STOS LODS SCAS CMPS in all sizes, with no prefix, REP/REPE or
 * REPNE, DF 0 or 1, 64- or 32-bit addresses (67: RSI/RDI/RCX upper
 * halves hold garbage that must be ignored), on the data page.  In
 * 32-bit code 67 means SI, DI and CX: every access then lands in the
 * unmapped first 64 KiB (#PF, CR2 = SI or DI), and CX = 0 does nothing
 * (not for CMPS, see below).
 */
static void
gen_string(struct dt_gen *g, int kind)
{
	struct dt_case *c = g->c;
	unsigned size = 1u << rng_below(&g->r, 4);
	int rep = (int)rng_below(&g->r, 3);
	bool df = rng_below(&g->r, 2), a32 = rng_below(&g->r, 5) == 0;
	uint64_t count, junk;
	uint8_t b[5];
	int n = 0;

	if (rep == 2 && kind < 3)
		rep = 1;
	if (g->m32 && size == 8)
		size = 1u << rng_below(&g->r, 3);
	/*
	 * With 16-bit addresses both CMPS operands fault, and which one
	 * faults first is not architectural: no 67 for CMPS in 32-bit code.
	 */
	if (g->m32 && kind == 4)
		a32 = false;
	c->memkind = kind >= 3 && rng_below(&g->r, 4) ? 1 : 0;
	count = rng_below(&g->r, 3) == 0 ? rng_below(&g->r, 3) :
	    rng_below(&g->r, 41);
	junk = a32 ? rng_next(&g->r) & ~(g->m32 ? 0xffffull :
	    0xffffffffull) : 0;
	if (rep != 0)
		c->in.gpr[RCX] = count | junk;
	c->in.gpr[RSI] = DT_DATA_VA + 400 + rng_below(&g->r, 7300) +
	    (a32 ? rng_next(&g->r) & ~0xffffffffull : 0);
	if (rng_below(&g->r, 4) == 0)
		c->in.gpr[RDI] = c->in.gpr[RSI] + rng_below(&g->r, 24) - 12;
	else
		c->in.gpr[RDI] = DT_DATA_VA + 400 + rng_below(&g->r, 7300);
	c->in.gpr[RDI] = (c->in.gpr[RDI] & 0xffffffffull) |
	    (a32 ? rng_next(&g->r) & ~0xffffffffull : 0);
	if (kind == 3 && c->memkind == 1 && rng_below(&g->r, 2))
		c->in.gpr[RAX] = (c->in.gpr[RAX] & ~smask(size)) |
		    (0x5a5a5a5a5a5a5a5aull & smask(size));
	if (df)
		c->in.rflags |= F_DF;
	else
		c->in.rflags &= ~(uint64_t)F_DF;
	if (g->segpfx != 0) {
		/* overrides DS:RSI (ES:RDI cannot be overridden) */
		b[n++] = g->segpfx;
		if (g->segpfx == 0x65)
			c->in.gpr[RSI] -= DT_GS_BASE;
	}
	if (rep == 1)
		b[n++] = 0xf3;
	else if (rep == 2)
		b[n++] = 0xf2;
	if (a32)
		b[n++] = 0x67;
	if (size == 2)
		b[n++] = 0x66;
	if (size == 8)
		b[n++] = 0x48;
	b[n++] = (uint8_t)(str_op[kind] + (size == 1 ? 0 : 1));
	emit_bytes(g, b, n);
	describe(g, "%s%s%s%c (count %llu, DF=%d)", !a32 ? "" : g->m32 ?
	    "addr16 " : "addr32 ",
	    rep == 0 ? "" : rep == 2 ? "repne " : kind >= 3 ? "repe " : "rep ",
	    str_name[kind], "?bw?d???q"[size], (unsigned long long)count, df);
}

static void gen_movs(struct dt_gen *g) { gen_string(g, 0); }
static void gen_stos(struct dt_gen *g) { gen_string(g, 1); }
static void gen_lods(struct dt_gen *g) { gen_string(g, 2); }
static void gen_scas(struct dt_gen *g) { gen_string(g, 3); }
static void gen_cmps(struct dt_gen *g) { gen_string(g, 4); }

/* 32-bit code: one of the five per case. */
static void
gen_string_32(struct dt_gen *g)
{
	gen_string(g, (int)rng_below(&g->r, 5));
}

/* A short sequence of stack operations; see the comments per case. */
static void
gen_stack(struct dt_gen *g)
{
	struct dt_case *c = g->c;
	int64_t depth = 0;		/* DT_STACK_TOP - RSP */
	uint64_t rbp, saved[8];
	int nsaved = 0, nops = 1 + (int)rng_below(&g->r, 4), i, r;
	bool rbp_ok = true, last;
	uint8_t b[32];
	int n;
	char d[DT_DESC] = "";

	rbp = DT_STACK_TOP + 8 * (uint64_t)rng_below(&g->r, 32);
	c->in.gpr[RBP] = rbp;
	g->used |= 1u << RBP;
	for (i = 0; i < nops; i++) {
		int op = (int)rng_below(&g->r, 15);

		n = 0;
		last = i == nops - 1;
		if (depth > 1500 || depth < -1500)
			op = 1;
		switch (op) {
		case 0:		/* push r64, push rsp included */
			r = (int)rng_below(&g->r, 16);
			if (r >= 8)
				b[n++] = 0x41;
			b[n++] = (uint8_t)(0x50 + (r & 7));
			depth += 8;
			dcat(d, "push ");
			break;
		case 1:		/* pop r64 (pop rsp only last) */
			do {
				r = (int)rng_below(&g->r, 16);
			} while (r == RSP && !last);
			if (r == RBP)
				rbp_ok = false;
			if (r != RSP && r != RBP)
				g->used |= (uint16_t)(1u << r);
			if (r >= 8)
				b[n++] = 0x41;
			b[n++] = (uint8_t)(0x58 + (r & 7));
			depth -= 8;
			dcat(d, "pop ");
			break;
		case 2:		/* push imm8 / imm32 / imm16 */
			r = (int)rng_below(&g->r, 3);
			if (r == 0) {
				b[n++] = 0x6a;
				b[n++] = (uint8_t)rng_next(&g->r);
				depth += 8;
			} else if (r == 1) {
				b[n++] = 0x68;
				memcpy(b + n, &(uint32_t){ (uint32_t)
				    rng_val(&g->r, 4) }, 4);
				n += 4;
				depth += 8;
			} else {
				b[n++] = 0x66;
				b[n++] = 0x68;
				memcpy(b + n, &(uint16_t){ (uint16_t)
				    rng_val(&g->r, 2) }, 2);
				n += 2;
				depth += 2;
			}
			dcat(d, "pushi ");
			break;
		case 3:		/* 16-bit push / pop */
			r = (int)rng_below(&g->r, 16);
			if (r == RSP)
				r = RAX;
			b[n++] = 0x66;
			if (r >= 8)
				b[n++] = 0x41;
			if (rng_below(&g->r, 2)) {
				b[n++] = (uint8_t)(0x50 + (r & 7));
				depth += 2;
				dcat(d, "push16 ");
			} else {
				b[n++] = (uint8_t)(0x58 + (r & 7));
				depth -= 2;
				if (r == RBP)
					rbp_ok = false;
				g->used |= (uint16_t)(1u << r);
				dcat(d, "pop16 ");
			}
			break;
		case 4: {	/* push m64 (FF /6) / pop m64 (8F /0) */
			struct dt_op rm;
			struct dt_insn in;
			bool push = rng_below(&g->r, 2);

			pick_mem(g, &rm, 8, 0);
			memset(&in, 0, sizeof(in));
			in.op[0] = push ? 0xff : 0x8f;
			in.nop = 1;
			in.reg = push ? 6 : 0;
			in.rm = &rm;
			emit(g, &in);
			depth += push ? 8 : -8;
			dcat(d, push ? "pushm " : "popm ");
			break;
		}
		case 5:		/* pushfq / pushf (16-bit) */
			if (rng_below(&g->r, 3) == 0) {
				b[n++] = 0x66;
				depth += 2;
			} else
				depth += 8;
			b[n++] = 0x9c;
			dcat(d, "pushf ");
			break;
		case 6: {	/* push flags-image; popfq (or 16-bit) */
			uint32_t f = 0x202 | ((uint32_t)rng_next(&g->r) &
			    (F_ARITH | F_DF));

			n += enc_popf_image(b + n, f, rng_below(&g->r, 3) == 0);
			dcat(d, "popf ");
			break;
		}
		case 7: {	/* call rel32; jmp over; ret [imm16] */
			uint16_t pop = (uint16_t)(rng_below(&g->r, 3) == 0 ?
			    8 * rng_below(&g->r, 5) : 0);

			n += enc_call_ret(b + n, pop);
			depth -= pop;
			dcat(d, pop ? "call/reti " : "call/ret ");
			break;
		}
		case 8: {	/* mov r32, target; call r64; jmp over; ret */
			uint64_t start = code_here(g);
			int len;

			r = pick_reg(g, 4);
			g->used |= (uint16_t)(1u << r);
			len = (r >= 8 ? 6 : 5) + (r >= 8 ? 3 : 2) + 2;
			if (r >= 8)
				b[n++] = 0x41;
			b[n++] = (uint8_t)(0xb8 + (r & 7));
			memcpy(b + n, &(uint32_t){ (uint32_t)(start +
			    (uint64_t)len) }, 4);
			n += 4;
			if (r >= 8)
				b[n++] = 0x41;
			b[n++] = 0xff;
			b[n++] = (uint8_t)(0xd0 + (r & 7));
			b[n++] = 0xeb;
			b[n++] = 1;
			b[n++] = 0xc3;
			dcat(d, "callr/ret ");
			break;
		}
		case 9:
		case 10: {	/* enter size, level */
			unsigned size, level;

			size = 8 * rng_below(&g->r, 9);
			if (rng_below(&g->r, 4) == 0)
				size += rng_below(&g->r, 8);	/* odd sizes */
			level = rbp_ok ? rng_below(&g->r, 5) : 0;
			if (rng_below(&g->r, 8) == 0 && rbp_ok)
				level = 32 + rng_below(&g->r, 3); /* masked */
			b[n++] = 0xc8;
			memcpy(b + n, &(uint16_t){ (uint16_t)size }, 2);
			n += 2;
			b[n++] = (uint8_t)level;
			level &= 31;
			if (nsaved < 8)
				saved[nsaved++] = rbp_ok ? rbp : 0;
			depth += 8;
			rbp = DT_STACK_TOP - (uint64_t)depth;
			if (level > 0)
				depth += 8 * level;
			depth += size;
			rbp_ok = true;
			dcat(d, "enter ");
			break;
		}
		case 11:	/* leave */
			if (!rbp_ok) {
				b[n++] = 0x90;
				dcat(d, "nop ");
				break;
			}
			b[n++] = 0xc9;
			depth = (int64_t)(DT_STACK_TOP - rbp) - 8;
			if (nsaved > 0 && saved[nsaved - 1] != 0)
				rbp = saved[--nsaved];
			else
				rbp_ok = false;
			dcat(d, "leave ");
			break;
		case 12: {	/* call m64 / call r64 via a register */
			struct dt_op rm;
			struct dt_insn in;
			uint64_t target;

			pick_rm(g, &rm, 8, 50);
			if (!rm.mem)
				g->used |= (uint16_t)(1u << rm.reg);
			memset(&in, 0, sizeof(in));
			in.op[0] = 0xff;
			in.nop = 1;
			in.reg = 2;
			in.rm = &rm;
			emit(g, &in);
			target = code_here(g) + 2;
			if (rm.mem)
				poke(g, rm.addr, 8, target);
			else
				set_reg(g, rm.reg, 8, target);
			b[n++] = 0xeb;
			b[n++] = 1;
			b[n++] = 0xc3;
			dcat(d, "callm/ret ");
			break;
		}
		case 14: {	/* push/pop qword [rsp + disp8] */
			bool push = rng_below(&g->r, 2);

			b[n++] = push ? 0xff : 0x8f;
			b[n++] = push ? 0x74 : 0x44;	/* /6 or /0, SIB */
			b[n++] = 0x24;			/* base RSP */
			/* POP: the address uses RSP after the pop */
			b[n++] = (uint8_t)(8 * rng_below(&g->r, 5) - 8);
			depth += push ? 8 : -8;
			dcat(d, push ? "push[rsp] " : "pop[rsp] ");
			break;
		}
		/* push rsp / lea-free rsp read: push then pop */
		default:
			b[n++] = 0x54;
			r = pick_reg(g, 8);
			g->used |= (uint16_t)(1u << r);
			if (r >= 8)
				b[n++] = 0x41;
			b[n++] = (uint8_t)(0x58 + (r & 7));
			dcat(d, "pushrsp/pop ");
			break;
		}
		emit_bytes(g, b, n);
	}
	describe(g, "%s", d);
}

/* LAHF (9F), SAHF (9E), alone or SAHF then LAHF. */
static void
gen_lahf_sahf(struct dt_gen *g)
{
	static const uint8_t seq[4][2] = {
		{ 0x9f }, { 0x9e }, { 0x9e, 0x9f }, { 0x9f, 0x9e },
	};
	static const char *const name[4] = {
		"lahf", "sahf", "sahf; lahf", "lahf; sahf",
	};
	int k = (int)rng_below(&g->r, 4);

	g->legacy8 = true;
	set_reg(g, 4, 1, rng_val(&g->r, 1));	/* AH */
	g->legacy8 = false;
	emit_bytes(g, seq[k], k < 2 ? 1 : 2);
	describe(g, "%s", name[k]);
}

/* CLC STC CMC CLD STD, one to four of them. */
static void
gen_flagops(struct dt_gen *g)
{
	static const uint8_t op[5] = { 0xf8, 0xf9, 0xf5, 0xfc, 0xfd };
	static const char *const name[5] = {
		"clc ", "stc ", "cmc ", "cld ", "std ",
	};
	int i, n = 1 + (int)rng_below(&g->r, 4), k;
	char d[DT_DESC] = "";

	if (rng_below(&g->r, 2))
		g->c->in.rflags |= F_DF;
	for (i = 0; i < n; i++) {
		k = (int)rng_below(&g->r, 5);
		emit_bytes(g, &op[k], 1);
		dcat(d, name[k]);
	}
	describe(g, "%s", d);
}

/*
 * Exceptions raised by 64-bit code at CPL 3 natively and CPL 0 in our
 * CPU alike: #UD for invalid opcodes and misused LOCK, #BP, #GP for
 * non-canonical addresses, a too-long instruction and a misaligned
 * CMPXCHG16B, #SS for a non-canonical stack-segment address.  The vector,
 * the RIP at the fault and the registers and flags there are compared.
 */
static void
gen_exceptions(struct dt_gen *g)
{
	static const uint8_t invalid64[] = {
		0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37,
		0x3f, 0x60, 0x61, 0xd4, 0xd5, 0xd6, 0x9a, 0xea, 0xce,
	};
	uint8_t b[32];
	int n = 0, form = (int)rng_below(&g->r, 11), i;
	struct dt_op rm;
	struct dt_insn in;

	switch (form) {
	case 0:
		b[n++] = 0x0f;
		b[n++] = 0x0b;
		describe(g, "ud2");
		break;
	case 1:
		b[n++] = 0x82;
		b[n++] = (uint8_t)(0xc0 | rng_below(&g->r, 64));
		b[n++] = 1;
		describe(g, "82 /r ib (invalid in 64-bit mode)");
		break;
	case 2:
		b[n++] = 0xf0;
		b[n++] = 0x01;
		b[n++] = (uint8_t)(0xc0 | rng_below(&g->r, 64));
		describe(g, "lock add r, r (#UD)");
		break;
	case 3:
		b[n++] = 0xf0;
		b[n++] = rng_below(&g->r, 2) ? 0x90 : 0x8b;
		if (b[n - 1] == 0x8b) {
			b[n++] = 0x03;	/* lock mov eax, [rbx] */
			g->c->in.gpr[RBX] = DT_DATA_VA + 64;
		}
		describe(g, "lock on a non-lockable instruction");
		break;
	case 4:
		b[n++] = invalid64[rng_below(&g->r, sizeof(invalid64))];
		for (i = 0; i < 6; i++)
			b[n++] = 0;
		describe(g, "opcode %02x (invalid in 64-bit mode)", b[0]);
		break;
	case 5:
		b[n++] = 0xcc;
		describe(g, "int3");
		break;
	case 6:
	case 7: {
		/* non-canonical memory operand: #GP(0), or #SS(0) via RBP */
		uint64_t bad = (rng_below(&g->r, 2) ? 0x8000000000000000ull :
		    0x0000800000000000ull) + rng_below(&g->r, 4096);
		bool ss = form == 7;

		memset(&rm, 0, sizeof(rm));
		rm.mem = true;
		rm.index = DT_NOREG;
		rm.base = ss ? RBP : (int)rng_below(&g->r, 4);
		if (!ss && rm.base == RSP)
			rm.base = RBX;
		rm.dispsz = 1;
		rm.disp = 8;
		g->c->in.gpr[rm.base] = bad - 8;
		g->used |= (uint16_t)(1u << rm.base);
		memset(&in, 0, sizeof(in));
		in.rexw = true;
		in.op[0] = rng_below(&g->r, 2) ? 0x8b : 0x01;
		in.nop = 1;
		in.reg = pick_reg(g, 8);
		in.rm = &rm;
		emit(g, &in);
		describe(g, "%s with a non-canonical address (%s)",
		    in.op[0] == 0x8b ? "load" : "add to memory",
		    ss ? "rbp: #SS" : "#GP");
		return;
	}
	case 8:
		/* 16 bytes: #GP(0) (SDM Vol 2 2.3.11) */
		for (i = 0; i < 14; i++)
			b[n++] = 0x66;
		b[n++] = 0x01;
		b[n++] = 0xc0;
		describe(g, "instruction longer than 15 bytes");
		break;
	case 9:
		/* cmpxchg16b needs a 16-byte aligned operand */
		if (!host_has_cx16()) {
			b[n++] = 0x0f;
			b[n++] = 0x0b;
			describe(g, "ud2");
			break;
		}
		g->used |= 1u << RAX | 1u << RDX | 1u << RBX | 1u << RCX;
		mem_at(g, &rm, DT_DATA_VA + 512 + 16 * rng_below(&g->r, 64) +
		    1 + rng_below(&g->r, 15));
		memset(&in, 0, sizeof(in));
		in.rexw = true;
		in.op[0] = 0x0f;
		in.op[1] = 0xc7;
		in.nop = 2;
		in.reg = 1;
		in.rm = &rm;
		emit(g, &in);
		describe(g, "cmpxchg16b misaligned");
		return;
	default:
		/* LEA with a register operand */
		b[n++] = 0x48;
		b[n++] = 0x8d;
		b[n++] = (uint8_t)(0xc0 | rng_below(&g->r, 64));
		describe(g, "lea r, r (#UD)");
		break;
	}
	emit_bytes(g, b, n);
}

const struct dt_family dt_mem_families[] = {
	{ "movs", gen_movs, NULL },
	{ "stos", gen_stos, NULL },
	{ "lods", gen_lods, NULL },
	{ "scas", gen_scas, NULL },
	{ "cmps", gen_cmps, NULL },
	{ "stack", gen_stack, NULL },
	{ "lahf_sahf", gen_lahf_sahf, NULL },
	{ "flagops", gen_flagops, NULL },
	{ "exceptions", gen_exceptions, NULL },
	{ "string_32", gen_string_32, NULL, true },
	{ NULL, NULL, NULL },
};
