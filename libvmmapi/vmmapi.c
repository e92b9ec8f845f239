/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmmapi over the in-process engine.  Where FreeBSD's library issues
 * ioctls on /dev/vmm/<name>, this one calls the engine (vmm/vmm_kern.h)
 * directly; semantics, names and errors follow FreeBSD's vmmapi.c: 0 or
 * -1 with errno.
 *
 * VMs are found by name in the engine's registry, so vm_create() and
 * vm_open() pair as they do on FreeBSD.  A VM that outlives its process
 * (bhyveload, then bhyve) is a directory of files: vm_openf() with
 * VMMAPI_OPEN_PERSIST creates one, vm_open() attaches to one not in this
 * process's registry (vmmapi_persist.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "libvmmapi/vmmapi.h"
#include "libvmmapi/vmmapi_persist.h"
#include "vmm/vmm_kern.h"
#include "vmm/vmm_mem.h"

/* Words of vCPU bitmap: the engine has at most 256 vCPUs. */
#define	VM_MAXCPU_WORDS	4

struct vmctx {
	struct vm	*vm;		/* referenced */
	char		*name;
	int		memflags;
	bool		persistent;	/* backed by vmmapi_persist.c files */
};

struct vcpu {
	struct vmctx	*ctx;
	int		vcpuid;
	uint64_t	stats[VMM_STAT_COUNT];	/* for vm_get_stats() */
};

/* Names as FreeBSD's vm_capability_name2type (bhyvectl --capname). */
static const char *const capnames[VM_CAP_MAX] = {
	[VM_CAP_HALT_EXIT] = "hlt_exit",
	[VM_CAP_MTRAP_EXIT] = "mtrap_exit",
	[VM_CAP_PAUSE_EXIT] = "pause_exit",
	[VM_CAP_UNRESTRICTED_GUEST] = "unrestricted_guest",
	[VM_CAP_ENABLE_INVPCID] = "enable_invpcid",
	[VM_CAP_BPT_EXIT] = "bpt_exit",
	[VM_CAP_RDPID] = "rdpid",
	[VM_CAP_RDTSCP] = "rdtscp",
	[VM_CAP_IPI_EXIT] = "ipi_exit",
	[VM_CAP_MASK_HWINTR] = "mask_hwintr",
	[VM_CAP_RFLAGS_TF] = "rflags_tf",
};

/* Engine result (0 / -errno) to library result (0 / -1 + errno). */
static int
ret(int error)
{
	if (error < 0) {
		errno = -error;
		return (-1);
	}
	return (error);
}

static struct vm *
vm_of(struct vcpu *vcpu)
{
	return (vcpu->ctx->vm);
}

/* ---- Lifecycle ---- */

int
vm_create(const char *name)
{
	return (ret(vmm_vm_create(name, NULL)));
}

struct vmctx *
vm_open(const char *name)
{
	struct vmctx *ctx;
	struct vm *vm;

	vm = vmm_vm_lookup(name);
	/* Not in this process: a persistent VM is attached to. */
	if (vm == NULL && vm_persist_exists(name)) {
		(void)vmm_vm_create(name, NULL);
		vm = vmm_vm_lookup(name);
	}
	if (vm == NULL) {
		errno = ENOENT;
		return (NULL);
	}
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL || (ctx->name = strdup(name)) == NULL) {
		free(ctx);
		vmm_vm_release(vm);
		errno = ENOMEM;
		return (NULL);
	}
	ctx->vm = vm;
	ctx->persistent = vm_persist_exists(name);
	return (ctx);
}

struct vmctx *
vm_openf(const char *name, int flags)
{
	struct vmctx *ctx;
	bool created = false;
	int error;

	if ((flags & VMMAPI_OPEN_CREATE) != 0) {
		if ((flags & VMMAPI_OPEN_PERSIST) != 0)
			error = vmp_create(name);
		else if (vm_persist_exists(name))
			error = -EEXIST;	/* vm_open attaches to it */
		else
			error = vmm_vm_create(name, NULL);
		if (error == 0)
			created = true;
		else if (error != -EEXIST) {
			errno = -error;
			return (NULL);
		}
	}
	ctx = vm_open(name);
	if (ctx == NULL)
		return (NULL);
	if ((flags & VMMAPI_OPEN_REINIT) != 0 && !created &&
	    vm_reinit(ctx) != 0) {
		error = errno;
		vm_close(ctx);
		errno = error;
		return (NULL);
	}
	return (ctx);
}

void
vm_close(struct vmctx *ctx)
{
	if (ctx == NULL)
		return;
	vmm_vm_release(ctx->vm);
	free(ctx->name);
	free(ctx);
}

