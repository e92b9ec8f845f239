/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Our side: the same code on the software CPU in 64-bit mode.
 *
 * A fake bus gives 4 MiB of RAM (one buffer; nothing else exists: MMIO
 * reads return 0xdeadbeef.. and port reads 0xbadc0de so a stray access
 * shows in the registers).  The CPU is put straight into long mode by
 * setting its state (SDM Vol 3 9.8.5): CR0.PE|PG, CR4.PAE, EFER.LME|LMA,
 * CS with L=1, 4-level page tables identity-mapping the first GiB with
 * 2 MiB pages (4 KiB pages around the test area).  The IDT's 256 gates
 * lead (on the IST1 stack) to stubs that store their vector at DT_VEC and
 * halt, so exceptions are checked through real delivery: the harness then
 * reads the error code, RIP, RFLAGS and RSP at the fault from the frame.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/diff/difftest.h"
#include "vmm/x86/cpu.h"

#define RAM_SIZE	(4u << 20)
#define PML4_PA		0x1000
#define PDPT_PA		0x2000
#define PD_PA		0x3000
#define PT_PA		0x8000		/* 4 KiB pages for the test area */
#define IDT_PA		0x4000
#define GDT_PA		0x5000
#define STUB_PA		0x6000		/* 16 bytes per vector */
#define DT_VEC		0x7000		/* vector written by the stubs */
#define TSS_PA		0x7100
#define IST_TOP		0x7ff0		/* exception stack (IST1) */
/*
 * A case runs at most a few hundred instructions: x86_run() returns
 * after RUN_BUDGET, and after RUN_TURNS such returns the case is a hang.
 * The watchdog thread is the backstop should x86_run() itself not return.
 */
#define RUN_BUDGET	100000
#define RUN_TURNS	20
#define SEL_CODE	0x08
#define SEL_DATA	0x10

static uint8_t			*ram;
static struct x86_machine	mach;
static struct x86_cpu		cpu;
static struct vm_exit		vmexit;
static _Atomic uint64_t		progress;	/* bumped per case */
static _Atomic int		in_case;
static _Atomic int		fired;		/* watchdog kicked the CPU */

static uint8_t *
bus_ram_page(void *ctx, uint64_t gpa, bool write)
{
	(void)ctx;
	(void)write;
	if (gpa >= RAM_SIZE)
		return (NULL);
	return (ram + (gpa & ~4095ull));
}

static int
bus_mmio(void *ctx, int vcpu, uint64_t gpa, unsigned size, bool write,
    uint64_t *val)
{
	if (!write)
		*val = 0xdeadbeefdeadbeefull;
	return (X86_OK);
}

static int
bus_pio(void *ctx, int vcpu, uint16_t port, unsigned size, bool in,
    uint32_t *val)
{
	if (in)
		*val = 0xbadc0de;
	return (X86_OK);
}

static int
bus_rdmsr(void *ctx, int vcpu, uint32_t msr, uint64_t *val)
{
	return (-1);
}

static int
bus_wrmsr(void *ctx, int vcpu, uint32_t msr, uint64_t val)
{
	return (-1);
}

static int
bus_intr_pending(void *ctx, int vcpu)
{
	return (-1);
}

static void
bus_intr_accept(void *ctx, int vcpu, int vector)
{
}

static uint64_t
bus_tsc(void *ctx, int vcpu)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}

static const struct x86_bus bus = {
	.ram_page = bus_ram_page,
	.mmio = bus_mmio,
	.pio = bus_pio,
	.rdmsr = bus_rdmsr,
	.wrmsr = bus_wrmsr,
	.intr_pending = bus_intr_pending,
	.intr_accept = bus_intr_accept,
	.tsc = bus_tsc,
};

static void
put64(uint64_t pa, uint64_t v)
{
	memcpy(ram + pa, &v, 8);
}

static uint64_t
get64(uint64_t va)
{
	uint64_t v = 0;

	if (va < RAM_SIZE - 8)
		memcpy(&v, ram + va, 8);
	return (v);
}

static bool
has_errcode(int v)
{
	return (v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21);
}

/* Kick the CPU out of a case that runs much too long. */
static void *
watchdog(void *arg)
{
	uint64_t last = 0, now;

	(void)arg;
	for (;;) {
		sleep(10);
		now = atomic_load(&progress);
		if (atomic_load(&in_case) && now == last) {
			atomic_store(&fired, 1);
			atomic_store(&cpu.kick, 1);
		}
		last = now;
	}
	return (NULL);
}

