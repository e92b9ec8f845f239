/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one API between userland (bhyve, bhyvectl, bhyveload, tests) and
 * the engine.  Shaped like FreeBSD's lib/libvmmapi/vmmapi.h (VMMAPI_VERSION
 * 0200): same names, argument order and meaning.  Functions return 0 or -1
 * with errno set, as the FreeBSD library does, unless noted.
 */
#ifndef _VMMAPI_H_
#define _VMMAPI_H_

#include <sys/types.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

#define	VMMAPI_VERSION	0200

/* FreeBSD's cpuset_t: a Linux cpu_set_t (CPU_SET, CPU_ISSET, ...). */
typedef cpu_set_t cpuset_t;

struct vmctx;
struct vcpu;

enum vm_mmap_style {
	VM_MMAP_NONE,
	VM_MMAP_ALL,
	VM_MMAP_SPARSE,
};

#define	VM_MEM_F_INCORE	0x01
#define	VM_MEM_F_WIRED	0x02

/* Memory segment identifiers. */
enum {
	VM_SYSMEM,
	VM_BOOTROM,
	VM_FRAMEBUFFER,
	VM_PCIROM,
};

#define	VM_LOWMEM_LIMIT		(3ULL << 30)
#define	VM_HIGHMEM_BASE		(4ULL << 30)

/* vm_openf() flags */
#define	VMMAPI_OPEN_CREATE	0x01
#define	VMMAPI_OPEN_REINIT	0x02

struct vm_run {
	int		cpuid;
	void		*cpuset;	/* for IPI exits */
	size_t		cpusetsize;
	struct vm_exit	*vm_exit;
};

/* Lifecycle */
int	vm_create(const char *name);
struct vmctx *vm_open(const char *name);
struct vmctx *vm_openf(const char *name, int flags);
void	vm_close(struct vmctx *ctx);
void	vm_destroy(struct vmctx *ctx);
int	vm_reinit(struct vmctx *ctx);
const char *vm_get_name(struct vmctx *ctx);
struct vcpu *vm_vcpu_open(struct vmctx *ctx, int vcpuid);
void	vm_vcpu_close(struct vcpu *vcpu);
int	vcpu_id(struct vcpu *vcpu);

/* Memory */
int	vm_parse_memsize(const char *optarg, size_t *memsize);
int	vm_setup_memory(struct vmctx *ctx, size_t len, enum vm_mmap_style s);
void	vm_set_memflags(struct vmctx *ctx, int flags);
int	vm_get_memflags(struct vmctx *ctx);
uint32_t vm_get_lowmem_limit(struct vmctx *ctx);
size_t	vm_get_lowmem_size(struct vmctx *ctx);
vm_paddr_t vm_get_highmem_base(struct vmctx *ctx);
size_t	vm_get_highmem_size(struct vmctx *ctx);
void	*vm_map_gpa(struct vmctx *ctx, vm_paddr_t gaddr, size_t len);
vm_paddr_t vm_rev_map_gpa(struct vmctx *ctx, void *addr);
/* As FreeBSD: the segment's host mapping, or MAP_FAILED with errno. */
void	*vm_create_devmem(struct vmctx *ctx, int segid, const char *name,
	    size_t len);
int	vm_mmap_memseg(struct vmctx *ctx, vm_paddr_t gpa, int segid,
	    vm_ooffset_t segoff, size_t len, int prot);
int	vm_munmap_memseg(struct vmctx *ctx, vm_paddr_t gpa, size_t len);

/* Registers */
int	vm_set_register(struct vcpu *vcpu, int reg, uint64_t val);
int	vm_get_register(struct vcpu *vcpu, int reg, uint64_t *retval);
int	vm_set_register_set(struct vcpu *vcpu, unsigned int count,
	    const int *regnums, uint64_t *regvals);
int	vm_get_register_set(struct vcpu *vcpu, unsigned int count,
	    const int *regnums, uint64_t *regvals);
int	vm_set_desc(struct vcpu *vcpu, int reg, uint64_t base, uint32_t limit,
	    uint32_t access);
int	vm_get_desc(struct vcpu *vcpu, int reg, uint64_t *base,
	    uint32_t *limit, uint32_t *access);
int	vm_get_seg_desc(struct vcpu *vcpu, int reg, struct seg_desc *seg_desc);
int	vcpu_reset(struct vcpu *vcpu);

