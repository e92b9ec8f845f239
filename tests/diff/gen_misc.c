/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Families: bit operations, conditional instructions, moves and
 * conversions, exchanges.
 *
 * Flags compared (the rest undefined per SDM Vol 2 "Flags Affected"):
 *   BT BTS BTR BTC           CF; ZF unchanged (compared); OF SF AF PF
 *                            undefined
 *   BSF BSR                  ZF; CF OF SF AF PF undefined; the
 *                            destination is undefined when the source is
 *                            0 (Intel), so that register is not compared
 *   LZCNT TZCNT              ZF CF; OF SF PF AF undefined
 *   POPCNT                   all (cleared, ZF set per result)
 *   XADD CMPXCHG             all (as ADD and CMP)
 *   CMPXCHG8B/16B            ZF; the others unchanged (compared)
 *   BSWAP CMOVcc SETcc Jcc LOOPcc JrCXZ MOV MOVZX MOVSX MOVSXD LEA XCHG
 *   CBW..CQO CRC32           no flag changes: all compared
 * bitops_32, cond_32, move_32 and atomic_32 run these generators as
 * 32-bit code (no MOVSXD there: 63 is ARPL; LOOP/JCXZ with 67 use CX).
 */
#include <cpuid.h>
#include <string.h>

#include "tests/diff/difftest.h"


/* Give an r/m operand the value v. */
static void
set_rm(struct dt_gen *g, const struct dt_op *op, unsigned size, uint64_t v)
{
	if (op->mem)
		poke(g, op->addr, size, v);
	else
		set_reg(g, op->reg, size, v);
}

bool
host_has_lzcnt(void)
{
	unsigned a, b, c, d;

	return (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 5)));
}

bool
host_has_bmi1(void)
{
	unsigned a, b, c, d;

	return (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 3)));
}

bool
host_has_popcnt(void)
{
	unsigned a, b, c, d;

	return (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 23)));
}

bool
host_has_sse42(void)
{
	unsigned a, b, c, d;

	return (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 20)));
}

bool
host_has_cx16(void)
{
	unsigned a, b, c, d;

	return (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 13)));
}

static const char *const bt_name[4] = { "bt", "bts", "btr", "btc" };

/* BT/BTS/BTR/BTC r/m, r (0F A3/AB/B3/BB) and r/m, imm8 (0F BA /4-7). */
static void
gen_bt1(struct dt_gen *g, int which)
{
	unsigned size = pick_size(g, SZ_WIDE);
	struct dt_op rm;
	struct dt_insn in;
	bool imm = rng_below(&g->r, 3) == 0, lock = false;
	int reg = DT_NOREG;
	int64_t off;

	g->c->flag_mask = F_CF | F_ZF | F_DF;
	if (imm) {
		pick_rm(g, &rm, size, 40);
		set_rm(g, &rm, size, rng_val(&g->r, size));
	} else if (rng_below(&g->r, 2) == 0) {
		/* bit string in memory: offset reaches +-1 KiB around EA */
		mem_at(g, &rm, DT_DATA_VA + 3072 + rng_below(&g->r, 2048));
		poke(g, rm.addr, size, rng_val(&g->r, size));
		reg = pick_reg(g, size);
		off = (int64_t)rng_below(&g->r, 16384) - 8192;
		if (size == 2 && rng_below(&g->r, 2))
			off = (int64_t)rng_below(&g->r, 64) - 32;
		set_reg(g, reg, size, (uint64_t)off);
	} else {
		pick_rm(g, &rm, size, 0);
		set_rm(g, &rm, size, rng_val(&g->r, size));
		reg = pick_reg(g, size);
		set_reg(g, reg, size, rng_val(&g->r, size));
		if (rm.mem)	/* g->fault: stay near the operand */
			set_reg(g, reg, size, (uint64_t)((int64_t)
			    rng_below(&g->r, 24 * size) - 8 * (int64_t)size));
	}
	lock = which != 0 && rm.mem && rng_below(&g->r, 3) == 0;
	insn_init(g, &in, size, 2, 0x0f, imm ? 0xba :
	    (uint8_t)(0xa3 + 8 * which));
	if (lock) {
		memmove(in.pfx + 1, in.pfx, (size_t)in.npfx);
		in.pfx[0] = 0xf0;
		in.npfx++;
	}
	in.rm = &rm;
	if (imm) {
		in.reg = 4 + which;
		in.immsz = 1;
		in.imm = rng_below(&g->r, 256);
	} else
		in.reg = reg;
	emit(g, &in);
	describe(g, "%s%s %s%u, %s", lock ? "lock " : "", bt_name[which],
	    rm.mem ? "m" : "r", size * 8, imm ? "imm8" : "r");
}

