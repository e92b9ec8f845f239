/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The x87 FPU (vmm/x86/fpu.c): every instruction form below runs
 * natively and in the emulator from the same state (ST0, ST1 and a
 * memory operand drawn from special values: signed zeros, denormals,
 * pseudo-denormals and unnormals, infinities, quiet and signalling NaNs,
 * out-of-range integers) under every precision and rounding control,
 * with exceptions masked and unmasked (#O/#U too: the biased results
 * of SDM Vol 1 8.5.4/8.5.5 are compared as well), and the FXSAVE
 * images are compared (FSW with condition codes and TOP, tag word,
 * registers, stored memory, EFLAGS for FCOMI).  Then #NM/#MF rules,
 * FSAVE/FSTENV layouts.
 */
#include "tests/unit/fpu_harness.h"

enum { K_F, K_D, K_I, K_X };
#define T_FL	0x2

struct xcase {
	const char	*name;
	uint8_t		kind;
	uint8_t		flags;
	uint8_t		len;
	uint8_t		b[16];
};

#define C(n, k, f, ...) { n, k, f, sizeof((uint8_t[]){ __VA_ARGS__ }), \
	{ __VA_ARGS__ } }

static const struct xcase xcases[] = {
	C("fadd st0,st1", K_X, 0, 0xd8, 0xc1),
	C("fadd m32", K_F, 0, 0xd8, 0x47, 0x70),
	C("fadd m64", K_D, 0, 0xdc, 0x47, 0x70),
	C("fiadd m32", K_I, 0, 0xda, 0x47, 0x70),
	C("fiadd m16", K_I, 0, 0xde, 0x47, 0x70),
	C("fadd st1,st0 (dc)", K_X, 0, 0xdc, 0xc1),
	C("faddp (de)", K_X, 0, 0xde, 0xc1),
	C("fmul st0,st1", K_X, 0, 0xd8, 0xc9),
	C("fmul m32", K_F, 0, 0xd8, 0x4f, 0x70),
	C("fmul m64", K_D, 0, 0xdc, 0x4f, 0x70),
	C("fimul m32", K_I, 0, 0xda, 0x4f, 0x70),
	C("fimul m16", K_I, 0, 0xde, 0x4f, 0x70),
	C("fmul st1,st0 (dc)", K_X, 0, 0xdc, 0xc9),
	C("fmulp (de)", K_X, 0, 0xde, 0xc9),
	C("fcom st0,st1", K_X, 0, 0xd8, 0xd1),
	C("fcom m32", K_F, 0, 0xd8, 0x57, 0x70),
	C("fcom m64", K_D, 0, 0xdc, 0x57, 0x70),
	C("ficom m32", K_I, 0, 0xda, 0x57, 0x70),
	C("ficom m16", K_I, 0, 0xde, 0x57, 0x70),
	C("fcom st1,st0 (dc)", K_X, 0, 0xdc, 0xd1),
	C("fcomp (de)", K_X, 0, 0xde, 0xd1),
	C("fcomp st0,st1", K_X, 0, 0xd8, 0xd9),
	C("fcomp m32", K_F, 0, 0xd8, 0x5f, 0x70),
	C("fcomp m64", K_D, 0, 0xdc, 0x5f, 0x70),
	C("ficomp m32", K_I, 0, 0xda, 0x5f, 0x70),
	C("ficomp m16", K_I, 0, 0xde, 0x5f, 0x70),
	C("fcomp st1,st0 (dc)", K_X, 0, 0xdc, 0xd9),
	C("fcompp (de)", K_X, 0, 0xde, 0xd9),
	C("fsub st0,st1", K_X, 0, 0xd8, 0xe1),
	C("fsub m32", K_F, 0, 0xd8, 0x67, 0x70),
	C("fsub m64", K_D, 0, 0xdc, 0x67, 0x70),
	C("fisub m32", K_I, 0, 0xda, 0x67, 0x70),
	C("fisub m16", K_I, 0, 0xde, 0x67, 0x70),
	C("fsub st1,st0 (dc)", K_X, 0, 0xdc, 0xe1),
	C("fsubp (de)", K_X, 0, 0xde, 0xe1),
	C("fsubr st0,st1", K_X, 0, 0xd8, 0xe9),
	C("fsubr m32", K_F, 0, 0xd8, 0x6f, 0x70),
	C("fsubr m64", K_D, 0, 0xdc, 0x6f, 0x70),
	C("fisubr m32", K_I, 0, 0xda, 0x6f, 0x70),
	C("fisubr m16", K_I, 0, 0xde, 0x6f, 0x70),
	C("fsubr st1,st0 (dc)", K_X, 0, 0xdc, 0xe9),
	C("fsubrp (de)", K_X, 0, 0xde, 0xe9),
	C("fdiv st0,st1", K_X, 0, 0xd8, 0xf1),
	C("fdiv m32", K_F, 0, 0xd8, 0x77, 0x70),
	C("fdiv m64", K_D, 0, 0xdc, 0x77, 0x70),
	C("fidiv m32", K_I, 0, 0xda, 0x77, 0x70),
	C("fidiv m16", K_I, 0, 0xde, 0x77, 0x70),
	C("fdiv st1,st0 (dc)", K_X, 0, 0xdc, 0xf1),
	C("fdivp (de)", K_X, 0, 0xde, 0xf1),
	C("fdivr st0,st1", K_X, 0, 0xd8, 0xf9),
	C("fdivr m32", K_F, 0, 0xd8, 0x7f, 0x70),
	C("fdivr m64", K_D, 0, 0xdc, 0x7f, 0x70),
	C("fidivr m32", K_I, 0, 0xda, 0x7f, 0x70),
	C("fidivr m16", K_I, 0, 0xde, 0x7f, 0x70),
	C("fdivr st1,st0 (dc)", K_X, 0, 0xdc, 0xf9),
	C("fdivrp (de)", K_X, 0, 0xde, 0xf9),
	C("fdecstp fadd st0,st7", K_X, 0, 0xd9, 0xf6, 0xd8, 0xc7),
	C("fcompp", K_X, 0, 0xde, 0xd9),
	C("fucompp", K_X, 0, 0xda, 0xe9),
	C("fucom", K_X, 0, 0xdd, 0xe1),
	C("fucomp", K_X, 0, 0xdd, 0xe9),
	C("fucomi", K_X, T_FL, 0xdb, 0xe9),
	C("fcomi", K_X, T_FL, 0xdb, 0xf1),
	C("fucomip", K_X, T_FL, 0xdf, 0xe9),
	C("fcomip", K_X, T_FL, 0xdf, 0xf1),
	C("fxch", K_I, 0, 0xd9, 0xc9),
	C("fld st1", K_I, 0, 0xd9, 0xc1),
	C("fst st1", K_I, 0, 0xdd, 0xd1),
	C("fstp st1", K_I, 0, 0xdd, 0xd9),
	C("ffree st1", K_I, 0, 0xdd, 0xc1),
	C("ffreep st1", K_I, 0, 0xdf, 0xc1),
	C("fnop", K_I, 0, 0xd9, 0xd0),
	C("fnclex", K_I, 0, 0xdb, 0xe2),
	C("fninit", K_I, 0, 0xdb, 0xe3),
	C("fnstsw ax", K_I, 0, 0xdf, 0xe0),
	C("fnstcw", K_I, 0, 0xd9, 0x7f, 0x70),
	C("fnstsw m", K_I, 0, 0xdd, 0x7f, 0x70),
	C("fldcw m", K_I, 0, 0xd9, 0x6f, 0x70),
	C("fdecstp", K_I, 0, 0xd9, 0xf6),
	C("fincstp", K_I, 0, 0xd9, 0xf7),
	C("d9 e0", K_X, 0, 0xd9, 0xe0),
	C("d9 e1", K_X, 0, 0xd9, 0xe1),
	C("d9 e4", K_X, 0, 0xd9, 0xe4),
	C("d9 e5", K_X, 0, 0xd9, 0xe5),
	C("d9 e8", K_X, 0, 0xd9, 0xe8),
	C("d9 e9", K_X, 0, 0xd9, 0xe9),
	C("d9 ea", K_X, 0, 0xd9, 0xea),
	C("d9 eb", K_X, 0, 0xd9, 0xeb),
	C("d9 ec", K_X, 0, 0xd9, 0xec),
	C("d9 ed", K_X, 0, 0xd9, 0xed),
	C("d9 ee", K_X, 0, 0xd9, 0xee),
	C("d9 f0", K_X, 0, 0xd9, 0xf0),
	C("d9 f1", K_X, 0, 0xd9, 0xf1),
	C("d9 f2", K_X, 0, 0xd9, 0xf2),
	C("d9 f3", K_X, 0, 0xd9, 0xf3),
	C("d9 f4", K_X, 0, 0xd9, 0xf4),
	C("d9 f5", K_X, 0, 0xd9, 0xf5),
	C("d9 f8", K_X, 0, 0xd9, 0xf8),
	C("d9 f9", K_X, 0, 0xd9, 0xf9),
	C("d9 fa", K_X, 0, 0xd9, 0xfa),
	C("d9 fb", K_X, 0, 0xd9, 0xfb),
	C("d9 fc", K_X, 0, 0xd9, 0xfc),
	C("d9 fd", K_X, 0, 0xd9, 0xfd),
	C("d9 fe", K_X, 0, 0xd9, 0xfe),
	C("d9 ff", K_X, 0, 0xd9, 0xff),
	C("fcmov da c1", K_X, 0, 0x9e, 0xda, 0xc1),
	C("fcmov db c1", K_X, 0, 0x9e, 0xdb, 0xc1),
	C("fcmov da c9", K_X, 0, 0x9e, 0xda, 0xc9),
	C("fcmov db c9", K_X, 0, 0x9e, 0xdb, 0xc9),
	C("fcmov da d1", K_X, 0, 0x9e, 0xda, 0xd1),
	C("fcmov db d1", K_X, 0, 0x9e, 0xdb, 0xd1),
	C("fcmov da d9", K_X, 0, 0x9e, 0xda, 0xd9),
	C("fcmov db d9", K_X, 0, 0x9e, 0xdb, 0xd9),
	C("fld m32", K_F, 0, 0xd9, 0x47, 0x70),
	C("fld m64", K_D, 0, 0xdd, 0x47, 0x70),
	C("fld m80", K_X, 0, 0xdb, 0x6f, 0x70),
	C("fild m32", K_I, 0, 0xdb, 0x47, 0x70),
	C("fild m16", K_I, 0, 0xdf, 0x47, 0x70),
	C("fild m64", K_I, 0, 0xdf, 0x6f, 0x70),
	C("fbld", K_I, 0, 0xdf, 0x67, 0x70),
	C("fst m32", K_X, 0, 0xd9, 0x57, 0x70),
	C("fstp m32", K_X, 0, 0xd9, 0x5f, 0x70),
	C("fst m64", K_X, 0, 0xdd, 0x57, 0x70),
	C("fstp m64", K_X, 0, 0xdd, 0x5f, 0x70),
	C("fstp m80", K_X, 0, 0xdb, 0x7f, 0x70),
	C("fist m32", K_X, 0, 0xdb, 0x57, 0x70),
	C("fistp m32", K_X, 0, 0xdb, 0x5f, 0x70),
	C("fist m16", K_X, 0, 0xdf, 0x57, 0x70),
	C("fistp m16", K_X, 0, 0xdf, 0x5f, 0x70),
	C("fistp m64", K_X, 0, 0xdf, 0x7f, 0x70),
	C("fbstp", K_X, 0, 0xdf, 0x77, 0x70),
	C("fisttp m32", K_X, 0, 0xdb, 0x4f, 0x70),
	C("fisttp m64", K_X, 0, 0xdd, 0x4f, 0x70),
	C("fisttp m16", K_X, 0, 0xdf, 0x4f, 0x70),
	C("underflow fadd", K_X, 0, 0xdd, 0xd8, 0xdd, 0xd8, 0xd8, 0xc1),
	C("underflow fst", K_X, 0, 0xdd, 0xd8, 0xdd, 0xd8, 0xd9, 0x57, 0x70),
	C("underflow fxch", K_X, 0, 0xdd, 0xd8, 0xd9, 0xc9),
	C("underflow fcomi", K_X, T_FL, 0xdd, 0xd8, 0xdb, 0xf1),
	C("overflow fld1", K_X, 0, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8),
	C("overflow fld m64", K_D, 0, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xdd, 0x47, 0x70),
	C("overflow fsincos", K_X, 0, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xfb),
	C("fxam empty", K_X, 0, 0xdd, 0xd8, 0xdd, 0xd8, 0xd9, 0xe5),
};

