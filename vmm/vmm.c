/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The engine: VM and vCPU lifecycle and the run loop, in the shape of
 * FreeBSD's sys/amd64/vmm/vmm.c.  The CPU is a backend behind struct
 * vmm_ops; vmm_run() loops over the backend's run() and handles here what
 * the engine owns (HLT, suspension, triple fault, kicks), returning to
 * userland only for the rest.
 *
 * Threads: each vCPU is driven by one userland thread calling vmm_run().
 * Any thread may suspend the VM, inject an NMI or notify a vCPU; those
 * set state first and then call vmm_vcpu_notify(), which kicks the
 * backend and wakes the vCPU if it sleeps (in HLT or waiting for SIPI).
 *
 * The PC platform (vmm/io/vplatform.c: local APICs, IOAPIC, 8259, 8254,
 * RTC, HPET, PM timer) is created with the VM, with one local APIC per
 * possible vCPU; its ports and MMIO ranges go in the engine's tables.
 * It calls back into the engine to notify vCPUs and for INIT and SIPI
 * (vcpu_init_ipi / vcpu_sipi), possibly with device locks held: the
 * engine never calls into the platform while it holds a vCPU's mtx.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/io/vhpet.h"
#include "vmm/io/vplatform.h"
#include "vmm/io/vrtc.h"
#include "vmm/vmm_kern.h"
#include "vmm/vmm_mem.h"

/* An interpreter has no host-CPU limit; xAPIC IDs stop at 255. */
#define	VMM_DEFAULT_MAXCPU	255
#define	RFLAGS_IF		0x200	/* SDM Vol 1 3.4.3 */

enum vcpu_state {
	VCPU_IDLE,		/* not in vmm_run() */
	VCPU_RUNNING,		/* in vmm_run(), backend or engine */
};

/*
 * Field legend: (c) constant after creation, (o) owned by the vCPU's
 * thread inside vmm_run() or by anyone while the vCPU is idle, (a)
 * atomic, (m) vcpu->mtx, (v) vm->mtx.
 */
struct vmm_vcpu {
	struct vm	*vm;		/* (c) */
	int		id;		/* (c) */
	void		*bvcpu;		/* (c) backend state */
	pthread_mutex_t	mtx;		/* sleep/wake handshake */
	pthread_cond_t	cv;		/* (m) signalled by notify */
	_Atomic int	state;		/* (a) enum vcpu_state */
	_Atomic bool	sleeping;	/* (a) waiting on cv */
	_Atomic uint32_t wakegen;	/* (a) bumped by every notify */
	_Atomic bool	debug;		/* (a) vm_suspend_cpu() */
	_Atomic bool	suspended;	/* (a) left vmm_run() suspended */
	bool		active;		/* (v) in the active set */
	bool		halted_noif;	/* (v) halted, RFLAGS.IF = 0 */
	/*
	 * Run state (SDM Vol 3A 8.4): written under mtx, read anywhere.
	 * dormant: waiting for a SIPI that has not come; such a vCPU can
	 * only be woken by another vCPU (halt detection counts it halted).
	 */
	_Atomic int	run_state;	/* (m) enum vmm_run_state */
	_Atomic bool	init_pending;	/* (m) INIT to act on */
	_Atomic bool	sipi_pending;	/* (m) SIPI to act on */
	int		sipi_vector;	/* (m) */
	_Atomic bool	dormant;	/* (m) */
	int		caps[VM_CAP_MAX]; /* (o) */
	enum x2apic_state x2apic;	/* (o) */
	struct vm_exit	exit;		/* (o) last exit */
	bool		pending;	/* (o) exit not completed yet */
	bool		restart;	/* (o) re-execute, not complete */
	uint64_t	stats[VMM_STAT_COUNT]; /* (o) */
};

struct vm {
	char		name[VM_MAX_NAMELEN];	/* (c) */
	const struct vmm_ops *ops;		/* (c) */
	void		*backend;		/* (c) */
	struct vmm_mem	*mem;			/* (c) */
	struct vmm_iotab *iotab;		/* (c) */
	struct vmm_mmiotab *mmiotab;		/* (c) */
	struct vplatform *plat;			/* (c) */
	uint16_t	maxcpus;		/* (c) */
	/* vCPU creation, the active set and the halt count */
	pthread_mutex_t	mtx;
	uint16_t	sockets, cores, threads; /* (v) */
	_Atomic(struct vmm_vcpu *) *vcpu;	/* [maxcpus], set once (v) */
	int		nactive;		/* (v) */
	_Atomic int	suspend;		/* (a) enum vm_suspend_how */
	int		refs;			/* (r) */
	struct vm	*next;			/* (r) registry list */
};

/* The registry of named VMs: this process's /dev/vmm. */
static pthread_mutex_t registry_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct vm *registry;			/* (r) */

static const char *const stat_desc[VMM_STAT_COUNT] = {
	[VMM_STAT_ICOUNT] = "instructions retired",
	[VMM_STAT_RUNS] = "entries into the CPU backend",
	[VMM_STAT_HLT_SLEEPS] = "sleeps in HLT",
	[VMM_STAT_USER_EXITS] = "exits to userland",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_INOUT] = "exits: INOUT",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_VMX] = "exits: VMX",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_BOGUS] = "exits: BOGUS (kick)",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_RDMSR] = "exits: RDMSR",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_WRMSR] = "exits: WRMSR",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_HLT] = "exits: HLT",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_MTRAP] = "exits: MTRAP",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_PAUSE] = "exits: PAUSE",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_PAGING] = "exits: PAGING",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_INST_EMUL] = "exits: INST_EMUL",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_SPINUP_AP] = "exits: SPINUP_AP",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_DEPRECATED1] = "exits: unused",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_RENDEZVOUS] = "exits: RENDEZVOUS",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_IOAPIC_EOI] = "exits: IOAPIC_EOI",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_SUSPENDED] = "exits: SUSPENDED",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_INOUT_STR] = "exits: INOUT_STR",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_TASK_SWITCH] = "exits: TASK_SWITCH",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_MONITOR] = "exits: MONITOR",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_MWAIT] = "exits: MWAIT",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_SVM] = "exits: SVM",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_REQIDLE] = "exits: REQIDLE",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_DEBUG] = "exits: DEBUG",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_VMINSN] = "exits: VMINSN",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_BPT] = "exits: BPT",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_IPI] = "exits: IPI",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_DB] = "exits: DB",
	[VMM_STAT_EXIT_BASE + VM_EXITCODE_MMIO] = "exits: MMIO",
};