/*
 * Running.  vm_run() fills *vmrun->vm_exit.  Exits complete KVM-style
 * (DESIGN §3): for an IN (VM_EXITCODE_INOUT, u.inout.in) userland stores
 * the value read in u.inout.eax, for an MMIO read in u.mmio.data, of the
 * struct vm_exit it got back, and passes that struct to the next vm_run()
 * of the vCPU, which finishes the instruction with it.  OUT and MMIO
 * writes need nothing.  RDMSR/WRMSR: as FreeBSD, userland sets RAX/RDX
 * with vm_set_register() and the next vm_run() retires the instruction;
 * after vm_inject_exception(..., restart_instruction = 1) or
 * vm_restart_instruction() the instruction is executed again instead.
 */
int	vm_run(struct vcpu *vcpu, struct vm_run *vmrun);
int	vm_suspend(struct vmctx *ctx, enum vm_suspend_how how);
int	vm_restart_instruction(struct vcpu *vcpu);
int	vm_get_intinfo(struct vcpu *vcpu, uint64_t *i1, uint64_t *i2);
int	vm_set_intinfo(struct vcpu *vcpu, uint64_t exit_intinfo);
int	vm_inject_exception(struct vcpu *vcpu, int vector, int errcode_valid,
	    uint32_t errcode, int restart_instruction);

/* Capabilities */
int	vm_capability_name2type(const char *capname);
const char *vm_capability_type2name(int type);
int	vm_get_capability(struct vcpu *vcpu, enum vm_cap_type cap, int *retval);
int	vm_set_capability(struct vcpu *vcpu, enum vm_cap_type cap, int val);

/* Interrupts */
int	vm_lapic_irq(struct vcpu *vcpu, int vector);
int	vm_lapic_local_irq(struct vcpu *vcpu, int vector);
int	vm_lapic_msi(struct vmctx *ctx, uint64_t addr, uint64_t msg);
int	vm_ioapic_assert_irq(struct vmctx *ctx, int irq);
int	vm_ioapic_deassert_irq(struct vmctx *ctx, int irq);
int	vm_ioapic_pulse_irq(struct vmctx *ctx, int irq);
int	vm_ioapic_pincount(struct vmctx *ctx, int *pincount);
int	vm_isa_assert_irq(struct vmctx *ctx, int atpic_irq, int ioapic_irq);
int	vm_isa_deassert_irq(struct vmctx *ctx, int atpic_irq, int ioapic_irq);
int	vm_isa_pulse_irq(struct vmctx *ctx, int atpic_irq, int ioapic_irq);
int	vm_isa_set_irq_trigger(struct vmctx *ctx, int atpic_irq,
	    enum vm_intr_trigger trigger);
int	vm_inject_nmi(struct vcpu *vcpu);
int	vm_get_x2apic_state(struct vcpu *vcpu, enum x2apic_state *s);
int	vm_set_x2apic_state(struct vcpu *vcpu, enum x2apic_state s);
/* The vCPU of a local APIC ID (= the vCPU id), or -1 with errno. */
int	vm_apicid2vcpu(struct vmctx *ctx, int apicid);

/* RTC (MC146818 NVRAM bytes, not the time registers) and HPET */
int	vm_rtc_write(struct vmctx *ctx, int offset, uint8_t value);
int	vm_rtc_read(struct vmctx *ctx, int offset, uint8_t *retval);
int	vm_rtc_settime(struct vmctx *ctx, time_t secs);
int	vm_rtc_gettime(struct vmctx *ctx, time_t *secs);
int	vm_get_hpet_capabilities(struct vmctx *ctx, uint32_t *capabilities);

/*
 * vCPU run state, as illumos' vm_get_run_state / vm_set_run_state: an AP
 * waits for SIPI (VRS_INIT) inside vm_run() until the guest starts it
 * with INIT/SIPI IPIs; vCPU 0 starts in VRS_RUN.  Setting VRS_INIT
 * resets the vCPU to its INIT state; VRS_RUN marks it running with the
 * registers it has; VRS_RUN | VRS_PEND_SIPI starts it in real mode at
 * sipi_vec << 12 as a STARTUP IPI would.  The vCPU must not be running.
 */
