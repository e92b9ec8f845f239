/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the CPU core: operand accessors, lazy-flag records and the
 * handler prototypes placed in decode.c's opcode tables.
 *
 * Handlers read their operands through the inline accessors here: "E" is
 * the ModRM r/m operand (register or memory), "G" the ModRM reg operand,
 * as in the SDM's operand notation (Vol 2 A.2.1).  Every handler follows
 * cpu.h's contract: do all memory accesses that can fault before
 * committing registers or flags.
 */
#ifndef _VMM_X86_OPS_H_
#define _VMM_X86_OPS_H_

#include <string.h>

#include "vmm/x86/cpu.h"
#include "vmm/x86/tlb.h"

#define X86_OP(name)	int name(struct x86_cpu *cpu, const struct x86_insn *in)
#define X86_LIKELY(x)	__builtin_expect(!!(x), 1)
#define X86_UNLIKELY(x)	__builtin_expect(!!(x), 0)
#define X86_NOREG	16	/* cpu->ea_reg[16] is always 0 */
#define X86_RIPREG	17	/* cpu->ea_reg[17] is RIP */

/* struct x86_insn.flags (decoder private bits the loop reads) */
#define X86_IF_END	0x01	/* ends the decoded block */
#define X86_IF_CHAIN	0x02	/* plain near branch: the next block may be
				   entered directly (same code page) */

/* Lazy flag operations (cpu->lf.op). */
enum {
	LF_NONE,	/* rflags holds the arithmetic flags */
	LF_ADD,		/* ADD ADC: src1 + src2 (+ carry) */
	LF_SUB,		/* SUB SBB CMP NEG: src1 - src2 (- borrow) */
	LF_LOGIC,	/* AND OR XOR TEST: CF = OF = AF = 0 */
	LF_INC,		/* src2 = old CF */
	LF_DEC,		/* src2 = old CF */
	LF_EXPL,	/* CF OF AF given in src2 as RFLAGS bits */
};

static inline uint64_t
x86_mask(unsigned size)
{
	return (~0ull >> (64 - 8 * size));
}

static inline uint64_t
x86_sign(unsigned size)
{
	return (1ull << (8 * size - 1));
}

static inline int64_t
x86_sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - 8 * size;

	return ((int64_t)(v << sh) >> sh);
}

static inline void
lf_set(struct x86_cpu *cpu, uint32_t op, unsigned size, uint64_t res,
    uint64_t s1, uint64_t s2)
{
	cpu->lf.op = op;
	cpu->lf.size = (uint8_t)size;
	cpu->lf.res = res;
	cpu->lf.src1 = s1;
	cpu->lf.src2 = s2;
}

/* Set the six arithmetic flags eagerly (ops that leave some unchanged). */
static inline void
x86_set_arith(struct x86_cpu *cpu, uint32_t bits)
{
	cpu->rflags = (cpu->rflags & ~(uint64_t)X86_ARITH_FLAGS) |
	    (bits & X86_ARITH_FLAGS);
	cpu->lf.op = LF_NONE;
}

/*
 * Set CF and OF (given as RFLAGS bits in `cfof`), keeping SF ZF PF AF as
 * they are without materializing them: rotates and the like.  SF ZF PF
 * still come from the record's result; AF is taken out of it now.
 */
static inline void
x86_set_cf_of(struct x86_cpu *cpu, uint32_t cfof)
{
	uint64_t a = cpu->lf.src1, b = cpu->lf.src2, r = cpu->lf.res, af;

	switch (cpu->lf.op) {
	case LF_NONE:
		cpu->rflags = (cpu->rflags & ~(uint64_t)(X86_CF | X86_OF)) |
		    (cfof & (X86_CF | X86_OF));
		return;
	case LF_ADD:
	case LF_SUB:
		af = (a ^ b ^ r) & X86_AF;
		break;
	case LF_INC:
	case LF_DEC:
		af = (a ^ r) & X86_AF;
		break;
	case LF_EXPL:
		af = b & X86_AF;
		break;
	default:	/* LF_LOGIC */
		af = 0;
		break;
	}
	cpu->lf.op = LF_EXPL;
	cpu->lf.src2 = af | (cfof & (X86_CF | X86_OF));
}

/* flags.c */
uint32_t x86_arith_flags(const struct x86_cpu *cpu);
bool	x86_cond(const struct x86_cpu *cpu, unsigned cc);

