/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Segmentation and events of the software CPU (seg.c, except.c,
 * system.c, msr.c, cpuid.c): descriptor loads and their faults, far
 * transfers and call gates, interrupt delivery with stack switches and
 * IST, IRET, #DF and triple fault, SYSCALL/SYSRET, CR0/EFER long-mode
 * rules, LAR/LSL and CPUID.  A fake bus with malloc'd RAM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/x86/cpu.h"
#include "vmm/x86/mmu.h"
#include "vmm/x86/sysinsn.h"

#define RAM_SIZE	(4u << 20)
#define GDT		0x1000
#define IDT		0x2000
#define TSS32		0x3000
#define TSS64		0x4000

/* Selectors of the test GDT. */
#define S_CODE0		0x08
#define S_DATA0		0x10
#define S_CODE3		0x18
#define S_DATA3		0x20
#define S_CODE64	0x28
#define S_DATA_NP	0x30
#define S_XONLY		0x38
#define S_TSS32		0x40
#define S_GATE		0x48
#define S_CODE64_3	0x50
#define S_CONF0		0x60
#define S_TSS64		0x68		/* 16 bytes */

struct fake {
	uint8_t		*ram;
	struct vm_exit	exit;
};

static uint8_t *
f_ram_page(void *ctx, uint64_t gpa, bool write)
{
	struct fake *f = ctx;

	(void)write;
	if (gpa >= RAM_SIZE)
		return (NULL);
	return (f->ram + (gpa & ~0xfffull));
}

static int
f_mmio(void *ctx, int vcpu, uint64_t gpa, unsigned size, bool write,
    uint64_t *val)
{
	(void)ctx;
	(void)vcpu;
	(void)gpa;
	(void)size;
	if (!write)
		*val = ~0ull;
	return (X86_OK);
}

static int
f_rdmsr(void *ctx, int vcpu, uint32_t msr, uint64_t *val)
{
	(void)ctx;
	(void)vcpu;
	if (msr == 0x1234)
		return (X86_EXIT);
	*val = 0;
	return (-1);
}

static const struct x86_bus fake_bus = {
	.ram_page = f_ram_page,
	.mmio = f_mmio,
	.rdmsr = f_rdmsr,
};

struct ctx {
	struct x86_cpu	*cpu;
	struct fake	*f;
};

static void
w16(struct fake *f, uint64_t gpa, uint16_t v)
{
	memcpy(f->ram + gpa, &v, 2);
}

static void
w32(struct fake *f, uint64_t gpa, uint32_t v)
{
	memcpy(f->ram + gpa, &v, 4);
}

static void
w64(struct fake *f, uint64_t gpa, uint64_t v)
{
	memcpy(f->ram + gpa, &v, 8);
}

static uint32_t
r32(struct fake *f, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, f->ram + gpa, 4);
	return (v);
}

static uint64_t
r64(struct fake *f, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, f->ram + gpa, 8);
	return (v);
}

static uint64_t
desc(uint32_t base, uint32_t limit, uint32_t ar)
{
	return ((limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
	    ((uint64_t)(ar & 0xff) << 40) |
	    ((uint64_t)((limit >> 16) & 0xf) << 48) |
	    ((uint64_t)((ar >> 12) & 0xf) << 52) |
	    ((uint64_t)(base >> 24) << 56));
}

/* Interrupt/trap/call gate, 8 bytes (32-bit) or low half (64-bit). */
static uint64_t
gate(uint16_t sel, uint32_t off, uint32_t ar)
{
	return ((off & 0xffff) | ((uint64_t)sel << 16) |
	    ((uint64_t)(ar & 0xff) << 40) | ((uint64_t)(off >> 16) << 48));
}

static void
set_seg(struct x86_cpu *cpu, int s, uint16_t sel, uint32_t ar)
{
	cpu->seg[s].sel = sel;
	cpu->seg[s].base = 0;
	cpu->seg[s].limit = 0xffffffff;
	cpu->seg[s].access = ar;
}

/* Protected mode, flat, CPL 0, with the test GDT/IDT/TSS. */
static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct x86_cpu *cpu;
	struct fake *f;

	cpu = aligned_alloc(64, sizeof(*cpu));
	memset(cpu, 0, sizeof(*cpu));
	f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	cpu->bus = &fake_bus;
	cpu->bus_ctx = f;
	cpu->exit = &f->exit;
	cpu->rflags = 2;
	cpu->lf.size = 8;	/* flags.c reads it even without a record */
	w64(f, GDT + S_CODE0, desc(0, 0xfffff, 0xc09b));
	w64(f, GDT + S_DATA0, desc(0, 0xfffff, 0xc092));	/* not accessed */
	w64(f, GDT + S_CODE3, desc(0, 0xfffff, 0xc0fb));
	w64(f, GDT + S_DATA3, desc(0, 0xfffff, 0xc0f3));
	w64(f, GDT + S_CODE64, desc(0, 0xfffff, 0xa09b));
	w64(f, GDT + S_DATA_NP, desc(0, 0xfffff, 0xc013));
	w64(f, GDT + S_XONLY, desc(0, 0xfffff, 0xc099));
	w64(f, GDT + S_TSS32, desc(TSS32, 0x67, 0x0089));
	w64(f, GDT + S_GATE, gate(S_CODE0, 0x5000, 0xec));
	w64(f, GDT + S_CODE64_3, desc(0, 0xfffff, 0xa0fb));
	w64(f, GDT + S_CONF0, desc(0, 0xfffff, 0xc09f));
	w64(f, GDT + S_TSS64, desc(TSS64, 0x67, 0x0089));
	w64(f, GDT + S_TSS64 + 8, 0);
	/* 32-bit TSS: ESP0 = 0x9000, SS0 = S_DATA0. */
	w32(f, TSS32 + 4, 0x9000);
	w32(f, TSS32 + 8, S_DATA0);
	/* 64-bit TSS: RSP0 = 0xa000, IST1 = 0xb008. */
	w64(f, TSS64 + 4, 0xa000);
	w64(f, TSS64 + 0x24, 0xb008);
	cpu->gdtr.base = GDT;
	cpu->gdtr.limit = 0x77;
	cpu->idtr.base = IDT;
	cpu->idtr.limit = 0x7ff;
	set_seg(cpu, X86_CS, S_CODE0, 0xc09b);
	set_seg(cpu, X86_SS, S_DATA0, 0xc093);
	set_seg(cpu, X86_DS, S_DATA0, 0xc093);
	set_seg(cpu, X86_ES, S_DATA0, 0xc093);
	set_seg(cpu, X86_FS, S_DATA0, 0xc093);
	set_seg(cpu, X86_GS, S_DATA0, 0xc093);
	cpu->seg[X86_LDTR].access = X86_AR_UNUSABLE;
	cpu->seg[X86_TR].sel = S_TSS32;
	cpu->seg[X86_TR].base = TSS32;
	cpu->seg[X86_TR].limit = 0x67;
	cpu->seg[X86_TR].access = 0x8b;
	cpu->cr0 = X86_CR0_PE | X86_CR0_ET;
	cpu->gpr[X86_RSP] = 0x8000;
	assert_int_equal(x86_mmu_init(cpu), 0);
	x86_update_mode(cpu);
	c->cpu = cpu;
	c->f = f;
	*state = c;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	x86_mmu_fini(c->cpu);
	free(c->f->ram);
	free(c->f);
	free(c->cpu);
	free(c);
	return (0);
}

