/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The software CPU executing fuzzer bytes as code, in real mode, 16- and
 * 32-bit protected mode and 64-bit mode, for a bounded number of
 * instructions (the run loop's budget).  The fake bus answers port and
 * MMIO reads, MSRs and interrupt requests with values from a generator
 * seeded by the input, and sometimes makes accesses exit to "userland"
 * so the replay path runs too.  No crash, no sanitizer report, no hang.
 *
 * Input: byte 0 mode and knobs, bytes 1-8 the generator's seed, the rest
 * code at CODE_GPA (at most CODE_MAX bytes).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/x86/cpu.h"

#define	RAM_SIZE	(2u << 20)
#define	PML4_GPA	0x1000
#define	PDPT_GPA	0x2000
#define	PD_GPA		0x3000
#define	STUB_GPA	0x500		/* hlt; jmp $-1 */
#define	GDT_GPA		0x6000
#define	IDT_GPA		0x6800		/* 256 gates, 16 bytes in long mode */
#define	TSS_GPA		0x8000
#define	STACK_TOP	0x9ff0
#define	CODE_GPA	0x10000
#define	CODE_MAX	4096
#define	DATA_GPA	0x20000

#define	RUN_BUDGET	512		/* instructions per x86_run() */
#define	RUN_TURNS	8		/* x86_run() calls per input */

enum { M_REAL, M_PROT16, M_PROT32, M_LONG, M_NMODES };

struct fuzz_vm {
	uint8_t			*ram;
	struct x86_machine	m;
	struct x86_cpu		cpu;
	struct vm_exit		exit;
	uint64_t		rng;
	uint64_t		tsc;
	unsigned		exit_odds;	/* 1 in 2^n accesses exit */
	unsigned		intr_odds;
};

static struct fuzz_vm vm;

static uint64_t
rnd(struct fuzz_vm *v)
{
	/* xorshift64* */
	v->rng ^= v->rng >> 12;
	v->rng ^= v->rng << 25;
	v->rng ^= v->rng >> 27;
	return (v->rng * 0x2545f4914f6cdd1dull);
}

static bool
odds(struct fuzz_vm *v, unsigned n)
{
	return (n < 16 && (rnd(v) & ((1u << n) - 1)) == 0);
}

static uint8_t *
b_ram_page(void *ctx, uint64_t gpa, bool write)
{
	struct fuzz_vm *v = ctx;

	if (gpa >= RAM_SIZE)
		return (NULL);
	return (v->ram + (gpa & ~4095ull));
}

static int
b_mmio(void *ctx, int vcpu, uint64_t gpa, unsigned size, bool write,
    uint64_t *val)
{
	struct fuzz_vm *v = ctx;

	if (odds(v, v->exit_odds))
		return (X86_EXIT);
	if (!write)
		*val = rnd(v);
	return (X86_OK);
}

static int
b_pio(void *ctx, int vcpu, uint16_t port, unsigned size, bool in,
    uint32_t *val)
{
	struct fuzz_vm *v = ctx;

	if (odds(v, v->exit_odds))
		return (X86_EXIT);
	if (in)
		*val = (uint32_t)rnd(v);
	return (X86_OK);
}

static int
b_rdmsr(void *ctx, int vcpu, uint32_t msr, uint64_t *val)
{
	struct fuzz_vm *v = ctx;

	switch (rnd(v) & 3) {
	case 0:
		return (-1);
	case 1:
		return (X86_EXIT);
	default:
		*val = rnd(v);
		return (X86_OK);
	}
}

static int
b_wrmsr(void *ctx, int vcpu, uint32_t msr, uint64_t val)
{
	struct fuzz_vm *v = ctx;

	switch (rnd(v) & 3) {
	case 0:
		return (-1);
	case 1:
		return (X86_EXIT);
	default:
		return (X86_OK);
	}
}

static int
b_intr_pending(void *ctx, int vcpu)
{
	struct fuzz_vm *v = ctx;

	if (odds(v, v->intr_odds))
		return ((int)(rnd(v) & 0xff));
	return (-1);
}

static void
b_intr_accept(void *ctx, int vcpu, int vector)
{
	FZ_CHECK(vector >= 0 && vector <= 255);
}

static uint64_t
b_tsc(void *ctx, int vcpu)
{
	struct fuzz_vm *v = ctx;

	return (v->tsc += 1000);
}

static const struct x86_bus bus = {
	.ram_page = b_ram_page,
	.mmio = b_mmio,
	.pio = b_pio,
	.rdmsr = b_rdmsr,
	.wrmsr = b_wrmsr,
	.intr_pending = b_intr_pending,
	.intr_accept = b_intr_accept,
	.tsc = b_tsc,
};

static void
put64(uint64_t gpa, uint64_t val)
{
	memcpy(vm.ram + gpa, &val, 8);
}

static void
seg_set(int s, uint16_t sel, uint64_t base, uint32_t limit, uint32_t access)
{
	vm.cpu.seg[s] = (struct x86_seg){ .base = base, .limit = limit,
	    .access = access, .sel = sel };
}

/* Tables every mode may use: GDT, IDT to a HLT stub, TSS, page tables. */
static void
build_tables(bool gates64)
{
	int i;

	vm.ram[STUB_GPA] = 0xf4;		/* hlt */
	vm.ram[STUB_GPA + 1] = 0xeb;		/* jmp $-1 */
	vm.ram[STUB_GPA + 2] = 0xfd;
	/* Real-mode IVT: every vector to 0000:STUB_GPA. */
	for (i = 0; i < 256; i++)
		memcpy(vm.ram + 4 * i, &(uint32_t){ STUB_GPA }, 4);
	put64(GDT_GPA + 0x08, 0x00cf9b000000ffffull);	/* code32 */
	put64(GDT_GPA + 0x10, 0x00cf93000000ffffull);	/* data32 */
	put64(GDT_GPA + 0x18, 0x00af9b000000ffffull);	/* code64 */
	put64(GDT_GPA + 0x20, 0x00009b000000ffffull);	/* code16 */
	put64(GDT_GPA + 0x28, 0x000093000000ffffull);	/* data16 */
	put64(GDT_GPA + 0x30, 0x0000890080000067ull);	/* TSS at 0x8000 */
	put64(GDT_GPA + 0x40, 0x0000820000000fffull);	/* LDT at 0 */
	for (i = 0; i < 256; i++) {
		if (gates64) {
			put64(IDT_GPA + 16 * i, STUB_GPA | 0x18ull << 16 |
			    0x8e00ull << 32);
			put64(IDT_GPA + 16 * i + 8, 0);
		} else {
			put64(IDT_GPA + 8 * i, STUB_GPA | 0x08ull << 16 |
			    0x8e00ull << 32);
		}
	}
	/* 32-bit TSS: ESP0/SS0; 64-bit TSS: RSP0 and IST1 (same place). */
	memcpy(vm.ram + TSS_GPA + 4, &(uint32_t){ STACK_TOP }, 4);
	memcpy(vm.ram + TSS_GPA + 8, &(uint32_t){ 0x10 }, 4);
	put64(TSS_GPA + 0x24, STACK_TOP);
	/* Identity map of the first GiB with 2 MiB pages. */
	put64(PML4_GPA, PDPT_GPA | 7);
	put64(PDPT_GPA, PD_GPA | 7);
	for (i = 0; i < 512; i++)
		put64(PD_GPA + 8 * i, (uint64_t)i << 21 | 0x87);
}

static void
setup_mode(int mode)
{
	struct x86_cpu *cpu = &vm.cpu;
	int s;

	/* What a reset leaves alone, so that each input starts the same. */
	memset(&cpu->msr, 0, sizeof(cpu->msr));
	atomic_store(&cpu->nmi_pending, false);
	atomic_store(&cpu->kick, 0);
	x86_cpu_reset(cpu);
	build_tables(mode == M_LONG);
	cpu->gdtr = (struct x86_dtr){ GDT_GPA, 0x47 };
	switch (mode) {
	case M_REAL:
		cpu->idtr = (struct x86_dtr){ 0, 0x3ff };
		for (s = 0; s < 6; s++)
			seg_set(s, 0, 0, 0xffff, 0x93);
		seg_set(X86_CS, CODE_GPA >> 4, CODE_GPA, 0xffff, 0x9b);
		cpu->rip = 0;
		cpu->gpr[X86_RSP] = 0xfff0;
		break;
	case M_PROT16:
	case M_PROT32:
		cpu->idtr = (struct x86_dtr){ IDT_GPA, 0x7ff };
		cpu->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		if (mode == M_PROT32) {
			for (s = 0; s < 6; s++)
				seg_set(s, 0x10, 0, 0xffffffff, 0xc093);
			seg_set(X86_CS, 0x08, 0, 0xffffffff, 0xc09b);
			cpu->rip = CODE_GPA;
		} else {
			for (s = 0; s < 6; s++)
				seg_set(s, 0x28, 0, 0xffff, 0x93);
			seg_set(X86_CS, 0x20, CODE_GPA, 0xffff, 0x9b);
			cpu->rip = 0;
		}
		cpu->gpr[X86_RSP] = STACK_TOP;
		break;
	case M_LONG:
		cpu->idtr = (struct x86_dtr){ IDT_GPA, 0xfff };
		cpu->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG |
		    X86_CR0_MP | X86_CR0_WP;
		cpu->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
		cpu->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE |
		    X86_EFER_NXE;
		cpu->cr3 = PML4_GPA;
		for (s = 0; s < 6; s++)
			seg_set(s, 0x10, 0, 0xffffffff, 0xc093);
		seg_set(X86_CS, 0x18, 0, 0xffffffff, 0xa09b);
		cpu->rip = CODE_GPA;
		cpu->gpr[X86_RSP] = STACK_TOP;
		break;
	}
	seg_set(X86_LDTR, 0, 0, 0, 0x10000);
	seg_set(X86_TR, 0x30, TSS_GPA, 0x67, 0x8b);	/* busy TSS */
	x86_update_mode(cpu);
	x86_tlb_flush(cpu, true);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vm.ram = aligned_alloc(4096, RAM_SIZE);
	FZ_CHECK(vm.ram != NULL);
	/*
	 * One machine and CPU for the whole run: the decode cache alone is
	 * megabytes.  Each input starts from a CPU reset, fresh RAM and
	 * invalidated decoded code.
	 */
	FZ_CHECK(x86_machine_init(&vm.m, RAM_SIZE) == 0);
	FZ_CHECK(x86_cpu_init(&vm.cpu, &vm.m, &bus, &vm, 0) == 0);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_vm *v = &vm;
	struct x86_cpu *cpu = &v->cpu;
	struct vm_exit *vx = &v->exit;
	struct fz f = { data, size };
	uint8_t knobs;
	int mode, turn, i;
	size_t n;

	if (size < 10)
		return (0);
	knobs = fz_u8(&f);
	mode = knobs % M_NMODES;
	v->exit_odds = (knobs >> 2) & 7;
	v->intr_odds = 3 + ((knobs >> 5) & 7);
	v->rng = fz_u64(&f) | 1;
	v->tsc = 0;

	memset(v->ram, 0, RAM_SIZE);
	x86_invalidate_code(&v->m, 0, RAM_SIZE);
	memset(&cpu->replay, 0, sizeof(cpu->replay));
	setup_mode(mode);
	n = f.n < CODE_MAX ? f.n : CODE_MAX;
	memcpy(v->ram + CODE_GPA, f.p, n);
	/* The same bytes as data: pointers in registers find them there. */
	memcpy(v->ram + DATA_GPA, f.p, n);
	for (i = 0; i < 16; i++)
		if (i != X86_RSP)
			cpu->gpr[i] = rnd(v) & 1 ? DATA_GPA + (rnd(v) & 0xfff) :
			    rnd(v);
	x86_set_flags(cpu, (rnd(v) & (X86_ARITH_FLAGS | X86_DF | X86_IF)) |
	    X86_RF1);
	cpu->run_budget = RUN_BUDGET;

	for (turn = 0; turn < RUN_TURNS; turn++) {
		memset(vx, 0, sizeof(*vx));
		if (x86_run(cpu, vx) != 0)
			break;
		FZ_CHECK(cpu->csz == 2 || cpu->csz == 4 || cpu->csz == 8);
		FZ_CHECK(cpu->cpl <= 3);
		switch (vx->exitcode) {
		case VM_EXITCODE_INOUT:
			if (vx->u.inout.in)
				x86_complete_read(cpu, (uint32_t)rnd(v));
			continue;
		case VM_EXITCODE_MMIO:
			if (vx->u.mmio.read)
				x86_complete_read(cpu, rnd(v));
			continue;
		case VM_EXITCODE_RDMSR:
		case VM_EXITCODE_WRMSR:
			/* As x86_vmm.c: userland emulated it, step over. */
			if (cpu->rip == vx->rip) {
				cpu->rip += vx->inst_length > 0 ?
				    (unsigned)vx->inst_length : 2;
				cpu->replay.n = 0;
				cpu->replay.pos = 0;
			}
			if (vx->exitcode == VM_EXITCODE_RDMSR) {
				cpu->gpr[X86_RAX] = (uint32_t)rnd(v);
				cpu->gpr[X86_RDX] = (uint32_t)rnd(v);
			}
			continue;
		case VM_EXITCODE_BOGUS:
		case VM_EXITCODE_PAUSE:
			continue;
		case VM_EXITCODE_HLT:
			/* An interrupt may still come: wake once more. */
			if (odds(v, 1)) {
				cpu->halted = 0;
				continue;
			}
			break;
		default:
			break;
		}
		break;
	}
	return (0);
}