/* ---- VM lifecycle ---- */

static struct vm *
registry_find_locked(const char *name)
{
	for (struct vm *vm = registry; vm != NULL; vm = vm->next)
		if (strcmp(vm->name, name) == 0)
			return (vm);
	return (NULL);
}

static void
vcpu_free(struct vm *vm, struct vmm_vcpu *v)
{
	vm->ops->vcpu_cleanup(v->bvcpu);
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->mtx);
	free(v);
}

static void
vm_free(struct vm *vm)
{
	/* Its timer thread may call vmm_vcpu_notify(): before the vCPUs go. */
	vplatform_destroy(vm->plat);
	vm->plat = NULL;
	if (vm->vcpu != NULL) {
		for (int i = 0; i < vm->maxcpus; i++) {
			struct vmm_vcpu *v = atomic_load(&vm->vcpu[i]);

			if (v != NULL)
				vcpu_free(vm, v);
		}
	}
	if (vm->backend != NULL)
		vm->ops->cleanup(vm->backend);
	free(vm->vcpu);
	vmm_mmiotab_destroy(vm->mmiotab);
	vmm_iotab_destroy(vm->iotab);
	vmm_mem_destroy(vm->mem);
	pthread_mutex_destroy(&vm->mtx);
	free(vm);
}

/* ---- The platform's calls into the engine ---- */

static struct vmm_vcpu *vcpu_get(struct vm *vm, int vcpuid);
static void vcpu_update_dormant(struct vmm_vcpu *v);

static void
plat_notify(void *arg, int vcpuid)
{
	vmm_vcpu_notify(arg, vcpuid);
}

/*
 * INIT IPI (SDM Vol 3A 10.6.1, 8.4.1): the target's local APIC is already
 * INIT-reset; the vCPU resets itself on its own thread (vmm_run) and,
 * unless it is the BSP, then waits for a SIPI.  Any thread, maybe with
 * the IOAPIC lock held: only engine state is touched here.
 */
static void
plat_init_ipi(void *arg, int vcpuid)
{
	struct vm *vm = arg;
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);

	if (v == NULL)
		return;
	pthread_mutex_lock(&v->mtx);
	atomic_store(&v->init_pending, true);
	atomic_store(&v->sipi_pending, false);
	if (vcpuid != 0)
		atomic_store(&v->run_state, VMM_VRS_INIT);
	vcpu_update_dormant(v);
	pthread_mutex_unlock(&v->mtx);
	vmm_vcpu_notify(vm, vcpuid);
}

/* STARTUP IPI: honoured only in the wait-for-SIPI state (SDM 8.4.4.1). */
static void
plat_sipi(void *arg, int vcpuid, int vector)
{
	struct vm *vm = arg;
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);
	bool taken = false;

	if (v == NULL)
		return;
	pthread_mutex_lock(&v->mtx);
	if (atomic_load(&v->run_state) == VMM_VRS_INIT &&
	    !atomic_load(&v->sipi_pending)) {
		v->sipi_vector = vector & 0xff;
		atomic_store(&v->sipi_pending, true);
		vcpu_update_dormant(v);
		taken = true;
	}
	pthread_mutex_unlock(&v->mtx);
	if (taken)
		vmm_vcpu_notify(vm, vcpuid);
}

static uint64_t
plat_tsc(void *arg, int vcpuid)
{
	struct vm *vm = arg;

	return (vm->ops->tsc(vm->backend, vcpuid));
}

/* Create the platform and claim its ports and MMIO ranges. */
static int
vm_platform_init(struct vm *vm)
{
	struct vplatform_ops pops = {
		.arg = vm, .notify = plat_notify, .init_ipi = plat_init_ipi,
		.sipi = plat_sipi,
		.tsc = vm->ops->tsc != NULL ? plat_tsc : NULL,
		.tsc_hz = vm->ops->tsc != NULL ? vm->ops->tsc_hz : 0,
	};
	uint64_t gpa, len;
	uint32_t count;
	uint16_t port;
	int i, error;

	vm->plat = vplatform_create(vm->maxcpus, &pops);
	if (vm->plat == NULL)
		return (-ENOMEM);
	for (i = 0; vplatform_port_range(vm->plat, i, &port, &count) == 0;
	    i++) {
		error = vmm_ioport_register(vm->iotab, port, count,
		    vplatform_pio_handler, vm->plat);
		if (error != 0)
			return (error);
	}
	for (i = 0; vplatform_mmio_range(vm->plat, i, &gpa, &len) == 0; i++) {
		error = vmm_mmio_register(vm->mmiotab, gpa, len,
		    vplatform_mmio_handler, vm->plat);
		if (error != 0)
			return (error);
	}
	return (0);
}

