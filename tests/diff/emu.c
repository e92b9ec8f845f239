/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Our side: the same code on the software CPU in 64-bit mode.
 *
 * A fake bus gives 4 MiB of RAM (one buffer; nothing else exists: MMIO
 * reads return 0xdeadbeef.. and port reads 0xbadc0de so a stray access
 * shows in the registers).  The CPU is put straight into long mode by
 * setting its state (SDM Vol 3 9.8.5): CR0.PE|PG, CR4.PAE, EFER.LME|LMA,
 * CS with L=1, 4-level page tables identity-mapping the test pages and
 * the system structures with 4 KiB pages (nothing else is present, the
 * first 64 KiB included).  The IDT's 256 gates
 * lead (on the IST1 stack) to stubs that store their vector at DT_VEC and
 * halt, so exceptions are checked through real delivery: the harness then
 * reads the error code, RIP, RFLAGS and RSP at the fault from the frame.
 *
 * 32-bit cases (DT_MODE32) run at CPL 3 with the selectors Linux gives
 * 32-bit code (CS 0x23, DS ES SS 0x2b, flat), chosen per case by a bit
 * of its seed in one of two modes:
 *   - compatibility mode: the same long-mode tables and IDT;
 *   - legacy protected mode (EFER.LME = 0) with 32-bit paging over the
 *     same present pages (SDM Vol 3 4.3) and 32-bit interrupt gates:
 *     delivery switches to the ring-0 stack of a 32-bit TSS (SDM Vol 3
 *     6.12.1), whose frame the harness reads.
 * Gates 3 and 4 have DPL 3 as in Linux, so INT3 and INTO reach them.
 * HLT faults at CPL 3: the code ends with INT END_VEC instead.
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
/* System structures, above DT_LOW_HI and below the test area. */
#define SYS_PA		0x100000
#define SYS_SZ		0x10000
#define PML4_PA		(SYS_PA + 0x1000)
#define PDPT_PA		(SYS_PA + 0x2000)
#define PD_PA		(SYS_PA + 0x3000)
#define PT_PA		(SYS_PA + 0x8000)	/* 4 KiB pages: test area */
#define PT0_PA		(SYS_PA + 0x9000)	/* 4 KiB pages: first 2 MiB */
#define IDT_PA		(SYS_PA + 0x4000)
#define GDT_PA		(SYS_PA + 0x5000)
#define STUB_PA		(SYS_PA + 0x6000)	/* 16 bytes per vector */
#define DT_VEC		(SYS_PA + 0x7000)	/* vector written by stubs */
#define TSS_PA		(SYS_PA + 0x7100)
#define IST_TOP		(SYS_PA + 0x7ff0)	/* exception stack (IST1) */
/* Legacy protected mode (32-bit cases) */
#define PD32_PA		(SYS_PA + 0xa000)	/* 32-bit paging: directory */
#define PT32_PA		(SYS_PA + 0xb000)	/* and the first 4 MiB */
#define IDT32_PA	(SYS_PA + 0xc000)
#define TSS32_PA	(SYS_PA + 0xc800)
#define STK0_TOP	(SYS_PA + 0xdff0)	/* ring-0 stack (TSS ESP0) */
_Static_assert(SYS_PA >= DT_LOW_HI && SYS_PA + SYS_SZ <= DT_HOLE_LO,
    "system structures overlap what the tests expect unmapped");
/*
 * A case runs at most a few hundred instructions: x86_run() returns
 * after RUN_BUDGET, and after RUN_TURNS such returns the case is a hang.
 * The watchdog thread is the backstop should x86_run() itself not return.
 */
#define RUN_BUDGET	100000
#define RUN_TURNS	20
#define SEL_CODE	0x08		/* 64-bit, DPL 0 */
#define SEL_DATA	0x10		/* DPL 0 */
#define SEL_CODE32	0x18		/* DPL 0 */
#define GDT_LIMIT	0x37		/* up to 0x30: 64-bit code, DPL 3 */
/*
 * 32-bit cases run at CPL 3, where HLT faults: their code ends with
 * INT END_VEC instead (a DPL 3 gate), which natively is never run.
 */
#define END_VEC		0xf0

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

static void
put32(uint64_t pa, uint32_t v)
{
	memcpy(ram + pa, &v, 4);
}

static uint32_t
get32(uint64_t va)
{
	uint32_t v = 0;

	if (va < RAM_SIZE - 4)
		memcpy(&v, ram + va, 4);
	return (v);
}

