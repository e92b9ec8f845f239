/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Random operands biased to edge values, and a small x86-64 encoder for
 * the forms the families use: legacy prefixes, REX, one to three opcode
 * bytes, ModRM/SIB/displacement (RIP-relative included), immediates
 * (SDM Vol 2 ch. 2).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/diff/difftest.h"

uint64_t
rng_next(struct dt_rng *r)
{
	uint64_t z;

	/* splitmix64 */
	z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31));
}

uint32_t
rng_below(struct dt_rng *r, uint32_t n)
{
	return ((uint32_t)(((rng_next(r) >> 32) * n) >> 32));
}

uint64_t
smask(unsigned size)
{
	return (size >= 8 ? ~0ull : (1ull << (size * 8)) - 1);
}

/* Immediate size for an operand size (imm32 sign-extended for 64). */
int
imm_size(unsigned size)
{
	return (size == 8 ? 4 : (int)size);
}

/*
 * A random operand size from mask; for bytes, also the choice between
 * the legacy (AH..BH, no REX) and the REX register encodings.
 */
unsigned
pick_size(struct dt_gen *g, unsigned mask)
{
	unsigned s;

	if (g->m32 && (mask & 7) != 0)
		mask &= 7;		/* no 64-bit operands */
	do {
		s = rng_below(&g->r, 4);
	} while (!(mask & (1u << s)));
	/* 32-bit code has no REX: byte registers 4-7 are always AH..BH */
	g->legacy8 = s == 0 && (g->m32 || rng_below(&g->r, 2) == 0);
	return (1u << s);
}

/* A value of `size` bytes, biased to the interesting ones. */
uint64_t
rng_val(struct dt_rng *r, unsigned size)
{
	uint64_t m = smask(size), sign = 1ull << (size * 8 - 1);
	uint64_t v;

	switch (rng_below(r, 16)) {
	case 0: v = 0; break;
	case 1: v = 1; break;
	case 2: v = m; break;			/* -1 */
	case 3: v = sign - 1; break;		/* 0x7f.. */
	case 4: v = sign; break;		/* 0x80.. */
	case 5: v = sign + rng_below(r, 3) - 1; break;
	case 6: v = rng_below(r, 70); break;	/* small, shift counts */
	case 7: v = m - rng_below(r, 4); break;
	case 8: v = 1ull << rng_below(r, 64); break;
	case 9: v = (1ull << rng_below(r, 64)) - 1; break;
	case 10: v = rng_next(r) & 0x8080808080808080ull; break;
	case 11: v = rng_next(r) & rng_next(r); break;
	default: v = rng_next(r); break;
	}
	return (v & m);
}

/* A full register whose low `size` bytes hold rng_val(size). */
uint64_t
rng_reg(struct dt_rng *r, unsigned size)
{
	uint64_t hi;

	switch (rng_below(r, 4)) {
	case 0: hi = 0; break;
	case 1: hi = ~0ull; break;
	default: hi = rng_next(r); break;
	}
	if (size >= 8)
		return (rng_val(r, 8));
	return ((hi & ~smask(size)) | rng_val(r, size));
}

/* Scratch memory contents before the pokes: a function of the case. */
void
dt_fill_memory(const struct dt_case *c, uint8_t *data, uint8_t *stack)
{
	struct dt_rng r = { c->seed ^ 0x5bd1e995u };
	uint64_t v;
	int i, p;

	for (i = 0; i < DT_DATA_SZ; i += 8) {
		v = rng_next(&r);
		if (c->memkind == 1) {
			/* mostly one byte value, so REPE/REPNE run long */
			uint64_t w = 0x5a5a5a5a5a5a5a5aull;
			if ((v & 0x3f) == 0)
				w ^= (v >> 8) & 0xffull << (8 * ((v >> 6) & 7));
			v = w;
		}
		memcpy(data + i, &v, 8);
	}
	for (i = 0; i < DT_STACK_SZ; i += 8) {
		v = rng_next(&r);
		memcpy(stack + i, &v, 8);
	}
	for (p = 0; p < c->npoke; p++) {
		const struct dt_poke *k = &c->poke[p];
		uint8_t *base;

		if (k->addr >= DT_DATA_VA && k->addr + k->size <=
		    DT_DATA_VA + DT_DATA_SZ)
			base = data + (k->addr - DT_DATA_VA);
		else if (k->addr >= DT_STACK_VA && k->addr + k->size <=
		    DT_STACK_VA + DT_STACK_SZ)
			base = stack + (k->addr - DT_STACK_VA);
		else
			continue;
		memcpy(base, &k->val, k->size);
	}
}

