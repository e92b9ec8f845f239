/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control transfer: Jcc JMP CALL RET (near), far JMP/CALL/RET through
 * seg.c's x86_far_jump()/x86_far_return(), LOOP LOOPE LOOPNE JrCXZ
 * (SDM Vol 2).  cpu->rip already holds the next instruction's address,
 * which is what relative targets and return addresses are based on.
 */
#include "vmm/x86/ops.h"

static inline bool
canonical(const struct x86_cpu *cpu, uint64_t v)
{
	if (X86_UNLIKELY(cpu->cr4 & X86_CR4_LA57))
		return ((uint64_t)((int64_t)(v << 7) >> 7) == v);
	/* bits 63:47 all equal: adding 2^47 leaves nothing above bit 47 */
	return (((v + (1ull << 47)) >> 48) == 0);
}

int
x86_near_target(struct x86_cpu *cpu, unsigned opsize, uint64_t *target)
{
	uint64_t v = *target & x86_mask(opsize);

	if (cpu->csz == 8) {
		if (!canonical(cpu, v))
			return (x86_raise(cpu, IDT_GP, 0));
	} else if (v > cpu->seg[X86_CS].limit) {
		return (x86_raise(cpu, IDT_GP, 0));
	}
	*target = v;
	return (X86_OK);
}

static inline int
jump_rel(struct x86_cpu *cpu, const struct x86_insn *in)
{
	uint64_t t = cpu->rip + in->imm;
	int rc;

	if (X86_LIKELY(in->opsize == 8 && canonical(cpu, t))) {
		cpu->rip = t;		/* 64-bit mode, the common case */
		return (X86_OK);
	}
	rc = x86_near_target(cpu, in->opsize, &t);
	if (rc != X86_OK)
		return (rc);
	cpu->rip = t;
	return (X86_OK);
}

/* 70-7F, 0F 80-8F */
X86_OP(x86_op_jcc)
{
	if (!x86_cond(cpu, in->opcode & 15))
		return (X86_OK);
	return (jump_rel(cpu, in));
}

/* E9, EB */
X86_OP(x86_op_jmp_J)
{
	return (jump_rel(cpu, in));
}

static int
call_to(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t t)
{
	int rc;

	rc = x86_near_target(cpu, in->opsize, &t);
	if (rc != X86_OK)
		return (rc);
	rc = x86_push(cpu, in->opsize, cpu->rip);
	if (rc != X86_OK)
		return (rc);
	cpu->rip = t;
	return (X86_OK);
}

/* E8 */
X86_OP(x86_op_call_J)
{
	return (call_to(cpu, in, cpu->rip + in->imm));
}

/* FF /2 */
X86_OP(x86_op_call_E)
{
	uint64_t t;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &t);
	if (rc != X86_OK)
		return (rc);
	return (call_to(cpu, in, t));
}

/* FF /4 */
X86_OP(x86_op_jmp_E)
{
	uint64_t t;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &t);
	if (rc == X86_OK)
		rc = x86_near_target(cpu, in->opsize, &t);
	if (rc != X86_OK)
		return (rc);
	cpu->rip = t;
	return (X86_OK);
}

/* C3, C2 iw */
X86_OP(x86_op_ret)
{
	uint64_t sp = cpu->gpr[X86_RSP], t;
	int rc;

	rc = x86_pop_at(cpu, &sp, in->opsize, &t);
	if (rc == X86_OK)
		rc = x86_near_target(cpu, in->opsize, &t);
	if (rc != X86_OK)
		return (rc);
	x86_set_sp(cpu, sp + (in->imm & 0xffff));
	cpu->rip = t;
	return (X86_OK);
}

/* EA: JMP ptr16:16/32 */
X86_OP(x86_op_jmpf_A)
{
	return (x86_far_jump(cpu, (uint16_t)in->imm2, in->imm, in->opsize,
	    false, 0));
}

/* 9A: CALL ptr16:16/32 */
X86_OP(x86_op_callf_A)
{
	return (x86_far_jump(cpu, (uint16_t)in->imm2, in->imm, in->opsize,
	    true, cpu->rip));
}

