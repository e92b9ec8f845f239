/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Engine-internal API: what libvmmapi, the CPU backends and the in-engine
 * devices use.  Userland never includes this (DESIGN §1); it goes through
 * libvmmapi/vmmapi.h.  Names carry a vmm_ prefix so they never clash with
 * the libvmmapi functions of the same meaning.
 *
 * Errors: 0 or a negative errno.
 *
 * Shape: struct vm owns guest memory (vmm_mem.c), the in-engine port and
 * MMIO tables (vmm_ioport.c, vmm_mmio.c) and up to maxcpus vCPUs.  The CPU
 * is a backend behind struct vmm_ops, chosen at VM creation, as FreeBSD's
 * vmm.c sits over VMX and SVM.
 */
#ifndef _VMM_VMM_KERN_H_
#define _VMM_VMM_KERN_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

struct vm;
struct vmm_mem;
struct vmm_iotab;
struct vmm_mmiotab;
struct vplatform;

/* ---- CPU backend ---- */

/*
 * One CPU backend.  `backend` is the per-VM state init() returned,
 * `bvcpu` the per-vCPU state vcpu_init() returned.  run() executes the
 * vCPU until something needs the engine and describes it in *vme.  The
 * engine never reaches into backend state; backends never touch userland.
 */
struct vmm_ops {
	const char *name;
	uint32_t caps;		/* 1 << VM_CAP_*: implemented */
	int	(*init)(struct vm *vm, void **backend);
	void	(*cleanup)(void *backend);
	int	(*vcpu_init)(void *backend, int vcpuid, void **bvcpu);
	void	(*vcpu_cleanup)(void *bvcpu);
	/* Power-on / INIT state (SDM Vol 3 9.1.1). */
	void	(*vcpu_reset)(void *bvcpu);
	int	(*run)(void *bvcpu, struct vm_exit *vme);
	/*
	 * Finish an exit userland handled before the vCPU runs again:
	 * `pending` is the exit as the engine reported it, `user` what
	 * userland handed back (IN data in u.inout.eax, MMIO read data in
	 * u.mmio.data).  `restart` asks to re-execute the instruction
	 * (vm_restart_instruction) instead of completing it.
	 */
	int	(*complete)(void *bvcpu, const struct vm_exit *pending,
		    const struct vm_exit *user, bool restart);
	int	(*getreg)(void *bvcpu, int reg, uint64_t *val);
	int	(*setreg)(void *bvcpu, int reg, uint64_t val);
	int	(*getdesc)(void *bvcpu, int reg, struct seg_desc *desc);
	int	(*setdesc)(void *bvcpu, int reg,
		    const struct seg_desc *desc);
	/* Event injection: intinfo in VM_INTINFO_* layout, errcode 63:32. */
	int	(*inject)(void *bvcpu, uint64_t intinfo);
	int	(*get_intinfo)(void *bvcpu, uint64_t *i1, uint64_t *i2);
	void	(*inject_nmi)(void *bvcpu);
	/* Make run() return soon (any thread). */
	void	(*kick)(void *bvcpu);
	/*
	 * True when a halted vCPU has something to do: an NMI, or an
	 * interrupt it can take (intr_disabled: RFLAGS.IF was 0 at HLT).
	 */
	bool	(*wake_pending)(void *bvcpu, bool intr_disabled);
	uint64_t (*icount)(void *bvcpu);
	/* Guest-physical mappings changed in [gpa, gpa + len). */
	void	(*memmap_changed)(void *backend, uint64_t gpa,
		    uint64_t len);
	void	(*set_topology)(void *backend, uint16_t sockets,
		    uint16_t cores, uint16_t threads, uint16_t maxcpus);
	void	(*set_x2apic)(void *bvcpu, bool enabled);
	/*
	 * Guest TSC of a vCPU (any thread) and its rate in Hz, for the
	 * local APIC's TSC-deadline mode; NULL/0 when the backend has none.
	 */
	uint64_t (*tsc)(void *backend, int vcpuid);
	uint64_t tsc_hz;
};

extern const struct vmm_ops vmm_ops_x86;	/* vmm/x86/x86_vmm.c */

/* ---- VM lifecycle (vmm.c) ---- */

/*
 * A registry of named VMs in this process stands in for /dev/vmm.
 * vmm_vm_create fails with -EEXIST if the name is taken; lookups return
 * a VM with a reference held, dropped with vmm_vm_release().
 */
int	vmm_vm_create(const char *name, const struct vmm_ops *ops);
struct vm *vmm_vm_lookup(const char *name);
void	vmm_vm_release(struct vm *vm);
/* Unlist the VM; it is freed when the last reference goes. */
int	vmm_vm_destroy(struct vm *vm);
int	vmm_vm_reinit(struct vm *vm);
const char *vmm_vm_name(struct vm *vm);
uint16_t vmm_vm_maxcpus(struct vm *vm);