static int
vm_alloc(const char *name, const struct vmm_ops *ops, struct vm **vmp)
{
	struct vm *vm;
	int error;

	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return (-ENOMEM);
	strcpy(vm->name, name);
	vm->ops = ops;
	vm->maxcpus = VMM_DEFAULT_MAXCPU;
	vm->sockets = vm->cores = vm->threads = 1;
	vm->refs = 1;
	pthread_mutex_init(&vm->mtx, NULL);
	vm->vcpu = calloc(vm->maxcpus, sizeof(*vm->vcpu));
	vm->mem = vmm_mem_create();
	vm->iotab = vmm_iotab_create();
	vm->mmiotab = vmm_mmiotab_create();
	if (vm->vcpu == NULL || vm->mem == NULL || vm->iotab == NULL ||
	    vm->mmiotab == NULL) {
		vm_free(vm);
		return (-ENOMEM);
	}
	error = ops->init(vm, &vm->backend);
	if (error != 0) {
		vm->backend = NULL;
		vm_free(vm);
		return (error);
	}
	ops->set_topology(vm->backend, 1, 1, 1, vm->maxcpus);
	error = vm_platform_init(vm);
	if (error != 0) {
		vm_free(vm);
		return (error);
	}
	*vmp = vm;
	return (0);
}

int
vmm_vm_create(const char *name, const struct vmm_ops *ops)
{
	struct vm *vm;
	int error;

	if (name == NULL || name[0] == '\0' ||
	    strnlen(name, VM_MAX_NAMELEN) >= VM_MAX_NAMELEN)
		return (-EINVAL);
	if (ops == NULL)
		ops = &vmm_ops_x86;
	pthread_mutex_lock(&registry_mtx);
	if (registry_find_locked(name) != NULL) {
		pthread_mutex_unlock(&registry_mtx);
		return (-EEXIST);
	}
	error = vm_alloc(name, ops, &vm);
	if (error == 0) {
		vm->next = registry;
		registry = vm;
	}
	pthread_mutex_unlock(&registry_mtx);
	return (error);
}

struct vm *
vmm_vm_lookup(const char *name)
{
	struct vm *vm;

	if (name == NULL)
		return (NULL);
	pthread_mutex_lock(&registry_mtx);
	vm = registry_find_locked(name);
	if (vm != NULL)
		vm->refs++;
	pthread_mutex_unlock(&registry_mtx);
	return (vm);
}

void
vmm_vm_release(struct vm *vm)
{
	bool last;

	pthread_mutex_lock(&registry_mtx);
	last = --vm->refs == 0;
	pthread_mutex_unlock(&registry_mtx);
	if (last)
		vm_free(vm);
}

int
vmm_vm_destroy(struct vm *vm)
{
	struct vm **pp;
	bool listed = false;

	pthread_mutex_lock(&registry_mtx);
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == vm) {
			*pp = vm->next;
			listed = true;
			break;
		}
	}
	pthread_mutex_unlock(&registry_mtx);
	if (!listed)
		return (-ENOENT);
	/* Any vCPU still running leaves; then the registry's ref goes. */
	vmm_suspend(vm, VM_SUSPEND_POWEROFF);
	vmm_vm_release(vm);
	return (0);
}

const char *
vmm_vm_name(struct vm *vm)
{
	return (vm->name);
}

uint16_t
vmm_vm_maxcpus(struct vm *vm)
{
	return (vm->maxcpus);
}

struct vmm_mem *
vmm_vm_mem(struct vm *vm)
{
	return (vm->mem);
}

struct vmm_iotab *
vmm_vm_iotab(struct vm *vm)
{
	return (vm->iotab);
}

struct vmm_mmiotab *
vmm_vm_mmiotab(struct vm *vm)
{
	return (vm->mmiotab);
}

void *
vmm_vm_backend(struct vm *vm)
{
	return (vm->backend);
}

struct vplatform *
vmm_vm_platform(struct vm *vm)
{
	return (vm->plat);
}

int
vmm_set_topology(struct vm *vm, uint16_t sockets, uint16_t cores,
    uint16_t threads, uint16_t maxcpus)
{
	/* As FreeBSD: maxcpus is the VM's own and the argument unused. */
	(void)maxcpus;
	if (sockets == 0 || cores == 0 || threads == 0)
		return (-EINVAL);
	if ((uint32_t)sockets * cores * threads > vm->maxcpus)
		return (-EINVAL);
	pthread_mutex_lock(&vm->mtx);
	vm->sockets = sockets;
	vm->cores = cores;
	vm->threads = threads;
	vm->ops->set_topology(vm->backend, sockets, cores, threads,
	    vm->maxcpus);
	pthread_mutex_unlock(&vm->mtx);
	return (0);
}

void
vmm_get_topology(struct vm *vm, uint16_t *sockets, uint16_t *cores,
    uint16_t *threads, uint16_t *maxcpus)
{
	pthread_mutex_lock(&vm->mtx);
	*sockets = vm->sockets;
	*cores = vm->cores;
	*threads = vm->threads;
	*maxcpus = vm->maxcpus;
	pthread_mutex_unlock(&vm->mtx);
}

/* ---- Guest memory ---- */

int
vmm_setup_memory(struct vm *vm, size_t len)
{
	int error = vmm_mem_setup_sysmem(vm->mem, len);

	if (error == 0)
		vm->ops->memmap_changed(vm->backend, 0, vmm_mem_top(vm->mem));
	return (error);
}

int
vmm_alloc_devmem(struct vm *vm, int segid, const char *name, size_t len,
    void **hostp)
{
	return (vmm_mem_alloc_devmem(vm->mem, segid, name, len, hostp));
}

int
vmm_mmap_memseg(struct vm *vm, uint64_t gpa, int segid, uint64_t off,
    size_t len, int prot)
{
	int error = vmm_mem_mmap(vm->mem, gpa, segid, off, len, prot);

	if (error == 0)
		vm->ops->memmap_changed(vm->backend, gpa, len);
	return (error);
}

int
vmm_munmap_memseg(struct vm *vm, uint64_t gpa, size_t len)
{
	int error = vmm_mem_munmap(vm->mem, gpa, len);

	if (error == 0)
		vm->ops->memmap_changed(vm->backend, gpa, len);
	return (error);
}

