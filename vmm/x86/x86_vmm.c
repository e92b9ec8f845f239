/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The interpreter backend: struct vmm_ops over the software CPU, as
 * FreeBSD's vmx.c is over VT-x.  It speaks to the CPU only through
 * vmm/x86/cpu.h and to the engine only through vmm/vmm_kern.h.
 *
 * The CPU reaches the machine through struct x86_bus: RAM pages come
 * straight from guest memory, ports and MMIO go to the in-engine tables
 * and otherwise make the instruction exit (the CPU fills the exit and
 * logs the access for replay), APIC MSRs, CR8 and the interrupt
 * acknowledge go to the engine's platform (vmm/io/vplatform.h), other
 * unknown MSRs exit to userland.
 *
 * The x86_machine and each x86_cpu are set up on first use, not at
 * creation: bhyve opens vCPUs before it sets up memory, and the machine
 * is sized to guest-physical memory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/io/vplatform.h"
#include "vmm/vmm_kern.h"
#include "vmm/vmm_mem.h"
#include "vmm/x86/cpu.h"

/* Guest TSC frequency: 2 GHz makes it exactly twice the ns count. */
#define	X86_TSC_NS_MUL	2
#define	X86_TSC_HZ	(1000000000ull * X86_TSC_NS_MUL)

struct xvm {
	struct vm	*vm;		/* (c) */
	struct vmm_mem	*mem;		/* (c) */
	struct vmm_iotab *iotab;	/* (c) */
	struct vmm_mmiotab *mmiotab;	/* (c) */
	struct vplatform *plat;		/* (c) set on first use */
	uint64_t	t0;		/* (c) host ns at creation: TSC 0 */
	pthread_mutex_t	mtx;		/* machine setup, topology */
	bool		mach_ready;	/* (mtx) */
	struct x86_machine mach;	/* (mtx until ready) */
	uint16_t	sockets, cores, threads, maxcpus; /* (mtx) */
	_Atomic uint64_t memgen;	/* bumped when mappings change */
	atomic_bool	ferr;		/* FERR# latch driving IRQ13 */
};

struct xvcpu {
	struct x86_cpu	cpu;		/* first: 64-byte aligned */
	struct xvm	*xvm;
	int		id;
	bool		ready;		/* x86_cpu_init done */
	bool		x2apic;
	uint64_t	memgen;		/* last memgen seen */
};

static const struct x86_bus xbus;

static uint64_t
host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}

/* ---- Bus callbacks (vCPU thread) ---- */

static uint8_t *
xbus_ram_page(void *ctx, uint64_t gpa, bool write)
{
	struct xvcpu *xv = ctx;

	return (vmm_mem_ram_page(xv->xvm->mem, gpa, write));
}

static int
xbus_mmio(void *ctx, int vcpu, uint64_t gpa, unsigned size, bool write,
    uint64_t *val)
{
	struct xvcpu *xv = ctx;
	int prot, error;

	error = vmm_mmio_handle(xv->xvm->mmiotab, vcpu, gpa, size, write, val);
	if (error == 0)
		return (X86_OK);
	if (error != -ENOENT)
		return (-1);		/* device refused: open bus */
	/* Writes to ROM are dropped here, as the hardware drops them. */
	prot = vmm_mem_prot(xv->xvm->mem, gpa);
	if (write && prot >= 0)
		return (X86_OK);
	return (X86_EXIT);
}

/*
 * FERR# on a PC/AT (SDM Vol 1 8.7, Vol 3 "MS-DOS compatibility
 * sub-mode"): the chipset latches the x87's FERR# onto ISA IRQ13 of the
 * 8259 (and IOAPIC pin 13); an OUT to port 0xF0 releases the latch (and
 * asserts IGNNE#, which the CPU models as asserted at once, see fpu.c).
 * The latch is shared by all vCPUs, as IRQ13 is one line.
 */
#define	FERR_IRQ	13
#define	FERR_PORT	0xf0