struct vmm_mem *vmm_vm_mem(struct vm *vm);
struct vmm_iotab *vmm_vm_iotab(struct vm *vm);
struct vmm_mmiotab *vmm_vm_mmiotab(struct vm *vm);
/* Backend-private per-VM state (for backends' helpers). */
void	*vmm_vm_backend(struct vm *vm);
/*
 * The in-engine PC platform (vmm/io/vplatform.h: LAPICs, IOAPIC, 8259,
 * 8254, RTC, HPET, PM timer), created with the VM, one LAPIC per
 * possible vCPU.  Backends use it for the CPU's interrupt acknowledge,
 * APIC MSRs and CR8.
 */
struct vplatform *vmm_vm_platform(struct vm *vm);

int	vmm_set_topology(struct vm *vm, uint16_t sockets, uint16_t cores,
	    uint16_t threads, uint16_t maxcpus);
void	vmm_get_topology(struct vm *vm, uint16_t *sockets, uint16_t *cores,
	    uint16_t *threads, uint16_t *maxcpus);

/* ---- Guest memory (vmm.c over vmm_mem.c; tells the backend) ---- */
int	vmm_setup_memory(struct vm *vm, size_t len);
int	vmm_alloc_devmem(struct vm *vm, int segid, const char *name,
	    size_t len, void **hostp);
int	vmm_mmap_memseg(struct vm *vm, uint64_t gpa, int segid, uint64_t off,
	    size_t len, int prot);
int	vmm_munmap_memseg(struct vm *vm, uint64_t gpa, size_t len);

/* ---- vCPUs (vmm.c) ---- */

/* Create the vCPU on first use; -EINVAL outside [0, maxcpus). */
int	vmm_vcpu_open(struct vm *vm, int vcpuid);
int	vmm_run(struct vm *vm, int vcpuid, struct vm_exit *vme);
int	vmm_get_register(struct vm *vm, int vcpuid, int reg, uint64_t *val);
int	vmm_set_register(struct vm *vm, int vcpuid, int reg, uint64_t val);
int	vmm_get_desc(struct vm *vm, int vcpuid, int reg, struct seg_desc *d);
int	vmm_set_desc(struct vm *vm, int vcpuid, int reg,
	    const struct seg_desc *d);
int	vmm_vcpu_reset(struct vm *vm, int vcpuid);
int	vmm_restart_instruction(struct vm *vm, int vcpuid);
int	vmm_inject_exception(struct vm *vm, int vcpuid, int vector,
	    bool errcode_valid, uint32_t errcode, bool restart);
int	vmm_set_intinfo(struct vm *vm, int vcpuid, uint64_t info);
int	vmm_get_intinfo(struct vm *vm, int vcpuid, uint64_t *i1,
	    uint64_t *i2);
int	vmm_inject_nmi(struct vm *vm, int vcpuid);
int	vmm_get_capability(struct vm *vm, int vcpuid, int cap, int *val);
int	vmm_set_capability(struct vm *vm, int vcpuid, int cap, int val);
int	vmm_get_x2apic_state(struct vm *vm, int vcpuid,
	    enum x2apic_state *s);
int	vmm_set_x2apic_state(struct vm *vm, int vcpuid, enum x2apic_state s);

/* Active / debug-suspended sets (vm_activate_cpu, vm_suspend_cpu). */
int	vmm_activate_cpu(struct vm *vm, int vcpuid);
int	vmm_suspend_cpu(struct vm *vm, int vcpuid);	/* -1: all */
int	vmm_resume_cpu(struct vm *vm, int vcpuid);	/* -1: all */
/*
 * The sets as bitmaps of vCPU ids: bit i of word i / 64.  `which`:
 * active (vm_activate_cpu), suspended (left vmm_run() because the VM is
 * suspended) or debug (vm_suspend_cpu).  nwords may be short.
 */
enum vmm_cpuset { VMM_CPUS_ACTIVE, VMM_CPUS_SUSPENDED, VMM_CPUS_DEBUG };
int	vmm_get_cpus(struct vm *vm, enum vmm_cpuset which, uint64_t *bits,
	    int nwords);

/*
 * vCPU run state, as illumos' VRS_*: a vCPU is either running or waiting
 * for a STARTUP IPI (SDM Vol 3A 8.4: an AP after power-on or INIT).
 * vCPU 0 (the BSP) starts in VMM_VRS_RUN, every other vCPU in
 * VMM_VRS_INIT: its vmm_run() sleeps in the engine until a SIPI arrives
 * from the guest's local APIC (bhyve's VM_EXITCODE_SPINUP_AP done in the
 * engine, as illumos does), then starts in real mode at vector << 12.
 * INIT (IPI or vmm_set_run_state) resets the vCPU to its INIT state
 * (SDM Vol 3A 9.1.1) and, but for the BSP which restarts at the reset
 * vector, makes it wait for SIPI again.  set_run_state with
 * VMM_VRS_RUN and a SIPI vector >= 0 starts it at that vector; with
 * vector -1 it just marks it running with its registers as they are.
 */
enum vmm_run_state { VMM_VRS_INIT, VMM_VRS_RUN };
int	vmm_get_run_state(struct vm *vm, int vcpuid, enum vmm_run_state *st,
	    int *sipi_vector);