/* ---- vCPUs ---- */

static struct vmm_vcpu *
vcpu_get(struct vm *vm, int vcpuid)
{
	if (vcpuid < 0 || vcpuid >= vm->maxcpus)
		return (NULL);
	return (atomic_load_explicit(&vm->vcpu[vcpuid], memory_order_acquire));
}

static void
vcpu_defaults(struct vm *vm, struct vmm_vcpu *v)
{
	memset(v->caps, 0, sizeof(v->caps));
	/* The interpreter runs real mode natively: always "unrestricted". */
	if (vm->ops->caps & (1u << VM_CAP_UNRESTRICTED_GUEST))
		v->caps[VM_CAP_UNRESTRICTED_GUEST] = 1;
	v->x2apic = X2APIC_DISABLED;
	v->pending = false;
	v->restart = false;
	atomic_store(&v->debug, false);
	atomic_store(&v->suspended, false);
	/* Power-on: the BSP runs, APs wait for SIPI (SDM Vol 3A 8.4.1). */
	pthread_mutex_lock(&v->mtx);
	atomic_store(&v->run_state, v->id == 0 ? VMM_VRS_RUN : VMM_VRS_INIT);
	atomic_store(&v->init_pending, false);
	atomic_store(&v->sipi_pending, false);
	v->sipi_vector = 0;
	vcpu_update_dormant(v);
	pthread_mutex_unlock(&v->mtx);
}

/* v->mtx held. */
static void
vcpu_update_dormant(struct vmm_vcpu *v)
{
	atomic_store(&v->dormant,
	    atomic_load(&v->run_state) == VMM_VRS_INIT &&
	    !atomic_load(&v->sipi_pending));
}

int
vmm_vcpu_open(struct vm *vm, int vcpuid)
{
	struct vmm_vcpu *v;
	int error = 0;

	if (vcpuid < 0 || vcpuid >= vm->maxcpus)
		return (-EINVAL);
	pthread_mutex_lock(&vm->mtx);
	if (atomic_load(&vm->vcpu[vcpuid]) != NULL)
		goto out;
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		error = -ENOMEM;
		goto out;
	}
	v->vm = vm;
	v->id = vcpuid;
	error = vm->ops->vcpu_init(vm->backend, vcpuid, &v->bvcpu);
	if (error != 0) {
		free(v);
		goto out;
	}
	pthread_mutex_init(&v->mtx, NULL);
	pthread_cond_init(&v->cv, NULL);
	vcpu_defaults(vm, v);
	(void)vplatform_set_x2apic_state(vm->plat, vcpuid, false);
	atomic_store_explicit(&vm->vcpu[vcpuid], v, memory_order_release);
out:
	pthread_mutex_unlock(&vm->mtx);
	return (error);
}

/*
 * A vCPU's state may be changed only while it is not inside vmm_run()
 * (FreeBSD freezes the vCPU for the same reason).
 */
static struct vmm_vcpu *
vcpu_idle(struct vm *vm, int vcpuid, int *error)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);

	if (v == NULL) {
		*error = -EINVAL;
		return (NULL);
	}
	if (atomic_load(&v->state) != VCPU_IDLE) {
		*error = -EBUSY;
		return (NULL);
	}
	*error = 0;
	return (v);
}

int
vmm_vm_reinit(struct vm *vm)
{
	int error;

	for (int i = 0; i < vm->maxcpus; i++) {
		struct vmm_vcpu *v = vcpu_get(vm, i);

		if (v != NULL && atomic_load(&v->state) != VCPU_IDLE)
			return (-EBUSY);
	}
	/* Devices to power-on state first; the RTC keeps time and NVRAM. */
	error = vplatform_reset(vm->plat);
	pthread_mutex_lock(&vm->mtx);
	for (int i = 0; i < vm->maxcpus; i++) {
		struct vmm_vcpu *v = vcpu_get(vm, i);

		if (v == NULL)
			continue;
		vm->ops->vcpu_reset(v->bvcpu);
		vcpu_defaults(vm, v);
		(void)vplatform_set_x2apic_state(vm->plat, i, false);
		v->active = false;
		v->halted_noif = false;
	}
	vm->nactive = 0;
	atomic_store(&vm->suspend, VM_SUSPEND_NONE);
	pthread_mutex_unlock(&vm->mtx);
	return (error);
}

int
vmm_activate_cpu(struct vm *vm, int vcpuid)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);
	int error = 0;

	if (v == NULL)
		return (-EINVAL);
	pthread_mutex_lock(&vm->mtx);
	if (v->active)
		error = -EBUSY;
	else {
		v->active = true;
		vm->nactive++;
	}
	pthread_mutex_unlock(&vm->mtx);
	return (error);
}

static int
debug_set(struct vm *vm, int vcpuid, bool on)
{
	struct vmm_vcpu *v;
	int first = vcpuid, last = vcpuid;

	if (vcpuid == -1) {
		first = 0;
		last = vm->maxcpus - 1;
	} else if (vcpu_get(vm, vcpuid) == NULL) {
		return (-EINVAL);
	}
	for (int i = first; i <= last; i++) {
		if ((v = vcpu_get(vm, i)) == NULL)
			continue;
		atomic_store(&v->debug, on);
		if (on)
			vmm_vcpu_notify(vm, i);
	}
	return (0);
}

