/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * String instructions MOVS CMPS SCAS LODS STOS INS OUTS with REP, REPE,
 * REPNE in every address size (SDM Vol 2, and Vol 1 7.3.9.1).
 *
 * A REP instruction commits rCX/rSI/rDI after every iteration, so a fault
 * or an exit in the middle restarts where it stopped (as on hardware).
 * After X86_STR_CHUNK iterations it puts RIP back on itself and returns:
 * the run loop then looks at interrupts and kicks before resuming it.
 * Each committed iteration also retires the replay log, so a REP INS/OUTS
 * that exits to userland once per element replays only its last access.
 * REP MOVS/STOS with DF = 0 copy whole page runs through host pointers.
 */
#include "vmm/x86/ops.h"

#define X86_STR_CHUNK	4096

struct str {
	unsigned	size, asz;
	uint64_t	amask;
	int64_t		delta;
};

static inline void
str_init(const struct x86_cpu *cpu, const struct x86_insn *in, struct str *s)
{
	s->size = in->opsize;
	if (in->map == 0 && in->opcode < 0x70 && s->size > 4)
		s->size = 4;		/* INS/OUTS ignore REX.W */
	s->asz = in->adsize;
	s->amask = x86_mask(in->adsize);
	s->delta = (cpu->rflags & X86_DF) ? -(int64_t)s->size :
	    (int64_t)s->size;
}

static inline uint64_t
idx(const struct x86_cpu *cpu, const struct str *s, int r)
{
	return (cpu->gpr[r] & s->amask);
}

static inline void
idx_step(struct x86_cpu *cpu, const struct str *s, int r, uint64_t n)
{
	wr_reg(cpu, r, s->asz, 1, cpu->gpr[r] + (uint64_t)s->delta * n);
}

/* One element; *stop set by CMPS/SCAS when REPE/REPNE ends. */
typedef int (*str_fn)(struct x86_cpu *, const struct x86_insn *,
    const struct str *);

static int
str_movs(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s)
{
	uint64_t v;
	int rc;

	rc = rd_mem(cpu, in->seg, idx(cpu, s, X86_RSI), s->size, &v);
	if (rc == X86_OK)
		rc = wr_mem(cpu, X86_ES, idx(cpu, s, X86_RDI), s->size, v);
	if (rc != X86_OK)
		return (rc);
	idx_step(cpu, s, X86_RSI, 1);
	idx_step(cpu, s, X86_RDI, 1);
	return (X86_OK);
}

static int
str_cmps(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s)
{
	uint64_t a, b;
	int rc;

	rc = rd_mem(cpu, in->seg, idx(cpu, s, X86_RSI), s->size, &a);
	if (rc == X86_OK)
		rc = rd_mem(cpu, X86_ES, idx(cpu, s, X86_RDI), s->size, &b);
	if (rc != X86_OK)
		return (rc);
	lf_set(cpu, LF_SUB, s->size, (a - b) & x86_mask(s->size), a, b);
	idx_step(cpu, s, X86_RSI, 1);
	idx_step(cpu, s, X86_RDI, 1);
	return (X86_OK);
}

static int
str_scas(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s)
{
	uint64_t a = rd_reg(cpu, X86_RAX, s->size, 1), b;
	int rc;

	rc = rd_mem(cpu, X86_ES, idx(cpu, s, X86_RDI), s->size, &b);
	if (rc != X86_OK)
		return (rc);
	lf_set(cpu, LF_SUB, s->size, (a - b) & x86_mask(s->size), a, b);
	idx_step(cpu, s, X86_RDI, 1);
	return (X86_OK);
}

static int
str_lods(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s)
{
	uint64_t v;
	int rc;

	rc = rd_mem(cpu, in->seg, idx(cpu, s, X86_RSI), s->size, &v);
	if (rc != X86_OK)
		return (rc);
	wr_reg(cpu, X86_RAX, s->size, 1, v);
	idx_step(cpu, s, X86_RSI, 1);
	return (X86_OK);
}

static int
str_stos(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s)
{
	int rc;

	rc = wr_mem(cpu, X86_ES, idx(cpu, s, X86_RDI), s->size,
	    rd_reg(cpu, X86_RAX, s->size, 1));
	if (rc != X86_OK)
		return (rc);
	idx_step(cpu, s, X86_RDI, 1);
	return (X86_OK);
}

static inline unsigned
io_size(const struct str *s)
{
	return (s->size > 4 ? 4 : s->size);
}

static int
str_ins(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s)
{
	uint32_t v = 0;
	int rc;

	rc = x86_io(cpu, (uint16_t)cpu->gpr[X86_RDX], io_size(s), true, &v);
	if (rc == X86_OK)
		rc = wr_mem(cpu, X86_ES, idx(cpu, s, X86_RDI), io_size(s), v);
	if (rc != X86_OK)
		return (rc);
	idx_step(cpu, s, X86_RDI, 1);
	return (X86_OK);
}

