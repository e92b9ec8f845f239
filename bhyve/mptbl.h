/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intel MultiProcessor Specification 1.4 tables (chapter 4): the MP
 * floating pointer at MPTABLE_GPA in the BIOS area, then the
 * configuration table: one processor entry per vCPU (APIC ID = vCPU id,
 * vCPU 0 the BSP), buses PCI (id 0) and ISA (id 1), the IOAPIC (ID =
 * ncpus, unique among the APIC IDs as 4.3.3 asks), ISA IRQs 0-15 but 2
 * (IRQ 0 on pin 2, IRQ 9 level/active-high as the SCI), the INTx pins of
 * the PCI slots in use on pins 16-23 (acpi.h routing), ExtINT on LINT0
 * and NMI on LINT1 of every local APIC.  Left out with x86.mptable=false.
 */
#ifndef _BHYVE_MPTBL_H_
#define _BHYVE_MPTBL_H_

#include <stddef.h>
#include <stdint.h>

struct vmctx;

#define	MPTABLE_GPA	0xF0000ULL
#define	MPTABLE_MAXLEN	0x1000		/* up to the SMBIOS area */

/*
 * Build the tables for placement at guest address `gpa' into buf.
 * Returns the length, or -ENOSPC / -EINVAL.
 */
long	mptable_build(int ncpus, uint32_t pci_slots, uint64_t gpa,
	    uint8_t *buf, size_t bufsize);

/* Build and copy into guest memory at MPTABLE_GPA.  0 or -errno. */
int	mptable_install(struct vmctx *ctx, int ncpus, uint32_t pci_slots);

#endif /* _BHYVE_MPTBL_H_ */
