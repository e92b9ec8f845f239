/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual local APIC, one per vCPU (SDM Vol 3A chapter 10 "Advanced
 * Programmable Interrupt Controller"; section numbers below are that
 * chapter's, newer editions call it chapter 11).
 *
 * A vlapic knows nothing of other APICs: an ICR write is decoded and
 * handed to ops->ipi, which the platform resolves (destination matching
 * with vlapic_match_dest(), lowest-priority arbitration, INIT/SIPI to the
 * engine).  Callbacks are always made with the vlapic lock dropped, so
 * they may call back into any vlapic, this one included.
 *
 * Return codes of the guest-facing entry points: 0 done; -EINVAL the
 * access must raise #GP (x2APIC MSR rules, SDM 10.12.1.2; APIC base
 * transitions, 10.12.5); -ENOENT not an APIC MSR.
 */
#ifndef _VMM_IO_VLAPIC_H_
#define _VMM_IO_VLAPIC_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/io/vdev.h"

/*
 * Timer input clock: the "bus clock" of SDM 10.5.4.  Like bhyve, a fixed
 * 128 MiHz, so a divide-by-1 tick is ~7.45 ns.  The guest learns it by
 * calibrating against the PIT/HPET/PM timer.
 */
#define	VLAPIC_BUS_FREQ		(128u * 1024 * 1024)
#define	VLAPIC_VERSION		0x10
#define	VLAPIC_MAXLVT		6		/* 7 LVT entries (with CMCI) */
#define	VLAPIC_DEFAULT_BASE	0xFEE00000ull
#define	VLAPIC_PAGE_SIZE	4096

/* MSRs (SDM Vol 4 table 2-2). */
#define	MSR_IA32_APIC_BASE	0x01B
#define	MSR_IA32_TSC_DEADLINE	0x6E0
#define	MSR_X2APIC_FIRST	0x800
#define	MSR_X2APIC_LAST		0x8FF

/* IA32_APIC_BASE bits (SDM 10.4.4). */
#define	APICBASE_BSP		(1ull << 8)
#define	APICBASE_X2APIC		(1ull << 10)	/* EXTD */
#define	APICBASE_ENABLE		(1ull << 11)	/* EN */

/* Local interrupt pins, numbered as for bhyve's vm_lapic_local_irq(). */
enum vlapic_lvt {
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_ERROR,
	VLAPIC_LVT_PMC,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_CMCI,
	VLAPIC_NLVT
};

/* Delivery modes (ICR, LVT, IOAPIC RTE and MSI data bits 10:8). */
#define	APIC_DELMODE_FIXED	0
#define	APIC_DELMODE_LOWPRIO	1
#define	APIC_DELMODE_SMI	2
#define	APIC_DELMODE_NMI	4
#define	APIC_DELMODE_INIT	5
#define	APIC_DELMODE_STARTUP	6
#define	APIC_DELMODE_EXTINT	7

/* ICR destination shorthand (bits 19:18). */
#define	APIC_DEST_NOSHORTHAND	0
#define	APIC_DEST_SELF		1
#define	APIC_DEST_ALLISELF	2
#define	APIC_DEST_ALLESELF	3

/* An interprocessor interrupt as decoded from the ICR (SDM 10.6.1). */
struct vlapic_ipi {
	int		src;		/* sending vCPU */
	int		shorthand;	/* APIC_DEST_* */
	uint32_t	dest;		/* 8 bits (xAPIC) or 32 bits (x2APIC) */
	bool		logical;
	bool		x2apic;		/* dest is in x2APIC format */
	int		delmode;	/* APIC_DELMODE_* */
	int		vector;
	bool		level;		/* trigger mode level */
};