/* m16:16, m16:32 or (REX.W) m16:64: offset first, then selector. */
static int
far_ptr(struct x86_cpu *cpu, const struct x86_insn *in, uint16_t *sel,
    uint64_t *off)
{
	uint64_t ea = x86_ea(cpu, in), s = 0;
	int rc;

	rc = rd_mem(cpu, in->seg, ea, in->opsize, off);
	if (rc == X86_OK)
		rc = rd_mem(cpu, in->seg, (ea + in->opsize) &
		    x86_mask(in->adsize), 2, &s);
	*sel = (uint16_t)s;
	return (rc);
}

/* FF /5 */
X86_OP(x86_op_jmpf_M)
{
	uint64_t off;
	uint16_t sel;
	int rc;

	rc = far_ptr(cpu, in, &sel, &off);
	if (rc != X86_OK)
		return (rc);
	return (x86_far_jump(cpu, sel, off, in->opsize, false, 0));
}

/* FF /3 */
X86_OP(x86_op_callf_M)
{
	uint64_t off;
	uint16_t sel;
	int rc;

	rc = far_ptr(cpu, in, &sel, &off);
	if (rc != X86_OK)
		return (rc);
	return (x86_far_jump(cpu, sel, off, in->opsize, true, cpu->rip));
}

/* CB, CA iw */
X86_OP(x86_op_retf)
{
	return (x86_far_return(cpu, in->opsize, (uint16_t)in->imm));
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP: the counter is rCX of address size. */
X86_OP(x86_op_loop)
{
	unsigned asz = in->adsize;
	uint64_t c = (rd_reg(cpu, X86_RCX, asz, 1) - 1) & x86_mask(asz), t;
	bool take = c != 0;
	int rc;

	if (take && in->opcode != 0xe2)
		take = x86_cond(cpu, 4) == (in->opcode == 0xe1);
	if (take) {
		t = cpu->rip + in->imm;
		rc = x86_near_target(cpu, in->opsize, &t);
		if (rc != X86_OK)
			return (rc);
		cpu->rip = t;
	}
	wr_reg(cpu, X86_RCX, asz, 1, c);
	return (X86_OK);
}

/* E3: JCXZ / JECXZ / JRCXZ */
X86_OP(x86_op_jcxz)
{
	if (rd_reg(cpu, X86_RCX, in->adsize, 1) != 0)
		return (X86_OK);
	return (jump_rel(cpu, in));
}

/* ---- Specialized forms: one Jcc handler per condition ---- */

#define JCC(CC) \
static X86_OP(jcc_##CC) \
{ \
	if (!x86_cond_k(cpu, CC)) \
		return (X86_OK); \
	return (jump_rel(cpu, in)); \
}
JCC(0) JCC(1) JCC(2) JCC(3) JCC(4) JCC(5) JCC(6) JCC(7)
JCC(8) JCC(9) JCC(10) JCC(11) JCC(12) JCC(13) JCC(14) JCC(15)

static const x86_handler_t jcc_tab[16] = {
	jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
	jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15,
};

/* 64-bit mode near CALL/RET (opsize 8 only happens there). */
static X86_OP(call_J64)
{
	uint64_t t = cpu->rip + in->imm, sp = cpu->gpr[X86_RSP] - 8;
	int rc;

	if (!canonical(cpu, t))
		return (x86_raise(cpu, IDT_GP, 0));
	rc = wr_mem(cpu, X86_SS, sp, 8, cpu->rip);
	if (rc != X86_OK)
		return (rc);
	cpu->gpr[X86_RSP] = sp;
	cpu->rip = t;
	return (X86_OK);
}

static X86_OP(ret64)
{
	uint64_t sp = cpu->gpr[X86_RSP], t;
	int rc;

	rc = rd_mem(cpu, X86_SS, sp, 8, &t);
	if (rc != X86_OK)
		return (rc);
	if (!canonical(cpu, t))
		return (x86_raise(cpu, IDT_GP, 0));
	cpu->gpr[X86_RSP] = sp + 8 + (in->imm & 0xffff);
	cpu->rip = t;
	return (X86_OK);
}

x86_handler_t
x86_ctrl_fast(const struct x86_insn *in)
{
	if (in->fn == x86_op_jcc)
		return (jcc_tab[in->opcode & 15]);
	if (in->opsize != 8)
		return (NULL);
	if (in->fn == x86_op_call_J)
		return (call_J64);
	if (in->fn == x86_op_ret)
		return (ret64);
	return (NULL);
}