void
vm_destroy(struct vmctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->persistent)
		(void)vmp_remove(ctx->name);
	(void)vmm_vm_destroy(ctx->vm);
	vm_close(ctx);
}

int
vm_reinit(struct vmctx *ctx)
{
	return (ret(vmm_vm_reinit(ctx->vm)));
}

bool
vm_is_persistent(struct vmctx *ctx)
{
	return (ctx->persistent);
}

const char *
vm_get_name(struct vmctx *ctx)
{
	return (ctx->name);
}

struct vcpu *
vm_vcpu_open(struct vmctx *ctx, int vcpuid)
{
	struct vcpu *vcpu;
	int error;

	error = vmm_vcpu_open(ctx->vm, vcpuid);
	if (error != 0) {
		errno = -error;
		return (NULL);
	}
	vcpu = calloc(1, sizeof(*vcpu));
	if (vcpu == NULL)
		return (NULL);
	vcpu->ctx = ctx;
	vcpu->vcpuid = vcpuid;
	return (vcpu);
}

void
vm_vcpu_close(struct vcpu *vcpu)
{
	free(vcpu);
}

int
vcpu_id(struct vcpu *vcpu)
{
	return (vcpu->vcpuid);
}

/* ---- Memory ---- */

int
vm_setup_memory(struct vmctx *ctx, size_t len, enum vm_mmap_style s)
{
	if (s != VM_MMAP_NONE && s != VM_MMAP_ALL && s != VM_MMAP_SPARSE) {
		errno = EINVAL;
		return (-1);
	}
	/*
	 * Guest memory stays out of core dumps unless asked (bhyve -C).
	 * VM_MEM_F_WIRED is accepted and not applied: only PCI passthrough
	 * needs wired memory, and there is none.
	 */
	vmm_mem_set_dump(vmm_vm_mem(ctx->vm),
	    (ctx->memflags & VM_MEM_F_INCORE) != 0);
	if (ctx->persistent) {
		int fd, error;

		fd = vmp_sysmem_fd(ctx->name, len, ctx->memflags);
		if (fd < 0)
			return (ret(fd));
		error = vmm_mem_set_backing(vmm_vm_mem(ctx->vm), VM_SYSMEM, fd);
		close(fd);
		if (error != 0)
			return (ret(error));
	}
	return (ret(vmm_setup_memory(ctx->vm, len)));
}

void
vm_set_memflags(struct vmctx *ctx, int flags)
{
	ctx->memflags = flags;
}

int
vm_get_memflags(struct vmctx *ctx)
{
	return (ctx->memflags);
}

uint32_t
vm_get_lowmem_limit(struct vmctx *ctx)
{
	(void)ctx;
	return ((uint32_t)VM_LOWMEM_LIMIT);
}

size_t
vm_get_lowmem_size(struct vmctx *ctx)
{
	return (vmm_mem_lowmem(vmm_vm_mem(ctx->vm)));
}

vm_paddr_t
vm_get_highmem_base(struct vmctx *ctx)
{
	(void)ctx;
	return (VM_HIGHMEM_BASE);
}

size_t
vm_get_highmem_size(struct vmctx *ctx)
{
	return (vmm_mem_highmem(vmm_vm_mem(ctx->vm)));
}

void *
vm_map_gpa(struct vmctx *ctx, vm_paddr_t gaddr, size_t len)
{
	return (vmm_mem_map_gpa(vmm_vm_mem(ctx->vm), gaddr, len));
}

vm_paddr_t
vm_rev_map_gpa(struct vmctx *ctx, void *addr)
{
	return (vmm_mem_rev_map(vmm_vm_mem(ctx->vm), addr));
}

void *
vm_create_devmem(struct vmctx *ctx, int segid, const char *name, size_t len)
{
	void *host;
	int error;

	error = vmm_alloc_devmem(ctx->vm, segid, name, len, &host);
	if (error != 0) {
		errno = -error;
		return (MAP_FAILED);
	}
	return (host);
}

int
vm_mmap_memseg(struct vmctx *ctx, vm_paddr_t gpa, int segid,
    vm_ooffset_t segoff, size_t len, int prot)
{
	if (segoff < 0) {
		errno = EINVAL;
		return (-1);
	}
	return (ret(vmm_mmap_memseg(ctx->vm, gpa, segid, (uint64_t)segoff, len,
	    prot)));
}

int
vm_munmap_memseg(struct vmctx *ctx, vm_paddr_t gpa, size_t len)
{
	return (ret(vmm_munmap_memseg(ctx->vm, gpa, len)));
}