int
vmm_get_cpus(struct vm *vm, enum vmm_cpuset which, uint64_t *bits,
    int nwords)
{
	bool in;

	if (nwords < 0 || bits == NULL)
		return (-EINVAL);
	memset(bits, 0, (size_t)nwords * sizeof(*bits));
	pthread_mutex_lock(&vm->mtx);
	for (int i = 0; i < vm->maxcpus && i / 64 < nwords; i++) {
		struct vmm_vcpu *v = vcpu_get(vm, i);

		if (v == NULL)
			continue;
		switch (which) {
		case VMM_CPUS_ACTIVE:
			in = v->active;
			break;
		case VMM_CPUS_SUSPENDED:
			in = atomic_load(&v->suspended);
			break;
		case VMM_CPUS_DEBUG:
			in = atomic_load(&v->debug);
			break;
		default:
			pthread_mutex_unlock(&vm->mtx);
			return (-EINVAL);
		}
		if (in)
			bits[i / 64] |= 1ull << (i % 64);
	}
	pthread_mutex_unlock(&vm->mtx);
	return (0);
}

int
vmm_get_run_state(struct vm *vm, int vcpuid, enum vmm_run_state *st,
    int *sipi_vector)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);

	if (v == NULL)
		return (-EINVAL);
	pthread_mutex_lock(&v->mtx);
	*st = (enum vmm_run_state)atomic_load(&v->run_state);
	if (sipi_vector != NULL)
		*sipi_vector = atomic_load(&v->sipi_pending) ?
		    v->sipi_vector : -1;
	pthread_mutex_unlock(&v->mtx);
	return (0);
}

/* Userland's INIT/SIPI (illumos vm_set_run_state); the vCPU is idle. */
int
vmm_set_run_state(struct vm *vm, int vcpuid, enum vmm_run_state st,
    int sipi_vector)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	if ((st != VMM_VRS_INIT && st != VMM_VRS_RUN) || sipi_vector > 255 ||
	    (st == VMM_VRS_INIT && sipi_vector >= 0))
		return (-EINVAL);
	pthread_mutex_lock(&v->mtx);
	atomic_store(&v->init_pending, false);
	atomic_store(&v->sipi_pending, false);
	atomic_store(&v->run_state, VMM_VRS_INIT);
	if (st == VMM_VRS_RUN && sipi_vector >= 0) {
		v->sipi_vector = sipi_vector;
		atomic_store(&v->sipi_pending, true);
	} else if (st == VMM_VRS_RUN) {
		atomic_store(&v->run_state, VMM_VRS_RUN);
	}
	vcpu_update_dormant(v);
	pthread_mutex_unlock(&v->mtx);
	if (st == VMM_VRS_INIT)
		vm->ops->vcpu_reset(v->bvcpu);
	vmm_vcpu_notify(vm, vcpuid);
	return (0);
}

int
vmm_suspend_cpu(struct vm *vm, int vcpuid)
{
	return (debug_set(vm, vcpuid, true));
}

int
vmm_resume_cpu(struct vm *vm, int vcpuid)
{
	return (debug_set(vm, vcpuid, false));
}

void
vmm_vcpu_notify(struct vm *vm, int vcpuid)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);

	if (v == NULL)
		return;
	/*
	 * The caller published its event (seq_cst) before this; a sleeper
	 * samples wakegen before it checks for events and sleeps only if
	 * wakegen is unchanged, re-checked under mtx after setting
	 * `sleeping`.  So either it sees the event, or the new wakegen, or
	 * we see `sleeping` and signal under mtx: no wakeup is lost.
	 */
	atomic_fetch_add(&v->wakegen, 1);
	vm->ops->kick(v->bvcpu);
	if (atomic_load(&v->sleeping)) {
		pthread_mutex_lock(&v->mtx);
		pthread_cond_broadcast(&v->cv);
		pthread_mutex_unlock(&v->mtx);
	}
}

int
vmm_suspend(struct vm *vm, enum vm_suspend_how how)
{
	int none = VM_SUSPEND_NONE;

	if (how <= VM_SUSPEND_NONE || how >= VM_SUSPEND_LAST)
		return (-EINVAL);
	if (!atomic_compare_exchange_strong(&vm->suspend, &none, (int)how))
		return (-EALREADY);
	for (int i = 0; i < vm->maxcpus; i++)
		vmm_vcpu_notify(vm, i);
	return (0);
}

enum vm_suspend_how
vmm_suspended(struct vm *vm)
{
	return ((enum vm_suspend_how)atomic_load(&vm->suspend));
}

/* ---- The run loop ---- */

typedef bool vcpu_wake_fn(struct vm *vm, struct vmm_vcpu *v, bool arg);

/*
 * Sleep until wake() holds, never spinning.  wake() runs without v->mtx
 * (it may call into the platform, whose locks are taken before v->mtx
 * by notifiers): the wakegen sample closes the race instead.
 */
static void
vcpu_wait(struct vm *vm, struct vmm_vcpu *v, vcpu_wake_fn *wake, bool arg)
{
	uint32_t gen;

	for (;;) {
		gen = atomic_load(&v->wakegen);
		if (wake(vm, v, arg))
			return;
		pthread_mutex_lock(&v->mtx);
		atomic_store(&v->sleeping, true);
		if (atomic_load(&v->wakegen) == gen) {
			struct timespec ts;

			/* Bounded wait: a safety net, not a poll. */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			v->stats[VMM_STAT_HLT_SLEEPS]++;
			pthread_cond_timedwait(&v->cv, &v->mtx, &ts);
		}
		atomic_store(&v->sleeping, false);
		pthread_mutex_unlock(&v->mtx);
	}
}

/* Reasons to leave any sleep: the VM, the debugger, INIT/SIPI. */
static bool
vcpu_must_wake(struct vm *vm, struct vmm_vcpu *v)
{
	return (atomic_load(&vm->suspend) != VM_SUSPEND_NONE ||
	    atomic_load(&v->debug) || atomic_load(&v->init_pending) ||
	    atomic_load(&v->sipi_pending) ||
	    atomic_load(&v->run_state) != VMM_VRS_RUN);
}

static bool
hlt_should_wake(struct vm *vm, struct vmm_vcpu *v, bool intr_disabled)
{
	if (vcpu_must_wake(vm, v))
		return (true);
	return (vm->ops->wake_pending(v->bvcpu, intr_disabled));
}