int
emu_init(void)
{
	pthread_t tid;
	uint8_t *stub;
	int v;

	ram = aligned_alloc(4096, RAM_SIZE);
	if (ram == NULL)
		return (-1);
	memset(ram, 0, RAM_SIZE);
	if (x86_machine_init(&mach, RAM_SIZE) != 0)
		return (-1);
	if (x86_cpu_init(&cpu, &mach, &bus, NULL, 0) != 0)
		return (-1);

	/* Page tables: identity map of the first GiB, 2 MiB pages. */
	put64(PML4_PA, PDPT_PA | 0x7);
	put64(PDPT_PA, PD_PA | 0x7);
	for (v = 0; v < 512; v++)
		put64(PD_PA + 8 * (uint64_t)v, ((uint64_t)v << 21) | 0x87);
	/*
	 * The 2 MiB around the test pages with 4 KiB pages, only those
	 * pages present: as in the native child, the rest faults.
	 */
	put64(PD_PA + 8 * (DT_HOLE_LO >> 21), PT_PA | 0x7);
	for (v = 0; v < 512; v++) {
		uint64_t va = DT_HOLE_LO + ((uint64_t)v << 12);

		if ((va >= DT_CODE_VA && va < DT_CODE_VA + DT_CODE_SZ) ||
		    (va >= DT_DATA_VA && va < DT_DATA_VA + DT_DATA_SZ) ||
		    (va >= DT_STACK_VA && va < DT_STACK_VA + DT_STACK_SZ))
			put64(PT_PA + 8 * (uint64_t)v, va | 0x7);
	}

	/* GDT: null, 64-bit code, data. */
	put64(GDT_PA + 0x08, 0x00209b0000000000ull);
	put64(GDT_PA + 0x10, 0x00cf93000000ffffull);

	/* IDT: 64-bit interrupt gates to "mov byte [DT_VEC], v; hlt". */
	for (v = 0; v < 256; v++) {
		uint64_t h = STUB_PA + 16 * (uint64_t)v;

		stub = ram + h;
		stub[0] = 0xc6;
		stub[1] = 0x04;
		stub[2] = 0x25;
		memcpy(stub + 3, &(uint32_t){ DT_VEC }, 4);
		stub[7] = (uint8_t)v;
		stub[8] = 0xf4;			/* hlt */
		stub[9] = 0xeb;			/* jmp $-3 */
		stub[10] = 0xfd;
		put64(IDT_PA + 16 * (uint64_t)v, (h & 0xffff) |
		    (uint64_t)SEL_CODE << 16 | 1ull << 32 | 0x8e0000000000ull |
		    ((h >> 16) & 0xffff) << 48);
		put64(IDT_PA + 16 * (uint64_t)v + 8, h >> 32);
	}
	/*
	 * 64-bit TSS with IST1: exceptions are delivered on their own
	 * stack (SDM Vol 3 6.14.5), as the native side takes signals on an
	 * alternate stack, so a fault on the test stack is still delivered
	 * and the test stack is left untouched.
	 */
	put64(TSS_PA + 0x24, IST_TOP);
	if (pthread_create(&tid, NULL, watchdog, NULL) == 0)
		pthread_detach(tid);
	return (0);
}

void
emu_fini(void)
{
	x86_cpu_fini(&cpu);
	x86_machine_fini(&mach);
	free(ram);
	ram = NULL;
}

static void
set_seg(int s, uint16_t sel, uint32_t access)
{
	cpu.seg[s].sel = sel;
	cpu.seg[s].base = 0;
	cpu.seg[s].limit = 0xffffffff;
	cpu.seg[s].access = access;
}

static void
setup(const struct dt_case *c)
{
	int s;

	x86_cpu_reset(&cpu);
	cpu.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
	    X86_CR0_WP | X86_CR0_PG;
	cpu.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	cpu.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE | X86_EFER_NXE;
	cpu.cr3 = PML4_PA;
	cpu.gdtr.base = GDT_PA;
	cpu.gdtr.limit = 0x17;
	cpu.idtr.base = IDT_PA;
	cpu.idtr.limit = 0xfff;
	for (s = 0; s < 6; s++)
		set_seg(s, SEL_DATA, 0xc093);
	set_seg(X86_CS, SEL_CODE, 0xa09b);
	set_seg(X86_FS, 0, 0xc093);
	set_seg(X86_GS, 0, 0xc093);
	cpu.seg[X86_GS].base = DT_GS_BASE;
	set_seg(X86_LDTR, 0, 0x10000);
	set_seg(X86_TR, 0x18, 0x8b);
	cpu.seg[X86_TR].base = TSS_PA;
	cpu.seg[X86_TR].limit = 0x67;
	x86_update_mode(&cpu);
	memcpy(cpu.gpr, c->in.gpr, sizeof(cpu.gpr));
	cpu.rip = DT_CODE_VA + c->code_at;
	/* IF set as in a Linux process, so PUSHF pushes the same image. */
	x86_set_flags(&cpu, c->in.rflags | X86_IF | X86_RF1);
	cpu.exc.valid = 0;
	cpu.halted = 0;
	cpu.intr_shadow = 0;
	cpu.intinfo = 0;
	atomic_store(&cpu.kick, 0);
	cpu.run_budget = RUN_BUDGET;
	x86_tlb_flush(&cpu, true);
}