static void
xbus_ferr(void *ctx, int vcpu, bool asserted)
{
	struct xvcpu *xv = ctx;

	(void)vcpu;
	if (xv->xvm->plat != NULL &&
	    atomic_exchange(&xv->xvm->ferr, asserted) != asserted)
		(void)vplatform_isa_irq(xv->xvm->plat, FERR_IRQ, FERR_IRQ,
		    asserted ? VDEV_IRQ_ASSERT : VDEV_IRQ_DEASSERT);
}

static int
xbus_pio(void *ctx, int vcpu, uint16_t port, unsigned size, bool in,
    uint32_t *val)
{
	struct xvcpu *xv = ctx;
	int error;

	if (port == FERR_PORT && !in) {
		xbus_ferr(ctx, vcpu, false);
		return (X86_OK);
	}
	error = vmm_ioport_handle(xv->xvm->iotab, vcpu, port, size, in, val);
	if (error == 0)
		return (X86_OK);
	if (error != -ENOENT)
		return (-1);
	return (X86_EXIT);
}

static struct vplatform *
xplat(struct xvcpu *xv)
{
	return (xv->xvm->plat);
}

/*
 * The local APIC's MSRs (IA32_APIC_BASE side effects, TSC deadline,
 * x2APIC) first; unknown MSRs go to userland (x86.strictmsr decides).
 */
static int
xbus_msr_status(int error)
{
	if (error == 0)
		return (X86_OK);
	if (error == -ENOENT)
		return (X86_EXIT);
	return (-1);
}

static int
xbus_rdmsr(void *ctx, int vcpu, uint32_t msr, uint64_t *val)
{
	return (xbus_msr_status(vplatform_rdmsr(xplat(ctx), vcpu, msr, val)));
}

static int
xbus_wrmsr(void *ctx, int vcpu, uint32_t msr, uint64_t val)
{
	return (xbus_msr_status(vplatform_wrmsr(xplat(ctx), vcpu, msr, val)));
}

/* The highest-priority deliverable vector: LAPIC, then 8259 ExtINT. */
static int
xbus_intr_pending(void *ctx, int vcpu)
{
	int v;

	return (vplatform_pending_intr(xplat(ctx), vcpu, &v) ? v : -1);
}

static void
xbus_intr_accept(void *ctx, int vcpu, int vector)
{
	vplatform_intr_accepted(xplat(ctx), vcpu, vector);
}

static uint64_t
xbus_get_cr8(void *ctx, int vcpu)
{
	return (vplatform_get_cr8(xplat(ctx), vcpu));
}

static void
xbus_set_cr8(void *ctx, int vcpu, uint64_t cr8)
{
	vplatform_set_cr8(xplat(ctx), vcpu, cr8);
}

/* An NMI the local APIC latched (IPI, LINT1, vm_inject_nmi) to the CPU. */
static void
xnmi_take(struct xvcpu *xv)
{
	if (vplatform_nmi_pending(xplat(xv), xv->id)) {
		vplatform_nmi_accepted(xplat(xv), xv->id);
		atomic_store(&xv->cpu.nmi_pending, true);
	}
}

/* Invariant TSC from the host monotonic clock (DESIGN §5). */
static uint64_t
xbus_tsc(void *ctx, int vcpu)
{
	struct xvcpu *xv = ctx;

	(void)vcpu;
	return ((host_ns() - xv->xvm->t0) * X86_TSC_NS_MUL);
}

static const struct x86_bus xbus = {
	.ram_page = xbus_ram_page,
	.mmio = xbus_mmio,
	.pio = xbus_pio,
	.rdmsr = xbus_rdmsr,
	.wrmsr = xbus_wrmsr,
	.intr_pending = xbus_intr_pending,
	.intr_accept = xbus_intr_accept,
	.tsc = xbus_tsc,
	.get_cr8 = xbus_get_cr8,
	.set_cr8 = xbus_set_cr8,
	.ferr = xbus_ferr,
};

/* ---- Lazy setup ---- */