/* ---- Registers ---- */

int
vm_set_register(struct vcpu *vcpu, int reg, uint64_t val)
{
	return (ret(vmm_set_register(vm_of(vcpu), vcpu->vcpuid, reg, val)));
}

int
vm_get_register(struct vcpu *vcpu, int reg, uint64_t *retval)
{
	return (ret(vmm_get_register(vm_of(vcpu), vcpu->vcpuid, reg, retval)));
}

int
vm_set_register_set(struct vcpu *vcpu, unsigned int count,
    const int *regnums, uint64_t *regvals)
{
	for (unsigned int i = 0; i < count; i++)
		if (vm_set_register(vcpu, regnums[i], regvals[i]) != 0)
			return (-1);
	return (0);
}

int
vm_get_register_set(struct vcpu *vcpu, unsigned int count,
    const int *regnums, uint64_t *regvals)
{
	for (unsigned int i = 0; i < count; i++)
		if (vm_get_register(vcpu, regnums[i], &regvals[i]) != 0)
			return (-1);
	return (0);
}

int
vm_set_desc(struct vcpu *vcpu, int reg, uint64_t base, uint32_t limit,
    uint32_t access)
{
	struct seg_desc d = { base, limit, access };

	return (ret(vmm_set_desc(vm_of(vcpu), vcpu->vcpuid, reg, &d)));
}

int
vm_get_desc(struct vcpu *vcpu, int reg, uint64_t *base, uint32_t *limit,
    uint32_t *access)
{
	struct seg_desc d;
	int error;

	error = vmm_get_desc(vm_of(vcpu), vcpu->vcpuid, reg, &d);
	if (error != 0)
		return (ret(error));
	*base = d.base;
	*limit = d.limit;
	*access = d.access;
	return (0);
}

int
vm_get_seg_desc(struct vcpu *vcpu, int reg, struct seg_desc *seg_desc)
{
	return (ret(vmm_get_desc(vm_of(vcpu), vcpu->vcpuid, reg, seg_desc)));
}

int
vcpu_reset(struct vcpu *vcpu)
{
	return (ret(vmm_vcpu_reset(vm_of(vcpu), vcpu->vcpuid)));
}

/* ---- Running ---- */

int
vm_run(struct vcpu *vcpu, struct vm_run *vmrun)
{
	if (vmrun == NULL || vmrun->vm_exit == NULL) {
		errno = EINVAL;
		return (-1);
	}
	return (ret(vmm_run(vm_of(vcpu), vcpu->vcpuid, vmrun->vm_exit)));
}

int
vm_suspend(struct vmctx *ctx, enum vm_suspend_how how)
{
	return (ret(vmm_suspend(ctx->vm, how)));
}

int
vm_restart_instruction(struct vcpu *vcpu)
{
	return (ret(vmm_restart_instruction(vm_of(vcpu), vcpu->vcpuid)));
}

int
vm_get_intinfo(struct vcpu *vcpu, uint64_t *i1, uint64_t *i2)
{
	return (ret(vmm_get_intinfo(vm_of(vcpu), vcpu->vcpuid, i1, i2)));
}

int
vm_set_intinfo(struct vcpu *vcpu, uint64_t exit_intinfo)
{
	return (ret(vmm_set_intinfo(vm_of(vcpu), vcpu->vcpuid, exit_intinfo)));
}

int
vm_inject_exception(struct vcpu *vcpu, int vector, int errcode_valid,
    uint32_t errcode, int restart_instruction)
{
	return (ret(vmm_inject_exception(vm_of(vcpu), vcpu->vcpuid, vector,
	    errcode_valid != 0, errcode, restart_instruction != 0)));
}

/* ---- Capabilities ---- */

int
vm_capability_name2type(const char *capname)
{
	for (int i = 0; i < VM_CAP_MAX; i++)
		if (capnames[i] != NULL && strcmp(capnames[i], capname) == 0)
			return (i);
	return (-1);
}

const char *
vm_capability_type2name(int type)
{
	if (type < 0 || type >= VM_CAP_MAX)
		return (NULL);
	return (capnames[type]);
}

int
vm_get_capability(struct vcpu *vcpu, enum vm_cap_type cap, int *retval)
{
	return (ret(vmm_get_capability(vm_of(vcpu), vcpu->vcpuid, cap,
	    retval)));
}

int
vm_set_capability(struct vcpu *vcpu, enum vm_cap_type cap, int val)
{
	return (ret(vmm_set_capability(vm_of(vcpu), vcpu->vcpuid, cap, val)));
}