void
poke(struct dt_gen *g, uint64_t addr, unsigned size, uint64_t val)
{
	struct dt_case *c = g->c;

	if (c->npoke >= DT_NPOKE)
		return;
	c->poke[c->npoke].addr = addr;
	c->poke[c->npoke].size = (uint8_t)size;
	c->poke[c->npoke].val = val;
	c->npoke++;
}

/* Start a case: random registers and flags, RSP on the scratch stack. */
void
gen_begin(struct dt_gen *g, struct dt_case *c)
{
	int i;

	g->c = c;
	g->used = 1u << RSP;
	g->legacy8 = false;
	g->addr32 = false;
	g->fault = false;
	g->segpfx = 0;
	g->seq = false;
	g->m32 = c->mode == DT_MODE32;
	for (i = 0; i < 16; i++)
		c->in.gpr[i] = rng_reg(&g->r, 1u << rng_below(&g->r, 4));
	c->in.gpr[RSP] = DT_STACK_TOP;
	c->in.rflags = 0x2 | (rng_next(&g->r) & F_ARITH);
	if (rng_below(&g->r, 4) == 0)
		c->in.rflags |= F_DF;
	c->flag_mask = F_TESTED;
	c->reg_mask = 0xffff;
	c->len = 0;
	c->npoke = 0;
	c->memkind = 0;
	c->desc[0] = '\0';
}

/* Append to a DT_DESC-sized description, truncating. */
void
dcat(char *d, const char *s)
{
	size_t n = strlen(d);

	if (n < DT_DESC - 1)
		snprintf(d + n, DT_DESC - n, "%s", s);
}

void
describe(struct dt_gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->c->desc, sizeof(g->c->desc), fmt, ap);
	va_end(ap);
}

uint64_t
code_here(const struct dt_gen *g)
{
	return (DT_CODE_VA + g->c->code_at + g->c->len);
}

/* Real register number behind a register encoding. */
int
reg_real(const struct dt_gen *g, int enc, unsigned size)
{
	if (size == 1 && g->legacy8 && enc >= 4 && enc < 8)
		return (enc - 4);
	return (enc);
}

/*
 * A register operand of `size` bytes not holding a fixed value.  For byte
 * operands the generator first chose between the legacy encoding (4-7 =
 * AH..BH, no REX allowed) and the REX one (4-7 = SPL..DIL); SPL is never
 * chosen as it is RSP.
 */
int
pick_reg(struct dt_gen *g, unsigned size)
{
	int enc, tries;

	for (tries = 0; tries < 1000; tries++) {
		if ((size == 1 && g->legacy8) || g->m32)
			enc = (int)rng_below(&g->r, 8);
		else
			enc = (int)rng_below(&g->r, 16);
		if (enc == RSP && !(size == 1 && g->legacy8))
			continue;
		if (g->used & (1u << reg_real(g, enc, size)))
			continue;
		return (enc);
	}
	abort();
}

void
set_reg(struct dt_gen *g, int enc, unsigned size, uint64_t val)
{
	uint64_t *p = &g->c->in.gpr[reg_real(g, enc, size)];

	if (size == 1 && g->legacy8 && enc >= 4 && enc < 8)
		*p = (*p & ~0xff00ull) | (val & 0xff) << 8;
	else
		*p = (*p & ~smask(size)) | (val & smask(size));
}

uint64_t
get_reg(const struct dt_gen *g, int enc, unsigned size)
{
	uint64_t v = g->c->in.gpr[reg_real(g, enc, size)];

	if (size == 1 && g->legacy8 && enc >= 4 && enc < 8)
		return ((v >> 8) & 0xff);
	return (v & smask(size));
}

/* A base or index register for a memory operand (never RSP). */
static int
pick_ptr_reg(struct dt_gen *g)
{
	int r, tries;

	for (tries = 0; tries < 1000; tries++) {
		r = (int)rng_below(&g->r, g->legacy8 || g->m32 ? 8 : 16);
		if (r == RSP || (g->used & (1u << r)))
			continue;
		return (r);
	}
	abort();
}