static int
str_outs(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s)
{
	uint64_t v;
	uint32_t w;
	int rc;

	rc = rd_mem(cpu, in->seg, idx(cpu, s, X86_RSI), io_size(s), &v);
	if (rc != X86_OK)
		return (rc);
	w = (uint32_t)v;
	rc = x86_io(cpu, (uint16_t)cpu->gpr[X86_RDX], io_size(s), false, &w);
	if (rc != X86_OK)
		return (rc);
	idx_step(cpu, s, X86_RSI, 1);
	return (X86_OK);
}

/*
 * Bulk REP MOVS/STOS: as many whole elements as fit in the current
 * source and destination pages, through host pointers.  Returns the
 * number of elements done (0: take the element-by-element path).
 */
static uint64_t
str_bulk(struct x86_cpu *cpu, const struct x86_insn *in, const struct str *s,
    uint64_t count, bool movs)
{
	uint64_t di = idx(cpu, s, X86_RDI), si = idx(cpu, s, X86_RSI), n, b;
	void *dp, *sp = NULL;
	unsigned k;

	if (s->delta < 0)
		return (0);
	n = (4096 - ((cpu->seg[X86_ES].base + di) & 4095)) / s->size;
	if (movs) {
		b = (4096 - ((cpu->seg[in->seg].base + si) & 4095)) / s->size;
		if (b < n)
			n = b;
	}
	if (n > count)
		n = count;
	/* index wrap-around within the run is left to the slow path */
	if (n < 2 || di + n * s->size - 1 > s->amask ||
	    (movs && si + n * s->size - 1 > s->amask))
		return (0);
	if (movs && (x86_vptr(cpu, in->seg, si, (unsigned)(n * s->size),
	    X86_ACC_R, &sp) != X86_OK || sp == NULL)) {
		cpu->exc.valid = 0;
		return (0);
	}
	if (x86_vptr(cpu, X86_ES, di, (unsigned)(n * s->size), X86_ACC_W,
	    &dp) != X86_OK || dp == NULL) {
		cpu->exc.valid = 0;
		return (0);
	}
	if (movs) {
		/* a destination just above the source: element by element */
		if ((uint8_t *)dp > (uint8_t *)sp &&
		    (uint8_t *)dp < (uint8_t *)sp + n * s->size)
			return (0);
		memmove(dp, sp, n * s->size);
	} else {
		uint64_t v = rd_reg(cpu, X86_RAX, s->size, 1);

		if (s->size == 1) {
			memset(dp, (int)v, n);
		} else {
			for (b = 0; b < n; b++)
				for (k = 0; k < s->size; k++)
					((uint8_t *)dp)[b * s->size + k] =
					    (uint8_t)(v >> (8 * k));
		}
	}
	if (movs)
		idx_step(cpu, s, X86_RSI, n);
	idx_step(cpu, s, X86_RDI, n);
	return (n);
}

/*
 * The REP loop (SDM Vol 2 REP/REPE/REPNE): test rCX, do one element,
 * decrement rCX, then for CMPS/SCAS test ZF.
 */
static int
str_run(struct x86_cpu *cpu, const struct x86_insn *in, str_fn fn,
    bool cond, bool bulk)
{
	struct str s;
	uint64_t c, n, done = 0, chunk = X86_STR_CHUNK;
	int rc;

	str_init(cpu, in, &s);
	if (in->rep == 0)
		return (fn(cpu, in, &s));
	/* single-stepping traps after every iteration (SDM Vol 3 17.3.1.4) */
	if (cpu->rflags & X86_TF) {
		chunk = 1;
		bulk = false;
	}
	for (;;) {
		c = rd_reg(cpu, X86_RCX, s.asz, 1);
		if (c == 0)
			return (X86_OK);
		if (done >= chunk) {
			/* come back to this instruction after a look around */
			cpu->rip -= in->len;
			if (cpu->csz != 8)
				cpu->rip &= 0xffffffffull;
			return (X86_OK);
		}
		n = bulk ? str_bulk(cpu, in, &s, c, in->opcode < 0xaa) : 0;
		if (n == 0) {
			rc = fn(cpu, in, &s);
			if (rc != X86_OK)
				return (rc);
			n = 1;
		}
		wr_reg(cpu, X86_RCX, s.asz, 1, c - n);
		cpu->replay.n = 0;	/* this element is retired */
		cpu->replay.pos = 0;
		done += n;
		if (cond && x86_cond(cpu, 4) != (in->rep == 0xf3))
			return (X86_OK);
	}
}

X86_OP(x86_op_movs)
{
	return (str_run(cpu, in, str_movs, false, true));
}

X86_OP(x86_op_cmps)
{
	return (str_run(cpu, in, str_cmps, true, false));
}

X86_OP(x86_op_scas)
{
	return (str_run(cpu, in, str_scas, true, false));
}

X86_OP(x86_op_lods)
{
	return (str_run(cpu, in, str_lods, false, false));
}

X86_OP(x86_op_stos)
{
	return (str_run(cpu, in, str_stos, false, true));
}

X86_OP(x86_op_ins)
{
	return (str_run(cpu, in, str_ins, false, false));
}

X86_OP(x86_op_outs)
{
	return (str_run(cpu, in, str_outs, false, false));
}