#define expect_exc(cpu, rc, vec, err) \
	expect_exc_((cpu), (rc), (vec), (err), __LINE__)

static void
expect_exc_(struct x86_cpu *cpu, int rc, int vec, int64_t err, int line)
{
	_assert_int_equal(rc, X86_FAULT, __FILE__, line);
	assert_true(cpu->exc.valid);
	assert_int_equal(cpu->exc.vector, vec);
	if (err < 0) {
		assert_false(cpu->exc.has_err);
	} else {
		assert_true(cpu->exc.has_err);
		assert_int_equal(cpu->exc.err, err);
	}
	cpu->exc.valid = 0;
}

/* Drop to CPL 3, flat 32-bit. */
static void
to_user(struct x86_cpu *cpu)
{
	set_seg(cpu, X86_CS, S_CODE3 | 3, 0xc0fb);
	set_seg(cpu, X86_SS, S_DATA3 | 3, 0xc0f3);
	x86_update_mode(cpu);
	assert_int_equal(cpu->cpl, 3);
}

/* ---- Segment loads ---- */

static void
test_load_data(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	assert_int_equal(x86_load_seg(cpu, X86_DS, S_DATA0), X86_OK);
	assert_int_equal(cpu->seg[X86_DS].base, 0);
	assert_int_equal(cpu->seg[X86_DS].limit, 0xffffffff);
	assert_int_equal(cpu->seg[X86_DS].access & 0xf, 3);
	/* The accessed bit was set in the GDT. */
	assert_true(c->f->ram[GDT + S_DATA0 + 5] & 1);
	/* Null selector: unusable, no fault until used. */
	assert_int_equal(x86_load_seg(cpu, X86_ES, 3), X86_OK);
	assert_true(cpu->seg[X86_ES].access & X86_AR_UNUSABLE);
	/* Not present: #NP(sel). */
	expect_exc(cpu, x86_load_seg(cpu, X86_DS, S_DATA_NP), IDT_NP,
	    S_DATA_NP);
	/* Execute-only code: #GP(sel). */
	expect_exc(cpu, x86_load_seg(cpu, X86_DS, S_XONLY), IDT_GP, S_XONLY);
	/* Readable code is fine. */
	assert_int_equal(x86_load_seg(cpu, X86_DS, S_CODE0), X86_OK);
	/* Beyond the GDT limit: #GP(sel & ~3). */
	expect_exc(cpu, x86_load_seg(cpu, X86_DS, 0x83), IDT_GP, 0x80);
	/* LDT selector without an LDT. */
	expect_exc(cpu, x86_load_seg(cpu, X86_DS, 0x0c), IDT_GP, 0x0c);
	/* System descriptor. */
	expect_exc(cpu, x86_load_seg(cpu, X86_DS, S_TSS32), IDT_GP, S_TSS32);
	/* DPL 0 data from CPL 3, and RPL 3 on DPL 0 data at CPL 0. */
	expect_exc(cpu, x86_load_seg(cpu, X86_DS, S_DATA0 | 3), IDT_GP,
	    S_DATA0);
	to_user(cpu);
	expect_exc(cpu, x86_load_seg(cpu, X86_DS, S_DATA0), IDT_GP, S_DATA0);
	assert_int_equal(x86_load_seg(cpu, X86_DS, S_DATA3 | 3), X86_OK);
	/* Readable conforming code: no privilege check (SDM Vol 3 5.6). */
	assert_int_equal(x86_load_seg(cpu, X86_DS, S_CONF0), X86_OK);
}