/* 80-bit specials: { significand, sign|exponent }. */
static const struct {
	uint64_t	m;
	uint16_t	e;
} xspecial[] = {
	{ 0, 0 }, { 0, 0x8000 }, { 1, 0 }, { 0x8000000000000000ull, 0 },
	{ 0x8000000000000000ull, 0x7fff }, { 0x8000000000000000ull, 0xffff },
	{ 0xc000000000000000ull, 0x7fff }, { 0xc000000000000000ull, 0xffff },
	{ 0x8000000000000001ull, 0x7fff }, { 0xa000000000000000ull, 0xffff },
	{ 0x8000000000000000ull, 0x3fff }, { 0xc000000000000000ull, 0xbfff },
	{ 0xc90fdaa22168c235ull, 0x4000 }, { 0x8000000000000000ull, 0x403e },
	{ 0xffffffffffffffffull, 0x403d }, { 0x8000000000000000ull, 0x7ffe },
	{ 0xffffffffffffffffull, 0x7ffe }, { 0x8000000000000000ull, 0x0001 },
	{ 0x4000000000000000ull, 0x3fff },	/* unnormal */
	{ 0x0000000000000000ull, 0x7fff },	/* pseudo-infinity */
	{ 0x8000000000000000ull, 0x4001 }, { 0xa000000000000000ull, 0x3ffe },
	{ 0xc90fdaa22168c235ull, 0x4040 }, { 0x8000000000000000ull, 0x3f00 },
	{ 0xb504f333f9de6484ull, 0x3fff }, { 0x8000000000000001ull, 0x3ffe },
};