/* CF alone, inline: INC/DEC/ADC/SBB read it at every execution. */
static inline unsigned
x86_cf(const struct x86_cpu *cpu)
{
	uint64_t a = cpu->lf.src1, b = cpu->lf.src2, r = cpu->lf.res, sb;

	if (cpu->lf.op == LF_NONE)
		return (cpu->rflags & X86_CF);
	sb = x86_sign(cpu->lf.size);
	switch (cpu->lf.op) {
	case LF_ADD:
		return ((((a & b) | ((a | b) & ~r)) & sb) != 0);
	case LF_SUB:
		return ((((~a & b) | ((~a | b) & r)) & sb) != 0);
	case LF_LOGIC:
		return (0);
	case LF_INC:
	case LF_DEC:
	default:
		return (b & X86_CF);
	}
}

/*
 * Condition test with cc known at compile time (the per-cc Jcc handlers):
 * after CMP/SUB answer from the operands, else from the flags.
 */
static inline __attribute__((always_inline)) bool
x86_cond_k(const struct x86_cpu *cpu, unsigned cc)
{
	unsigned size = cpu->lf.size, k = cc >> 1;
	uint64_t m, a, b;

	if (cpu->lf.op == LF_SUB && (k == 1 || k == 2 || k == 3 || k >= 6)) {
		m = x86_mask(size);
		a = cpu->lf.src1 & m;
		b = cpu->lf.src2 & m;
		if (X86_LIKELY(((a - b) & m) == (cpu->lf.res & m))) {
			switch (k) {
			case 1:
				return ((a < b) ^ (cc & 1));
			case 2:
				return ((a == b) ^ (cc & 1));
			case 3:
				return ((a <= b) ^ (cc & 1));
			case 6:
				return ((x86_sext(a, size) <
				    x86_sext(b, size)) ^ (cc & 1));
			default:
				return ((x86_sext(a, size) <=
				    x86_sext(b, size)) ^ (cc & 1));
			}
		}
	}
	if (k == 2 && cpu->lf.op != LF_NONE)
		return (((cpu->lf.res & x86_mask(size)) == 0) ^ (cc & 1));
	return (x86_cond(cpu, cc));
}

/* ---- Registers ---- */
static inline uint64_t
rd_reg(const struct x86_cpu *cpu, unsigned r, unsigned size, unsigned rex)
{
	switch (size) {
	case 1:
		if (rex != 0 || r < 4)
			return (cpu->gpr[r] & 0xff);
		return ((cpu->gpr[r - 4] >> 8) & 0xff);	/* AH CH DH BH */
	case 2:
		return (cpu->gpr[r] & 0xffff);
	case 4:
		return ((uint32_t)cpu->gpr[r]);
	default:
		return (cpu->gpr[r]);
	}
}

/* SDM Vol 1 3.4.1.1: 32-bit results zero-extend, 8/16-bit ones merge. */
static inline void
wr_reg(struct x86_cpu *cpu, unsigned r, unsigned size, unsigned rex,
    uint64_t v)
{
	switch (size) {
	case 1:
		if (rex != 0 || r < 4)
			cpu->gpr[r] = (cpu->gpr[r] & ~0xffull) | (v & 0xff);
		else
			cpu->gpr[r - 4] = (cpu->gpr[r - 4] & ~0xff00ull) |
			    ((v & 0xff) << 8);
		return;
	case 2:
		cpu->gpr[r] = (cpu->gpr[r] & ~0xffffull) | (v & 0xffff);
		return;
	case 4:
		cpu->gpr[r] = (uint32_t)v;
		return;
	default:
		cpu->gpr[r] = v;
	}
}

/* ---- Memory operands ---- */
/*
 * Effective address (SDM Vol 2 2.1.5).  Branch-free and test-free: the
 * decoder names absent registers X86_NOREG (reads 0) and RIP-relative
 * bases X86_RIPREG (cpu->rip is already the next instruction's).
 */
static inline uint64_t
x86_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	return (((uint64_t)in->disp + cpu->ea_reg[in->base] +
	    (cpu->ea_reg[in->index] << in->scale)) & in->ea_mask);
}

static inline int X86_WUR
rd_mem(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    uint64_t *v)
{
	return (x86_fast_read(cpu, seg, off, size, v));
}

static inline int X86_WUR
wr_mem(struct x86_cpu *cpu, int seg, uint64_t off, unsigned size,
    uint64_t v)
{
	return (x86_fast_write(cpu, seg, off, size, v));
}

static inline int X86_WUR
rd_E(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    uint64_t *v)
{
	if (in->mod == 3) {
		*v = rd_reg(cpu, in->rm, size, in->rex);
		return (X86_OK);
	}
	return (rd_mem(cpu, in->seg, x86_ea(cpu, in), size, v));
}

