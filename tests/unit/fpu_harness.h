/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by test_fpu.c and test_sse.c: a CPU on a fake bus (RAM is a
 * malloc'd buffer, port 0x99 ends a program) in 64-bit mode with
 * CR4.OSFXSR/OSXMMEXCPT/OSXSAVE, and a differential runner: the same
 * instruction bytes run natively on the host and in the emulator inside
 * a fixed frame that loads x87/MMX/SSE/GPR state from a buffer (RDI) and
 * ends with FXSAVE64 into it; the images are then compared.
 */
#ifndef _TESTS_FPU_HARNESS_H_
#define _TESTS_FPU_HARNESS_H_

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "vmm/x86/cpu.h"
#include "vmm/x86/decode.h"
#include "tests/unit/fake_cpu.h"

/* 64-bit mode, identity mapped with 2 MiB pages, SSE enabled. */
static struct tmach *
tm_new_sse(void)
{
	struct tmach *t = tm_new();

	tm_long_ex(t, X86_CR0_NE | X86_CR0_MP, X86_CR4_OSFXSR |
	    X86_CR4_OSXMMEXCPT | X86_CR4_OSXSAVE);
	t->cpu.xcr0 = 3;
	return (t);
}

/* Run `code` + OUT 0x99 to completion; false if it stopped otherwise. */
static bool
tm_run(struct tmach *t, const uint8_t *code, size_t len)
{
	struct x86_cpu *cpu = &t->cpu;
	int i;

	memcpy(t->ram + CODE, code, len);
	t->ram[CODE + len] = 0xe6;
	t->ram[CODE + len + 1] = 0x99;
	x86_invalidate_code(&t->m, CODE, len + 2);
	cpu->rip = CODE;
	cpu->gpr[X86_RSP] = STACK;
	for (i = 0; i < 1000; i++) {
		if (x86_run(cpu, &t->exit) != 0)
			return (false);
		if (t->exit.exitcode == VM_EXITCODE_INOUT)
			break;
		if (t->exit.exitcode != VM_EXITCODE_BOGUS)
			return (false);
	}
	return (t->exit.exitcode == VM_EXITCODE_INOUT &&
	    cpu->rip == CODE + len);
}

/*
 * Decode and execute ONE instruction without the run loop; returns the
 * handler's result (exceptions are left in cpu->exc, not delivered).
 */
static int
tm_exec1(struct tmach *t, const uint8_t *code, size_t len)
{
	struct x86_cpu *cpu = &t->cpu;
	struct x86_insn in;

	memcpy(t->ram + CODE, code, len);
	assert_int_equal(x86_decode(code, (unsigned)len, 8, &in), 0);
	assert_int_equal(in.len, len);
	cpu->exc.valid = 0;
	cpu->rip = CODE + len;
	return (in.fn(cpu, &in));
}

/* ---- Differential frame ---- */

/* Buffer layout (RDI points at it). */
#define F_HMXCSR	0x00	/* host MXCSR saved / restored */
#define F_MXCSR		0x04
#define F_FCW		0x08
#define F_ST1		0x10	/* m80, pushed first */
#define F_ST0		0x20
#define F_XMM0		0x30
#define F_XMM1		0x40
#define F_RAX		0x50
#define F_RFL		0x58
#define F_MM0		0x60
#define F_MM1		0x68
#define F_MEM		0x70	/* memory operand area [rdi+0x70], 0x80 bytes */
#define F_RDX		0xf0
#define F_RCX		0xf8
#define F_FX		0x200	/* FXSAVE64 image */
#define F_SIZE		0x400

struct frame {
	alignas(64) uint8_t b[F_SIZE];
};

static uint8_t *nat_page;

static size_t
put(uint8_t *p, size_t n, const void *b, size_t k)
{
	memcpy(p + n, b, k);
	return (n + k);
}

/*
 * Build the frame around `insn`.  x87: FNINIT FLDCW, push ST1 and ST0;
 * mmx: MM0/MM1 loaded instead of the x87 stack.
 */
static size_t
frame_code(uint8_t *p, const uint8_t *insn, size_t ilen, bool mmx)
{
	static const uint8_t pro[] = {
		0x0f, 0xae, 0x5f, F_HMXCSR,		/* stmxcsr */
		0xdb, 0xe3,				/* fninit */
		0xd9, 0x6f, F_FCW,			/* fldcw */
	};
	static const uint8_t x87[] = {
		0xdb, 0x6f, F_ST1,			/* fld m80 */
		0xdb, 0x6f, F_ST0,
	};
	static const uint8_t mm[] = {
		0x0f, 0x6f, 0x47, F_MM0,		/* movq mm0 */
		0x0f, 0x6f, 0x4f, F_MM1,
	};
	static const uint8_t sse[] = {
		0x0f, 0xae, 0x57, F_MXCSR,		/* ldmxcsr */
		0xf3, 0x0f, 0x6f, 0x47, F_XMM0,		/* movdqu */
		0xf3, 0x0f, 0x6f, 0x4f, F_XMM1,
		0x48, 0x8b, 0x47, F_RAX,		/* mov rax */
		0x48, 0x8b, 0x97, F_RDX, 0, 0, 0,	/* mov rdx */
		0x48, 0x8b, 0x8f, F_RCX, 0, 0, 0,	/* mov rcx */
	};
	static const uint8_t epi[] = {
		0x48, 0x89, 0x47, F_RAX,
		0x48, 0x89, 0x97, F_RDX, 0, 0, 0,
		0x48, 0x89, 0x8f, F_RCX, 0, 0, 0,
		0x9c, 0x8f, 0x47, F_RFL,		/* pushfq; pop */
		0x48, 0x0f, 0xae, 0x87, 0x00, 0x02, 0x00, 0x00, /* fxsave64 */
		0xdb, 0xe3,
		0x0f, 0xae, 0x57, F_HMXCSR,
	};
	size_t n = 0;

	n = put(p, n, pro, sizeof(pro));
	if (mmx)
		n = put(p, n, mm, sizeof(mm));
	else
		n = put(p, n, x87, sizeof(x87));
	n = put(p, n, sse, sizeof(sse));
	n = put(p, n, insn, ilen);
	n = put(p, n, epi, sizeof(epi));
	return (n);
}

static void
run_native(struct frame *f, const uint8_t *insn, size_t ilen, bool mmx)
{
	void (*fn)(void *);
	size_t n;

	if (nat_page == NULL) {
		nat_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(nat_page != MAP_FAILED);
	}
	n = frame_code(nat_page, insn, ilen, mmx);
	nat_page[n] = 0xc3;
	__builtin___clear_cache((char *)nat_page, (char *)nat_page + 4096);
	fn = (void (*)(void *))(void *)nat_page;
	fn(f->b);
}

static bool
run_emu(struct tmach *t, struct frame *f, const uint8_t *insn, size_t ilen,
    bool mmx)
{
	uint8_t code[256];
	size_t n = frame_code(code, insn, ilen, mmx);
	bool ok;

	memcpy(t->ram + DATA, f->b, F_SIZE);
	t->cpu.gpr[X86_RDI] = DATA;
	ok = tm_run(t, code, n);
	memcpy(f->b, t->ram + DATA, F_SIZE);
	return (ok);
}

/*
 * Compare the parts of two FXSAVE images that are defined: FCW FSW FTW,
 * MXCSR, non-empty ST registers (80 bits), XMM0/1, RAX, and the
 * arithmetic flags when `flags`.  Returns 0 or prints the difference.
 */
static int
frame_cmp(const char *what, const struct frame *a, const struct frame *b,
    bool flags, bool mmx)
{
	const uint8_t *x = a->b + F_FX, *y = b->b + F_FX;
	unsigned i, top = (x[3] >> 3) & 7;
	uint64_t fa, fb;

	if (memcmp(x, y, 5) != 0 || memcmp(x + 24, y + 24, 4) != 0)
		goto diff;
	/* MMX frames: only MM0/MM1 are defined (the rest is stale) */
	for (i = 0; i < (mmx ? 2u : 8u); i++)
		if (((x[4] >> ((top + i) & 7)) & 1) &&
		    memcmp(x + 32 + 16 * i, y + 32 + 16 * i, 10) != 0)
			goto diff;
	if (memcmp(x + 160, y + 160, 32) != 0 ||
	    memcmp(a->b + F_RAX, b->b + F_RAX, 8) != 0 ||
	    memcmp(a->b + F_RDX, b->b + F_RDX, 16) != 0 ||
	    memcmp(a->b + F_MEM, b->b + F_MEM, 0x80) != 0)
		goto diff;
	memcpy(&fa, a->b + F_RFL, 8);
	memcpy(&fb, b->b + F_RFL, 8);
	if (flags && ((fa ^ fb) & 0x8d5))
		goto diff;
	return (0);
diff:
	fprintf(stderr, "%s: mismatch\n  native:", what);
	for (i = 0; i < 192; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", x[i]);
	fprintf(stderr, "\n  emu:");
	for (i = 0; i < 192; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", y[i]);
	memcpy(&fa, a->b + F_RAX, 8);
	memcpy(&fb, b->b + F_RAX, 8);
	fprintf(stderr, "\n  rax %llx / %llx", (unsigned long long)fa,
	    (unsigned long long)fb);
	memcpy(&fa, a->b + F_RFL, 8);
	memcpy(&fb, b->b + F_RFL, 8);
	fprintf(stderr, " rflags %llx / %llx\n", (unsigned long long)fa,
	    (unsigned long long)fb);
	return (1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

#endif /* _TESTS_FPU_HARNESS_H_ */