static void
test_load_ss(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	expect_exc(cpu, x86_load_seg(cpu, X86_SS, 0), IDT_GP, 0);
	expect_exc(cpu, x86_load_seg(cpu, X86_SS, S_DATA0 | 1), IDT_GP,
	    S_DATA0);
	expect_exc(cpu, x86_load_seg(cpu, X86_SS, S_DATA3), IDT_GP, S_DATA3);
	expect_exc(cpu, x86_load_seg(cpu, X86_SS, S_CODE0), IDT_GP, S_CODE0);
	expect_exc(cpu, x86_load_seg(cpu, X86_SS, S_DATA_NP), IDT_SS,
	    S_DATA_NP);
	assert_int_equal(x86_load_seg(cpu, X86_SS, S_DATA0), X86_OK);
	assert_int_equal(cpu->ssz, 4);
	/* 64-bit mode at CPL 0 takes a null SS. */
	cpu->efer = X86_EFER_LME | X86_EFER_LMA;
	cpu->cr4 = X86_CR4_PAE;
	set_seg(cpu, X86_CS, S_CODE64, 0xa09b);
	x86_update_mode(cpu);
	assert_int_equal(cpu->mode, CPU_MODE_64BIT);
	assert_int_equal(x86_load_seg(cpu, X86_SS, 0), X86_OK);
	assert_int_equal(cpu->cpl, 0);
	expect_exc(cpu, x86_load_seg(cpu, X86_SS, 1), IDT_GP, 0);
}

static void
test_real_mode_load(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	cpu->cr0 = X86_CR0_ET;
	x86_update_mode(cpu);
	assert_int_equal(cpu->mode, CPU_MODE_REAL);
	assert_int_equal(x86_load_seg(cpu, X86_DS, 0x1234), X86_OK);
	assert_int_equal(cpu->seg[X86_DS].base, 0x12340);
	/* The cached limit stays (unreal mode). */
	assert_int_equal(cpu->seg[X86_DS].limit, 0xffffffff);
	expect_exc(cpu, x86_load_seg(cpu, X86_TR, 0x40), IDT_UD, -1);
}

/* ---- Far transfers ---- */

static void
test_far_jump(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	assert_int_equal(x86_far_jump(cpu, S_CODE0, 0x1234, 4, false, 0),
	    X86_OK);
	assert_int_equal(cpu->rip, 0x1234);
	assert_int_equal(cpu->seg[X86_CS].sel, S_CODE0);
	/* Non-conforming code of another DPL. */
	expect_exc(cpu, x86_far_jump(cpu, S_CODE3 | 3, 0, 4, false, 0),
	    IDT_GP, S_CODE3);
	/* Data segment. */
	expect_exc(cpu, x86_far_jump(cpu, S_DATA0, 0, 4, false, 0), IDT_GP,
	    S_DATA0);
	/* Null. */
	expect_exc(cpu, x86_far_jump(cpu, 0, 0, 4, false, 0), IDT_GP, 0);
	/* Far call pushes CS:EIP. */
	assert_int_equal(x86_far_jump(cpu, S_CODE0, 0x2000, 4, true, 0x1111),
	    X86_OK);
	assert_int_equal(cpu->gpr[X86_RSP], 0x8000 - 8);
	assert_int_equal(r32(c->f, 0x8000 - 8), 0x1111);
	assert_int_equal(r32(c->f, 0x8000 - 4), S_CODE0);
	assert_int_equal(x86_far_return(cpu, 4, 8), X86_OK);
	assert_int_equal(cpu->rip, 0x1111);
	assert_int_equal(cpu->gpr[X86_RSP], 0x8000 + 8);
	/* Conforming DPL 0 code from CPL 3: CPL stays 3. */
	to_user(cpu);
	assert_int_equal(x86_far_jump(cpu, S_CONF0, 0x10, 4, false, 0),
	    X86_OK);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->seg[X86_CS].sel, S_CONF0 | 3);
}

static void
test_call_gate_and_return(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	to_user(cpu);
	cpu->gpr[X86_RSP] = 0x8000;
	assert_int_equal(x86_far_jump(cpu, S_GATE | 3, 0, 4, true, 0x1234),
	    X86_OK);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->seg[X86_CS].sel, S_CODE0);
	assert_int_equal(cpu->rip, 0x5000);
	assert_int_equal(cpu->seg[X86_SS].sel, S_DATA0);
	assert_int_equal(cpu->gpr[X86_RSP], 0x9000 - 16);
	assert_int_equal(r32(c->f, 0x9000 - 4), S_DATA3 | 3);
	assert_int_equal(r32(c->f, 0x9000 - 8), 0x8000);
	assert_int_equal(r32(c->f, 0x9000 - 12), S_CODE3 | 3);
	assert_int_equal(r32(c->f, 0x9000 - 16), 0x1234);
	/* RETF back to CPL 3 restores SS:ESP and nulls DPL 0 data regs. */
	set_seg(cpu, X86_DS, S_DATA0, 0xc093);
	assert_int_equal(x86_far_return(cpu, 4, 0), X86_OK);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->rip, 0x1234);
	assert_int_equal(cpu->gpr[X86_RSP], 0x8000);
	assert_int_equal(cpu->seg[X86_SS].sel, S_DATA3 | 3);
	assert_true(cpu->seg[X86_DS].access & X86_AR_UNUSABLE);
	/* JMP through the gate to DPL 0 from CPL 3: #GP(code sel). */
	expect_exc(cpu, x86_far_jump(cpu, S_GATE | 3, 0, 4, false, 0),
	    IDT_GP, S_CODE0);
}