static void gen_bt(struct dt_gen *g) { gen_bt1(g, 0); }
static void gen_bts(struct dt_gen *g) { gen_bt1(g, 1); }
static void gen_btr(struct dt_gen *g) { gen_bt1(g, 2); }
static void gen_btc(struct dt_gen *g) { gen_bt1(g, 3); }

/* BSF BSR (0F BC/BD), TZCNT LZCNT (F3 0F BC/BD), POPCNT (F3 0F B8). */
static void
gen_bitscan(struct dt_gen *g, uint8_t op, bool f3, const char *name)
{
	unsigned size = pick_size(g, SZ_WIDE);
	struct dt_op rm;
	struct dt_insn in;
	uint64_t v;
	int reg;

	pick_rm(g, &rm, size, 40);
	v = rng_below(&g->r, 6) == 0 ? 0 : rng_val(&g->r, size);
	/*
	 * F3 0F BC: our CPU offers no BMI1, so it is BSF, while a BMI1 host
	 * runs TZCNT; the two agree on the result for a nonzero source only
	 * (flags differ).
	 */
	if (f3 && op == 0xbc && (v & smask(size)) == 0)
		v = 1ull << rng_below(&g->r, 8 * size);
	set_rm(g, &rm, size, v);
	reg = pick_reg(g, size);
	if (f3 && op == 0xbc) {
		g->c->flag_mask = F_DF;
	} else if (!f3) {
		g->c->flag_mask = F_ZF | F_DF;
		if ((v & smask(size)) == 0)
			g->c->reg_mask &= (uint16_t)~(1u << reg);
	} else if (op != 0xb8) {
		g->c->flag_mask = F_ZF | F_CF | F_DF;
	}
	memset(&in, 0, sizeof(in));
	if (f3)
		add_prefix(&in, 0xf3);
	if (size == 2)
		add_prefix(&in, 0x66);
	/* sometimes the prefixes the other way round */
	if (f3 && size == 2 && rng_below(&g->r, 2)) {
		in.pfx[0] = 0x66;
		in.pfx[1] = 0xf3;
	}
	in.rexw = size == 8;
	in.op[0] = 0x0f;
	in.op[1] = op;
	in.nop = 2;
	in.reg = reg;
	in.rm = &rm;
	emit(g, &in);
	describe(g, "%s r%u, %s%u", name, size * 8, rm.mem ? "m" : "r",
	    size * 8);
}

static void gen_bsf(struct dt_gen *g) { gen_bitscan(g, 0xbc, false, "bsf"); }
static void gen_bsr(struct dt_gen *g) { gen_bitscan(g, 0xbd, false, "bsr"); }
static void gen_tzcnt(struct dt_gen *g) { gen_bitscan(g, 0xbc, true, "tzcnt"); }
static void gen_lzcnt(struct dt_gen *g) { gen_bitscan(g, 0xbd, true, "lzcnt"); }
static void gen_popcnt(struct dt_gen *g)
{
	gen_bitscan(g, 0xb8, true, "popcnt");
}

/* BSWAP r32/r64 (0F C8+r). */
static void
gen_bswap(struct dt_gen *g)
{
	/* (BSWAP of a 16-bit register is undefined: not generated) */
	unsigned size = rng_below(&g->r, 2) && !g->m32 ? 8 : 4;
	int reg = pick_reg(g, size);
	uint8_t b[3];
	int n = 0;

	if (size == 8 || reg >= 8)
		b[n++] = (uint8_t)(0x40 | (size == 8 ? 8 : 0) | (reg >= 8));
	b[n++] = 0x0f;
	b[n++] = (uint8_t)(0xc8 + (reg & 7));
	emit_bytes(g, b, n);
	describe(g, "bswap r%u", size * 8);
}