static void
fill_x(uint8_t *p)
{
	uint64_t r = rnd(), m;
	uint16_t e;

	if (r & 3) {
		r >>= 8;
		m = xspecial[r % (sizeof(xspecial) / sizeof(xspecial[0]))].m;
		e = xspecial[r % (sizeof(xspecial) / sizeof(xspecial[0]))].e;
		if (rnd() & 1)
			e ^= 0x8000;
	} else {
		m = rnd() | 0x8000000000000000ull;
		e = (uint16_t)(0x3fff + (int)(rnd() % 129) - 64);
		if (rnd() & 1)
			e ^= 0x8000;
	}
	memcpy(p, &m, 8);
	memcpy(p + 8, &e, 2);
}

static void
fill(uint8_t *p, unsigned n, unsigned kind)
{
	unsigned i;
	uint64_t r;
	float f;
	double d;

	for (i = 0; i < n; i += 16) {
		r = rnd();
		switch (kind) {
		case K_F:
			f = (r & 1) ? (float)(int32_t)r / 7.0f :
			    (float)(int64_t)rnd() * 1e-10f;
			memcpy(p + i, &f, 4);
			if ((r & 6) == 6)
				memcpy(p + i, &r, 4);
			break;
		case K_D:
			d = (r & 1) ? (double)(int64_t)r / 3.0 : 1e300 * (r & 2);
			memcpy(p + i, &d, 8);
			if ((r & 6) == 6)
				memcpy(p + i, &r, 8);
			break;
		case K_I:
			if ((r & 3) == 0)
				r = 0x8000000000000000ull >> (rnd() % 64);
			memcpy(p + i, &r, 8);
			r = rnd();
			memcpy(p + i + 8, &r, 8);
			break;
		default:
			fill_x(p + i);
			break;
		}
	}
}