/* ---- Interrupts and IRET ---- */

static void
test_deliver_pm_privilege(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	w64(c->f, IDT + 0x21 * 8, gate(S_CODE0, 0x6000, 0xee));	/* int, DPL3 */
	w64(c->f, IDT + 0x22 * 8, gate(S_CODE0, 0x6000, 0x8e));	/* DPL 0 */
	to_user(cpu);
	cpu->rflags = 0x202;
	cpu->gpr[X86_RSP] = 0x8000;
	assert_int_equal(x86_deliver(cpu, 0x21, -1, true, 0x4444), X86_OK);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->rip, 0x6000);
	assert_int_equal(cpu->gpr[X86_RSP], 0x9000 - 20);
	assert_int_equal(r32(c->f, 0x9000 - 20), 0x4444);
	assert_int_equal(r32(c->f, 0x9000 - 16), S_CODE3 | 3);
	assert_int_equal(r32(c->f, 0x9000 - 12), 0x202);
	assert_int_equal(r32(c->f, 0x9000 - 8), 0x8000);
	assert_int_equal(r32(c->f, 0x9000 - 4), S_DATA3 | 3);
	assert_false(x86_get_flags(cpu) & X86_IF);
	/* IRET to CPL 3. */
	assert_int_equal(x86_iret(cpu, 4), X86_OK);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->rip, 0x4444);
	assert_int_equal(cpu->gpr[X86_RSP], 0x8000);
	assert_true(x86_get_flags(cpu) & X86_IF);
	/* INT n to a DPL 0 gate from CPL 3: #GP(vector * 8 + 2). */
	expect_exc(cpu, x86_deliver(cpu, 0x22, -1, true, 0), IDT_GP,
	    0x22 * 8 + 2);
}

static void
test_deliver_long_ist(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint64_t f = IDT + 14 * 16;

	/* #PF gate: 64-bit interrupt gate, IST 1. */
	w64(c->f, f, gate(S_CODE64, 0x7000, 0x8e) | (1ull << 32));
	w64(c->f, f + 8, 0);
	cpu->idtr.limit = 0xfff;
	cpu->cr4 = X86_CR4_PAE;
	cpu->efer = X86_EFER_LME | X86_EFER_LMA;
	cpu->seg[X86_TR].sel = S_TSS64;
	cpu->seg[X86_TR].base = TSS64;
	set_seg(cpu, X86_CS, S_CODE64_3 | 3, 0xa0fb);
	set_seg(cpu, X86_SS, S_DATA3 | 3, 0xc0f3);
	x86_update_mode(cpu);
	assert_int_equal(cpu->mode, CPU_MODE_64BIT);
	assert_int_equal(cpu->cpl, 3);
	cpu->gpr[X86_RSP] = 0x8123;
	cpu->rflags = 0x202;
	assert_int_equal(x86_deliver(cpu, IDT_PF, 0x6, false, 0x5555),
	    X86_OK);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->rip, 0x7000);
	/* IST1 = 0xb008, aligned down to 0xb000, six 8-byte slots. */
	assert_int_equal(cpu->gpr[X86_RSP], 0xb000 - 48);
	assert_int_equal(r64(c->f, 0xb000 - 48), 6);
	assert_int_equal(r64(c->f, 0xb000 - 40), 0x5555);
	assert_int_equal(r64(c->f, 0xb000 - 32), S_CODE64_3 | 3);
	assert_int_equal(r64(c->f, 0xb000 - 24), 0x10202);	/* RF: a fault */
	assert_int_equal(r64(c->f, 0xb000 - 16), 0x8123);
	assert_int_equal(r64(c->f, 0xb000 - 8), S_DATA3 | 3);
	assert_true(cpu->seg[X86_SS].access & X86_AR_UNUSABLE);
	assert_int_equal(cpu->seg[X86_SS].sel, 0);
	/* Pop the error code, IRETQ back to CPL 3. */
	cpu->gpr[X86_RSP] += 8;
	assert_int_equal(x86_iret(cpu, 8), X86_OK);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->mode, CPU_MODE_64BIT);
	assert_int_equal(cpu->rip, 0x5555);
	assert_int_equal(cpu->gpr[X86_RSP], 0x8123);
	/* Without IST, from CPL 3 the stack is RSP0. */
	w64(c->f, f, gate(S_CODE64, 0x7000, 0x8e));
	assert_int_equal(x86_deliver(cpu, IDT_PF, 0, false, 0x5555), X86_OK);
	assert_int_equal(cpu->gpr[X86_RSP], 0xa000 - 48);
}