/*
 * A memory operand addressing `addr` through a random addressing form:
 * [base], [base+disp8/32], [base+index*s+disp], [index*s+disp32],
 * [disp32], [rip+disp32], with or without the 67 prefix (then the
 * registers carry garbage in their upper halves).  With a GS override
 * (g->segpfx) the effective address is addr minus the GS base.  In 32-bit
 * code the values wrap at 4 GiB (difftest.c truncates the registers), so
 * base + disp often carries out of bit 31, and [rip+disp32] becomes the
 * absolute [disp32] of the same ModRM (SDM Vol 2 2.2.1.6).
 */
void
mem_at(struct dt_gen *g, struct dt_op *op, uint64_t addr)
{
	struct dt_case *c = g->c;
	uint64_t bval, ival = 0;
	int form = (int)rng_below(&g->r, 10);

	memset(op, 0, sizeof(*op));
	op->mem = true;
	op->addr = addr;
	if (g->segpfx == 0x65)
		addr -= DT_GS_BASE;
	op->ea = addr;
	if (g->seq) {
		/*
		 * In a sequence earlier instructions may change any register
		 * but R14 and R15, which hold fixed pointers: address
		 * relative to them, RIP-relative or absolute.
		 */
		op->base = op->index = DT_NOREG;
		g->addr32 = false;
		op->dispsz = 4;
		if (g->legacy8)		/* AH..BH: no REX, so no R14/R15 */
			form = 2 + form % 2;
		switch (form % 4) {
		case 0:
		case 1:
			op->base = form % 2 ? R14 : R15;
			op->disp = (int64_t)(addr - c->in.gpr[op->base]);
			if (op->disp >= -128 && op->disp < 128)
				op->dispsz = op->disp == 0 ? 0 : 1;
			break;
		case 2:
			op->base = DT_RIPREL;
			break;
		default:
			op->disp = (int64_t)addr;
			break;
		}
		return;
	}
	op->base = op->index = DT_NOREG;
	/* in 32-bit code 67 selects 16-bit addresses: see gen_p32.c */
	g->addr32 = rng_below(&g->r, 8) == 0 && !g->m32;
	switch (form) {
	case 0: case 1:
		op->base = pick_ptr_reg(g);
		break;
	case 2: case 3:
		op->base = pick_ptr_reg(g);
		op->dispsz = 1;
		op->disp = (int8_t)rng_next(&g->r);
		break;
	case 4:
		op->base = pick_ptr_reg(g);
		op->dispsz = 4;
		op->disp = (int32_t)(rng_next(&g->r) & 0x8000ffff);
		break;
	case 5: case 6:
		op->base = pick_ptr_reg(g);
		g->used |= 1u << op->base;
		op->index = pick_ptr_reg(g);
		op->scale = (int)rng_below(&g->r, 4);
		op->dispsz = (int)rng_below(&g->r, 3);
		op->dispsz = op->dispsz == 2 ? 4 : op->dispsz;
		op->disp = op->dispsz == 1 ? (int8_t)rng_next(&g->r) :
		    op->dispsz == 4 ? (int32_t)(rng_next(&g->r) & 0x8000ffff)
		    : 0;
		break;
	case 7:
		op->index = pick_ptr_reg(g);
		op->scale = (int)rng_below(&g->r, 4);
		op->dispsz = 4;
		op->disp = (int64_t)addr;
		break;
	case 8:
		op->dispsz = 4;
		op->disp = (int64_t)addr;
		break;
	default:
		op->base = DT_RIPREL;
		op->dispsz = 4;
		break;
	}
	if (op->index != DT_NOREG) {
		ival = (uint64_t)(int64_t)((int)rng_below(&g->r, 64) - 32);
		if (op->base == DT_NOREG)	/* disp32 must hold addr */
			op->disp = (int64_t)(addr - (ival << op->scale));
		if (g->addr32)
			ival = (ival & 0xffffffffull) |
			    (rng_next(&g->r) & ~0xffffffffull);
		c->in.gpr[op->index] = ival;
		g->used |= 1u << op->index;
	}
	if (op->base >= 0 && op->base < 16) {
		bval = addr - (uint64_t)op->disp - (ival << op->scale);
		if (g->addr32)
			bval = (bval & 0xffffffffull) |
			    (rng_next(&g->r) & ~0xffffffffull);
		c->in.gpr[op->base] = bval;
		g->used |= 1u << op->base;
	}
}