static void
mach_apply_locked(struct xvm *x)
{
	x->mach.sockets = x->sockets;
	x->mach.cores = x->cores;
	x->mach.threads = x->threads;
	x->mach.maxcpus = x->maxcpus;
	x->mach.apic = x->plat != NULL;
	x->mach.tsc_deadline = x->plat != NULL;
	x->mach.tsc_khz = (uint32_t)(X86_TSC_HZ / 1000);
}

static int
xvcpu_ready(struct xvcpu *xv)
{
	struct xvm *x = xv->xvm;
	int error = 0;

	if (xv->ready)
		return (0);
	pthread_mutex_lock(&x->mtx);
	if (x->plat == NULL)
		x->plat = vmm_vm_platform(x->vm);
	if (!x->mach_ready) {
		if (x86_machine_init(&x->mach, vmm_mem_top(x->mem)) != 0) {
			error = -ENOMEM;
			goto out;
		}
		mach_apply_locked(x);
		x->mach_ready = true;
	}
	if (x86_cpu_init(&xv->cpu, &x->mach, &xbus, xv, xv->id) != 0) {
		error = -ENOMEM;
		goto out;
	}
	x86_cpu_reset(&xv->cpu);
	if (xv->x2apic)
		x->mach.x2apic = true;
	xv->memgen = atomic_load(&x->memgen);
	xv->ready = true;
out:
	pthread_mutex_unlock(&x->mtx);
	return (error);
}

/* ---- vmm_ops ---- */

static int
x86v_init(struct vm *vm, void **backend)
{
	struct xvm *x;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return (-ENOMEM);
	x->vm = vm;
	x->mem = vmm_vm_mem(vm);
	x->iotab = vmm_vm_iotab(vm);
	x->mmiotab = vmm_vm_mmiotab(vm);
	x->t0 = host_ns();
	x->sockets = x->cores = x->threads = 1;
	x->maxcpus = 1;
	pthread_mutex_init(&x->mtx, NULL);
	*backend = x;
	return (0);
}

static void
x86v_cleanup(void *backend)
{
	struct xvm *x = backend;

	if (x->mach_ready)
		x86_machine_fini(&x->mach);
	pthread_mutex_destroy(&x->mtx);
	free(x);
}

static int
x86v_vcpu_init(void *backend, int vcpuid, void **bvcpu)
{
	struct xvcpu *xv;
	size_t sz;

	sz = (sizeof(*xv) + 63) & ~(size_t)63;
	xv = aligned_alloc(64, sz);
	if (xv == NULL)
		return (-ENOMEM);
	memset(xv, 0, sz);
	xv->xvm = backend;
	xv->id = vcpuid;
	*bvcpu = xv;
	return (0);
}

static void
x86v_vcpu_cleanup(void *bvcpu)
{
	struct xvcpu *xv = bvcpu;

	if (xv->ready)
		x86_cpu_fini(&xv->cpu);
	free(xv);
}

static void
x86v_vcpu_reset(void *bvcpu)
{
	struct xvcpu *xv = bvcpu;

	uint64_t base;

	if (xvcpu_ready(xv) != 0)
		return;
	x86_cpu_reset(&xv->cpu);
	/*
	 * INIT keeps IA32_APIC_BASE (SDM Vol 3A 10.4.7.3): the local APIC
	 * holds the authoritative copy.
	 */
	if (xv->xvm->plat != NULL && vplatform_rdmsr(xv->xvm->plat, xv->id,
	    0x1b, &base) == 0)
		xv->cpu.msr.apic_base = base;
}

static int
x86v_run(void *bvcpu, struct vm_exit *vme)
{
	struct xvcpu *xv = bvcpu;
	struct x86_cpu *cpu = &xv->cpu;
	uint64_t gen;
	int error;

	error = xvcpu_ready(xv);
	if (error != 0)
		return (error);
	/* Guest-physical mappings moved: no stale host pointers. */
	gen = atomic_load(&xv->xvm->memgen);
	if (gen != xv->memgen) {
		xv->memgen = gen;
		x86_tlb_flush(cpu, true);
	}
	/*
	 * The CPU clears cpu->kick when it honours it; the engine set its
	 * reasons before kicking and re-checks them after every exit.
	 */
	xnmi_take(xv);
	memset(vme, 0, sizeof(*vme));
	error = x86_run(cpu, vme);
	if (error != 0)
		return (error < 0 ? error : -EIO);
	return (0);
}