static void
test_double_and_triple_fault(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	/* #PF gate not present -> #NP during #PF -> #DF. */
	w64(c->f, IDT + 14 * 8, gate(S_CODE0, 0x6000, 0x0e));
	w64(c->f, IDT + 8 * 8, gate(S_CODE0, 0x6800, 0x8e));
	assert_int_equal(x86_deliver(cpu, IDT_PF, 2, false, 0x4000), X86_OK);
	assert_int_equal(cpu->rip, 0x6800);
	assert_int_equal(r32(c->f, cpu->gpr[X86_RSP]), 0);	/* err 0 */
	/* A benign first event is handled serially: #NP(0x62+1). */
	w64(c->f, IDT + 11 * 8, gate(S_CODE0, 0x6900, 0x8e));
	w64(c->f, IDT + 0x30 * 8, gate(S_CODE0, 0x6000, 0x0e));
	assert_int_equal(x86_deliver(cpu, 0x30, -1, false, 0x4000), X86_OK);
	assert_int_equal(cpu->rip, 0x6900);
	assert_int_equal(r32(c->f, cpu->gpr[X86_RSP]), 0x30 * 8 + 2 + 1);
	/* An empty IDT: #GP -> #GP -> #DF -> triple fault. */
	cpu->idtr.limit = 0;
	memset(&c->f->exit, 0, sizeof(c->f->exit));
	assert_int_equal(x86_deliver(cpu, IDT_GP, 0, false, 0x4000),
	    X86_EXIT);
	assert_int_equal(c->f->exit.exitcode, VM_EXITCODE_SUSPENDED);
	assert_int_equal(c->f->exit.u.suspended.how, VM_SUSPEND_TRIPLEFAULT);
}

static void
test_deliver_real(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	cpu->cr0 = X86_CR0_ET;
	cpu->idtr.base = 0;
	cpu->idtr.limit = 0x3ff;
	x86_update_mode(cpu);
	set_seg(cpu, X86_CS, 0x1000, 0x9b);
	cpu->seg[X86_CS].base = 0x10000;
	cpu->seg[X86_CS].limit = 0xffff;
	set_seg(cpu, X86_SS, 0, 0x93);
	cpu->seg[X86_SS].limit = 0xffff;
	cpu->gpr[X86_RSP] = 0x7000;
	cpu->rflags = 0x202;
	w16(c->f, 8 * 4, 0x1234);
	w16(c->f, 8 * 4 + 2, 0xf000);
	assert_int_equal(x86_deliver(cpu, 8, -1, false, 0x55), X86_OK);
	assert_int_equal(cpu->seg[X86_CS].sel, 0xf000);
	assert_int_equal(cpu->seg[X86_CS].base, 0xf0000);
	assert_int_equal(cpu->rip, 0x1234);
	assert_int_equal(cpu->gpr[X86_RSP], 0x7000 - 6);
	assert_int_equal(c->f->ram[0x7000 - 6], 0x55);
	assert_false(x86_get_flags(cpu) & X86_IF);
	assert_int_equal(x86_iret(cpu, 2), X86_OK);
	assert_int_equal(cpu->seg[X86_CS].sel, 0x1000);
	assert_int_equal(cpu->rip, 0x55);
	assert_true(x86_get_flags(cpu) & X86_IF);
}

/* ---- System instructions ---- */

static void
test_long_mode_entry(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	/* PML4 at 0x10000 identity-maps the first 1 GiB. */
	w64(c->f, 0x10000, 0x11000 | 7);
	w64(c->f, 0x11000, 0x0 | 0x87);
	cpu->cr3 = 0x10000;
	assert_int_equal(x86_set_efer(cpu, X86_EFER_LME), X86_OK);
	/* Paging with LME but without PAE: #GP(0). */
	expect_exc(cpu, x86_set_cr0(cpu, cpu->cr0 | X86_CR0_PG), IDT_GP, 0);
	assert_int_equal(x86_set_cr4(cpu, X86_CR4_PAE), X86_OK);
	assert_int_equal(x86_set_cr0(cpu, cpu->cr0 | X86_CR0_PG), X86_OK);
	assert_true(cpu->efer & X86_EFER_LMA);
	assert_int_equal(cpu->mode, CPU_MODE_COMPATIBILITY);
	assert_int_equal(cpu->paging, PAGING_MODE_64);
	/* LME cannot change with paging on; PAE cannot go. */
	expect_exc(cpu, x86_set_efer(cpu, 0), IDT_GP, 0);
	expect_exc(cpu, x86_set_cr4(cpu, 0), IDT_GP, 0);
	/* Far jump into 64-bit code. */
	assert_int_equal(x86_far_jump(cpu, S_CODE64, 0x100000, 4, false, 0),
	    X86_OK);
	assert_int_equal(cpu->mode, CPU_MODE_64BIT);
	/* Clearing PG in 64-bit mode: #GP(0). */
	expect_exc(cpu, x86_set_cr0(cpu, cpu->cr0 & ~(uint64_t)X86_CR0_PG),
	    IDT_GP, 0);
	/* Reserved CR4 bit (LA57 not offered). */
	expect_exc(cpu, x86_set_cr4(cpu, X86_CR4_PAE | X86_CR4_LA57), IDT_GP,
	    0);
}