/* Would [addr, addr + size) overlap a value poked before? */
static bool
overlaps_poke(const struct dt_case *c, uint64_t addr, unsigned size)
{
	int i;

	for (i = 0; i < c->npoke; i++)
		if (addr < c->poke[i].addr + c->poke[i].size &&
		    c->poke[i].addr < addr + size)
			return (true);
	return (false);
}

/*
 * A memory operand of `size` bytes in the data pages, aligned to align
 * (0: random, mostly naturally aligned; sometimes straddling the page
 * boundary between the two data pages).
 */
void
pick_mem(struct dt_gen *g, struct dt_op *op, unsigned size, unsigned align)
{
	uint64_t off;
	unsigned al;
	int tries = 0;

	do {
		off = 256 + rng_below(&g->r, DT_DATA_SZ - 512);
		al = align;
		if (g->fault) {
			/* into the unmapped page after the data pages */
			if (al == 0 && size > 1 && rng_below(&g->r, 2))
				off = DT_DATA_SZ - 1 - rng_below(&g->r,
				    size - 1);
			else
				off = DT_DATA_SZ + (rng_below(&g->r, 64) &
				    ~(uint64_t)((al ? al : 1) - 1));
		} else if (al == 0 && size > 1 && rng_below(&g->r, 8) == 0) {
			off = 4096 - 1 - rng_below(&g->r, size - 1);
		} else {
			if (al == 0)
				al = rng_below(&g->r, 4) == 0 ? 1 : size;
			off &= ~(uint64_t)(al - 1);
		}
		/* a fresh place: a later poke must not clobber an operand */
	} while (overlaps_poke(g->c, DT_DATA_VA + off, size) && ++tries < 100);
	mem_at(g, op, DT_DATA_VA + off);
	poke(g, op->addr, size, rng_val(&g->r, size));
}

/* Register or memory (memory with probability pmem percent). */
void
pick_rm(struct dt_gen *g, struct dt_op *op, unsigned size, int pmem)
{
	if ((int)rng_below(&g->r, 100) < pmem || g->fault || g->segpfx) {
		pick_mem(g, op, size, 0);
		return;
	}
	memset(op, 0, sizeof(*op));
	op->reg = pick_reg(g, size);
	op->base = op->index = DT_NOREG;
}

void
add_prefix(struct dt_insn *in, uint8_t p)
{
	in->pfx[in->npfx++] = p;
}