/* CMOVcc r, r/m (0F 40+cc). */
static void
gen_cmovcc(struct dt_gen *g)
{
	unsigned size = pick_size(g, SZ_WIDE), cc = rng_below(&g->r, 16);
	struct dt_op rm;
	struct dt_insn in;

	pick_rm(g, &rm, size, 40);
	set_rm(g, &rm, size, rng_val(&g->r, size));
	insn_init(g, &in, size, 2, 0x0f, (uint8_t)(0x40 + cc));
	in.reg = pick_reg(g, size);
	in.rm = &rm;
	emit(g, &in);
	describe(g, "cmov%u r%u, r/m (cc %#x)", cc, size * 8, cc);
}

/* SETcc r/m8 (0F 90+cc). */
static void
gen_setcc(struct dt_gen *g)
{
	unsigned cc = rng_below(&g->r, 16);
	struct dt_op rm;
	struct dt_insn in;

	pick_size(g, 1);
	pick_rm(g, &rm, 1, 30);
	insn_init(g, &in, 1, 2, 0x0f, (uint8_t)(0x90 + cc));
	in.reg = (int)rng_below(&g->r, 8);	/* ignored */
	in.rm = &rm;
	emit(g, &in);
	describe(g, "set%u r/m8 (cc %#x)", cc, cc);
}

/* "mov r32, imm32": the marker a taken branch skips. */
static int
marker(struct dt_gen *g, uint8_t *b)
{
	int reg = pick_reg(g, 4), n = 0;
	uint32_t v = (uint32_t)rng_next(&g->r);

	if (reg >= 8)
		b[n++] = 0x41;
	b[n++] = (uint8_t)(0xb8 + (reg & 7));
	memcpy(b + n, &v, 4);
	return (n + 4);
}

/*
 * Jcc rel8/rel32, JMP rel8/rel32/r/m64, LOOP/LOOPE/LOOPNE, JRCXZ/JECXZ:
 * a taken branch skips a marker instruction.
 */
static void
gen_jcc(struct dt_gen *g)
{
	uint8_t mk[8], b[16];
	int m, n = 0, form = (int)rng_below(&g->r, 8);
	unsigned cc = rng_below(&g->r, 16);
	uint64_t rcx;

	switch (form) {
	case 0: case 1:
		m = marker(g, mk);
		b[n++] = (uint8_t)(0x70 + cc);
		b[n++] = (uint8_t)m;
		describe(g, "jcc rel8 (cc %#x)", cc);
		break;
	case 2: case 3:
		m = marker(g, mk);
		b[n++] = 0x0f;
		b[n++] = (uint8_t)(0x80 + cc);
		memcpy(b + n, &(int32_t){ m }, 4);
		n += 4;
		describe(g, "jcc rel32 (cc %#x)", cc);
		break;
	case 4: case 5:
		/* LOOP E2, LOOPE E1, LOOPNE E0, JRCXZ E3; 67: ECX */
		g->used |= 1u << RCX;
		m = marker(g, mk);
		rcx = rng_below(&g->r, 2) ? rng_below(&g->r, 3) :
		    rng_next(&g->r);
		if (rng_below(&g->r, 3) == 0)
			rcx = (rng_next(&g->r) << 32) | rng_below(&g->r, 2);
		/* 32-bit code, 67: CX only; ECX's upper half is kept */
		if (g->m32 && rng_below(&g->r, 2) == 0)
			rcx = (rng_next(&g->r) << 16) | rng_below(&g->r, 3);
		g->c->in.gpr[RCX] = rcx;
		if (rng_below(&g->r, 3) == 0)
			b[n++] = 0x67;
		b[n++] = (uint8_t)(0xe0 + rng_below(&g->r, 4));
		b[n++] = (uint8_t)m;
		describe(g, "%s%s", b[0] == 0x67 ? "addr32 " : "",
		    b[n - 2] == 0xe3 ? "jrcxz" : b[n - 2] == 0xe2 ? "loop" :
		    b[n - 2] == 0xe1 ? "loope" : "loopne");
		break;
	case 6:
		m = marker(g, mk);
		if (rng_below(&g->r, 2)) {
			b[n++] = 0xeb;
			b[n++] = (uint8_t)m;
			describe(g, "jmp rel8");
		} else {
			b[n++] = 0xe9;
			memcpy(b + n, &(int32_t){ m }, 4);
			n += 4;
			describe(g, "jmp rel32");
		}
		break;
	default: {
		/* jmp r/m64 to just past the marker */
		struct dt_op rm;
		struct dt_insn in;
		uint64_t target;

		pick_rm(g, &rm, 8, 40);
		m = marker(g, mk);
		insn_init(g, &in, 4, 1, 0xff, 0);
		in.reg = 4;
		in.rm = &rm;
		emit(g, &in);
		target = code_here(g) + (uint64_t)m;
		set_rm(g, &rm, 8, target);
		emit_bytes(g, mk, m);
		describe(g, "jmp %s64", rm.mem ? "m" : "r");
		return;
	}
	}
	emit_bytes(g, b, n);
	emit_bytes(g, mk, m);
}

