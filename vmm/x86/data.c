/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Data movement and conversion: MOV forms, MOVZX MOVSX MOVSXD LEA, XCHG
 * XADD CMPXCHG CMPXCHG8B/16B, CBW..CQO, CMOVcc SETcc, LAHF SAHF, the BCD
 * adjustments, SALC XLAT ARPL BOUND (SDM Vol 2).
 */
#include "vmm/x86/ops.h"

X86_OP(x86_op_mov_EG)
{
	return (wr_E(cpu, in, in->opsize, rd_G(cpu, in, in->opsize)));
}

X86_OP(x86_op_mov_GE)
{
	uint64_t v;
	int rc;

	rc = rd_E(cpu, in, in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	wr_G(cpu, in, in->opsize, v);
	return (X86_OK);
}

X86_OP(x86_op_mov_EI)
{
	return (wr_E(cpu, in, in->opsize, in->imm));
}

/* B0+r ib, B8+r iz/iv */
X86_OP(x86_op_mov_ZI)
{
	wr_reg(cpu, (in->opcode & 7) | ((in->rex & 1) << 3), in->opsize,
	    in->rex, in->imm);
	return (X86_OK);
}

/* A0/A1: AL/rAX = moffs */
X86_OP(x86_op_mov_AO)
{
	uint64_t v;
	int rc;

	rc = rd_mem(cpu, in->seg, x86_ea(cpu, in), in->opsize, &v);
	if (rc != X86_OK)
		return (rc);
	wr_reg(cpu, X86_RAX, in->opsize, 1, v);
	return (X86_OK);
}

/* A2/A3: moffs = AL/rAX */
X86_OP(x86_op_mov_OA)
{
	return (wr_mem(cpu, in->seg, x86_ea(cpu, in), in->opsize,
	    rd_reg(cpu, X86_RAX, in->opsize, 1)));
}

/* 0F B6/B7 */
X86_OP(x86_op_movzx)
{
	unsigned ssz = (in->opcode & 1) ? 2 : 1;
	uint64_t v;
	int rc;

	rc = rd_E(cpu, in, ssz, &v);
	if (rc != X86_OK)
		return (rc);
	wr_G(cpu, in, in->opsize, v);
	return (X86_OK);
}

/* 0F BE/BF */
X86_OP(x86_op_movsx)
{
	unsigned ssz = (in->opcode & 1) ? 2 : 1;
	uint64_t v;
	int rc;

	rc = rd_E(cpu, in, ssz, &v);
	if (rc != X86_OK)
		return (rc);
	wr_G(cpu, in, in->opsize, (uint64_t)x86_sext(v, ssz));
	return (X86_OK);
}

/* 63 in 64-bit mode: sign-extends only with REX.W */
X86_OP(x86_op_movsxd)
{
	uint64_t v;
	int rc;

	rc = rd_E(cpu, in, in->opsize == 2 ? 2 : 4, &v);
	if (rc != X86_OK)
		return (rc);
	wr_G(cpu, in, in->opsize, (uint64_t)x86_sext(v, 4));
	return (X86_OK);
}

X86_OP(x86_op_lea)
{
	wr_G(cpu, in, in->opsize, x86_ea(cpu, in));
	return (X86_OK);
}

/* XCHG with memory is always locked (SDM Vol 2 XCHG). */
X86_OP(x86_op_xchg_EG)
{
	unsigned size = in->opsize;
	uint64_t g = rd_G(cpu, in, size), old, ea;
	void *hp;
	int rc;

	if (in->mod == 3) {
		old = rd_reg(cpu, in->rm, size, in->rex);
		wr_reg(cpu, in->rm, size, in->rex, g);
		wr_G(cpu, in, size, old);
		return (X86_OK);
	}
	ea = x86_ea(cpu, in);
	rc = x86_rmw_ptr(cpu, in, ea, size, &hp);
	if (rc != X86_OK)
		return (rc);
	if (hp != NULL) {
		old = x86_atomic_xchg(hp, size, g);
	} else {
		rc = rd_mem(cpu, in->seg, ea, size, &old);
		if (rc == X86_OK)
			rc = wr_mem(cpu, in->seg, ea, size, g);
		if (rc != X86_OK)
			return (rc);
	}
	wr_G(cpu, in, size, old);
	return (X86_OK);
}

/* 91-97 (and 90 with REX.B): XCHG rAX, r */
X86_OP(x86_op_xchg_ZA)
{
	unsigned size = in->opsize, r = (in->opcode & 7) | ((in->rex & 1) << 3);
	uint64_t a = rd_reg(cpu, X86_RAX, size, 1);

	wr_reg(cpu, X86_RAX, size, 1, rd_reg(cpu, r, size, 1));
	wr_reg(cpu, r, size, 1, a);
	return (X86_OK);
}

static uint64_t
xadd_rmw(unsigned sub, unsigned size, uint64_t old, uint64_t arg,
    uint64_t cin, struct x86_lfrec *lf)
{
	uint64_t r = (old + arg) & x86_mask(size);

	lf->op = LF_ADD;
	lf->res = r;
	lf->s1 = old;
	lf->s2 = arg;
	return (r);
}

X86_OP(x86_op_xadd)
{
	unsigned size = in->opsize;
	uint64_t src = rd_G(cpu, in, size), old;
	struct x86_lfrec lf;
	int rc;

	if (in->mod == 3) {
		old = rd_reg(cpu, in->rm, size, in->rex);
		wr_G(cpu, in, size, old);
		wr_reg(cpu, in->rm, size, in->rex,
		    xadd_rmw(0, size, old, src, 0, &lf));
	} else {
		rc = x86_rmw(cpu, in, size, xadd_rmw, 0, src, 0, &lf, &old);
		if (rc != X86_OK)
			return (rc);
		wr_G(cpu, in, size, old);
	}
	lf_commit(cpu, &lf, size);
	return (X86_OK);
}

/* CMPXCHG: flags as CMP rAX, dest (SDM Vol 2 CMPXCHG). */
X86_OP(x86_op_cmpxchg)
{
	unsigned size = in->opsize;
	uint64_t a = rd_reg(cpu, X86_RAX, size, 1), src = rd_G(cpu, in, size);
	uint64_t d, ea;
	void *hp = NULL;
	int rc;

	if (in->mod == 3) {
		d = rd_reg(cpu, in->rm, size, in->rex);
		/* a register DEST is left alone on failure, as hardware does */
		if (d == a)
			wr_reg(cpu, in->rm, size, in->rex, src);
		else
			wr_reg(cpu, X86_RAX, size, 1, d);
		lf_set(cpu, LF_SUB, size, (a - d) & x86_mask(size), a, d);
		return (X86_OK);
	}
	ea = x86_ea(cpu, in);
	rc = x86_rmw_ptr(cpu, in, ea, size, &hp);
	if (rc != X86_OK)
		return (rc);
	if (hp != NULL) {
		d = a;
		(void)x86_atomic_cas(hp, size, &d, src);
	} else {
		rc = rd_mem(cpu, in->seg, ea, size, &d);
		if (rc != X86_OK)
			return (rc);
		/* the destination is written back either way */
		rc = wr_mem(cpu, in->seg, ea, size, d == a ? src : d);
		if (rc != X86_OK)
			return (rc);
	}
	if (d != a)
		wr_reg(cpu, X86_RAX, size, 1, d);
	lf_set(cpu, LF_SUB, size, (a - d) & x86_mask(size), a, d);
	return (X86_OK);
}

static bool
cas128(void *hp, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi)
{
#if defined(__x86_64__)
	bool ok;

	__asm__ __volatile__("lock cmpxchg16b %1\n\tsete %0"
	    : "=q"(ok), "+m"(*(volatile unsigned __int128 *)hp),
	      "+a"(*lo), "+d"(*hi)
	    : "b"(nlo), "c"(nhi)
	    : "memory", "cc");
	return (ok);
#else
	uint64_t *p = hp;

	if (p[0] == *lo && p[1] == *hi) {
		p[0] = nlo;
		p[1] = nhi;
		return (true);
	}
	*lo = p[0];
	*hi = p[1];
	return (false);
#endif
}

/* 0F C7 /1: CMPXCHG8B m64, CMPXCHG16B m128 (REX.W) */
X86_OP(x86_op_grp9)
{
	unsigned half = in->opsize == 8 ? 8 : 4;
	uint64_t ea = x86_ea(cpu, in), lo, hi, mlo = 0, mhi = 0, v;
	void *hp = NULL;
	bool eq;
	uint32_t f;
	int rc;

	if (half == 8 && (ea & 15) != 0)
		return (x86_raise(cpu, IDT_GP, 0));
	lo = rd_reg(cpu, X86_RAX, half, 1);
	hi = rd_reg(cpu, X86_RDX, half, 1);
	rc = x86_rmw_ptr(cpu, in, ea, 2 * half, &hp);
	if (rc != X86_OK)
		return (rc);
	if (hp != NULL) {
		mlo = lo;
		mhi = hi;
		if (half == 8) {
			eq = cas128(hp, &mlo, &mhi, cpu->gpr[X86_RBX],
			    cpu->gpr[X86_RCX]);
		} else {
			v = lo | (hi << 32);
			eq = x86_atomic_cas(hp, 8, &v,
			    (uint32_t)cpu->gpr[X86_RBX] |
			    (cpu->gpr[X86_RCX] << 32));
			mlo = (uint32_t)v;
			mhi = v >> 32;
		}
	} else {
		rc = rd_mem(cpu, in->seg, ea, half, &mlo);
		if (rc == X86_OK)
			rc = rd_mem(cpu, in->seg, ea + half, half, &mhi);
		if (rc != X86_OK)
			return (rc);
		eq = mlo == lo && mhi == hi;
		rc = wr_mem(cpu, in->seg, ea, half,
		    eq ? cpu->gpr[X86_RBX] : mlo);
		if (rc == X86_OK)
			rc = wr_mem(cpu, in->seg, ea + half, half,
			    eq ? cpu->gpr[X86_RCX] : mhi);
		if (rc != X86_OK)
			return (rc);
	}
	if (!eq) {
		wr_reg(cpu, X86_RAX, half, 1, mlo);
		wr_reg(cpu, X86_RDX, half, 1, mhi);
	}
	f = x86_arith_flags(cpu) & ~X86_ZF;
	x86_set_arith(cpu, f | (eq ? X86_ZF : 0));
	return (X86_OK);
}

/* 98: CBW / CWDE / CDQE */
X86_OP(x86_op_cbw)
{
	unsigned size = in->opsize;

	wr_reg(cpu, X86_RAX, size, 1,
	    (uint64_t)x86_sext(rd_reg(cpu, X86_RAX, size / 2, 1), size / 2));
	return (X86_OK);
}

/* 99: CWD / CDQ / CQO */
X86_OP(x86_op_cwd)
{
	unsigned size = in->opsize;

	wr_reg(cpu, X86_RDX, size, 1,
	    (rd_reg(cpu, X86_RAX, size, 1) & x86_sign(size)) ? ~0ull : 0);
	return (X86_OK);
}

/* 0F 40-4F: the source is read (and may fault) even when false; a
 * 32-bit destination is zero-extended either way (SDM Vol 2 CMOVcc). */
X86_OP(x86_op_cmov)
{
	unsigned size = in->opsize;
	uint64_t v;
	int rc;

	rc = rd_E(cpu, in, size, &v);
	if (rc != X86_OK)
		return (rc);
	if (x86_cond(cpu, in->opcode & 15))
		wr_G(cpu, in, size, v);
	else if (size == 4)
		wr_G(cpu, in, size, rd_G(cpu, in, size));
	return (X86_OK);
}

X86_OP(x86_op_setcc)
{
	return (wr_E(cpu, in, 1, x86_cond(cpu, in->opcode & 15)));
}

/* LAHF/SAHF in 64-bit mode need CPUID.80000001H:ECX.LAHF-SAHF[0]. */
static bool
lahf_ok(struct x86_cpu *cpu)
{
	uint32_t r[4];

	if (cpu->csz != 8)
		return (true);
	x86_cpuid(cpu, 0x80000001u, 0, r);
	return ((r[2] & 1) != 0);
}

X86_OP(x86_op_lahf)
{
	if (!lahf_ok(cpu))
		return (x86_raise(cpu, IDT_UD, -1));
	wr_reg(cpu, 4, 1, 0, (x86_get_flags(cpu) & 0xd5) | X86_RF1);
	return (X86_OK);
}

X86_OP(x86_op_sahf)
{
	uint32_t ah = (uint32_t)(cpu->gpr[X86_RAX] >> 8) & 0xd5;

	if (!lahf_ok(cpu))
		return (x86_raise(cpu, IDT_UD, -1));
	x86_set_arith(cpu, (x86_arith_flags(cpu) & X86_OF) | ah);
	return (X86_OK);
}

/* ---- BCD (invalid in 64-bit mode; SDM Vol 2 DAA DAS AAA AAS AAM AAD) */

static uint32_t
szp8(uint64_t al)
{
	uint32_t f = 0;

	al &= 0xff;
	if (al == 0)
		f |= X86_ZF;
	if (al & 0x80)
		f |= X86_SF;
	if (!__builtin_parity((unsigned)al))
		f |= X86_PF;
	return (f);
}

static inline uint64_t
get_al(const struct x86_cpu *cpu)
{
	return (cpu->gpr[X86_RAX] & 0xff);
}

X86_OP(x86_op_daa)
{
	uint32_t f = x86_arith_flags(cpu), nf = 0;
	uint64_t al = get_al(cpu), old = al;
	unsigned cf = f & X86_CF;

	if ((al & 0xf) > 9 || (f & X86_AF)) {
		al += 6;
		if (al > 0xff || cf)
			nf |= X86_CF;
		nf |= X86_AF;
	}
	if (old > 0x99 || cf) {
		al += 0x60;
		nf |= X86_CF;
	} else {
		nf &= ~X86_CF;
	}
	wr_reg(cpu, X86_RAX, 1, 1, al);
	x86_set_arith(cpu, nf | szp8(al));
	return (X86_OK);
}

X86_OP(x86_op_das)
{
	uint32_t f = x86_arith_flags(cpu), nf = 0;
	uint64_t al = get_al(cpu), old = al;
	unsigned cf = f & X86_CF;

	if ((al & 0xf) > 9 || (f & X86_AF)) {
		if (al < 6 || cf)
			nf |= X86_CF;
		al = (al - 6) & 0xff;
		nf |= X86_AF;
	}
	if (old > 0x99 || cf) {
		al = (al - 0x60) & 0xff;
		nf |= X86_CF;
	}
	wr_reg(cpu, X86_RAX, 1, 1, al);
	x86_set_arith(cpu, nf | szp8(al));
	return (X86_OK);
}

X86_OP(x86_op_aaa)
{
	uint32_t f = x86_arith_flags(cpu);
	uint64_t ax = cpu->gpr[X86_RAX] & 0xffff;

	if ((ax & 0xf) > 9 || (f & X86_AF)) {
		ax = (ax + 0x106) & 0xffff;
		f |= X86_AF | X86_CF;
	} else {
		f &= ~(X86_AF | X86_CF);
	}
	wr_reg(cpu, X86_RAX, 2, 1, ax & 0xff0f);
	x86_set_arith(cpu, f);
	return (X86_OK);
}

X86_OP(x86_op_aas)
{
	uint32_t f = x86_arith_flags(cpu);
	uint64_t ax = cpu->gpr[X86_RAX] & 0xffff;

	if ((ax & 0xf) > 9 || (f & X86_AF)) {
		ax = (ax - 6) & 0xffff;
		ax = (ax - 0x100) & 0xffff;
		f |= X86_AF | X86_CF;
	} else {
		f &= ~(X86_AF | X86_CF);
	}
	wr_reg(cpu, X86_RAX, 2, 1, ax & 0xff0f);
	x86_set_arith(cpu, f);
	return (X86_OK);
}

X86_OP(x86_op_aam)
{
	unsigned base = (unsigned)in->imm & 0xff;
	uint64_t al = get_al(cpu);

	if (base == 0)
		return (x86_raise(cpu, IDT_DE, -1));
	wr_reg(cpu, X86_RAX, 2, 1, ((al / base) << 8) | (al % base));
	lf_set(cpu, LF_LOGIC, 1, al % base, 0, 0);
	return (X86_OK);
}

X86_OP(x86_op_aad)
{
	unsigned base = (unsigned)in->imm & 0xff;
	uint64_t ax = cpu->gpr[X86_RAX];
	uint64_t al = ((ax & 0xff) + ((ax >> 8) & 0xff) * base) & 0xff;

	wr_reg(cpu, X86_RAX, 2, 1, al);
	lf_set(cpu, LF_LOGIC, 1, al, 0, 0);
	return (X86_OK);
}

/* D6: undocumented SALC, AL = CF ? FF : 00 */
X86_OP(x86_op_salc)
{
	wr_reg(cpu, X86_RAX, 1, 1, x86_cf(cpu) ? 0xff : 0);
	return (X86_OK);
}

/* D7: AL = [seg:rBX + AL] */
X86_OP(x86_op_xlat)
{
	uint64_t ea = (cpu->gpr[X86_RBX] + get_al(cpu)) & x86_mask(in->adsize);
	uint64_t v;
	int rc;

	rc = rd_mem(cpu, in->seg, ea, 1, &v);
	if (rc != X86_OK)
		return (rc);
	wr_reg(cpu, X86_RAX, 1, 1, v);
	return (X86_OK);
}

/* 63 outside 64-bit mode: ARPL Ew, Gw (protected mode only). */
X86_OP(x86_op_arpl)
{
	uint64_t d, s;
	uint32_t f;
	int rc;

	if (cpu->mode == CPU_MODE_REAL || (cpu->rflags & X86_VM))
		return (x86_raise(cpu, IDT_UD, -1));
	rc = rd_E(cpu, in, 2, &d);
	if (rc != X86_OK)
		return (rc);
	s = rd_G(cpu, in, 2);
	f = x86_arith_flags(cpu) & ~X86_ZF;
	if ((d & 3) < (s & 3)) {
		rc = wr_E(cpu, in, 2, (d & ~3ull) | (s & 3));
		if (rc != X86_OK)
			return (rc);
		f |= X86_ZF;
	}
	x86_set_arith(cpu, f);
	return (X86_OK);
}

/* 62: BOUND Gv, Ma -> #BR when out of the signed bounds. */
X86_OP(x86_op_bound)
{
	unsigned size = in->opsize;
	uint64_t ea = x86_ea(cpu, in), lo, hi;
	int64_t idx = x86_sext(rd_G(cpu, in, size), size);
	int rc;

	rc = rd_mem(cpu, in->seg, ea, size, &lo);
	if (rc == X86_OK)
		rc = rd_mem(cpu, in->seg, (ea + size) & x86_mask(in->adsize),
		    size, &hi);
	if (rc != X86_OK)
		return (rc);
	if (idx < x86_sext(lo, size) || idx > x86_sext(hi, size))
		return (x86_raise(cpu, IDT_BR, -1));
	return (X86_OK);
}

/* ---- Specialized forms: operand size fixed per handler ---- */

#define MOV_SZ(SZ) \
static X86_OP(mov_EGr_##SZ) \
{ \
	wr_reg(cpu, in->rm, SZ, 1, cpu->gpr[in->reg]); \
	return (X86_OK); \
} \
static X86_OP(mov_GEr_##SZ) \
{ \
	wr_reg(cpu, in->reg, SZ, 1, cpu->gpr[in->rm]); \
	return (X86_OK); \
} \
static X86_OP(mov_EGm_##SZ) \
{ \
	return (wr_mem(cpu, in->seg, x86_ea(cpu, in), SZ, cpu->gpr[in->reg])); \
} \
static X86_OP(mov_GEm_##SZ) \
{ \
	uint64_t v; \
	int rc = rd_mem(cpu, in->seg, x86_ea(cpu, in), SZ, &v); \
\
	if (rc != X86_OK) \
		return (rc); \
	wr_reg(cpu, in->reg, SZ, 1, v); \
	return (X86_OK); \
} \
static X86_OP(mov_EIr_##SZ) \
{ \
	wr_reg(cpu, in->rm, SZ, 1, in->imm); \
	return (X86_OK); \
} \
static X86_OP(mov_EIm_##SZ) \
{ \
	return (wr_mem(cpu, in->seg, x86_ea(cpu, in), SZ, in->imm)); \
} \
static X86_OP(mov_ZI_##SZ) \
{ \
	wr_reg(cpu, (in->opcode & 7) | ((in->rex & 1) << 3), SZ, 1, in->imm); \
	return (X86_OK); \
} \
static X86_OP(lea_##SZ) \
{ \
	wr_reg(cpu, in->reg, SZ, 1, x86_ea(cpu, in)); \
	return (X86_OK); \
} \
static X86_OP(movzxb_m_##SZ) \
{ \
	uint64_t v; \
	int rc = rd_mem(cpu, in->seg, x86_ea(cpu, in), 1, &v); \
\
	if (rc != X86_OK) \
		return (rc); \
	wr_reg(cpu, in->reg, SZ, 1, v); \
	return (X86_OK); \
}
MOV_SZ(2) MOV_SZ(4) MOV_SZ(8)

#define SZ3(F) { F##_2, F##_4, F##_8 }
static const x86_handler_t mov_EGr[3] = SZ3(mov_EGr);
static const x86_handler_t mov_GEr[3] = SZ3(mov_GEr);
static const x86_handler_t mov_EGm[3] = SZ3(mov_EGm);
static const x86_handler_t mov_GEm[3] = SZ3(mov_GEm);
static const x86_handler_t mov_EIr[3] = SZ3(mov_EIr);
static const x86_handler_t mov_EIm[3] = SZ3(mov_EIm);
static const x86_handler_t mov_ZI[3] = SZ3(mov_ZI);
static const x86_handler_t lea[3] = SZ3(lea);
static const x86_handler_t movzxb_m[3] = SZ3(movzxb_m);

/* CMOVcc and SETcc with the condition fixed (x86_cond_k, as Jcc). */
#define CC_OPS(CC) \
static X86_OP(cmov_##CC) \
{ \
	unsigned size = in->opsize; \
	uint64_t v; \
	int rc; \
 \
	rc = rd_E(cpu, in, size, &v); \
	if (rc != X86_OK) \
		return (rc); \
	if (x86_cond_k(cpu, CC)) \
		wr_G(cpu, in, size, v); \
	else if (size == 4)	/* zero-extends even when not moving */ \
		wr_G(cpu, in, size, rd_G(cpu, in, size)); \
	return (X86_OK); \
} \
static X86_OP(setcc_##CC) \
{ \
	return (wr_E(cpu, in, 1, x86_cond_k(cpu, CC))); \
}
CC_OPS(0) CC_OPS(1) CC_OPS(2) CC_OPS(3) CC_OPS(4) CC_OPS(5) CC_OPS(6)
CC_OPS(7) CC_OPS(8) CC_OPS(9) CC_OPS(10) CC_OPS(11) CC_OPS(12) CC_OPS(13)
CC_OPS(14) CC_OPS(15)

static const x86_handler_t cmov_tab[16] = {
	cmov_0, cmov_1, cmov_2, cmov_3, cmov_4, cmov_5, cmov_6, cmov_7,
	cmov_8, cmov_9, cmov_10, cmov_11, cmov_12, cmov_13, cmov_14, cmov_15,
};
static const x86_handler_t setcc_tab[16] = {
	setcc_0, setcc_1, setcc_2, setcc_3, setcc_4, setcc_5, setcc_6,
	setcc_7, setcc_8, setcc_9, setcc_10, setcc_11, setcc_12, setcc_13,
	setcc_14, setcc_15,
};

x86_handler_t
x86_data_fast(const struct x86_insn *in)
{
	int si = in->opsize == 2 ? 0 : in->opsize == 4 ? 1 :
	    in->opsize == 8 ? 2 : -1;
	bool reg = in->mod == 3;

	if (in->fn == x86_op_setcc)
		return (setcc_tab[in->opcode & 15]);
	if (si < 0)
		return (NULL);
	if (in->fn == x86_op_cmov)
		return (cmov_tab[in->opcode & 15]);
	if (in->fn == x86_op_mov_EG)
		return (reg ? mov_EGr[si] : mov_EGm[si]);
	if (in->fn == x86_op_mov_GE)
		return (reg ? mov_GEr[si] : mov_GEm[si]);
	if (in->fn == x86_op_mov_EI)
		return (reg ? mov_EIr[si] : mov_EIm[si]);
	if (in->fn == x86_op_mov_ZI)
		return (mov_ZI[si]);
	if (in->fn == x86_op_lea)
		return (lea[si]);
	if (in->fn == x86_op_movzx && in->opcode == 0xb6 && !reg)
		return (movzxb_m[si]);
	return (NULL);
}