void
emit_bytes(struct dt_gen *g, const uint8_t *b, int n)
{
	struct dt_case *c = g->c;

	if (c->len + n > DT_CODE_MAX - 8)
		abort();
	memcpy(c->code + c->len, b, (size_t)n);
	c->len = (uint8_t)(c->len + n);
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void
emit(struct dt_gen *g, const struct dt_insn *in)
{
	const struct dt_op *rm = in->rm;
	uint8_t b[32];
	int n = 0, i, rex = 0, dpos = -1, mod, rmf, reg;

	for (i = 0; i < in->npfx; i++)
		b[n++] = in->pfx[i];
	if (rm != NULL && rm->mem && g->segpfx != 0)
		b[n++] = g->segpfx;
	if (rm != NULL && rm->mem && g->addr32)
		b[n++] = 0x67;
	reg = in->reg == DT_NOREG ? 0 : in->reg;
	if (in->rexw)
		rex |= 0x48;
	if (reg >= 8)
		rex |= 0x44;
	if (rm != NULL && !rm->mem && rm->reg >= 8)
		rex |= 0x41;
	if (rm != NULL && rm->mem && rm->base >= 8 && rm->base < 16)
		rex |= 0x41;
	if (rm != NULL && rm->mem && rm->index >= 8)
		rex |= 0x42;
	if (in->rex)
		rex |= 0x40;
	if (rex != 0) {
		if (g->legacy8 || g->m32)
			abort();	/* generator bug: AH..BH or 32-bit
					   code with REX */
		b[n++] = (uint8_t)rex;
	}
	for (i = 0; i < in->nop; i++)
		b[n++] = in->op[i];
	if (rm != NULL && !rm->mem) {
		b[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm->reg & 7));
	} else if (rm != NULL) {
		if (rm->base == DT_RIPREL) {
			b[n++] = (uint8_t)((reg & 7) << 3 | 5);
			dpos = n;
			n += 4;
		} else if (rm->base == DT_NOREG) {
			/* SIB with no base: disp32 (+ index) */
			b[n++] = (uint8_t)((reg & 7) << 3 | 4);
			b[n++] = (uint8_t)(rm->scale << 6 | (rm->index ==
			    DT_NOREG ? 4 : rm->index & 7) << 3 | 5);
			put_le(b + n, (uint64_t)rm->disp, 4);
			n += 4;
		} else {
			int dsz = rm->dispsz;

			if (dsz == 0 && (rm->base & 7) == 5)
				dsz = 1;	/* [rbp]/[r13] need a disp8 */
			mod = dsz == 0 ? 0 : dsz == 1 ? 1 : 2;
			if (rm->index != DT_NOREG || (rm->base & 7) == 4) {
				rmf = 4;
				b[n++] = (uint8_t)(mod << 6 | (reg & 7) << 3 |
				    rmf);
				b[n++] = (uint8_t)(rm->scale << 6 |
				    (rm->index == DT_NOREG ? 4 :
				    rm->index & 7) << 3 | (rm->base & 7));
			} else {
				b[n++] = (uint8_t)(mod << 6 | (reg & 7) << 3 |
				    (rm->base & 7));
			}
			put_le(b + n, (uint64_t)rm->disp, dsz);
			n += dsz;
		}
	}
	put_le(b + n, in->imm, in->immsz);
	n += in->immsz;
	put_le(b + n, in->imm2, in->immsz2);
	n += in->immsz2;
	if (dpos >= 0 && g->m32) {
		put_le(b + dpos, rm->ea, 4);	/* [disp32] */
	} else if (dpos >= 0) {
		uint64_t next = code_here(g) + (uint64_t)n;
		put_le(b + dpos, rm->ea - next, 4);
	}
	emit_bytes(g, b, n);
}

/*
 * An instruction of operand size `size' (66 for words, REX.W for
 * quadwords, a bare REX for bytes unless legacy8) with opcode op0 op1
 * (`nop' bytes) and no operands yet.
 */
void
insn_init(struct dt_gen *g, struct dt_insn *in, unsigned size, int nop,
    uint8_t op0, uint8_t op1)
{
	memset(in, 0, sizeof(*in));
	if (size == 2)
		add_prefix(in, 0x66);
	in->rexw = size == 8;
	in->rex = size == 1 && !g->legacy8;
	in->op[0] = op0;
	in->op[1] = op1;
	in->nop = nop;
	in->reg = DT_NOREG;
}

/* The usual 8/16/32/64 pattern: op8 for bytes, 66 for words, REX.W. */
void
emit_sized(struct dt_gen *g, unsigned size, uint8_t op8, uint8_t op, int reg,
    const struct dt_op *rm, int immsz, uint64_t imm)
{
	struct dt_insn in;

	insn_init(g, &in, size, 1, size == 1 ? op8 : op, 0);
	in.reg = reg;
	in.rm = rm;
	in.immsz = immsz;
	in.imm = imm;
	emit(g, &in);
}

int
enc_popf_image(uint8_t *b, uint32_t f, bool sixteen)
{
	int n = 0;

	if (sixteen) {
		b[n++] = 0x66;
		b[n++] = 0x68;
		memcpy(b + n, &(uint16_t){ (uint16_t)f }, 2);
		n += 2;
		b[n++] = 0x66;
	} else {
		b[n++] = 0x68;
		memcpy(b + n, &f, 4);
		n += 4;
	}
	b[n++] = 0x9d;
	return (n);
}

int
enc_call_ret(uint8_t *b, uint16_t pop)
{
	int n = 0;

	b[n++] = 0xe8;
	memcpy(b + n, &(int32_t){ 2 }, 4);
	n += 4;
	b[n++] = 0xeb;
	if (pop != 0) {
		b[n++] = 3;
		b[n++] = 0xc2;
		memcpy(b + n, &pop, 2);
		n += 2;
	} else {
		b[n++] = 1;
		b[n++] = 0xc3;
	}
	return (n);
}