static inline int X86_WUR
wr_E(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    uint64_t v)
{
	if (in->mod == 3) {
		wr_reg(cpu, in->rm, size, in->rex, v);
		return (X86_OK);
	}
	return (wr_mem(cpu, in->seg, x86_ea(cpu, in), size, v));
}

static inline uint64_t
rd_G(const struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	return (rd_reg(cpu, in->reg, size, in->rex));
}

static inline void
wr_G(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    uint64_t v)
{
	wr_reg(cpu, in->reg, size, in->rex, v);
}

/* ---- Stack (SDM Vol 1 6.2: SS:rSP, width from SS.B / mode) ---- */
static inline uint64_t
x86_sp_mask(const struct x86_cpu *cpu)
{
	return (x86_mask(cpu->ssz));
}

static inline void
x86_set_sp(struct x86_cpu *cpu, uint64_t sp)
{
	uint64_t m = x86_sp_mask(cpu);

	cpu->gpr[X86_RSP] = (cpu->gpr[X86_RSP] & ~m) | (sp & m);
}

/* Write `v` below *sp (not committed: the caller sets RSP afterwards). */
static inline int X86_WUR
x86_push_at(struct x86_cpu *cpu, uint64_t *sp, unsigned size, uint64_t v)
{
	*sp = (*sp - size) & x86_sp_mask(cpu);
	return (wr_mem(cpu, X86_SS, *sp, size, v));
}

static inline int X86_WUR
x86_pop_at(struct x86_cpu *cpu, uint64_t *sp, unsigned size, uint64_t *v)
{
	int rc = rd_mem(cpu, X86_SS, *sp & x86_sp_mask(cpu), size, v);

	*sp = (*sp + size) & x86_sp_mask(cpu);
	return (rc);
}

static inline int X86_WUR
x86_push(struct x86_cpu *cpu, unsigned size, uint64_t v)
{
	uint64_t sp = cpu->gpr[X86_RSP];
	int rc = x86_push_at(cpu, &sp, size, v);

	if (rc == X86_OK)
		x86_set_sp(cpu, sp);
	return (rc);
}

/* ---- Branches ---- */
/*
 * Near branch target check (SDM Vol 2 JMP/CALL/Jcc): the new IP is
 * truncated to the operand size; outside 64-bit mode it must lie within
 * the CS limit, in 64-bit mode it must be canonical, else #GP(0) with
 * RIP still at the branch.
 */
int	x86_near_target(struct x86_cpu *cpu, unsigned opsize, uint64_t *target)
	    X86_WUR;

/* ---- RMW helper (alu.c): register, memory, or LOCKed memory ---- */
struct x86_lfrec {
	uint64_t	res, s1, s2;
	uint32_t	op;
};
int	x86_rmw_ptr(struct x86_cpu *cpu, const struct x86_insn *in,
	    uint64_t ea, unsigned size, void **hp) X86_WUR;
typedef uint64_t (*x86_rmw_fn)(unsigned sub, unsigned size, uint64_t old,
    uint64_t arg, uint64_t cin, struct x86_lfrec *lf);
int	x86_rmw(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
	    x86_rmw_fn fn, unsigned sub, uint64_t arg, uint64_t cin,
	    struct x86_lfrec *lf, uint64_t *oldp) X86_WUR;

static inline void
lf_commit(struct x86_cpu *cpu, const struct x86_lfrec *lf, unsigned size)
{
	lf_set(cpu, lf->op, size, lf->res, lf->s1, lf->s2);
}

/* Host atomics on a guest RAM pointer (little-endian host). */
uint64_t x86_atomic_load(void *hp, unsigned size);
bool	x86_atomic_cas(void *hp, unsigned size, uint64_t *old, uint64_t new);
uint64_t x86_atomic_xchg(void *hp, unsigned size, uint64_t v);

/*
 * Specialized handlers for hot forms (fixed operand size, register or
 * memory operand, condition): decode.c asks each family after decoding;
 * NULL keeps the generic handler.
 */
x86_handler_t x86_alu_fast(const struct x86_insn *in);
x86_handler_t x86_data_fast(const struct x86_insn *in);
x86_handler_t x86_ctrl_fast(const struct x86_insn *in);
x86_handler_t x86_stack_fast(const struct x86_insn *in);
x86_handler_t x86_shift_fast(const struct x86_insn *in);
x86_handler_t x86_muldiv_fast(const struct x86_insn *in);