static bool
sipi_should_wake(struct vm *vm, struct vmm_vcpu *v, bool unused)
{
	(void)unused;
	return (atomic_load(&vm->suspend) != VM_SUSPEND_NONE ||
	    atomic_load(&v->debug) || atomic_load(&v->init_pending) ||
	    atomic_load(&v->sipi_pending));
}

/*
 * Whether nothing in the VM can run any more (vm->mtx held): every
 * active vCPU is halted with interrupts disabled or waits for a SIPI
 * nobody will send.  FreeBSD compares its halted and active sets; its
 * APs become active only at their SIPI (spinup_ap), so an AP never
 * started does not keep the VM alive there either.
 */
static bool
vm_all_halted_locked(struct vm *vm)
{
	bool halted = false;

	for (int i = 0; i < vm->maxcpus; i++) {
		struct vmm_vcpu *v = vcpu_get(vm, i);

		if (v == NULL || !v->active)
			continue;
		if (v->halted_noif)
			halted = true;
		else if (!atomic_load(&v->dormant))
			return (false);
	}
	return (halted);
}

/*
 * HLT (SDM Vol 2A HLT): sleep until an event the vCPU can take arrives,
 * never spinning, whether or not VM_CAP_HALT_EXIT is set.  As FreeBSD's
 * vm_handle_hlt, once every active vCPU is halted with interrupts
 * disabled nothing can wake the VM but an NMI from outside: the VM is
 * suspended with VM_SUSPEND_HALT.
 */
static void
vm_handle_hlt(struct vm *vm, struct vmm_vcpu *v, bool intr_disabled)
{
	bool all = false;

	if (intr_disabled) {
		pthread_mutex_lock(&vm->mtx);
		if (v->active)
			v->halted_noif = true;
		all = vm_all_halted_locked(vm);
		pthread_mutex_unlock(&vm->mtx);
		if (all)
			vmm_suspend(vm, VM_SUSPEND_HALT);
	}
	vcpu_wait(vm, v, hlt_should_wake, intr_disabled);
	if (intr_disabled) {
		pthread_mutex_lock(&vm->mtx);
		v->halted_noif = false;
		pthread_mutex_unlock(&vm->mtx);
	}
}

/*
 * Act on INIT and SIPI on the vCPU's own thread (the backend state is
 * the thread's).  Returns true when the vCPU may run.
 */
static bool
vcpu_run_state(struct vm *vm, struct vmm_vcpu *v)
{
	struct seg_desc cs;
	bool init;
	int sipi = -1, st;

	pthread_mutex_lock(&v->mtx);
	init = atomic_exchange(&v->init_pending, false);
	if (atomic_load(&v->run_state) == VMM_VRS_INIT &&
	    atomic_load(&v->sipi_pending)) {
		sipi = v->sipi_vector;
		atomic_store(&v->sipi_pending, false);
		atomic_store(&v->run_state, VMM_VRS_RUN);
	}
	st = atomic_load(&v->run_state);
	vcpu_update_dormant(v);
	pthread_mutex_unlock(&v->mtx);

	if (init || sipi >= 0) {
		/* SDM Vol 3A 9.1.1: INIT state; userland's exit is void. */
		vm->ops->vcpu_reset(v->bvcpu);
		v->pending = false;
		v->restart = false;
	}
	if (sipi >= 0) {
		/* Real mode at vector << 12 (SDM Vol 3A 8.4.4.1, B.4). */
		cs.base = (uint64_t)sipi << 12;
		cs.limit = 0xffff;
		cs.access = 0x9b;
		(void)vm->ops->setdesc(v->bvcpu, VM_REG_GUEST_CS, &cs);
		(void)vm->ops->setreg(v->bvcpu, VM_REG_GUEST_CS,
		    (uint64_t)sipi << 8);
		(void)vm->ops->setreg(v->bvcpu, VM_REG_GUEST_RIP, 0);
	}
	return (st == VMM_VRS_RUN);
}

/* Handle an exit in the engine; true when userland must see it. */
static bool
vm_handle_exit(struct vm *vm, struct vmm_vcpu *v)
{
	struct vm_exit *vme = &v->exit;

	switch (vme->exitcode) {
	case VM_EXITCODE_HLT:
		vm_handle_hlt(vm, v, (vme->u.hlt.rflags & RFLAGS_IF) == 0);
		return (false);
	case VM_EXITCODE_PAUSE:
		/* Userland sees PAUSE only when it asked to. */
		if (v->caps[VM_CAP_PAUSE_EXIT])
			return (true);
		sched_yield();
		return (false);
	case VM_EXITCODE_BOGUS:
		/* Kicked or out of budget: the loop re-checks why. */
		return (false);
	case VM_EXITCODE_SUSPENDED:
		/* The CPU triple-faulted (or a backend asked to stop). */
		vmm_suspend(vm, vme->u.suspended.how);
		return (false);
	default:
		return (true);
	}
}

/* An exit the engine itself reports. */
static void
engine_exit(struct vm *vm, struct vmm_vcpu *v, enum vm_exitcode code)
{
	memset(&v->exit, 0, sizeof(v->exit));
	(void)vm->ops->getreg(v->bvcpu, VM_REG_GUEST_RIP, &v->exit.rip);
	v->exit.exitcode = code;
}