static uint64_t
size_mask(unsigned bytes)
{
	return (bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1);
}

static int
x86v_complete(void *bvcpu, const struct vm_exit *pending,
    const struct vm_exit *user, bool restart)
{
	struct xvcpu *xv = bvcpu;
	struct x86_cpu *cpu = &xv->cpu;
	unsigned len;

	if (restart) {
		/*
		 * Re-execute from scratch (e.g. #GP injected for the exited
		 * instruction): back to it, without the half-done accesses.
		 * An RDMSR/WRMSR exit has already moved RIP past it.
		 */
		if (pending->exitcode != VM_EXITCODE_SUSPENDED &&
		    pending->exitcode != VM_EXITCODE_HLT)
			cpu->rip = pending->rip;
		cpu->replay.n = 0;
		cpu->replay.pos = 0;
		return (0);
	}
	switch (pending->exitcode) {
	case VM_EXITCODE_INOUT:
		if (pending->u.inout.in)
			x86_complete_read(cpu, user->u.inout.eax &
			    size_mask(pending->u.inout.bytes));
		break;
	case VM_EXITCODE_MMIO:
		if (pending->u.mmio.read)
			x86_complete_read(cpu, user->u.mmio.data &
			    size_mask(pending->u.mmio.bytes));
		break;
	case VM_EXITCODE_RDMSR:
	case VM_EXITCODE_WRMSR:
		/*
		 * Userland emulated it (RDMSR: it set RAX/RDX), so the
		 * instruction retires, as FreeBSD's nextrip = rip +
		 * inst_length.  The CPU normally exits with it retired
		 * already (cpu.h: exit_retired); if RIP still points at it
		 * and userland did not move it, step over it here.
		 */
		if (cpu->rip != pending->rip)
			break;
		len = pending->inst_length > 0 ? (unsigned)pending->inst_length
		    : 2;
		cpu->rip += len;
		cpu->replay.n = 0;
		cpu->replay.pos = 0;
		break;
	default:
		break;
	}
	return (0);
}

/* enum vm_reg_name -> gpr[] index (encoding order), or -1. */
static int
gpr_index(int reg)
{
	static const signed char map[] = {
		[VM_REG_GUEST_RAX] = X86_RAX, [VM_REG_GUEST_RBX] = X86_RBX,
		[VM_REG_GUEST_RCX] = X86_RCX, [VM_REG_GUEST_RDX] = X86_RDX,
		[VM_REG_GUEST_RSI] = X86_RSI, [VM_REG_GUEST_RDI] = X86_RDI,
		[VM_REG_GUEST_RBP] = X86_RBP, [VM_REG_GUEST_R8] = X86_R8,
		[VM_REG_GUEST_R9] = X86_R9, [VM_REG_GUEST_R10] = X86_R10,
		[VM_REG_GUEST_R11] = X86_R11, [VM_REG_GUEST_R12] = X86_R12,
		[VM_REG_GUEST_R13] = X86_R13, [VM_REG_GUEST_R14] = X86_R14,
		[VM_REG_GUEST_R15] = X86_R15,
	};

	if (reg == VM_REG_GUEST_RSP)
		return (X86_RSP);
	if (reg >= 0 && reg <= VM_REG_GUEST_R15)
		return (map[reg]);
	return (-1);
}

/* enum vm_reg_name -> seg[] index, or -1. */
static int
seg_index(int reg)
{
	switch (reg) {
	case VM_REG_GUEST_ES: return (X86_ES);
	case VM_REG_GUEST_CS: return (X86_CS);
	case VM_REG_GUEST_SS: return (X86_SS);
	case VM_REG_GUEST_DS: return (X86_DS);
	case VM_REG_GUEST_FS: return (X86_FS);
	case VM_REG_GUEST_GS: return (X86_GS);
	case VM_REG_GUEST_LDTR: return (X86_LDTR);
	case VM_REG_GUEST_TR: return (X86_TR);
	default: return (-1);
	}
}