/* ---- Handlers (named after the SDM operand notation) ---- */
/* alu.c */
X86_OP(x86_op_alu_EG);
X86_OP(x86_op_alu_GE);
X86_OP(x86_op_alu_AI);
X86_OP(x86_op_alu_EI);
X86_OP(x86_op_test_EG);
X86_OP(x86_op_test_AI);
X86_OP(x86_op_test_EI);
X86_OP(x86_op_not_E);
X86_OP(x86_op_neg_E);
X86_OP(x86_op_inc_E);
X86_OP(x86_op_dec_E);
X86_OP(x86_op_incdec_Z);
/* shift.c */
X86_OP(x86_op_grp2);
X86_OP(x86_op_shld);
X86_OP(x86_op_shrd);
/* muldiv.c */
X86_OP(x86_op_mul_E);
X86_OP(x86_op_imul_E);
X86_OP(x86_op_div_E);
X86_OP(x86_op_idiv_E);
X86_OP(x86_op_imul_GE);
X86_OP(x86_op_imul_GEI);
/* bit.c */
X86_OP(x86_op_bt_EG);
X86_OP(x86_op_bt_EI);
X86_OP(x86_op_bsf);
X86_OP(x86_op_bsr);
X86_OP(x86_op_popcnt);
X86_OP(x86_op_bswap);
/* data.c */
X86_OP(x86_op_mov_EG);
X86_OP(x86_op_mov_GE);
X86_OP(x86_op_mov_EI);
X86_OP(x86_op_mov_ZI);
X86_OP(x86_op_mov_AO);
X86_OP(x86_op_mov_OA);
X86_OP(x86_op_movzx);
X86_OP(x86_op_movsx);
X86_OP(x86_op_movsxd);
X86_OP(x86_op_lea);
X86_OP(x86_op_xchg_EG);
X86_OP(x86_op_xchg_ZA);
X86_OP(x86_op_xadd);
X86_OP(x86_op_cmpxchg);
X86_OP(x86_op_grp9);
X86_OP(x86_op_cbw);
X86_OP(x86_op_cwd);
X86_OP(x86_op_cmov);
X86_OP(x86_op_setcc);
X86_OP(x86_op_lahf);
X86_OP(x86_op_sahf);
X86_OP(x86_op_daa);
X86_OP(x86_op_das);
X86_OP(x86_op_aaa);
X86_OP(x86_op_aas);
X86_OP(x86_op_aam);
X86_OP(x86_op_aad);
X86_OP(x86_op_salc);
X86_OP(x86_op_xlat);
X86_OP(x86_op_arpl);
X86_OP(x86_op_bound);
/* stack.c */
X86_OP(x86_op_push_Z);
X86_OP(x86_op_pop_Z);
X86_OP(x86_op_push_I);
X86_OP(x86_op_push_E);
X86_OP(x86_op_pop_E);
X86_OP(x86_op_push_sreg);
X86_OP(x86_op_pop_sreg);
X86_OP(x86_op_pusha);
X86_OP(x86_op_popa);
X86_OP(x86_op_pushf);
X86_OP(x86_op_popf);
X86_OP(x86_op_enter);
X86_OP(x86_op_leave);
/* ctrl.c */
X86_OP(x86_op_jcc);
X86_OP(x86_op_jmp_J);
X86_OP(x86_op_call_J);
X86_OP(x86_op_jmp_E);
X86_OP(x86_op_call_E);
X86_OP(x86_op_ret);
X86_OP(x86_op_jmpf_A);
X86_OP(x86_op_callf_A);
X86_OP(x86_op_jmpf_M);
X86_OP(x86_op_callf_M);
X86_OP(x86_op_retf);
X86_OP(x86_op_loop);
X86_OP(x86_op_jcxz);
/* string.c */
X86_OP(x86_op_movs);
X86_OP(x86_op_cmps);
X86_OP(x86_op_scas);
X86_OP(x86_op_lods);
X86_OP(x86_op_stos);
X86_OP(x86_op_ins);
X86_OP(x86_op_outs);
/* io.c */
X86_OP(x86_op_in);
X86_OP(x86_op_out);
/* misc.c */
X86_OP(x86_op_ud);
X86_OP(x86_op_gp0);
X86_OP(x86_op_nop);
X86_OP(x86_op_nop90);
X86_OP(x86_op_flagop);
X86_OP(x86_op_grp15);
X86_OP(x86_op_mov_ES);
X86_OP(x86_op_mov_SE);
X86_OP(x86_op_lseg);
X86_OP(x86_op_fwait);
X86_OP(x86_op_x87);

#endif /* _VMM_X86_OPS_H_ */