int
vmm_run(struct vm *vm, int vcpuid, struct vm_exit *uvme)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);
	int idle = VCPU_IDLE;
	int how, error = 0;
	bool active;

	if (v == NULL || uvme == NULL)
		return (-EINVAL);
	pthread_mutex_lock(&vm->mtx);
	active = v->active;
	pthread_mutex_unlock(&vm->mtx);
	if (!active)
		return (-EINVAL);
	if (!atomic_compare_exchange_strong(&v->state, &idle, VCPU_RUNNING))
		return (-EBUSY);

	if (v->pending) {
		error = vm->ops->complete(v->bvcpu, &v->exit, uvme, v->restart);
		v->pending = false;
		v->restart = false;
		if (error != 0)
			goto out;
	}
	for (;;) {
		how = atomic_load(&vm->suspend);
		if (how != VM_SUSPEND_NONE) {
			engine_exit(vm, v, VM_EXITCODE_SUSPENDED);
			v->exit.u.suspended.how = how;
			atomic_store(&v->suspended, true);
			break;
		}
		if (atomic_load(&v->debug)) {
			engine_exit(vm, v, VM_EXITCODE_DEBUG);
			break;
		}
		if (!vcpu_run_state(vm, v)) {
			/* Wait for SIPI in the engine (illumos' VRS_INIT). */
			vcpu_wait(vm, v, sipi_should_wake, false);
			continue;
		}
		v->stats[VMM_STAT_RUNS]++;
		error = vm->ops->run(v->bvcpu, &v->exit);
		if (error != 0)
			goto out;
		if ((unsigned)v->exit.exitcode < VM_EXITCODE_MAX)
			v->stats[VMM_STAT_EXIT_BASE + v->exit.exitcode]++;
		if (vm_handle_exit(vm, v))
			break;
	}
	v->stats[VMM_STAT_USER_EXITS]++;
	v->pending = true;
	*uvme = v->exit;
out:
	atomic_store(&v->state, VCPU_IDLE);
	return (error);
}

/* ---- Registers and events ---- */

int
vmm_get_register(struct vm *vm, int vcpuid, int reg, uint64_t *val)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	if (reg < 0 || reg >= VM_REG_LAST)
		return (-EINVAL);
	return (vm->ops->getreg(v->bvcpu, reg, val));
}

int
vmm_set_register(struct vm *vm, int vcpuid, int reg, uint64_t val)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	if (reg < 0 || reg >= VM_REG_LAST)
		return (-EINVAL);
	return (vm->ops->setreg(v->bvcpu, reg, val));
}

int
vmm_get_desc(struct vm *vm, int vcpuid, int reg, struct seg_desc *d)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	return (vm->ops->getdesc(v->bvcpu, reg, d));
}

int
vmm_set_desc(struct vm *vm, int vcpuid, int reg, const struct seg_desc *d)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	return (vm->ops->setdesc(v->bvcpu, reg, d));
}

int
vmm_vcpu_reset(struct vm *vm, int vcpuid)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	vm->ops->vcpu_reset(v->bvcpu);
	v->pending = false;
	v->restart = false;
	return (0);
}

int
vmm_restart_instruction(struct vm *vm, int vcpuid)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	v->restart = true;
	return (0);
}

int
vmm_inject_exception(struct vm *vm, int vcpuid, int vector,
    bool errcode_valid, uint32_t errcode, bool restart)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);
	uint64_t info;

	if (v == NULL)
		return (error);
	/* Only exceptions, and never NMI this way (SDM Vol 3 6.3.1). */
	if (vector < 0 || vector >= 32 || vector == IDT_NMI)
		return (-EINVAL);
	info = VM_INTINFO_VALID | VM_INTINFO_HWEXCEPTION | (uint64_t)vector;
	if (errcode_valid)
		info |= VM_INTINFO_DEL_ERRCODE | ((uint64_t)errcode << 32);
	error = vm->ops->inject(v->bvcpu, info);
	if (error == 0 && restart)
		v->restart = true;
	return (error);
}

int
vmm_set_intinfo(struct vm *vm, int vcpuid, uint64_t info)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	if ((info & VM_INTINFO_VALID) != 0 && (info & VM_INTINFO_RSVD) != 0)
		return (-EINVAL);
	return (vm->ops->inject(v->bvcpu, info));
}

int
vmm_get_intinfo(struct vm *vm, int vcpuid, uint64_t *i1, uint64_t *i2)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	return (vm->ops->get_intinfo(v->bvcpu, i1, i2));
}

/*
 * Through the local APIC, like an NMI IPI: the backend takes it from
 * there before it runs or when it sleeps (vplatform_nmi_pending).
 */
int
vmm_inject_nmi(struct vm *vm, int vcpuid)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);

	if (v == NULL)
		return (-EINVAL);
	return (vplatform_inject_nmi(vm->plat, vcpuid));
}

static int
cap_check(struct vm *vm, struct vmm_vcpu *v, int cap)
{
	if (v == NULL || cap < 0 || cap >= VM_CAP_MAX)
		return (-EINVAL);
	if ((vm->ops->caps & (1u << cap)) == 0)
		return (-ENOENT);
	return (0);
}

int
vmm_get_capability(struct vm *vm, int vcpuid, int cap, int *val)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);
	int error = cap_check(vm, v, cap);

	if (error == 0)
		*val = v->caps[cap];
	return (error);
}

int
vmm_set_capability(struct vm *vm, int vcpuid, int cap, int val)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);
	int error = cap_check(vm, v, cap);

	if (error != 0)
		return (error);
	if (val != 0 && val != 1)
		return (-EINVAL);
	/* There is no restricted mode to fall back to. */
	if (cap == VM_CAP_UNRESTRICTED_GUEST && val == 0)
		return (-EINVAL);
	v->caps[cap] = val;
	return (0);
}

int
vmm_get_x2apic_state(struct vm *vm, int vcpuid, enum x2apic_state *s)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);

	if (v == NULL)
		return (-EINVAL);
	*s = v->x2apic;
	return (0);
}