/* Page-table flags for a page of the first 4 MiB (0: not present). */
static uint32_t
low_page_flags(uint64_t va)
{
	if (va >= SYS_PA && va < SYS_PA + SYS_SZ)
		return (0x3);			/* supervisor */
	if ((va >= DT_CODE_VA && va < DT_CODE_VA + DT_CODE_SZ) ||
	    (va >= DT_DATA_VA && va < DT_DATA_VA + DT_DATA_SZ) ||
	    (va >= DT_STACK_VA && va < DT_STACK_VA + DT_STACK_SZ))
		return (0x7);
	return (0);
}

/* Does case c run in legacy protected mode (else compatibility mode)? */
static bool
legacy_mode(const struct dt_case *c)
{
	return (c->mode == DT_MODE32 && ((c->seed >> 17) & 1) != 0);
}

const char *
emu_mode_name(const struct dt_case *c)
{
	if (c->mode != DT_MODE32)
		return ("64-bit mode");
	return (legacy_mode(c) ? "protected mode, CPL 3" :
	    "compatibility mode, CPL 3");
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

	/*
	 * Page tables: identity map of the first 4 MiB (all the RAM) with
	 * 4 KiB pages, only the system and test pages present: as in the
	 * native child, everything else faults.  32-bit paging maps the
	 * same pages.
	 */
	put64(PML4_PA, PDPT_PA | 0x7);
	put64(PDPT_PA, PD_PA | 0x7);
	put64(PD_PA, PT0_PA | 0x7);
	put64(PD_PA + 8 * (DT_HOLE_LO >> 21), PT_PA | 0x7);
	put32(PD32_PA, PT32_PA | 0x7);
	for (v = 0; v < 1024; v++) {
		uint64_t va = (uint64_t)v << 12;
		uint32_t fl = low_page_flags(va);

		if (fl == 0)
			continue;
		put64((v < 512 ? PT0_PA : PT_PA) + 8 * (uint64_t)(v & 511),
		    va | fl);
		put32(PT32_PA + 4 * (uint64_t)v, (uint32_t)va | fl);
	}

	/*
	 * GDT: null, 64-bit code, data, 32-bit code (all DPL 0), then the
	 * DPL 3 32-bit code, data and 64-bit code segments at Linux's
	 * selectors 0x23, 0x2b, 0x33; all accessed, so loads write nothing.
	 */
	put64(GDT_PA + 0x08, 0x00209b0000000000ull);
	put64(GDT_PA + 0x10, 0x00cf93000000ffffull);
	put64(GDT_PA + 0x18, 0x00cf9b000000ffffull);
	put64(GDT_PA + (DT_SEL_CODE32 & ~7), 0x00cffb000000ffffull);
	put64(GDT_PA + (DT_SEL_DATA32 & ~7), 0x00cff3000000ffffull);
	put64(GDT_PA + (DT_SEL_CODE64 & ~7), 0x00affb000000ffffull);

	/*
	 * IDTs: 64-bit and 32-bit interrupt gates to "mov byte ss:[DT_VEC],
	 * v; hlt" (SS: after a 32-bit delivery DS still holds whatever the
	 * test code loaded).  DPL 3 for #BP and #OF, as Linux has them.
	 */
	for (v = 0; v < 256; v++) {
		uint64_t h = STUB_PA + 16 * (uint64_t)v;
		uint64_t type = v == 3 || v == 4 || v == END_VEC ? 0xee :
		    0x8e;

		stub = ram + h;
		stub[0] = 0x36;
		stub[1] = 0xc6;
		stub[2] = 0x04;
		stub[3] = 0x25;
		memcpy(stub + 4, &(uint32_t){ DT_VEC }, 4);
		stub[8] = (uint8_t)v;
		stub[9] = 0xf4;			/* hlt */
		stub[10] = 0xeb;		/* jmp $-3 */
		stub[11] = 0xfd;
		put64(IDT_PA + 16 * (uint64_t)v, (h & 0xffff) |
		    (uint64_t)SEL_CODE << 16 | 1ull << 32 | type << 40 |
		    ((h >> 16) & 0xffff) << 48);
		put64(IDT_PA + 16 * (uint64_t)v + 8, h >> 32);
		put64(IDT32_PA + 8 * (uint64_t)v, (h & 0xffff) |
		    (uint64_t)SEL_CODE32 << 16 | type << 40 |
		    ((h >> 16) & 0xffff) << 48);
	}
	/* 32-bit TSS: the ring-0 stack (SDM Vol 3 7.2.1) */
	put32(TSS32_PA + 4, STK0_TOP);
	put32(TSS32_PA + 8, SEL_DATA);
	/*
	 * 64-bit TSS with IST1: exceptions are delivered on their own
	 * stack (SDM Vol 3 6.14.5), as the native side takes signals on an
	 * alternate stack, so a fault on the test stack is still delivered
	 * and the test stack is left untouched.
	 */
	put64(TSS_PA + 0x24, IST_TOP);
	/*
	 * No I/O permission bitmap in either TSS (base past the limit), as
	 * for a Linux process without ioperm(): port access at CPL 3 with
	 * IOPL 0 raises #GP(0) (SDM Vol 1 19.5.2).
	 */
	memcpy(ram + TSS_PA + 0x66, &(uint16_t){ 0x68 }, 2);
	memcpy(ram + TSS32_PA + 0x66, &(uint16_t){ 0x68 }, 2);
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
	bool legacy = legacy_mode(c);
	int s;

	x86_cpu_reset(&cpu);
	cpu.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
	    X86_CR0_WP | X86_CR0_PG;
	cpu.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	cpu.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE | X86_EFER_NXE;
	cpu.cr3 = PML4_PA;
	cpu.gdtr.base = GDT_PA;
	cpu.gdtr.limit = GDT_LIMIT;
	cpu.idtr.base = IDT_PA;
	cpu.idtr.limit = 0xfff;
	for (s = 0; s < 6; s++)
		set_seg(s, SEL_DATA, 0xc093);
	set_seg(X86_CS, SEL_CODE, 0xa09b);
	set_seg(X86_FS, 0, 0xc093);
	set_seg(X86_GS, 0, 0xc093);
	cpu.seg[X86_GS].base = DT_GS_BASE;
	set_seg(X86_LDTR, 0, 0x10000);
	set_seg(X86_TR, 0x40, 0x8b);	/* loaded in the cache only */
	cpu.seg[X86_TR].base = TSS_PA;
	cpu.seg[X86_TR].limit = 0x67;
	if (c->mode == DT_MODE32) {
		/* CPL 3, Linux's selectors; FS and GS null (unusable) */
		for (s = 0; s < 6; s++)
			set_seg(s, DT_SEL_DATA32, 0xc0f3);
		set_seg(X86_CS, DT_SEL_CODE32, 0xc0fb);
		set_seg(X86_FS, 0, 0x10000);
		set_seg(X86_GS, 0, 0x10000);
	}
	if (legacy) {
		cpu.cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
		cpu.efer = 0;
		cpu.cr3 = PD32_PA;
		cpu.idtr.base = IDT32_PA;
		cpu.idtr.limit = 0x7ff;
		cpu.seg[X86_TR].base = TSS32_PA;
	}
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
	if (c->mode == DT_MODE32) {
		code[c->code_at + c->len] = 0xcd;	/* int END_VEC */
		code[c->code_at + c->len + 1] = END_VEC;
	}
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
	if (res->status == DT_OK && vec != 0xff && legacy_mode(c)) {
		/*
		 * 32-bit frame on the ring-0 stack: [error code,] EIP, CS,
		 * EFLAGS, ESP, SS (SDM Vol 3 6.12.1, Figure 6-4).
		 */
		rsp = cpu.gpr[RSP] & 0xffffffffull;
		frame = rsp + (has_errcode(vec) ? 4 : 0);
		res->vector = vec;
		res->err = has_errcode(vec) ? get32(rsp) : 0;
		res->cr2 = cpu.cr2;
		res->fault_rip = get32(frame);
		res->out.rflags = get32(frame + 8);
		res->out.gpr[RSP] = get32(frame + 12);
	} else if (res->status == DT_OK && vec != 0xff) {
		/* Delivered through the IDT: frame at RSP (SDM Vol 3 6.14.2) */
		rsp = cpu.gpr[RSP];
		frame = rsp + (has_errcode(vec) ? 8 : 0);
		res->vector = vec;
		res->err = has_errcode(vec) ? get64(rsp) : 0;
		res->cr2 = cpu.cr2;
		res->fault_rip = get64(frame);
		res->out.rflags = get64(frame + 16);
		res->out.gpr[RSP] = get64(frame + 24);
	}
	if (res->vector == END_VEC) {
		/* the end of 32-bit code: the state is that of the frame */
		res->vector = -1;
		if (res->fault_rip != end + 2) {
			res->status = DT_WRONGEND;
			snprintf(res->note, sizeof(res->note),
			    "INT %#x at rip %#llx, expected at %#llx", END_VEC,
			    (unsigned long long)res->fault_rip - 2,
			    (unsigned long long)end);
		}
	} else if (res->status == DT_OK && vec == 0xff) {
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