/* Debug registers: dr[] index, or -1. */
static int
dr_index(int reg)
{
	switch (reg) {
	case VM_REG_GUEST_DR0: return (0);
	case VM_REG_GUEST_DR1: return (1);
	case VM_REG_GUEST_DR2: return (2);
	case VM_REG_GUEST_DR3: return (3);
	case VM_REG_GUEST_DR6: return (6);
	case VM_REG_GUEST_DR7: return (7);
	default: return (-1);
	}
}

static int
x86v_getreg(void *bvcpu, int reg, uint64_t *val)
{
	struct xvcpu *xv = bvcpu;
	struct x86_cpu *cpu = &xv->cpu;
	int i, error;

	error = xvcpu_ready(xv);
	if (error != 0)
		return (error);
	if ((i = gpr_index(reg)) >= 0) {
		*val = cpu->gpr[i];
		return (0);
	}
	if ((i = seg_index(reg)) >= 0) {
		*val = cpu->seg[i].sel;
		return (0);
	}
	if ((i = dr_index(reg)) >= 0) {
		*val = cpu->dr[i];
		return (0);
	}
	switch (reg) {
	case VM_REG_GUEST_CR0: *val = cpu->cr0; break;
	case VM_REG_GUEST_CR2: *val = cpu->cr2; break;
	case VM_REG_GUEST_CR3: *val = cpu->cr3; break;
	case VM_REG_GUEST_CR4: *val = cpu->cr4; break;
	case VM_REG_GUEST_EFER: *val = cpu->efer; break;
	case VM_REG_GUEST_RIP: *val = cpu->rip; break;
	case VM_REG_GUEST_RFLAGS: *val = x86_get_flags(cpu); break;
	case VM_REG_GUEST_FS_BASE: *val = cpu->seg[X86_FS].base; break;
	case VM_REG_GUEST_GS_BASE: *val = cpu->seg[X86_GS].base; break;
	case VM_REG_GUEST_KGS_BASE: *val = cpu->msr.kgsbase; break;
	case VM_REG_GUEST_TPR:
		*val = xv->xvm->plat != NULL ?
		    vplatform_get_cr8(xv->xvm->plat, xv->id) : cpu->cr8;
		break;
	case VM_REG_GUEST_INTR_SHADOW: *val = cpu->intr_shadow ? 1 : 0; break;
	default:
		return (-EINVAL);
	}
	return (0);
}

static int
x86v_setreg(void *bvcpu, int reg, uint64_t val)
{
	struct xvcpu *xv = bvcpu;
	struct x86_cpu *cpu = &xv->cpu;
	int i, error;

	error = xvcpu_ready(xv);
	if (error != 0)
		return (error);
	if ((i = gpr_index(reg)) >= 0) {
		cpu->gpr[i] = val;
		return (0);
	}
	if ((i = seg_index(reg)) >= 0) {
		/* Selector only; the cache is loaded with vm_set_desc. */
		cpu->seg[i].sel = (uint16_t)val;
		return (0);
	}
	if ((i = dr_index(reg)) >= 0) {
		cpu->dr[i] = val;
		return (0);
	}
	switch (reg) {
	case VM_REG_GUEST_CR0: cpu->cr0 = val; break;
	case VM_REG_GUEST_CR2: cpu->cr2 = val; return (0);
	case VM_REG_GUEST_CR3: cpu->cr3 = val; break;
	case VM_REG_GUEST_CR4: cpu->cr4 = val; break;
	case VM_REG_GUEST_EFER: cpu->efer = val; break;
	case VM_REG_GUEST_RIP:
		if (cpu->rip != val) {
			/* A log belongs to the old instruction. */
			cpu->replay.n = 0;
			cpu->replay.pos = 0;
		}
		cpu->rip = val;
		return (0);
	case VM_REG_GUEST_RFLAGS: x86_set_flags(cpu, val); return (0);
	case VM_REG_GUEST_FS_BASE: cpu->seg[X86_FS].base = val; return (0);
	case VM_REG_GUEST_GS_BASE: cpu->seg[X86_GS].base = val; return (0);
	case VM_REG_GUEST_KGS_BASE: cpu->msr.kgsbase = val; return (0);
	case VM_REG_GUEST_TPR:
		cpu->cr8 = val & 0xf;
		if (xv->xvm->plat != NULL)
			vplatform_set_cr8(xv->xvm->plat, xv->id, val & 0xf);
		return (0);
	case VM_REG_GUEST_INTR_SHADOW:
		cpu->intr_shadow = val != 0;
		return (0);
	default:
		return (-EINVAL);
	}
	/* CR0, CR3, CR4, EFER: mode and paging derive from them. */
	x86_update_mode(cpu);
	return (0);
}

