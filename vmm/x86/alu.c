/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST NOT
 * NEG INC DEC (SDM Vol 2), and the read-modify-write helper shared with
 * the other families (LOCK: host atomics on the guest page, DESIGN §5).
 */
#include "vmm/x86/ops.h"

/* ---- Host atomics ---- */

uint64_t
x86_atomic_load(void *hp, unsigned size)
{
	switch (size) {
	case 1:
		return (__atomic_load_n((uint8_t *)hp, __ATOMIC_SEQ_CST));
	case 2:
		return (__atomic_load_n((uint16_t *)hp, __ATOMIC_SEQ_CST));
	case 4:
		return (__atomic_load_n((uint32_t *)hp, __ATOMIC_SEQ_CST));
	default:
		return (__atomic_load_n((uint64_t *)hp, __ATOMIC_SEQ_CST));
	}
}

bool
x86_atomic_cas(void *hp, unsigned size, uint64_t *old, uint64_t new)
{
	bool ok;

	switch (size) {
	case 1: {
		uint8_t o = (uint8_t)*old;

		ok = __atomic_compare_exchange_n((uint8_t *)hp, &o,
		    (uint8_t)new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return (ok);
	}
	case 2: {
		uint16_t o = (uint16_t)*old;

		ok = __atomic_compare_exchange_n((uint16_t *)hp, &o,
		    (uint16_t)new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return (ok);
	}
	case 4: {
		uint32_t o = (uint32_t)*old;

		ok = __atomic_compare_exchange_n((uint32_t *)hp, &o,
		    (uint32_t)new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*old = o;
		return (ok);
	}
	default:
		return (__atomic_compare_exchange_n((uint64_t *)hp, old, new,
		    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	}
}

uint64_t
x86_atomic_xchg(void *hp, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		return (__atomic_exchange_n((uint8_t *)hp, (uint8_t)v,
		    __ATOMIC_SEQ_CST));
	case 2:
		return (__atomic_exchange_n((uint16_t *)hp, (uint16_t)v,
		    __ATOMIC_SEQ_CST));
	case 4:
		return (__atomic_exchange_n((uint32_t *)hp, (uint32_t)v,
		    __ATOMIC_SEQ_CST));
	default:
		return (__atomic_exchange_n((uint64_t *)hp, v,
		    __ATOMIC_SEQ_CST));
	}
}

/*
 * Read-modify-write of the E operand: fn computes the new value and the
 * flag record from the old one; nothing is committed until the write has
 * succeeded.  With LOCK the update is a compare-and-swap loop on the host
 * page; when the operand is not plain RAM within a page (MMIO, split)
 * it falls back to read + write, as the bus cannot lock anyway.
 */
/*
 * Translate a read-modify-write memory operand with write intent, so a
 * fault reports W (SDM Vol 3 4.7) and a read-only segment gives #GP.
 * *hp is the host address when the operand is plain RAM within a page;
 * otherwise (MMIO, page split) both ends have been probed and the caller
 * goes through x86_vread/x86_vwrite.
 */
int
x86_rmw_ptr(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea,
    unsigned size, void **hp)
{
	uint64_t la = cpu->seg[in->seg].base + ea;
	void *p;
	int rc;

	*hp = NULL;
	if ((la & 4095) + size > 4096) {
		/* split: probe each page for write, then read + write */
		rc = x86_vptr(cpu, in->seg, ea, 1, X86_ACC_R | X86_ACC_W, &p);
		if (rc == X86_OK)
			rc = x86_vptr(cpu, in->seg, (ea + 4096 - (la & 4095)) &
			    x86_mask(in->adsize), 1, X86_ACC_R | X86_ACC_W,
			    &p);
		return (rc);
	}
	return (x86_vptr(cpu, in->seg, ea, size, X86_ACC_R | X86_ACC_W, hp));
}

int
x86_rmw(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    x86_rmw_fn fn, unsigned sub, uint64_t arg, uint64_t cin,
    struct x86_lfrec *lf, uint64_t *oldp)
{
	uint64_t old, new, ea;
	void *hp;
	int rc;

	if (in->mod == 3) {
		old = rd_reg(cpu, in->rm, size, in->rex);
		new = fn(sub, size, old, arg, cin, lf);
		wr_reg(cpu, in->rm, size, in->rex, new);
		*oldp = old;
		return (X86_OK);
	}
	ea = x86_ea(cpu, in);
	rc = x86_rmw_ptr(cpu, in, ea, size, &hp);
	if (rc != X86_OK)
		return (rc);
	if (hp != NULL && in->lock) {
		old = x86_atomic_load(hp, size);
		do {
			new = fn(sub, size, old, arg, cin, lf);
		} while (!x86_atomic_cas(hp, size, &old, new));
		*oldp = old;
		return (X86_OK);
	}
	if (hp != NULL) {
		old = 0;
		memcpy(&old, hp, size);
		new = fn(sub, size, old, arg, cin, lf);
		memcpy(hp, &new, size);
		*oldp = old;
		return (X86_OK);
	}
	rc = rd_mem(cpu, in->seg, ea, size, &old);
	if (rc != X86_OK)
		return (rc);
	new = fn(sub, size, old, arg, cin, lf);
	rc = wr_mem(cpu, in->seg, ea, size, new);
	if (rc != X86_OK)
		return (rc);
	*oldp = old;
	return (X86_OK);
}

/* ---- The eight ALU operations (opcode bits 5:3, or ModRM.reg of grp1) */

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

static inline uint64_t
alu(unsigned op, unsigned size, uint64_t a, uint64_t b, uint64_t cf,
    struct x86_lfrec *lf)
{
	uint64_t r;

	switch (op) {
	case ALU_ADD:
		r = a + b;
		lf->op = LF_ADD;
		break;
	case ALU_OR:
		r = a | b;
		lf->op = LF_LOGIC;
		break;
	case ALU_ADC:
		r = a + b + cf;
		lf->op = LF_ADD;
		break;
	case ALU_SBB:
		r = a - b - cf;
		lf->op = LF_SUB;
		break;
	case ALU_AND:
		r = a & b;
		lf->op = LF_LOGIC;
		break;
	case ALU_XOR:
		r = a ^ b;
		lf->op = LF_LOGIC;
		break;
	default:		/* SUB, CMP */
		r = a - b;
		lf->op = LF_SUB;
		break;
	}
	r &= x86_mask(size);
	lf->res = r;
	lf->s1 = a;
	lf->s2 = b;
	return (r);
}

static uint64_t
alu_rmw(unsigned op, unsigned size, uint64_t old, uint64_t arg, uint64_t cin,
    struct x86_lfrec *lf)
{
	return (alu(op, size, old, arg, cin, lf));
}

static inline uint64_t
carry_in(const struct x86_cpu *cpu, unsigned op)
{
	return (op == ALU_ADC || op == ALU_SBB ? x86_cf(cpu) : 0);
}

/* E op= src; CMP only reads. */
static inline int
alu_E(struct x86_cpu *cpu, const struct x86_insn *in, unsigned op,
    uint64_t src)
{
	unsigned size = in->opsize;
	struct x86_lfrec lf;
	uint64_t a, old;
	int rc;

	if (op == ALU_CMP) {
		rc = rd_E(cpu, in, size, &a);
		if (rc != X86_OK)
			return (rc);
		(void)alu(op, size, a, src, 0, &lf);
	} else if (in->mod == 3) {
		a = rd_reg(cpu, in->rm, size, in->rex);
		wr_reg(cpu, in->rm, size, in->rex,
		    alu(op, size, a, src, carry_in(cpu, op), &lf));
	} else {
		rc = x86_rmw(cpu, in, size, alu_rmw, op, src & x86_mask(size),
		    carry_in(cpu, op), &lf, &old);
		if (rc != X86_OK)
			return (rc);
	}
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

X86_OP(x86_op_alu_EG)
{
	return (alu_E(cpu, in, (in->opcode >> 3) & 7,
	    rd_G(cpu, in, in->opsize)));
}

X86_OP(x86_op_alu_EI)
{
	return (alu_E(cpu, in, in->reg & 7, in->imm & x86_mask(in->opsize)));
}

X86_OP(x86_op_alu_GE)
{
	unsigned size = in->opsize, op = (in->opcode >> 3) & 7;
	struct x86_lfrec lf;
	uint64_t a, b, r;
	int rc;

	rc = rd_E(cpu, in, size, &b);
	if (rc != X86_OK)
		return (rc);
	a = rd_G(cpu, in, size);
	r = alu(op, size, a, b, carry_in(cpu, op), &lf);
	if (op != ALU_CMP)
		wr_G(cpu, in, size, r);
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

X86_OP(x86_op_alu_AI)
{
	unsigned size = in->opsize, op = (in->opcode >> 3) & 7;
	struct x86_lfrec lf;
	uint64_t a, r;

	a = rd_reg(cpu, X86_RAX, size, 1);
	r = alu(op, size, a, in->imm & x86_mask(size), carry_in(cpu, op), &lf);
	if (op != ALU_CMP)
		wr_reg(cpu, X86_RAX, size, 1, r);
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

/* ---- TEST ---- */

static inline void
test_flags(struct x86_cpu *cpu, unsigned size, uint64_t r)
{
	lf_set(cpu, LF_LOGIC, size, r & x86_mask(size), 0, 0);
}

X86_OP(x86_op_test_EG)
{
	uint64_t a;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &a);
	if (rc != X86_OK)
		return (rc);
	test_flags(cpu, in->opsize, a & rd_G(cpu, in, in->opsize));
	return (X86_OK);
}

X86_OP(x86_op_test_EI)
{
	uint64_t a;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &a);
	if (rc != X86_OK)
		return (rc);
	test_flags(cpu, in->opsize, a & in->imm);
	return (X86_OK);
}

X86_OP(x86_op_test_AI)
{
	test_flags(cpu, in->opsize,
	    rd_reg(cpu, X86_RAX, in->opsize, 1) & in->imm);
	return (X86_OK);
}

/* ---- NOT NEG INC DEC ---- */

enum { U_NOT, U_NEG, U_INC, U_DEC };

static uint64_t
unary(unsigned op, unsigned size, uint64_t old, uint64_t arg, uint64_t cin,
    struct x86_lfrec *lf)
{
	uint64_t r, m = x86_mask(size);

	switch (op) {
	case U_NOT:
		lf->op = LF_NONE;
		return (~old & m);
	case U_NEG:
		r = (0 - old) & m;
		lf->op = LF_SUB;
		lf->s1 = 0;
		lf->s2 = old;
		break;
	case U_INC:
		r = (old + 1) & m;
		lf->op = LF_INC;
		lf->s1 = old;
		lf->s2 = cin;
		break;
	default:
		r = (old - 1) & m;
		lf->op = LF_DEC;
		lf->s1 = old;
		lf->s2 = cin;
		break;
	}
	lf->res = r;
	return (r);
}

static int
unary_E(struct x86_cpu *cpu, const struct x86_insn *in, unsigned op)
{
	struct x86_lfrec lf;
	uint64_t old, cin = 0;
	int rc;

	if (op == U_INC || op == U_DEC)
		cin = x86_cf(cpu);	/* INC/DEC keep CF (SDM Vol 2 INC) */
	rc = x86_rmw(cpu, in, in->opsize, unary, op, 0, cin, &lf, &old);
	if (rc != X86_OK)
		return (rc);
	if (lf.op != LF_NONE)
		lf_commit(cpu, &lf, in->opsize);
	return (X86_OK);
}

X86_OP(x86_op_not_E)
{
	return (unary_E(cpu, in, U_NOT));
}

X86_OP(x86_op_neg_E)
{
	return (unary_E(cpu, in, U_NEG));
}

X86_OP(x86_op_inc_E)
{
	return (unary_E(cpu, in, U_INC));
}

X86_OP(x86_op_dec_E)
{
	return (unary_E(cpu, in, U_DEC));
}

/* 40-4F outside 64-bit mode: INC/DEC r16/r32. */
X86_OP(x86_op_incdec_Z)
{
	unsigned r = in->opcode & 7, size = in->opsize;
	uint64_t old = rd_reg(cpu, r, size, 1), cin = x86_cf(cpu);
	struct x86_lfrec lf;

	wr_reg(cpu, r, size, 1, unary((in->opcode & 8) ? U_DEC : U_INC, size,
	    old, 0, cin, &lf));
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

/* ---- Specialized forms: operation and size fixed per handler ---- */

#define X86_AI	static inline __attribute__((always_inline))

/* d op= b on a register, size and op compile-time constants. */
X86_AI int
alu_k(struct x86_cpu *cpu, unsigned d, uint64_t b, unsigned op,
    unsigned size)
{
	uint64_t m = x86_mask(size), a = cpu->gpr[d] & m, r;
	struct x86_lfrec lf;

	r = alu(op, size, a, b & m, carry_in(cpu, op), &lf);
	if (op != ALU_CMP)
		wr_reg(cpu, d, size, 1, r);
	lf_set(cpu, lf.op, size, r, a, b & m);
	return (X86_OK);
}

X86_AI int
cmp_mem(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t b,
    unsigned size)
{
	uint64_t m = x86_mask(size), a;
	int rc;

	rc = rd_mem(cpu, in->seg, x86_ea(cpu, in), size, &a);
	if (rc != X86_OK)
		return (rc);
	lf_set(cpu, LF_SUB, size, (a - b) & m, a, b & m);
	return (X86_OK);
}

X86_AI int
alu_GEm_k(struct x86_cpu *cpu, const struct x86_insn *in, unsigned op,
    unsigned size)
{
	uint64_t v;
	int rc;

	rc = rd_mem(cpu, in->seg, x86_ea(cpu, in), size, &v);
	if (rc != X86_OK)
		return (rc);
	return (alu_k(cpu, in->reg, v, op, size));
}

#define ALU_SZ(OP, SZ) \
static X86_OP(alu_EGr_##OP##_##SZ) \
{ return (alu_k(cpu, in->rm, cpu->gpr[in->reg], OP, SZ)); } \
static X86_OP(alu_GEr_##OP##_##SZ) \
{ return (alu_k(cpu, in->reg, cpu->gpr[in->rm], OP, SZ)); } \
static X86_OP(alu_GEm_##OP##_##SZ) \
{ return (alu_GEm_k(cpu, in, OP, SZ)); } \
static X86_OP(alu_EIr_##OP##_##SZ) \
{ return (alu_k(cpu, in->rm, in->imm, OP, SZ)); }
#define ALU_OP(OP) ALU_SZ(OP, 2) ALU_SZ(OP, 4) ALU_SZ(OP, 8)
ALU_OP(0) ALU_OP(1) ALU_OP(2) ALU_OP(3) ALU_OP(4) ALU_OP(5) ALU_OP(6) ALU_OP(7)

#define ALU_ROW(F, OP) { F##_##OP##_2, F##_##OP##_4, F##_##OP##_8 }
#define ALU_TAB(F) { ALU_ROW(F, 0), ALU_ROW(F, 1), ALU_ROW(F, 2), \
	ALU_ROW(F, 3), ALU_ROW(F, 4), ALU_ROW(F, 5), ALU_ROW(F, 6), \
	ALU_ROW(F, 7) }
static const x86_handler_t alu_EGr[8][3] = ALU_TAB(alu_EGr);
static const x86_handler_t alu_GEr[8][3] = ALU_TAB(alu_GEr);
static const x86_handler_t alu_GEm[8][3] = ALU_TAB(alu_GEm);
static const x86_handler_t alu_EIr[8][3] = ALU_TAB(alu_EIr);

#define MISC_SZ(SZ) \
static X86_OP(cmp_EGm_##SZ) \
{ return (cmp_mem(cpu, in, cpu->gpr[in->reg], SZ)); } \
static X86_OP(cmp_EIm_##SZ) \
{ return (cmp_mem(cpu, in, in->imm, SZ)); } \
static X86_OP(test_rr_##SZ) \
{ \
	test_flags(cpu, SZ, cpu->gpr[in->rm] & cpu->gpr[in->reg]); \
	return (X86_OK); \
} \
static X86_OP(inc_r_##SZ) \
{ \
	uint64_t a = cpu->gpr[in->rm] & x86_mask(SZ), cin = x86_cf(cpu); \
	uint64_t r = (a + 1) & x86_mask(SZ); \
	wr_reg(cpu, in->rm, SZ, 1, r); \
	lf_set(cpu, LF_INC, SZ, r, a, cin); \
	return (X86_OK); \
} \
static X86_OP(dec_r_##SZ) \
{ \
	uint64_t a = cpu->gpr[in->rm] & x86_mask(SZ), cin = x86_cf(cpu); \
	uint64_t r = (a - 1) & x86_mask(SZ); \
	wr_reg(cpu, in->rm, SZ, 1, r); \
	lf_set(cpu, LF_DEC, SZ, r, a, cin); \
	return (X86_OK); \
}
MISC_SZ(2) MISC_SZ(4) MISC_SZ(8)

#define TEST_SZ(SZ) \
static X86_OP(test_ri_##SZ) \
{ \
	test_flags(cpu, SZ, cpu->gpr[in->rm] & in->imm); \
	return (X86_OK); \
}
TEST_SZ(2) TEST_SZ(4) TEST_SZ(8)

static const x86_handler_t test_ri[3] = { test_ri_2, test_ri_4, test_ri_8 };
static const x86_handler_t cmp_EGm[3] = { cmp_EGm_2, cmp_EGm_4, cmp_EGm_8 };
static const x86_handler_t cmp_EIm[3] = { cmp_EIm_2, cmp_EIm_4, cmp_EIm_8 };
static const x86_handler_t test_rr[3] = { test_rr_2, test_rr_4, test_rr_8 };
static const x86_handler_t inc_r[3] = { inc_r_2, inc_r_4, inc_r_8 };
static const x86_handler_t dec_r[3] = { dec_r_2, dec_r_4, dec_r_8 };

x86_handler_t
x86_alu_fast(const struct x86_insn *in)
{
	int si = in->opsize == 2 ? 0 : in->opsize == 4 ? 1 :
	    in->opsize == 8 ? 2 : -1;
	unsigned op = (in->opcode >> 3) & 7;
	bool reg = in->mod == 3;

	if (si < 0 || in->lock)
		return (NULL);
	if (in->fn == x86_op_alu_EG) {
		if (reg)
			return (alu_EGr[op][si]);
		return (op == ALU_CMP ? cmp_EGm[si] : NULL);
	}
	if (in->fn == x86_op_alu_GE)
		return (reg ? alu_GEr[op][si] : alu_GEm[op][si]);
	if (in->fn == x86_op_alu_EI) {
		op = in->reg & 7;
		if (reg)
			return (alu_EIr[op][si]);
		return (op == ALU_CMP ? cmp_EIm[si] : NULL);
	}
	if (in->fn == x86_op_test_EG && reg)
		return (test_rr[si]);
	if (in->fn == x86_op_test_EI && reg)
		return (test_ri[si]);
	if (in->fn == x86_op_inc_E && reg)
		return (inc_r[si]);
	if (in->fn == x86_op_dec_E && reg)
		return (dec_r[si]);
	return (NULL);
}