/* PC x RC (all masked), then #I #D #Z unmasked. */
static const uint16_t fcws[] = {
	0x037f, 0x007f, 0x027f, 0x077f, 0x0b7f, 0x0f7f, 0x047f, 0x087f,
	0x0378, 0x0f78, 0x037e, 0x0b7b, 0x0360, 0x0f67, 0x0077, 0x036f,
};

static void
test_x87_diff(void **state)
{
	struct tmach *t = tm_new_sse();
	static struct frame a, b;
	size_t i, it, bad = 0, runs = 0;
	char what[96];
	size_t iters = getenv("FPU_TEST_ITERS") != NULL ?
	    strtoul(getenv("FPU_TEST_ITERS"), NULL, 0) : 96;
	uint16_t cw;

	for (i = 0; i < sizeof(xcases) / sizeof(xcases[0]); i++) {
		const struct xcase *c = &xcases[i];

		for (it = 0; it < iters; it++) {
			memset(a.b, 0, sizeof(a.b));
			fill(a.b + F_ST1, 32, K_X);
			fill(a.b + F_MEM, 0x80, c->kind);
			fill(a.b + F_RAX, 8, K_I);
			cw = fcws[it % (sizeof(fcws) / 2)];
			memcpy(a.b + F_FCW, &cw, 2);
			a.b[F_MXCSR] = 0x80;
			a.b[F_MXCSR + 1] = 0x1f;
			b = a;
			run_native(&a, c->b, c->len, false);
			if (!run_emu(t, &b, c->b, c->len, false)) {
				fprintf(stderr, "%s: emulator stopped (exit %d, "
				    "exc %d)\n", c->name, t->exit.exitcode,
				    t->cpu.exc.vector);
				bad++;
				break;
			}
			runs++;
			snprintf(what, sizeof(what), "%s fcw %x", c->name, cw);
			if (frame_cmp(what, &a, &b, c->flags & T_FL, false)) {
				bad++;
				break;
			}
		}
	}
	fprintf(stderr, "x87 diff: %zu runs, %zu failing forms\n", runs, bad);
	tm_free(t);
	assert_int_equal(bad, 0);
}