void
emu_run(const struct dt_case *c, struct dt_result *res)
{
	uint8_t *code = ram + DT_CODE_VA;
	uint64_t end = DT_CODE_VA + c->code_at + c->len, rsp, frame;
	int i, rc, vec;

	memset(res, 0, offsetof(struct dt_result, data));
	res->vector = -1;
	/* past the page (not present) as well: never fetched */
	memset(code, 0xcc, DT_CODE_SZ + DT_CODE_MAX + 1);
	memcpy(code + c->code_at, c->code, c->len);
	code[c->code_at + c->len] = 0xf4;	/* hlt */
	for (i = 0; i < DT_CODE_SZ / 4096; i++)
		if (mach.code_gen != NULL && (DT_CODE_VA >> 12) + i <
		    mach.npages)
			atomic_fetch_add(&mach.code_gen[(DT_CODE_VA >> 12) + i],
			    1);
	dt_fill_memory(c, ram + DT_DATA_VA, ram + DT_STACK_VA);
	ram[DT_VEC] = 0xff;
	setup(c);

	atomic_store(&fired, 0);
	atomic_store(&in_case, 1);
	res->status = DT_HANG;
	for (i = 0; i < RUN_TURNS; i++) {
		memset(&vmexit, 0, sizeof(vmexit));
		rc = x86_run(&cpu, &vmexit);
		if (rc != 0) {
			res->status = DT_BADEXIT;
			snprintf(res->note, sizeof(res->note),
			    "x86_run returned %d", rc);
			break;
		}
		if (vmexit.exitcode == VM_EXITCODE_PAUSE)
			continue;		/* PAUSE exiting: just resume */
		if (vmexit.exitcode == VM_EXITCODE_BOGUS) {
			if (atomic_load(&fired))
				break;		/* watchdog: hang */
			continue;
		}
		if (vmexit.exitcode == VM_EXITCODE_HLT) {
			res->status = DT_OK;
			break;
		}
		if (vmexit.exitcode == VM_EXITCODE_SUSPENDED) {
			res->status = DT_TRIPLE;
			snprintf(res->note, sizeof(res->note),
			    "triple fault (last recorded exception: %s%d)",
			    cpu.exc.valid ? "vector " : "none ",
			    cpu.exc.valid ? cpu.exc.vector : 0);
			break;
		}
		res->status = DT_BADEXIT;
		snprintf(res->note, sizeof(res->note),
		    "unexpected exit code %d at rip %#llx", vmexit.exitcode,
		    (unsigned long long)vmexit.rip);
		break;
	}
	atomic_store(&in_case, 0);
	atomic_fetch_add(&progress, 1);
	if (res->status == DT_HANG)
		snprintf(res->note, sizeof(res->note),
		    "no HLT reached (rip %#llx)",
		    (unsigned long long)cpu.rip);

	memcpy(res->out.gpr, cpu.gpr, sizeof(res->out.gpr));
	res->out.rflags = x86_get_flags(&cpu);
	vec = ram[DT_VEC];
	if (res->status == DT_OK && vec != 0xff) {
		/* Delivered through the IDT: frame at RSP (SDM Vol 3 6.14.2) */
		rsp = cpu.gpr[RSP];
		frame = rsp + (has_errcode(vec) ? 8 : 0);
		res->vector = vec;
		res->err = has_errcode(vec) ? get64(rsp) : 0;
		res->cr2 = cpu.cr2;
		res->fault_rip = get64(frame);
		res->out.rflags = get64(frame + 16);
		res->out.gpr[RSP] = get64(frame + 24);
	} else if (res->status == DT_OK) {
		/* HLT exits with RIP at or after the HLT, depending on taste */
		if (cpu.rip != end && cpu.rip != end + 1) {
			res->status = DT_WRONGEND;
			snprintf(res->note, sizeof(res->note),
			    "halted at rip %#llx, expected HLT at %#llx",
			    (unsigned long long)cpu.rip,
			    (unsigned long long)end);
		}
	}
	memcpy(res->data, ram + DT_DATA_VA, DT_DATA_SZ);
	memcpy(res->stack, ram + DT_STACK_VA, DT_STACK_SZ);
}