/* MOV: 88/89, 8A/8B, C6/C7, B0+r, B8+r (imm32 and imm64), A0-A3. */
static void
gen_mov(struct dt_gen *g)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;
	int form = (int)rng_below(&g->r, 5), reg;
	uint64_t v;
	uint8_t b[16];
	int n = 0;

	switch (form) {
	case 0: case 1:
		pick_rm(g, &rm, size, 40);
		set_rm(g, &rm, size, rng_val(&g->r, size));
		reg = pick_reg(g, size);
		emit_sized(g, size, form ? 0x8a : 0x88, form ? 0x8b : 0x89,
		    reg, &rm, 0, 0);
		describe(g, "mov %s%u", form ? "r, r/m" : "r/m, r", size * 8);
		break;
	case 2:
		pick_rm(g, &rm, size, 40);
		emit_sized(g, size, 0xc6, 0xc7, 0, &rm, imm_size(size),
		    rng_val(&g->r, (unsigned)imm_size(size)));
		describe(g, "mov r/m%u, imm", size * 8);
		break;
	case 3:
		/* the register is in the opcode: emitted by hand */
		reg = pick_reg(g, size);
		v = rng_val(&g->r, size);
		if (size == 2)
			b[n++] = 0x66;
		if (size == 8 || reg >= 8 || (size == 1 && !g->legacy8))
			b[n++] = (uint8_t)(0x40 | (size == 8 ? 8 : 0) |
			    (reg >= 8));
		b[n++] = (uint8_t)((size == 1 ? 0xb0 : 0xb8) + (reg & 7));
		memcpy(b + n, &v, size);
		n += (int)size;
		emit_bytes(g, b, n);
		describe(g, "mov r%u, imm%u", size * 8, size * 8);
		break;
	default: {
		/*
		 * moffs: A0/A1 load, A2/A3 store, 64-bit absolute address
		 * (32-bit in 32-bit code)
		 */
		uint64_t addr = DT_DATA_VA + 256 + rng_below(&g->r, 7000);
		bool store = rng_below(&g->r, 2);

		g->legacy8 = false;
		poke(g, addr, size, rng_val(&g->r, size));
		if (size == 2)
			b[n++] = 0x66;
		if (size == 8)
			b[n++] = 0x48;
		b[n++] = (uint8_t)((store ? 0xa2 : 0xa0) + (size == 1 ? 0 : 1));
		memcpy(b + n, &addr, g->m32 ? 4 : 8);
		n += g->m32 ? 4 : 8;
		emit_bytes(g, b, n);
		describe(g, "mov %s moffs%u", store ? "store" : "load",
		    size * 8);
		break;
	}
	}
}