static void
test_syscall_sysret(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	struct x86_insn in = { .opsize = 8, .len = 2 };

	cpu->cr4 = X86_CR4_PAE;
	cpu->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE;
	set_seg(cpu, X86_CS, S_CODE64_3 | 3, 0xa0fb);
	set_seg(cpu, X86_SS, S_DATA3 | 3, 0xc0f3);
	x86_update_mode(cpu);
	cpu->msr.star = ((uint64_t)0x13 << 48) | ((uint64_t)S_CODE64 << 32);
	cpu->msr.lstar = 0xffffffff81000000ull;
	cpu->msr.sfmask = X86_IF | X86_TF;
	cpu->rflags = 0x202;
	cpu->rip = 0x401000;
	assert_int_equal(x86_op_syscall(cpu, &in), X86_OK);
	assert_int_equal(cpu->rip, 0xffffffff81000000ull);
	assert_int_equal(cpu->gpr[X86_RCX], 0x401000);
	assert_int_equal(cpu->gpr[X86_R11], 0x202);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->seg[X86_CS].sel, S_CODE64);
	assert_int_equal(cpu->seg[X86_SS].sel, S_CODE64 + 8);
	assert_false(x86_get_flags(cpu) & X86_IF);
	assert_int_equal(x86_op_sysret(cpu, &in), X86_OK);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->mode, CPU_MODE_64BIT);
	assert_int_equal(cpu->rip, 0x401000);
	assert_int_equal(cpu->seg[X86_CS].sel, (0x13 + 16) | 3);
	assert_int_equal(cpu->seg[X86_SS].sel, (0x13 + 8) | 3);
	assert_true(x86_get_flags(cpu) & X86_IF);
	/* SYSRET from CPL 3: #GP(0); without SCE: #UD. */
	expect_exc(cpu, x86_op_sysret(cpu, &in), IDT_GP, 0);
	cpu->efer &= ~(uint64_t)X86_EFER_SCE;
	expect_exc(cpu, x86_op_syscall(cpu, &in), IDT_UD, -1);
}

static void
test_lar_lsl(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	struct x86_insn in = { .opsize = 4, .mod = 3, .rm = X86_RAX,
	    .reg = X86_RBX };

	cpu->gpr[X86_RAX] = S_DATA3;
	assert_int_equal(x86_op_lar(cpu, &in), X86_OK);
	assert_true(x86_get_flags(cpu) & X86_ZF);
	assert_int_equal(cpu->gpr[X86_RBX], 0x00c0f300);
	assert_int_equal(x86_op_lsl(cpu, &in), X86_OK);
	assert_int_equal(cpu->gpr[X86_RBX], 0xffffffff);
	/* TSS: visible to LSL; call gate to LAR but not LSL. */
	cpu->gpr[X86_RAX] = S_TSS32;
	assert_int_equal(x86_op_lsl(cpu, &in), X86_OK);
	assert_true(x86_get_flags(cpu) & X86_ZF);
	assert_int_equal(cpu->gpr[X86_RBX], 0x67);
	cpu->gpr[X86_RAX] = S_GATE;
	assert_int_equal(x86_op_lsl(cpu, &in), X86_OK);
	assert_false(x86_get_flags(cpu) & X86_ZF);
	/* DPL 0 segment from CPL 3: ZF = 0. */
	to_user(cpu);
	cpu->gpr[X86_RAX] = S_DATA0;
	cpu->gpr[X86_RBX] = 0x77;
	assert_int_equal(x86_op_lar(cpu, &in), X86_OK);
	assert_false(x86_get_flags(cpu) & X86_ZF);
	assert_int_equal(cpu->gpr[X86_RBX], 0x77);
}

static void
test_msr_cpuid(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	uint32_t r[4];
	uint64_t v;

	x86_cpuid(cpu, 0, 0, r);
	assert_memory_equal(&r[1], "Genu", 4);
	assert_memory_equal(&r[3], "ineI", 4);
	assert_memory_equal(&r[2], "ntel", 4);
	x86_cpuid(cpu, 1, 0, r);
	assert_int_equal((r[0] >> 8) & 0xf, 6);
	assert_true(r[2] & (1u << 31));			/* hypervisor */
	x86_cpuid(cpu, 0x80000001, 0, r);
	assert_true(r[3] & (1u << 29));			/* LM */
	assert_true(r[3] & (1u << 20));			/* NX */
	x86_cpuid(cpu, 0x40000000, 0, r);
	assert_memory_equal(&r[1], "bhyve bhyve ", 12);
	/* MSRs. */
	assert_int_equal(x86_wrmsr(cpu, 0xc0000082, 0xffffffff81000000ull),
	    X86_OK);
	assert_int_equal(x86_rdmsr(cpu, 0xc0000082, &v), X86_OK);
	assert_int_equal(v, 0xffffffff81000000ull);
	expect_exc(cpu, x86_wrmsr(cpu, 0xc0000082, 0x0000800000000000ull),
	    IDT_GP, 0);
	expect_exc(cpu, x86_wrmsr(cpu, 0x277, 0x0202020202020202ull),
	    IDT_GP, 0);
	expect_exc(cpu, x86_rdmsr(cpu, 0x4321, &v), IDT_GP, 0);
	assert_int_equal(x86_rdmsr(cpu, 0x1234, &v), X86_EXIT);
	assert_int_equal(c->f->exit.exitcode, VM_EXITCODE_RDMSR);
	assert_int_equal(c->f->exit.u.msr.code, 0x1234);
	expect_exc(cpu, x86_wrmsr(cpu, 0xc0000080, 1u << 2), IDT_GP, 0);
}

/* ---- Hardware task switch ---- */

#define S_TSSB		0x78
#define TSSB		0x3800
#define S_TASKGATE	0x80