/*
 * #NM with CR0.EM/TS, WAIT with MP+TS, pending unmasked exception -> #MF
 * at the next waiting instruction (CR0.NE = 1), FNCLEX clears it.
 */
static void
test_x87_faults(void **state)
{
	static const uint8_t fld1[] = { 0xd9, 0xe8 };
	static const uint8_t fldz[] = { 0xd9, 0xee };
	static const uint8_t fdiv[] = { 0xd8, 0xf1 };	/* fdiv st0, st1 */
	static const uint8_t fwait[] = { 0x9b };
	static const uint8_t fnstsw[] = { 0xdf, 0xe0 };
	static const uint8_t fnclex[] = { 0xdb, 0xe2 };
	static const uint8_t fninit[] = { 0xdb, 0xe3 };
	static const uint8_t fldcw[] = { 0xd9, 0x6f, 0x00 };
	static const uint8_t fsave[] = { 0xdd, 0x37 };
	static const uint8_t fsave16[] = { 0x66, 0xdd, 0x37 };
	static const uint8_t frstor[] = { 0xdd, 0x27 };
	static const uint8_t fstenv[] = { 0xd9, 0x37 };
	struct tmach *t = tm_new_sse();
	struct x86_cpu *cpu = &t->cpu;
	uint8_t *m = t->ram + DATA;
	uint16_t sw;

	cpu->gpr[X86_RDI] = DATA;
	cpu->cr0 |= X86_CR0_TS;
	assert_int_equal(tm_exec1(t, fld1, 2), X86_FAULT);
	assert_int_equal(cpu->exc.vector, IDT_NM);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_FAULT);
	assert_int_equal(cpu->exc.vector, IDT_NM);
	cpu->cr0 &= ~(uint64_t)X86_CR0_MP;
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);
	cpu->cr0 |= X86_CR0_MP;
	cpu->cr0 &= ~(uint64_t)X86_CR0_TS;
	cpu->cr0 |= X86_CR0_EM;
	assert_int_equal(tm_exec1(t, fld1, 2), X86_FAULT);
	assert_int_equal(cpu->exc.vector, IDT_NM);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);	/* EM: no */
	cpu->cr0 &= ~(uint64_t)X86_CR0_EM;

	/* unmask #Z: 1/0 sets ZE ES B, leaves ST0; next FLD1 is #MF */
	assert_int_equal(tm_exec1(t, fninit, 2), X86_OK);
	m[0] = 0x7b;		/* FCW 0x037b: ZM clear */
	m[1] = 0x03;
	assert_int_equal(tm_exec1(t, fldcw, 3), X86_OK);
	assert_int_equal(tm_exec1(t, fldz, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fld1, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fdiv, 2), X86_OK);
	memcpy(&sw, cpu->fxstate + 2, 2);
	assert_int_equal(sw & 0x80ff, 0x8084);
	assert_int_equal(*(uint16_t *)(cpu->fxstate + 32 + 16 * 6 + 8),
	    0x3fff);		/* ST0 = R6 still 1.0 */
	assert_int_equal(tm_exec1(t, fld1, 2), X86_FAULT);
	assert_int_equal(cpu->exc.vector, IDT_MF);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_FAULT);
	assert_int_equal(cpu->exc.vector, IDT_MF);
	/* non-waiting forms go on */
	assert_int_equal(tm_exec1(t, fnstsw, 2), X86_OK);
	assert_int_equal(cpu->gpr[X86_RAX] & 0xffff, sw);
	/* FSAVE (32-bit protected layout): FCW FSW FTW, then ST0..7, then
	 * FNINIT */
	memset(m, 0xcc, 256);
	assert_int_equal(tm_exec1(t, fsave, 2), X86_OK);
	assert_int_equal(*(uint16_t *)m, 0x037b);
	assert_int_equal(*(uint16_t *)(m + 4), sw);
	/* tags: R6 valid (00), R7 zero (01), rest empty (11) */
	assert_int_equal(*(uint16_t *)(m + 8), 0x4fff);
	assert_int_equal(*(uint16_t *)(m + 28 + 8), 0x3fff);	/* ST0 1.0 */
	assert_int_equal(*(uint16_t *)(m + 38 + 8), 0);		/* ST1 0 */
	assert_int_equal(m[28 + 80], 0xcc);
	memcpy(&sw, cpu->fxstate + 2, 2);
	assert_int_equal(sw, 0);		/* FNINIT after FSAVE */
	assert_int_equal(*(uint16_t *)cpu->fxstate, 0x037f);
	assert_int_equal(tm_exec1(t, frstor, 2), X86_OK);
	memcpy(&sw, cpu->fxstate + 2, 2);
	assert_int_equal(sw & 0xbfff, 0xb084);
	assert_int_equal(cpu->fxstate[4], 0xc0);
	assert_int_equal(tm_exec1(t, fnclex, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fld1, 2), X86_OK);
	/* 16-bit FSAVE: 14-byte environment */
	memset(m, 0xcc, 256);
	assert_int_equal(tm_exec1(t, fsave16, 3), X86_OK);
	assert_int_equal(*(uint16_t *)(m + 2), 5u << 11);
	assert_int_equal(*(uint16_t *)(m + 14 + 8), 0x3fff);
	assert_int_equal(m[14 + 80], 0xcc);
	/* FSTENV masks all exceptions after storing */
	assert_int_equal(tm_exec1(t, fstenv, 2), X86_OK);
	assert_int_equal(*(uint16_t *)cpu->fxstate, 0x037f);
	tm_free(t);
}