enum vcpu_run_state {
	VRS_HALT = 0,
	VRS_INIT = (1 << 0),
	VRS_RUN = (1 << 1),
	VRS_PEND_INIT = (1 << 14),
	VRS_PEND_SIPI = (1 << 15),
};
int	vm_get_run_state(struct vcpu *vcpu, enum vcpu_run_state *state,
	    uint8_t *sipi_vec);
int	vm_set_run_state(struct vcpu *vcpu, enum vcpu_run_state state,
	    uint8_t sipi_vec);

/* Topology and CPU sets (cpuset_t is a Linux cpu_set_t here) */
int	vm_set_topology(struct vmctx *ctx, uint16_t sockets, uint16_t cores,
	    uint16_t threads, uint16_t maxcpus);
int	vm_get_topology(struct vmctx *ctx, uint16_t *sockets, uint16_t *cores,
	    uint16_t *threads, uint16_t *maxcpus);
int	vm_activate_cpu(struct vcpu *vcpu);
int	vm_suspend_cpu(struct vcpu *vcpu);
int	vm_resume_cpu(struct vcpu *vcpu);
int	vm_suspend_all_cpus(struct vmctx *ctx);
int	vm_resume_all_cpus(struct vmctx *ctx);
/*
 * Active (vm_activate_cpu), suspended (left vm_run() because the VM is
 * suspended) and debug (vm_suspend_cpu) vCPUs.
 */
int	vm_active_cpus(struct vmctx *ctx, cpuset_t *cpus);
int	vm_suspended_cpus(struct vmctx *ctx, cpuset_t *cpus);
int	vm_debug_cpus(struct vmctx *ctx, cpuset_t *cpus);

/* Statistics */
uint64_t *vm_get_stats(struct vcpu *vcpu, struct timeval *ret_tv,
	    int *ret_entries);
const char *vm_get_stat_desc(struct vmctx *ctx, int index);

/*
 * Named VMs that outlive their process (libvmmapi/vmmapi_persist.c), the
 * /dev/vmm/NAME of this implementation: a directory under the state root
 * (BHYVE_STATE_DIR, else /dev/shm/bhyve, else $XDG_RUNTIME_DIR/bhyve or
 * /tmp/bhyve-UID) holding the sysmem file and a state file.  Created by
 * vm_openf(..., VMMAPI_OPEN_CREATE | VMMAPI_OPEN_PERSIST) (bhyveload,
 * bhyvectl --create); vm_open() of a name not in this process attaches
 * to it; vm_destroy() removes it.  Plain vm_create() stays in-process.
 */
#define	VMMAPI_OPEN_PERSIST	0x100

/* At most this many registers and descriptors in a saved vCPU. */
#define	VM_STATE_MAXENT		64

struct vm_state_ent {
	int		reg;		/* VM_REG_GUEST_* */
	bool		desc;		/* a descriptor, else a register */
	uint64_t	val;		/* register value */
	struct seg_desc	sd;		/* descriptor */
};

/* The state file: what bhyveload leaves for bhyve. */
struct vm_saved_state {
	uint64_t	memsize;	/* 0: no memory set up yet */
	int		memflags;
	uint16_t	sockets, cores, threads;
	bool		loaded;		/* vCPU 0 registers below are valid */
	int		nent;		/* applied in this order */
	struct vm_state_ent ent[VM_STATE_MAXENT];
};

/* The state root ("" never); -1 with errno (ENAMETOOLONG). */
int	vm_state_root(char *buf, size_t len);
bool	vm_is_persistent(struct vmctx *ctx);
/* Does a persistent VM of that name exist? */
bool	vm_persist_exists(const char *name);
int	vm_read_state(const char *name, struct vm_saved_state *st);
int	vm_write_state(const char *name, const struct vm_saved_state *st);
/* vCPU registers to / from a saved state (loader's set, in order). */
int	vm_save_vcpu_state(struct vcpu *vcpu, struct vm_saved_state *st);
int	vm_restore_vcpu_state(struct vcpu *vcpu,
	    const struct vm_saved_state *st);
/* The state file's text form; parse returns 0 or -1 (EINVAL). */
int	vm_state_parse(const char *buf, size_t len, struct vm_saved_state *st);
/* Bytes needed (without NUL), as snprintf. */
int	vm_state_format(char *buf, size_t len, const struct vm_saved_state *st);

#endif /* _VMMAPI_H_ */