int	vmm_set_run_state(struct vm *vm, int vcpuid, enum vmm_run_state st,
	    int sipi_vector);

/*
 * Suspend the whole VM: every vCPU leaves vmm_run() with
 * VM_EXITCODE_SUSPENDED.  -EALREADY if already suspended.
 */
int	vmm_suspend(struct vm *vm, enum vm_suspend_how how);
enum vm_suspend_how vmm_suspended(struct vm *vm);

/*
 * Get a vCPU's attention from any thread: kick it out of the backend and
 * wake it if halted (it re-checks why it slept).  In-engine interrupt
 * controllers call this after making an interrupt pending.
 */
void	vmm_vcpu_notify(struct vm *vm, int vcpuid);

/* ---- Statistics (vmm.c) ---- */
enum {
	VMM_STAT_ICOUNT,		/* instructions retired */
	VMM_STAT_RUNS,			/* entries into the backend */
	VMM_STAT_HLT_SLEEPS,		/* times the vCPU slept in HLT */
	VMM_STAT_USER_EXITS,		/* returns to userland */
	VMM_STAT_EXIT_BASE,		/* + exit code: exits by code */
	VMM_STAT_COUNT = VMM_STAT_EXIT_BASE + VM_EXITCODE_MAX
};
int	vmm_get_stats(struct vm *vm, int vcpuid, uint64_t *buf, int nbuf);
const char *vmm_stat_desc(int index);

/* ---- Interrupt entry points for userland devices (vmm.c) ----
 * They go to the in-engine platform (vmm/io/vplatform.h).  vmm_lapic_irq
 * with local: vector is the LVT pin (vm_lapic_local_irq), vcpuid -1 all.
 */
enum vmm_irq_op { VMM_IRQ_ASSERT, VMM_IRQ_DEASSERT, VMM_IRQ_PULSE };
int	vmm_isa_irq(struct vm *vm, int atpic_irq, int ioapic_irq,
	    enum vmm_irq_op op);
int	vmm_ioapic_irq(struct vm *vm, int irq, enum vmm_irq_op op);
int	vmm_ioapic_pincount(struct vm *vm);
int	vmm_isa_set_irq_trigger(struct vm *vm, int irq,
	    enum vm_intr_trigger trigger);
int	vmm_lapic_irq(struct vm *vm, int vcpuid, int vector, bool local);
int	vmm_lapic_msi(struct vm *vm, uint64_t addr, uint64_t msg);
int	vmm_apicid2vcpu(struct vm *vm, uint32_t apicid);

/* ---- RTC and HPET (vm_rtc_*, vm_get_hpet_capabilities) ---- */
int	vmm_rtc_read(struct vm *vm, int offset, uint8_t *val);
int	vmm_rtc_write(struct vm *vm, int offset, uint8_t val);
int	vmm_rtc_settime(struct vm *vm, int64_t secs);
int	vmm_rtc_gettime(struct vm *vm, int64_t *secs);
int	vmm_get_hpet_capabilities(struct vm *vm, uint32_t *caps);

/* ---- In-engine port devices (vmm_ioport.c) ----
 * The engine completes accesses to claimed ports itself; unclaimed ones
 * exit to userland (FreeBSD vmm_ioport.c).
 */
typedef int (*vmm_pio_fn)(void *arg, int vcpuid, bool in, uint16_t port,
    unsigned bytes, uint32_t *val);
struct vmm_iotab *vmm_iotab_create(void);
void	vmm_iotab_destroy(struct vmm_iotab *t);
int	vmm_ioport_register(struct vmm_iotab *t, uint16_t port,
	    uint32_t count, vmm_pio_fn fn, void *arg);
int	vmm_ioport_unregister(struct vmm_iotab *t, uint16_t port,
	    uint32_t count);
/* 0 when an in-engine device handled it, -ENOENT when userland must. */
int	vmm_ioport_handle(struct vmm_iotab *t, int vcpuid, uint16_t port,
	    unsigned bytes, bool in, uint32_t *val);

/* ---- In-engine MMIO devices (vmm_mmio.c) ----
 * Handler signatures match vmm/io/vdev.h's vdev_pio_fn / vdev_mmio_fn.
 */
typedef int (*vmm_mmio_fn)(void *arg, int vcpuid, bool write, uint64_t gpa,
    unsigned bytes, uint64_t *val);
struct vmm_mmiotab *vmm_mmiotab_create(void);
void	vmm_mmiotab_destroy(struct vmm_mmiotab *t);
int	vmm_mmio_register(struct vmm_mmiotab *t, uint64_t gpa, uint64_t len,
	    vmm_mmio_fn fn, void *arg);
int	vmm_mmio_unregister(struct vmm_mmiotab *t, uint64_t gpa);
/* 0 handled, -ENOENT when userland must. */
int	vmm_mmio_handle(struct vmm_mmiotab *t, int vcpuid, uint64_t gpa,
	    unsigned bytes, bool write, uint64_t *val);

#endif /* _VMM_VMM_KERN_H_ */