static void
tss_setup(struct fake *f, struct x86_cpu *cpu, uint16_t cs)
{
	w64(f, GDT + S_TSSB, desc(TSSB, 0x67, 0x0089));
	w64(f, GDT + S_TASKGATE, gate(S_TSSB, 0, 0x85));
	/* TR's descriptor is busy, as after LTR. */
	w64(f, GDT + S_TSS32, desc(TSS32, 0x67, 0x008b));
	cpu->gdtr.limit = 0x8f;
	memset(f->ram + TSSB, 0, 0x68);
	w32(f, TSSB + 0x20, 0x7777);		/* EIP */
	w32(f, TSSB + 0x24, 0x2);		/* EFLAGS */
	w32(f, TSSB + 0x28, 0x1234);		/* EAX */
	w32(f, TSSB + 0x38, 0x9800);		/* ESP */
	w32(f, TSSB + 0x48, S_DATA0);
	w32(f, TSSB + 0x4c, cs);
	w32(f, TSSB + 0x50, S_DATA0);
	w32(f, TSSB + 0x54, S_DATA0);
	w32(f, TSSB + 0x58, S_DATA0);
	w32(f, TSSB + 0x5c, S_DATA0);
}

static void
test_task_switch(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	tss_setup(c->f, cpu, S_CODE0);
	cpu->gpr[X86_RAX] = 0xaaaa;
	cpu->rip = 0x4444;
	/* CALL to the TSS: nested task, back link, busy, NT, CR0.TS. */
	assert_int_equal(x86_far_jump(cpu, S_TSSB, 0, 4, true, 0x4444),
	    X86_OK);
	assert_int_equal(cpu->seg[X86_TR].sel, S_TSSB);
	assert_int_equal(cpu->rip, 0x7777);
	assert_int_equal(cpu->gpr[X86_RAX], 0x1234);
	assert_int_equal(cpu->gpr[X86_RSP], 0x9800);
	assert_true(x86_get_flags(cpu) & X86_NT);
	assert_true(cpu->cr0 & X86_CR0_TS);
	assert_int_equal(r32(c->f, TSSB) & 0xffff, S_TSS32);
	assert_int_equal(c->f->ram[GDT + S_TSSB + 5] & 0x1f, 0xb);
	assert_int_equal(r32(c->f, TSS32 + 0x20), 0x4444);	/* saved EIP */
	assert_int_equal(r32(c->f, TSS32 + 0x28), 0xaaaa);	/* saved EAX */
	/* IRET with NT returns to the old task and frees the new one. */
	cpu->rip = 0x7779;
	assert_int_equal(x86_iret(cpu, 4), X86_OK);
	assert_int_equal(cpu->seg[X86_TR].sel, S_TSS32);
	assert_int_equal(cpu->rip, 0x4444);
	assert_int_equal(cpu->gpr[X86_RAX], 0xaaaa);
	assert_int_equal(c->f->ram[GDT + S_TSSB + 5] & 0x1f, 0x9);
	assert_int_equal(r32(c->f, TSSB + 0x20), 0x7779);
	/* The old task's busy TSS cannot be called again. */
	expect_exc(cpu, x86_far_jump(cpu, S_TSS32, 0, 4, true, 0), IDT_GP,
	    S_TSS32);
	/* Through a task gate in the IDT, with an error code. */
	w64(c->f, IDT + 13 * 8, gate(S_TSSB, 0, 0x85));
	assert_int_equal(x86_deliver(cpu, IDT_GP, 0x18, false, 0x5555),
	    X86_OK);
	assert_int_equal(cpu->seg[X86_TR].sel, S_TSSB);
	assert_int_equal(cpu->gpr[X86_RSP], 0x9800 - 4);
	assert_int_equal(r32(c->f, 0x9800 - 4), 0x18);
	assert_int_equal(r32(c->f, TSS32 + 0x20), 0x5555);
}

static void
test_task_switch_fault(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;

	/* The new task's DS is a system descriptor: #TS(sel), delivered
	 * in the new task (after CS and SS were loaded). */
	tss_setup(c->f, cpu, S_CODE0);
	w32(c->f, TSSB + 0x54, S_TSS32);
	w64(c->f, IDT + 10 * 8, gate(S_CODE0, 0x6a00, 0x8e));
	assert_int_equal(x86_far_jump(cpu, S_TASKGATE, 0, 4, false, 0),
	    X86_OK);
	assert_int_equal(cpu->seg[X86_TR].sel, S_TSSB);
	assert_int_equal(cpu->rip, 0x6a00);
	assert_int_equal(r32(c->f, cpu->gpr[X86_RSP]), S_TSS32);
	assert_int_equal(r32(c->f, cpu->gpr[X86_RSP] + 4), 0x7777);
	/* JMP frees the old task. */
	assert_int_equal(c->f->ram[GDT + S_TSS32 + 5] & 0x1f, 0x9);
}

/* ---- Robustness: random system state never crashes the VMM ---- */

#ifndef FUZZ_N
#define FUZZ_N		200000
#endif
#ifndef FUZZ_SEED
#define FUZZ_SEED	0x9e3779b97f4a7c15ull
#endif

static uint64_t
rnd64(uint64_t *x)
{
	/* xorshift64* */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (*x * 0x2545f4914f6cdd1dull);
}