static int
x86v_getdesc(void *bvcpu, int reg, struct seg_desc *d)
{
	struct xvcpu *xv = bvcpu;
	struct x86_cpu *cpu = &xv->cpu;
	int i, error;

	error = xvcpu_ready(xv);
	if (error != 0)
		return (error);
	if ((i = seg_index(reg)) >= 0) {
		d->base = cpu->seg[i].base;
		d->limit = cpu->seg[i].limit;
		d->access = cpu->seg[i].access;
		return (0);
	}
	if (reg == VM_REG_GUEST_GDTR || reg == VM_REG_GUEST_IDTR) {
		const struct x86_dtr *t = reg == VM_REG_GUEST_GDTR ?
		    &cpu->gdtr : &cpu->idtr;

		d->base = t->base;
		d->limit = t->limit;
		d->access = 0;
		return (0);
	}
	return (-EINVAL);
}

static int
x86v_setdesc(void *bvcpu, int reg, const struct seg_desc *d)
{
	struct xvcpu *xv = bvcpu;
	struct x86_cpu *cpu = &xv->cpu;
	int i, error;

	error = xvcpu_ready(xv);
	if (error != 0)
		return (error);
	if ((i = seg_index(reg)) >= 0) {
		cpu->seg[i].base = d->base;
		cpu->seg[i].limit = d->limit;
		cpu->seg[i].access = d->access;
		/* CS.L/D and SS.DPL decide mode, sizes and CPL. */
		if (i == X86_CS || i == X86_SS)
			x86_update_mode(cpu);
		return (0);
	}
	if (reg == VM_REG_GUEST_GDTR || reg == VM_REG_GUEST_IDTR) {
		struct x86_dtr *t = reg == VM_REG_GUEST_GDTR ?
		    &cpu->gdtr : &cpu->idtr;

		t->base = d->base;
		t->limit = d->limit;
		return (0);
	}
	return (-EINVAL);
}

static int
x86v_inject(void *bvcpu, uint64_t intinfo)
{
	struct xvcpu *xv = bvcpu;
	int error;

	error = xvcpu_ready(xv);
	if (error != 0)
		return (error);
	if ((intinfo & VM_INTINFO_VALID) == 0) {
		xv->cpu.intinfo = 0;
		return (0);
	}
	/* One event at a time, as FreeBSD's vm_inject_exception. */
	if (xv->cpu.intinfo & VM_INTINFO_VALID)
		return (-EBUSY);
	xv->cpu.intinfo = intinfo;
	return (0);
}

static int
x86v_get_intinfo(void *bvcpu, uint64_t *i1, uint64_t *i2)
{
	struct xvcpu *xv = bvcpu;

	/* The interpreter never exits in the middle of a delivery. */
	*i1 = 0;
	*i2 = xv->ready ? xv->cpu.intinfo : 0;
	return (0);
}

static void
x86v_inject_nmi(void *bvcpu)
{
	struct xvcpu *xv = bvcpu;

	atomic_store(&xv->cpu.nmi_pending, true);
}