/* MOVZX MOVSX (0F B6/B7/BE/BF) and MOVSXD (63). */
static void
gen_movx(struct dt_gen *g)
{
	int form = (int)rng_below(&g->r, 5), reg;
	unsigned ssize, dsize;
	struct dt_op rm;
	struct dt_insn in;
	uint8_t op;

	if (g->m32 && form == 4)	/* 63 is ARPL (gen_p32.c) */
		form = (int)rng_below(&g->r, 4);
	if (form == 4) {
		ssize = 4;
		dsize = rng_below(&g->r, 4) ? 8 : 4;
		op = 0x63;
	} else {
		ssize = form & 1 ? 2 : 1;
		op = (uint8_t)((form & 2 ? 0xbe : 0xb6) + (form & 1));
		do {
			dsize = 2u << rng_below(&g->r, 3);
		} while ((ssize == 2 && dsize == 2 && rng_below(&g->r, 4)) ||
		    (g->m32 && dsize == 8));
	}
	g->legacy8 = ssize == 1 && dsize != 8 && (g->m32 ||
	    rng_below(&g->r, 2));
	pick_rm(g, &rm, ssize, 40);
	set_rm(g, &rm, ssize, rng_val(&g->r, ssize));
	do {
		reg = pick_reg(g, dsize);
	} while (g->legacy8 && reg >= 8);
	memset(&in, 0, sizeof(in));
	if (dsize == 2)
		add_prefix(&in, 0x66);
	in.rexw = dsize == 8;
	in.rex = ssize == 1 && !g->legacy8;
	if (op == 0x63) {
		in.op[0] = op;
		in.nop = 1;
	} else {
		in.op[0] = 0x0f;
		in.op[1] = op;
		in.nop = 2;
	}
	in.reg = reg;
	in.rm = &rm;
	emit(g, &in);
	describe(g, "%s r%u, r/m%u", op == 0x63 ? "movsxd" : form & 2 ?
	    "movsx" : "movzx", dsize * 8, ssize * 8);
}

/* LEA r16/32/64, m with any addressing form, 64- and 32-bit addresses. */
static void
gen_lea(struct dt_gen *g)
{
	unsigned size = pick_size(g, SZ_WIDE);
	struct dt_op rm;
	struct dt_insn in;
	uint64_t addr = (uint64_t)(int64_t)((int32_t)rng_next(&g->r) >> 1);

	mem_at(g, &rm, addr);
	insn_init(g, &in, size, 1, 0x8d, 0);
	in.reg = pick_reg(g, size);
	in.rm = &rm;
	emit(g, &in);
	describe(g, "lea r%u, m%s", size * 8, g->addr32 ? " (addr32)" : "");
}

/* XCHG r/m, r (86/87) and XCHG rAX, r (90+r; 90 itself is NOP). */
static void
gen_xchg(struct dt_gen *g)
{
	unsigned size;
	struct dt_op rm;
	int reg;
	uint8_t b[4];
	int n = 0;

	if (rng_below(&g->r, 3) == 0) {
		size = pick_size(g, SZ_WIDE);
		reg = pick_reg(g, size);
		set_reg(g, reg, size, rng_val(&g->r, size));
		if (size == 2)
			b[n++] = 0x66;
		if (size == 8 || reg >= 8)
			b[n++] = (uint8_t)(0x40 | (size == 8 ? 8 : 0) |
			    (reg >= 8));
		b[n++] = (uint8_t)(0x90 + (reg & 7));
		emit_bytes(g, b, n);
		describe(g, "xchg %s, r%u%s", size == 8 ? "rax" : size == 4 ?
		    "eax" : "ax", size * 8, b[n - 1] == 0x90 && reg == 0 ?
		    " (nop)" : "");
		return;
	}
	size = pick_size(g, SZ_ALL);
	pick_rm(g, &rm, size, 40);
	set_rm(g, &rm, size, rng_val(&g->r, size));
	reg = pick_reg(g, size);
	emit_sized(g, size, 0x86, 0x87, reg, &rm, 0, 0);
	describe(g, "xchg r/m%u, r", size * 8);
}