/* FERR# calls seen by the fake bus: [0] deasserts, [1] asserts. */
static unsigned ferr_calls[2];

static void
ferr_count(void *ctx, int vcpu, bool asserted)
{
	ferr_calls[asserted]++;
}

/*
 * CR0.NE = 0 (SDM Vol 1 8.7): a pending unmasked exception met by a
 * waiting instruction signals FERR# instead of #MF and the instruction
 * proceeds (IGNNE# taken as asserted); FNCLEX, FNINIT, FLDCW release
 * FERR# when they clear ES.
 */
static void
test_x87_ferr(void **state)
{
	static const uint8_t fld1[] = { 0xd9, 0xe8 };
	static const uint8_t fldz[] = { 0xd9, 0xee };
	static const uint8_t fdiv[] = { 0xd8, 0xf1 };
	static const uint8_t fwait[] = { 0x9b };
	static const uint8_t fnstsw[] = { 0xdf, 0xe0 };
	static const uint8_t fnclex[] = { 0xdb, 0xe2 };
	static const uint8_t fninit[] = { 0xdb, 0xe3 };
	static const uint8_t fldcw[] = { 0xd9, 0x6f, 0x00 };
	static const uint8_t paddb[] = { 0x0f, 0xfc, 0xc1 };
	static struct x86_bus bus;
	struct tmach *t = tm_new_sse();
	struct x86_cpu *cpu = &t->cpu;
	uint8_t *m = t->ram + DATA;
	uint16_t sw;

	bus = *cpu->bus;
	bus.ferr = ferr_count;
	cpu->bus = &bus;
	cpu->gpr[X86_RDI] = DATA;
	cpu->cr0 &= ~(uint64_t)X86_CR0_NE;
	memset(ferr_calls, 0, sizeof(ferr_calls));

	/* 1/0 with #Z unmasked: ZE ES B, nothing signalled yet */
	assert_int_equal(tm_exec1(t, fninit, 2), X86_OK);
	m[0] = 0x7b;
	m[1] = 0x03;
	assert_int_equal(tm_exec1(t, fldcw, 3), X86_OK);
	assert_int_equal(tm_exec1(t, fldz, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fld1, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fdiv, 2), X86_OK);
	assert_int_equal(ferr_calls[0] + ferr_calls[1], 0);
	/* non-waiting instructions do not signal */
	assert_int_equal(tm_exec1(t, fnstsw, 2), X86_OK);
	assert_int_equal(ferr_calls[1], 0);
	/* the next waiting one signals FERR# and then executes */
	assert_int_equal(tm_exec1(t, fld1, 2), X86_OK);
	assert_int_equal(ferr_calls[1], 1);
	assert_int_equal((cpu->fxstate[3] >> 3) & 7, 5);	/* pushed */
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);
	assert_int_equal(ferr_calls[1], 2);
	assert_int_equal(tm_exec1(t, paddb, 3), X86_OK);	/* MMX too */
	assert_int_equal(ferr_calls[1], 3);
	assert_int_equal(tm_exec1(t, fninit, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fldcw, 3), X86_OK);
	assert_int_equal(ferr_calls[0], 1);	/* FNINIT released it */
	/* FNCLEX releases it; with ES clear, no more calls */
	assert_int_equal(tm_exec1(t, fldz, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fld1, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fdiv, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);
	assert_int_equal(ferr_calls[1], 4);
	assert_int_equal(tm_exec1(t, fnclex, 2), X86_OK);
	assert_int_equal(ferr_calls[0], 2);
	memcpy(&sw, cpu->fxstate + 2, 2);
	assert_int_equal(sw & 0x80ff, 0);
	assert_int_equal(tm_exec1(t, fnclex, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fninit, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);
	assert_int_equal(ferr_calls[0], 2);
	assert_int_equal(ferr_calls[1], 4);
	/* FLDCW masking the pending exception releases it too */
	assert_int_equal(tm_exec1(t, fldcw, 3), X86_OK);
	assert_int_equal(tm_exec1(t, fldz, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fld1, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fdiv, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);
	assert_int_equal(ferr_calls[1], 5);
	m[0] = 0x7f;		/* FLDCW waits: signals first, then clears */
	assert_int_equal(tm_exec1(t, fldcw, 3), X86_OK);
	assert_int_equal(ferr_calls[1], 6);
	assert_int_equal(ferr_calls[0], 3);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);
	assert_int_equal(ferr_calls[1], 6);
	m[0] = 0x7b;
	assert_int_equal(tm_exec1(t, fninit, 2), X86_OK);
	/* CR0.NE = 1: #MF, no FERR# */
	cpu->cr0 |= X86_CR0_NE;
	assert_int_equal(tm_exec1(t, fldcw, 3), X86_OK);
	assert_int_equal(tm_exec1(t, fldz, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fld1, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fdiv, 2), X86_OK);
	assert_int_equal(tm_exec1(t, fwait, 1), X86_FAULT);
	assert_int_equal(cpu->exc.vector, IDT_MF);
	assert_int_equal(ferr_calls[1], 6);
	/* no ferr hook on the bus: CR0.NE = 0 just proceeds */
	cpu->bus = &tm_bus;
	cpu->cr0 &= ~(uint64_t)X86_CR0_NE;
	assert_int_equal(tm_exec1(t, fwait, 1), X86_OK);
	tm_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x87_faults),
		cmocka_unit_test(test_x87_ferr),
		cmocka_unit_test(test_x87_diff),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