/* ---- Interrupts ---- */

int
vm_lapic_irq(struct vcpu *vcpu, int vector)
{
	return (ret(vmm_lapic_irq(vm_of(vcpu), vcpu->vcpuid, vector, false)));
}

int
vm_lapic_local_irq(struct vcpu *vcpu, int vector)
{
	return (ret(vmm_lapic_irq(vm_of(vcpu), vcpu->vcpuid, vector, true)));
}

int
vm_lapic_msi(struct vmctx *ctx, uint64_t addr, uint64_t msg)
{
	return (ret(vmm_lapic_msi(ctx->vm, addr, msg)));
}

int
vm_ioapic_assert_irq(struct vmctx *ctx, int irq)
{
	return (ret(vmm_ioapic_irq(ctx->vm, irq, VMM_IRQ_ASSERT)));
}

int
vm_ioapic_deassert_irq(struct vmctx *ctx, int irq)
{
	return (ret(vmm_ioapic_irq(ctx->vm, irq, VMM_IRQ_DEASSERT)));
}

int
vm_ioapic_pulse_irq(struct vmctx *ctx, int irq)
{
	return (ret(vmm_ioapic_irq(ctx->vm, irq, VMM_IRQ_PULSE)));
}

int
vm_ioapic_pincount(struct vmctx *ctx, int *pincount)
{
	*pincount = vmm_ioapic_pincount(ctx->vm);
	return (0);
}

int
vm_isa_assert_irq(struct vmctx *ctx, int atpic_irq, int ioapic_irq)
{
	return (ret(vmm_isa_irq(ctx->vm, atpic_irq, ioapic_irq,
	    VMM_IRQ_ASSERT)));
}

int
vm_isa_deassert_irq(struct vmctx *ctx, int atpic_irq, int ioapic_irq)
{
	return (ret(vmm_isa_irq(ctx->vm, atpic_irq, ioapic_irq,
	    VMM_IRQ_DEASSERT)));
}

int
vm_isa_pulse_irq(struct vmctx *ctx, int atpic_irq, int ioapic_irq)
{
	return (ret(vmm_isa_irq(ctx->vm, atpic_irq, ioapic_irq,
	    VMM_IRQ_PULSE)));
}

int
vm_isa_set_irq_trigger(struct vmctx *ctx, int atpic_irq,
    enum vm_intr_trigger trigger)
{
	return (ret(vmm_isa_set_irq_trigger(ctx->vm, atpic_irq, trigger)));
}

int
vm_inject_nmi(struct vcpu *vcpu)
{
	return (ret(vmm_inject_nmi(vm_of(vcpu), vcpu->vcpuid)));
}

int
vm_get_x2apic_state(struct vcpu *vcpu, enum x2apic_state *s)
{
	return (ret(vmm_get_x2apic_state(vm_of(vcpu), vcpu->vcpuid, s)));
}

int
vm_set_x2apic_state(struct vcpu *vcpu, enum x2apic_state s)
{
	return (ret(vmm_set_x2apic_state(vm_of(vcpu), vcpu->vcpuid, s)));
}

int
vm_apicid2vcpu(struct vmctx *ctx, int apicid)
{
	if (apicid < 0) {
		errno = EINVAL;
		return (-1);
	}
	return (ret(vmm_apicid2vcpu(ctx->vm, (uint32_t)apicid)));
}

/* ---- RTC and HPET ---- */

int
vm_rtc_write(struct vmctx *ctx, int offset, uint8_t value)
{
	return (ret(vmm_rtc_write(ctx->vm, offset, value)));
}

int
vm_rtc_read(struct vmctx *ctx, int offset, uint8_t *retval)
{
	return (ret(vmm_rtc_read(ctx->vm, offset, retval)));
}

int
vm_rtc_settime(struct vmctx *ctx, time_t secs)
{
	return (ret(vmm_rtc_settime(ctx->vm, (int64_t)secs)));
}

int
vm_rtc_gettime(struct vmctx *ctx, time_t *secs)
{
	int64_t t;
	int error;

	error = vmm_rtc_gettime(ctx->vm, &t);
	if (error == 0)
		*secs = (time_t)t;
	return (ret(error));
}

int
vm_get_hpet_capabilities(struct vmctx *ctx, uint32_t *capabilities)
{
	return (ret(vmm_get_hpet_capabilities(ctx->vm, capabilities)));
}

/* ---- Run state (illumos) ---- */