/* XADD r/m, r (0F C0/C1) and CMPXCHG r/m, r (0F B0/B1), LOCK or not. */
static void
gen_xadd_cmpxchg(struct dt_gen *g, bool cx)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;
	struct dt_insn in;
	uint64_t v;
	int reg;
	bool lock;

	if (cx)
		g->used |= 1u << RAX;
	pick_rm(g, &rm, size, 50);
	v = rng_val(&g->r, size);
	set_rm(g, &rm, size, v);
	if (cx) {
		g->used &= (uint16_t)~(1u << RAX);
		set_reg(g, RAX, size, rng_below(&g->r, 2) ? v :
		    rng_val(&g->r, size));
	}
	reg = pick_reg(g, size);
	set_reg(g, reg, size, rng_val(&g->r, size));
	lock = rm.mem && rng_below(&g->r, 2);
	insn_init(g, &in, size, 2, 0x0f, (uint8_t)((cx ? 0xb0 : 0xc0) +
	    (size == 1 ? 0 : 1)));
	if (lock) {
		memmove(in.pfx + 1, in.pfx, (size_t)in.npfx);
		in.pfx[0] = 0xf0;
		in.npfx++;
	}
	in.reg = reg;
	in.rm = &rm;
	emit(g, &in);
	describe(g, "%s%s r/m%u, r", lock ? "lock " : "", cx ? "cmpxchg" :
	    "xadd", size * 8);
}

static void gen_xadd(struct dt_gen *g) { gen_xadd_cmpxchg(g, false); }
static void gen_cmpxchg(struct dt_gen *g) { gen_xadd_cmpxchg(g, true); }

/* CMPXCHG8B m64 / CMPXCHG16B m128 (0F C7 /1), LOCK or not. */
static void
gen_cmpxchg_nb(struct dt_gen *g, bool b16)
{
	unsigned half = b16 ? 8 : 4;
	struct dt_op rm;
	struct dt_insn in;
	uint64_t lo = rng_val(&g->r, half), hi = rng_val(&g->r, half);
	bool lock = rng_below(&g->r, 2);

	g->used |= 1u << RAX | 1u << RDX | 1u << RBX | 1u << RCX;
	pick_mem(g, &rm, 8, b16 ? 16 : (rng_below(&g->r, 4) ? 8 : 1));
	g->c->npoke--;			/* replace pick_mem's value */
	poke(g, rm.addr, half, lo);
	poke(g, rm.addr + half, half, hi);
	if (rng_below(&g->r, 2)) {
		set_reg(g, RAX, half, lo);
		set_reg(g, RDX, half, hi);
		if (rng_below(&g->r, 4) == 0)
			set_reg(g, RDX, half, hi ^ 1);
	}
	memset(&in, 0, sizeof(in));
	if (lock)
		add_prefix(&in, 0xf0);
	in.rexw = b16;
	in.op[0] = 0x0f;
	in.op[1] = 0xc7;
	in.nop = 2;
	in.reg = 1;
	in.rm = &rm;
	emit(g, &in);
	describe(g, "%scmpxchg%s", lock ? "lock " : "", b16 ? "16b" : "8b");
}

static void gen_cmpxchg8b(struct dt_gen *g) { gen_cmpxchg_nb(g, false); }
static void gen_cmpxchg16b(struct dt_gen *g) { gen_cmpxchg_nb(g, true); }

/*
 * CRC32 r32/r64, r/m8/16/32/64 (F2 0F 38 F0/F1; SSE4.2, an integer
 * instruction in the 0F38 map).  No flags change.
 */
static void
gen_crc32(struct dt_gen *g)
{
	unsigned size = pick_size(g, SZ_ALL);
	struct dt_op rm;
	struct dt_insn in;
	bool w = size == 8 || (size == 1 && !g->legacy8 &&
	    rng_below(&g->r, 2));
	int reg;

	pick_rm(g, &rm, size, 40);
	set_rm(g, &rm, size, rng_val(&g->r, size));
	do {
		reg = pick_reg(g, 4);
	} while (g->legacy8 && reg >= 8);
	memset(&in, 0, sizeof(in));
	if (size == 2)
		add_prefix(&in, 0x66);
	add_prefix(&in, 0xf2);
	in.rexw = w;
	in.rex = size == 1 && !g->legacy8;
	in.op[0] = 0x0f;
	in.op[1] = 0x38;
	in.op[2] = size == 1 ? 0xf0 : 0xf1;
	in.nop = 3;
	in.reg = reg;
	in.rm = &rm;
	emit(g, &in);
	describe(g, "crc32 r%u, %s%u", w ? 64 : 32, rm.mem ? "m" : "r",
	    size * 8);
}