static void
x86v_kick(void *bvcpu)
{
	struct xvcpu *xv = bvcpu;

	atomic_store(&xv->cpu.kick, 1);
}

static bool
x86v_wake_pending(void *bvcpu, bool intr_disabled)
{
	struct xvcpu *xv = bvcpu;

	if (!xv->ready)
		return (false);
	xnmi_take(xv);
	if (atomic_load(&xv->cpu.nmi_pending))
		return (true);
	if (intr_disabled)
		return (false);
	return (xbus_intr_pending(xv, xv->id) >= 0);
}

static uint64_t
x86v_icount(void *bvcpu)
{
	struct xvcpu *xv = bvcpu;

	return (xv->cpu.icount);
}

static void
x86v_memmap_changed(void *backend, uint64_t gpa, uint64_t len)
{
	struct xvm *x = backend;

	atomic_fetch_add(&x->memgen, 1);
	pthread_mutex_lock(&x->mtx);
	if (x->mach_ready && x->mach.code_gen != NULL) {
		/* Decoded copies of the old contents are stale. */
		for (uint64_t p = gpa >> 12; p < x->mach.npages &&
		    p < (gpa + len + 4095) >> 12; p++)
			atomic_fetch_add(&x->mach.code_gen[p], 1);
	}
	pthread_mutex_unlock(&x->mtx);
}

static void
x86v_set_topology(void *backend, uint16_t sockets, uint16_t cores,
    uint16_t threads, uint16_t maxcpus)
{
	struct xvm *x = backend;

	pthread_mutex_lock(&x->mtx);
	x->sockets = sockets;
	x->cores = cores;
	x->threads = threads;
	x->maxcpus = maxcpus;
	if (x->mach_ready)
		mach_apply_locked(x);
	pthread_mutex_unlock(&x->mtx);
}

/* The TSC of xbus_tsc, for the local APIC's TSC-deadline mode. */
static uint64_t
x86v_tsc(void *backend, int vcpuid)
{
	struct xvm *x = backend;

	(void)vcpuid;
	return ((host_ns() - x->t0) * X86_TSC_NS_MUL);
}

static void
x86v_set_x2apic(void *bvcpu, bool enabled)
{
	struct xvcpu *xv = bvcpu;

	xv->x2apic = enabled;
	pthread_mutex_lock(&xv->xvm->mtx);
	if (xv->xvm->mach_ready)
		xv->xvm->mach.x2apic = enabled;
	pthread_mutex_unlock(&xv->xvm->mtx);
}

/*
 * No VM_CAP_IPI_EXIT: INIT and SIPI are handled in the engine (vmm.c
 * run states), never sent to userland as VM_EXITCODE_IPI.
 */
const struct vmm_ops vmm_ops_x86 = {
	.name = "x86 interpreter",
	.caps = (1u << VM_CAP_HALT_EXIT) | (1u << VM_CAP_PAUSE_EXIT) |
	    (1u << VM_CAP_UNRESTRICTED_GUEST) | (1u << VM_CAP_MASK_HWINTR),
	.init = x86v_init,
	.cleanup = x86v_cleanup,
	.vcpu_init = x86v_vcpu_init,
	.vcpu_cleanup = x86v_vcpu_cleanup,
	.vcpu_reset = x86v_vcpu_reset,
	.run = x86v_run,
	.complete = x86v_complete,
	.getreg = x86v_getreg,
	.setreg = x86v_setreg,
	.getdesc = x86v_getdesc,
	.setdesc = x86v_setdesc,
	.inject = x86v_inject,
	.get_intinfo = x86v_get_intinfo,
	.inject_nmi = x86v_inject_nmi,
	.kick = x86v_kick,
	.wake_pending = x86v_wake_pending,
	.icount = x86v_icount,
	.memmap_changed = x86v_memmap_changed,
	.set_topology = x86v_set_topology,
	.set_x2apic = x86v_set_x2apic,
	.tsc = x86v_tsc,
	.tsc_hz = X86_TSC_HZ,
};