int
vm_get_run_state(struct vcpu *vcpu, enum vcpu_run_state *state,
    uint8_t *sipi_vec)
{
	enum vmm_run_state st;
	int vec, error;

	error = vmm_get_run_state(vm_of(vcpu), vcpu->vcpuid, &st, &vec);
	if (error != 0)
		return (ret(error));
	*state = st == VMM_VRS_RUN ? VRS_RUN : VRS_INIT;
	if (vec >= 0)
		*state |= VRS_PEND_SIPI;
	if (sipi_vec != NULL)
		*sipi_vec = vec >= 0 ? (uint8_t)vec : 0;
	return (0);
}

int
vm_set_run_state(struct vcpu *vcpu, enum vcpu_run_state state,
    uint8_t sipi_vec)
{
	enum vmm_run_state st;
	int vec = -1;

	if ((state & VRS_PEND_SIPI) != 0) {
		st = VMM_VRS_RUN;
		vec = sipi_vec;
	} else if ((state & VRS_RUN) != 0) {
		st = VMM_VRS_RUN;
	} else if ((state & (VRS_INIT | VRS_PEND_INIT)) != 0) {
		st = VMM_VRS_INIT;
	} else {
		errno = EINVAL;
		return (-1);
	}
	return (ret(vmm_set_run_state(vm_of(vcpu), vcpu->vcpuid, st, vec)));
}

/* ---- Topology and CPU sets ---- */

int
vm_set_topology(struct vmctx *ctx, uint16_t sockets, uint16_t cores,
    uint16_t threads, uint16_t maxcpus)
{
	return (ret(vmm_set_topology(ctx->vm, sockets, cores, threads,
	    maxcpus)));
}

int
vm_get_topology(struct vmctx *ctx, uint16_t *sockets, uint16_t *cores,
    uint16_t *threads, uint16_t *maxcpus)
{
	vmm_get_topology(ctx->vm, sockets, cores, threads, maxcpus);
	return (0);
}

int
vm_activate_cpu(struct vcpu *vcpu)
{
	return (ret(vmm_activate_cpu(vm_of(vcpu), vcpu->vcpuid)));
}

int
vm_suspend_cpu(struct vcpu *vcpu)
{
	return (ret(vmm_suspend_cpu(vm_of(vcpu), vcpu->vcpuid)));
}

int
vm_resume_cpu(struct vcpu *vcpu)
{
	return (ret(vmm_resume_cpu(vm_of(vcpu), vcpu->vcpuid)));
}

int
vm_suspend_all_cpus(struct vmctx *ctx)
{
	return (ret(vmm_suspend_cpu(ctx->vm, -1)));
}

int
vm_resume_all_cpus(struct vmctx *ctx)
{
	return (ret(vmm_resume_cpu(ctx->vm, -1)));
}

static int
get_cpus(struct vmctx *ctx, enum vmm_cpuset which, cpuset_t *cpus)
{
	uint64_t bits[(VM_MAXCPU_WORDS)];
	int error;

	error = vmm_get_cpus(ctx->vm, which, bits, VM_MAXCPU_WORDS);
	if (error != 0)
		return (ret(error));
	CPU_ZERO(cpus);
	for (int i = 0; i < VM_MAXCPU_WORDS * 64 && i < CPU_SETSIZE; i++)
		if (bits[i / 64] & (1ull << (i % 64)))
			CPU_SET(i, cpus);
	return (0);
}

int
vm_active_cpus(struct vmctx *ctx, cpuset_t *cpus)
{
	return (get_cpus(ctx, VMM_CPUS_ACTIVE, cpus));
}

int
vm_suspended_cpus(struct vmctx *ctx, cpuset_t *cpus)
{
	return (get_cpus(ctx, VMM_CPUS_SUSPENDED, cpus));
}

int
vm_debug_cpus(struct vmctx *ctx, cpuset_t *cpus)
{
	return (get_cpus(ctx, VMM_CPUS_DEBUG, cpus));
}

/* ---- Statistics ---- */

uint64_t *
vm_get_stats(struct vcpu *vcpu, struct timeval *ret_tv, int *ret_entries)
{
	int n;

	n = vmm_get_stats(vm_of(vcpu), vcpu->vcpuid, vcpu->stats,
	    VMM_STAT_COUNT);
	if (n < 0) {
		errno = -n;
		return (NULL);
	}
	if (ret_tv != NULL)
		gettimeofday(ret_tv, NULL);
	if (ret_entries != NULL)
		*ret_entries = n;
	return (vcpu->stats);
}

const char *
vm_get_stat_desc(struct vmctx *ctx, int index)
{
	(void)ctx;
	return (vmm_stat_desc(index));
}