static void
fuzz_state(struct fake *f, struct x86_cpu *cpu, uint64_t *x)
{
	static const uint64_t cr4s[] = { 0, X86_CR4_PSE, X86_CR4_PAE,
	    X86_CR4_PAE | X86_CR4_PGE, X86_CR4_PAE | X86_CR4_SMEP |
	    X86_CR4_SMAP, X86_CR4_PSE | X86_CR4_PGE };
	uint64_t r = rnd64(x);
	unsigned i;

	/* Scramble some of the low 64 KiB: GDT, IDT, TSSes, tables. */
	for (i = 0; i < 64; i++)
		f->ram[rnd64(x) & 0xffff] = (uint8_t)rnd64(x);
	cpu->cr0 = X86_CR0_ET | ((r & 1) ? X86_CR0_PE : 0);
	if ((r & 3) == 3)
		cpu->cr0 |= X86_CR0_PG | ((r & 4) ? X86_CR0_WP : 0);
	cpu->cr4 = cr4s[(r >> 3) % 6];
	cpu->cr3 = (r >> 8) & (r & 0x100000 ? 0xfffff000ull : 0xf000);
	cpu->efer = (r & 0x10000) ? X86_EFER_NXE : 0;
	if ((cpu->cr0 & X86_CR0_PG) && (cpu->cr4 & X86_CR4_PAE) &&
	    (r & 0x20000))
		cpu->efer |= X86_EFER_LME | X86_EFER_LMA;
	cpu->gdtr.base = (r >> 20) & 0xf000;
	cpu->gdtr.limit = (uint32_t)(r >> 32) & 0xffff;
	cpu->idtr.base = (r >> 24) & 0xf000;
	cpu->idtr.limit = (uint32_t)(r >> 40) & 0xffff;
	for (i = 0; i < X86_NSEG; i++) {
		r = rnd64(x);
		cpu->seg[i].sel = (uint16_t)r;
		cpu->seg[i].base = (r >> 16) & 0xfffff;
		cpu->seg[i].limit = (r & 0x10) ? 0xffffffff : (uint32_t)r & 0xffff;
		cpu->seg[i].access = (uint32_t)(r >> 40) & 0x1f0ff;
	}
	cpu->rflags = (rnd64(x) & 0x247fd5) | 2;
	cpu->gpr[X86_RSP] = rnd64(x) & ((rnd64(x) & 1) ? ~0ull : 0xffff);
	cpu->rip = rnd64(x) & 0xfffff;
	x86_update_mode(cpu);
}

static void
test_fuzz_no_crash(void **state)
{
	struct ctx *c = *state;
	struct x86_cpu *cpu = c->cpu;
	struct x86_insn in = { .len = 2, .mod = 3, .rm = X86_RAX,
	    .reg = X86_RBX, .seg = X86_DS, .base = 0xff, .index = 0xff };
	uint64_t x = FUZZ_SEED, v[64], la;
	const uint8_t *hp;
	uint32_t io;
	void *p;
	int i, rc;

	for (i = 0; i < FUZZ_N; i++) {
		if (i % 16 == 0)
			fuzz_state(c->f, cpu, &x);
		la = rnd64(&x);
		if (rnd64(&x) & 1)
			la &= 0x3fffff;
		cpu->gpr[X86_RAX] = rnd64(&x);
		cpu->gpr[X86_RCX] = rnd64(&x);
		in.opsize = (uint8_t)(2u << (rnd64(&x) % 3));
		in.adsize = in.opsize;
		in.reg = (uint8_t)(rnd64(&x) & 15);
		switch (rnd64(&x) % 16) {
		case 0:
			rc = x86_lread(cpu, la, 1 + rnd64(&x) % 16, v, 0);
			break;
		case 1:
			rc = x86_vwrite(cpu, rnd64(&x) % 6, la,
			    1 + rnd64(&x) % 16, v);
			break;
		case 2:
			rc = x86_vptr(cpu, rnd64(&x) % 6, la, 8,
			    X86_ACC_R | X86_ACC_W, &p);
			break;
		case 3:
			rc = x86_code_page(cpu, la, &hp, &v[0]);
			break;
		case 4:
			rc = x86_load_seg(cpu, (int)(rnd64(&x) % X86_NSEG),
			    (uint16_t)la);
			break;
		case 5:
			rc = x86_far_jump(cpu, (uint16_t)la, rnd64(&x),
			    in.opsize, rnd64(&x) & 1, cpu->rip);
			break;
		case 6:
			rc = x86_far_return(cpu, in.opsize, (uint16_t)la);
			break;
		case 7:
			rc = x86_iret(cpu, in.opsize);
			break;
		case 8:
			rc = x86_deliver(cpu, (int)(la & 0xff),
			    (la & 0x100) ? (int64_t)(la >> 16 & 0xffff) : -1,
			    (la >> 9) & 1, cpu->rip);
			break;
		case 9:
			rc = x86_io(cpu, (uint16_t)la, 1u << (rnd64(&x) % 3),
			    la & 1, &io);
			break;
		case 10:
			rc = x86_op_grp6(cpu, &in);
			break;
		case 11:
			rc = x86_op_mov_to_cr(cpu, &in);
			break;
		case 12:
			rc = x86_op_lar(cpu, &in);
			break;
		case 13:
			rc = x86_wrmsr(cpu, (uint32_t)la, rnd64(&x));
			break;
		case 14:
			rc = x86_op_syscall(cpu, &in);
			break;
		default:
			rc = x86_op_sysexit(cpu, &in);
			break;
		}
		assert_true(rc == X86_OK || rc == X86_FAULT || rc == X86_EXIT);
		cpu->exc.valid = 0;
		cpu->replay.n = cpu->replay.pos = 0;
		cpu->icount++;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_data, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_ss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_mode_load, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_far_jump, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_gate_and_return,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_pm_privilege,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_long_ist, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_double_and_triple_fault,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_real, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_mode_entry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_syscall_sysret, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lar_lsl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msr_cpuid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_task_switch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_task_switch_fault, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_no_crash, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