struct vlapic_ops {
	void	*arg;
	/* The guest wrote the ICR (or the x2APIC SELF IPI register). */
	void	(*ipi)(void *arg, const struct vlapic_ipi *ipi);
	/* EOI of a vector accepted as level-triggered: to the IOAPIC(s). */
	void	(*eoi)(void *arg, int vector);
	/* Something became pending for this vCPU: wake it. */
	void	(*notify)(void *arg, int vcpu);
	/*
	 * Guest TSC of vcpu, and its rate; tsc == NULL or tsc_hz == 0: no
	 * TSC-deadline mode (IA32_TSC_DEADLINE raises #GP, LVT timer mode
	 * 10b is treated as one-shot).
	 */
	uint64_t (*tsc)(void *arg, int vcpu);
	uint64_t tsc_hz;
};

struct vlapic;

struct vlapic *vlapic_create(int vcpuid, bool bsp, struct vcallout_wheel *w,
	    const struct vlapic_ops *ops);
void	vlapic_destroy(struct vlapic *vl);
/*
 * Power-on reset (SDM 10.4.7.1 / table 9-1) or, with init, the INIT
 * reset that keeps the APIC base MSR and APIC ID (SDM 10.4.7.3).
 */
void	vlapic_reset(struct vlapic *vl, bool init);
int	vlapic_vcpuid(const struct vlapic *vl);

/* Guest accesses. */
/* Base of the xAPIC page, ~0 when not decoded (disabled, x2APIC mode). */
uint64_t vlapic_mmio_base(struct vlapic *vl);
int	vlapic_mmio(struct vlapic *vl, bool write, uint64_t off, unsigned bytes,
	    uint64_t *val);
int	vlapic_rdmsr(struct vlapic *vl, uint32_t msr, uint64_t *val);
int	vlapic_wrmsr(struct vlapic *vl, uint32_t msr, uint64_t val);
/* CR8 is TPR[7:4] (SDM 10.8.6). */
uint64_t vlapic_get_cr8(struct vlapic *vl);
void	vlapic_set_cr8(struct vlapic *vl, uint64_t cr8);

/* x2APIC capability (CPUID.1:ECX[21]); bhyve's x2apic_state. */
void	vlapic_set_x2apic_allowed(struct vlapic *vl, bool allowed);
bool	vlapic_x2apic_allowed(struct vlapic *vl);
bool	vlapic_x2apic_mode(struct vlapic *vl);

/* Delivery into this APIC. */
bool	vlapic_match_dest(struct vlapic *vl, uint32_t dest, bool logical,
	    bool x2apic_fmt);
bool	vlapic_is_broadcast(uint32_t dest, bool x2apic_fmt);
int	vlapic_arb_priority(struct vlapic *vl);	/* for lowest priority */
/* Fixed/lowest/NMI/ExtINT (INIT and SIPI belong to the platform). */
void	vlapic_deliver(struct vlapic *vl, int delmode, int vector, bool level);
void	vlapic_set_intr_ready(struct vlapic *vl, int vector, bool level);
/* A local interrupt pin (LINT0/LINT1, ...) fired. */
void	vlapic_trigger_lvt(struct vlapic *vl, enum vlapic_lvt lvt);

/* CPU-facing. */
bool	vlapic_pending_intr(struct vlapic *vl, int *vector);
void	vlapic_intr_accepted(struct vlapic *vl, int vector);
bool	vlapic_nmi_pending(struct vlapic *vl);
void	vlapic_nmi_clear(struct vlapic *vl);
/* An ExtINT was signalled: the vector comes from the 8259. */
bool	vlapic_extint_pending(struct vlapic *vl);
void	vlapic_extint_clear(struct vlapic *vl);
void	vlapic_extint_set(struct vlapic *vl);	/* no notification */

/*
 * Save/restore as vdev_snap record "vlapic" (VLAPIC_SNAP_FIELDS fields
 * at most).  Restore checks the whole record before changing anything;
 * -EINVAL on a bad or foreign record.
 */
#define	VLAPIC_SNAP_VERSION	1
#define	VLAPIC_SNAP_FIELDS	64
int	vlapic_snapshot(struct vlapic *vl, struct vdev_snap *s);
int	vlapic_restore(struct vlapic *vl, const struct vdev_snap *s);

/* Bad guest accesses, for stats/debug. */
uint64_t vlapic_bad_accesses(struct vlapic *vl);

#endif /* _VMM_IO_VLAPIC_H_ */