/* CBW CWDE CDQE (98), CWD CDQ CQO (99). */
static void
gen_convert(struct dt_gen *g)
{
	unsigned size = 2u << rng_below(&g->r, 3);
	uint8_t b[2];
	int n = 0;
	bool d = rng_below(&g->r, 2);

	if (g->m32 && size == 8)
		size = 4;
	set_reg(g, RAX, size, rng_val(&g->r, size));
	if (size == 2)
		b[n++] = 0x66;
	if (size == 8)
		b[n++] = 0x48;
	b[n++] = d ? 0x99 : 0x98;
	emit_bytes(g, b, n);
	describe(g, "%s", d ? (size == 2 ? "cwd" : size == 4 ? "cdq" : "cqo") :
	    (size == 2 ? "cbw" : size == 4 ? "cwde" : "cdqe"));
}

/* 32-bit code (DT_MODE32): the same generators, one picked per case. */
typedef void gen_fn(struct dt_gen *);

static void
pick_gen(struct dt_gen *g, gen_fn *const *fns, size_t n)
{
	fns[rng_below(&g->r, (uint32_t)n)](g);
}

static void
gen_bitops_32(struct dt_gen *g)
{
	static gen_fn *const fns[] = {
		gen_bt, gen_bts, gen_btr, gen_btc, gen_bsf, gen_bsr,
	};

	pick_gen(g, fns, sizeof(fns) / sizeof(fns[0]));
}

static void
gen_cond_32(struct dt_gen *g)
{
	static gen_fn *const fns[] = { gen_cmovcc, gen_setcc, gen_jcc };

	pick_gen(g, fns, sizeof(fns) / sizeof(fns[0]));
}

static void
gen_move_32(struct dt_gen *g)
{
	static gen_fn *const fns[] = {
		gen_mov, gen_movx, gen_lea, gen_xchg, gen_bswap, gen_convert,
	};

	pick_gen(g, fns, sizeof(fns) / sizeof(fns[0]));
}

static void
gen_atomic_32(struct dt_gen *g)
{
	static gen_fn *const fns[] = {
		gen_xadd, gen_cmpxchg, gen_cmpxchg8b,
	};

	pick_gen(g, fns, sizeof(fns) / sizeof(fns[0]));
}

const struct dt_family dt_misc_families[] = {
	{ "bt", gen_bt, NULL },
	{ "bts", gen_bts, NULL },
	{ "btr", gen_btr, NULL },
	{ "btc", gen_btc, NULL },
	{ "bsf", gen_bsf, NULL },
	{ "bsr", gen_bsr, NULL },
	{ "lzcnt", gen_lzcnt, host_has_lzcnt },
	{ "tzcnt", gen_tzcnt, host_has_bmi1 },
	{ "popcnt", gen_popcnt, host_has_popcnt },
	{ "bswap", gen_bswap, NULL },
	{ "cmovcc", gen_cmovcc, NULL },
	{ "setcc", gen_setcc, NULL },
	{ "jcc", gen_jcc, NULL },
	{ "mov", gen_mov, NULL },
	{ "movzx_movsx", gen_movx, NULL },
	{ "lea", gen_lea, NULL },
	{ "xchg", gen_xchg, NULL },
	{ "xadd", gen_xadd, NULL },
	{ "cmpxchg", gen_cmpxchg, NULL },
	{ "cmpxchg8b", gen_cmpxchg8b, NULL },
	{ "cmpxchg16b", gen_cmpxchg16b, host_has_cx16 },
	{ "convert", gen_convert, NULL },
	{ "crc32", gen_crc32, host_has_sse42 },
	{ "bitops_32", gen_bitops_32, NULL, true },
	{ "cond_32", gen_cond_32, NULL, true },
	{ "move_32", gen_move_32, NULL, true },
	{ "atomic_32", gen_atomic_32, NULL, true },
	{ NULL, NULL, NULL },
};
