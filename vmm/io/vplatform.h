/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-engine platform: one object that creates and wires the clock,
 * the callout wheel, a local APIC per vCPU, the I/O APIC, the 8259 pair,
 * the 8254, the RTC, the HPET and the ACPI PM timer, and gives the
 * engine one face for all of them: port and MMIO dispatch, the APIC
 * MSRs, the CPU's interrupt acknowledge cycle, and bhyve's
 * interrupt-injection calls (reference section 6: vm_lapic_irq ...
 * vm_inject_nmi).
 *
 * Wiring (as on a PC and in bhyve):
 * - ISA IRQ n -> 8259 input n and IOAPIC pin n, except IRQ0 (PIT) which
 *   is IOAPIC pin 2 (devices pass both numbers to vdev_intr.isa).
 * - 8259 INTR output -> LINT0 of every local APIC (ExtINT when LINT0 is
 *   so programmed, or always while the APIC is disabled) and a pulse on
 *   IOAPIC pin 0.
 * - IOAPIC, MSI and IPIs -> local APICs by destination (physical,
 *   flat/cluster logical, x2APIC cluster; broadcast; lowest priority
 *   picks the lowest TPR, ties round-robin).  INIT and SIPI go to the
 *   engine through vplatform_ops.
 * - EOI of a level-triggered vector -> IOAPIC (Remote IRR).
 * - RTC -> IRQ 8; HPET timers -> IOAPIC pins 24-31 or MSI (FSB); the PM
 *   timer raises nothing.
 *
 * Errors: 0, or a negative errno.  Entry points may be called from any
 * thread unless marked "vCPU thread".
 *
 * Plugging it into the engine:
 * - VM creation: vplatform_create(maxcpus, &ops) with ops.notify =
 *   vmm_vcpu_notify, init_ipi/sipi = the vCPU start-up state machine,
 *   tsc/tsc_hz = the CPU's TSC (enables TSC-deadline; advertise
 *   CPUID.1:ECX[24] only then).  Register vplatform_port_range() and
 *   vplatform_mmio_range() entries in the engine's tables with
 *   vplatform_pio_handler / vplatform_mmio_handler and dev = p.
 *   vplatform_destroy() after every vCPU thread has stopped.
 * - CPU bus: rdmsr/wrmsr try vplatform_rdmsr/wrmsr first (0 done,
 *   -EINVAL #GP, -ENOENT carry on); intr_pending/intr_accept map to
 *   vplatform_pending_intr/intr_accepted; before each run and in the
 *   HLT wake check, move vplatform_nmi_pending() into the CPU's NMI
 *   latch and call vplatform_nmi_accepted().
 * - libvmmapi entry points map one to one onto the injection API below
 *   (mind that enum vmm_irq_op and enum vdev_irq_op differ in order).
 */
#ifndef _VMM_IO_VPLATFORM_H_
#define _VMM_IO_VPLATFORM_H_

#include <stdbool.h>
#include <stdint.h>

#include "vmm/io/vdev.h"

struct vplatform;

/* What the engine provides. */
struct vplatform_ops {
	void	*arg;
	/* Something became pending for vcpu: kick it / wake it from HLT. */
	void	(*notify)(void *arg, int vcpu);
	/*
	 * INIT and STARTUP IPIs (SDM Vol 3A 8.4.4): the engine resets the
	 * vCPU / starts it at vector << 12 if it waits for SIPI.  The
	 * local APIC's INIT reset is already done when init_ipi is called.
	 * These may be called with the IOAPIC lock held: they must not
	 * call back into the platform's interrupt inputs.
	 */
	void	(*init_ipi)(void *arg, int vcpu);
	void	(*sipi)(void *arg, int vcpu, int vector);
	/* Guest TSC and its rate; NULL/0: no TSC-deadline timer. */
	uint64_t (*tsc)(void *arg, int vcpu);
	uint64_t tsc_hz;
};

struct vplatform_config {
	const struct vdev_clock *clock;	/* NULL: host CLOCK_MONOTONIC */
	bool	manual_timers;		/* no timer thread: tests call
					   vplatform_run_timers() */
};

struct vplatform *vplatform_create(int ncpus, const struct vplatform_ops *ops);
struct vplatform *vplatform_create_cfg(int ncpus,
	    const struct vplatform_ops *ops,
	    const struct vplatform_config *cfg);
void	vplatform_destroy(struct vplatform *p);
/*
 * Guest reset (VM reinit): all devices to power-on state except the RTC,
 * whose time and NVRAM survive.  Only while no vCPU runs; -ENOMEM if a
 * device could not be recreated (the platform is then unusable).
 */
int	vplatform_reset(struct vplatform *p);
int	vplatform_ncpus(const struct vplatform *p);
/* Fire due timers now (manual wheels; tests).  Returns how many. */
int	vplatform_run_timers(struct vplatform *p);

/*
 * Guest port and MMIO accesses (vCPU thread): 0 handled (a device that
 * rejects the access form reads all-ones and drops the write), -ENOENT
 * not an in-engine device (the engine exits to userland).  MMIO covers
 * each vCPU's own LAPIC page, the IOAPIC and the HPET.
 */
int	vplatform_pio(struct vplatform *p, int vcpu, bool in, uint16_t port,
	    unsigned bytes, uint32_t *val);
int	vplatform_mmio(struct vplatform *p, int vcpu, bool write, uint64_t gpa,
	    unsigned bytes, uint64_t *val);
/* vdev_pio_fn / vdev_mmio_fn shaped, dev = the platform. */
int	vplatform_pio_handler(void *dev, int vcpu, bool in, uint16_t port,
	    unsigned bytes, uint32_t *val);
int	vplatform_mmio_handler(void *dev, int vcpu, bool write, uint64_t gpa,
	    unsigned bytes, uint64_t *val);
/*
 * The ranges the platform claims, to register in the engine's port and
 * MMIO tables with the handlers above: index 0.. until -ENOENT.
 */
int	vplatform_port_range(struct vplatform *p, int idx, uint16_t *port,
	    uint32_t *count);
int	vplatform_mmio_range(struct vplatform *p, int idx, uint64_t *gpa,
	    uint64_t *len);

/*
 * MSRs (vCPU thread): IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC
 * 0x800-0x8FF.  0 done, -EINVAL raise #GP, -ENOENT not ours.
 */
int	vplatform_rdmsr(struct vplatform *p, int vcpu, uint32_t msr,
	    uint64_t *val);
int	vplatform_wrmsr(struct vplatform *p, int vcpu, uint32_t msr,
	    uint64_t val);
/* CR8 = TPR[7:4] (vCPU thread, MOV to/from CR8). */
uint64_t vplatform_get_cr8(struct vplatform *p, int vcpu);
void	vplatform_set_cr8(struct vplatform *p, int vcpu, uint64_t cr8);

/*
 * Interrupt acknowledge (vCPU thread).  pending_intr: the vector the CPU
 * should take if RFLAGS.IF allows (local APIC first, then the 8259 via
 * ExtINT); intr_accepted: the CPU took that vector (call it only after
 * pending_intr returned it).  The x86_bus adapter is
 *	int v; return (vplatform_pending_intr(p, vcpu, &v) ? v : -1);
 */
bool	vplatform_pending_intr(struct vplatform *p, int vcpu, int *vector);
void	vplatform_intr_accepted(struct vplatform *p, int vcpu, int vector);
bool	vplatform_nmi_pending(struct vplatform *p, int vcpu);
void	vplatform_nmi_accepted(struct vplatform *p, int vcpu);

/* ---- Injection API (libvmmapi, reference section 6) ---- */
int	vplatform_lapic_irq(struct vplatform *p, int vcpu, int vector);
int	vplatform_lapic_local_irq(struct vplatform *p, int vcpu, int lvt);
int	vplatform_msi(struct vplatform *p, uint64_t addr, uint64_t data);
int	vplatform_ioapic_irq(struct vplatform *p, int pin, enum vdev_irq_op op);
int	vplatform_ioapic_pincount(struct vplatform *p);
int	vplatform_isa_irq(struct vplatform *p, int atpic_irq, int ioapic_pin,
	    enum vdev_irq_op op);
int	vplatform_isa_set_irq_trigger(struct vplatform *p, int irq,
	    bool level);
int	vplatform_inject_nmi(struct vplatform *p, int vcpu);
/* x2APIC capability per vCPU (bhyve's x2apic_state). */
int	vplatform_set_x2apic_state(struct vplatform *p, int vcpu, bool on);
int	vplatform_get_x2apic_state(struct vplatform *p, int vcpu, bool *on);
/* The local APIC ID is the vCPU id (vm_apicid2vcpu). */
int	vplatform_apicid2vcpu(struct vplatform *p, uint32_t apicid);

/* Counters of ignored bad requests (MSI with a bad address, ...). */
uint64_t vplatform_bad_msi(struct vplatform *p);

/*
 * Save/restore: record idx 0.. until -ENOENT (vlapic 0..ncpus-1, then
 * vioapic, vatpic, vatpit, vrtc, vhpet, vpmtmr), each a vdev_snap of at most
 * VPLATFORM_SNAP_FIELDS fields.  Restore takes the same idx.
 */
#define	VPLATFORM_SNAP_FIELDS	256
int	vplatform_snapshot(struct vplatform *p, int idx, struct vdev_snap *s);
int	vplatform_restore(struct vplatform *p, int idx,
	    const struct vdev_snap *s);

/*
 * The devices, for the engine's device-specific calls (vm_rtc_read/
 * write/settime/gettime go to vrtc.h's vrtc_nvram_* and vrtc_*_time,
 * vm_get_hpet_capabilities to vhpet_capabilities()),
 * tests and bhyvectl; NULL if absent.
 */
struct vlapic *vplatform_vlapic(struct vplatform *p, int vcpu);
struct vioapic *vplatform_vioapic(struct vplatform *p);
struct vatpic *vplatform_vatpic(struct vplatform *p);
struct vatpit *vplatform_vatpit(struct vplatform *p);
struct vrtc *vplatform_vrtc(struct vplatform *p);
struct vhpet *vplatform_vhpet(struct vplatform *p);
struct vpmtmr *vplatform_vpmtmr(struct vplatform *p);

#endif /* _VMM_IO_VPLATFORM_H_ */