int
vmm_set_x2apic_state(struct vm *vm, int vcpuid, enum x2apic_state s)
{
	int error;
	struct vmm_vcpu *v = vcpu_idle(vm, vcpuid, &error);

	if (v == NULL)
		return (error);
	if (s != X2APIC_DISABLED && s != X2APIC_ENABLED)
		return (-EINVAL);
	error = vplatform_set_x2apic_state(vm->plat, vcpuid,
	    s == X2APIC_ENABLED);
	if (error != 0)
		return (error);
	v->x2apic = s;
	vm->ops->set_x2apic(v->bvcpu, s == X2APIC_ENABLED);
	return (0);
}

/* ---- Statistics ---- */

int
vmm_get_stats(struct vm *vm, int vcpuid, uint64_t *buf, int nbuf)
{
	struct vmm_vcpu *v = vcpu_get(vm, vcpuid);
	int n;

	if (v == NULL || nbuf < 0)
		return (-EINVAL);
	n = nbuf < VMM_STAT_COUNT ? nbuf : VMM_STAT_COUNT;
	for (int i = 0; i < n; i++)
		buf[i] = v->stats[i];
	if (n > VMM_STAT_ICOUNT)
		buf[VMM_STAT_ICOUNT] = vm->ops->icount(v->bvcpu);
	return (n);
}

const char *
vmm_stat_desc(int index)
{
	if (index < 0 || index >= VMM_STAT_COUNT)
		return (NULL);
	return (stat_desc[index]);
}

/* ---- Interrupt entry points: the platform (vmm/io/vplatform.h) ---- */

/* enum vmm_irq_op (assert, deassert, pulse) is not vdev_irq_op's order. */
static int
irq_op(enum vmm_irq_op op, enum vdev_irq_op *dop)
{
	switch (op) {
	case VMM_IRQ_ASSERT:
		*dop = VDEV_IRQ_ASSERT;
		return (0);
	case VMM_IRQ_DEASSERT:
		*dop = VDEV_IRQ_DEASSERT;
		return (0);
	case VMM_IRQ_PULSE:
		*dop = VDEV_IRQ_PULSE;
		return (0);
	default:
		return (-EINVAL);
	}
}

int
vmm_isa_irq(struct vm *vm, int atpic_irq, int ioapic_irq, enum vmm_irq_op op)
{
	enum vdev_irq_op dop;
	int error;

	if ((error = irq_op(op, &dop)) != 0)
		return (error);
	return (vplatform_isa_irq(vm->plat, atpic_irq, ioapic_irq, dop));
}

int
vmm_ioapic_irq(struct vm *vm, int irq, enum vmm_irq_op op)
{
	enum vdev_irq_op dop;
	int error;

	if ((error = irq_op(op, &dop)) != 0)
		return (error);
	if (irq < 0 || irq >= vplatform_ioapic_pincount(vm->plat))
		return (-EINVAL);
	return (vplatform_ioapic_irq(vm->plat, irq, dop));
}

int
vmm_ioapic_pincount(struct vm *vm)
{
	return (vplatform_ioapic_pincount(vm->plat));
}

int
vmm_isa_set_irq_trigger(struct vm *vm, int irq, enum vm_intr_trigger trigger)
{
	if (trigger != EDGE_TRIGGER && trigger != LEVEL_TRIGGER)
		return (-EINVAL);
	if (irq < 0 || irq > 15)
		return (-EINVAL);
	return (vplatform_isa_set_irq_trigger(vm->plat, irq,
	    trigger == LEVEL_TRIGGER));
}

/*
 * vm_lapic_irq: a fixed, edge-triggered vector into one local APIC;
 * vm_lapic_local_irq (local): fire LVT pin `vector` of one APIC or, with
 * vcpuid -1, of all of them, as FreeBSD's lapic_set_local_intr.
 */
int
vmm_lapic_irq(struct vm *vm, int vcpuid, int vector, bool local)
{
	if (local) {
		if (vcpuid != -1 && vcpu_get(vm, vcpuid) == NULL)
			return (-EINVAL);
		return (vplatform_lapic_local_irq(vm->plat, vcpuid, vector));
	}
	if (vcpu_get(vm, vcpuid) == NULL || vector < 0 || vector > 255)
		return (-EINVAL);
	return (vplatform_lapic_irq(vm->plat, vcpuid, vector));
}

int
vmm_lapic_msi(struct vm *vm, uint64_t addr, uint64_t msg)
{
	return (vplatform_msi(vm->plat, addr, msg));
}

int
vmm_apicid2vcpu(struct vm *vm, uint32_t apicid)
{
	return (vplatform_apicid2vcpu(vm->plat, apicid));
}

/* ---- RTC and HPET ---- */

/* As FreeBSD's vrtc_nvram_*: the time registers are not NVRAM. */
int
vmm_rtc_read(struct vm *vm, int offset, uint8_t *val)
{
	struct vrtc *rtc = vplatform_vrtc(vm->plat);

	if (rtc == NULL)
		return (-ENODEV);
	return (vrtc_nvram_read(rtc, offset, val));
}

int
vmm_rtc_write(struct vm *vm, int offset, uint8_t val)
{
	struct vrtc *rtc = vplatform_vrtc(vm->plat);

	if (rtc == NULL)
		return (-ENODEV);
	return (vrtc_nvram_write(rtc, offset, val));
}

int
vmm_rtc_settime(struct vm *vm, int64_t secs)
{
	struct vrtc *rtc = vplatform_vrtc(vm->plat);

	if (rtc == NULL)
		return (-ENODEV);
	return (vrtc_set_time(rtc, secs));
}

int
vmm_rtc_gettime(struct vm *vm, int64_t *secs)
{
	struct vrtc *rtc = vplatform_vrtc(vm->plat);

	if (rtc == NULL)
		return (-ENODEV);
	*secs = vrtc_get_time(rtc);
	return (0);
}

int
vmm_get_hpet_capabilities(struct vm *vm, uint32_t *caps)
{
	(void)vm;
	*caps = (uint32_t)vhpet_capabilities();
	return (0);
}
