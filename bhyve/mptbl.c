/* SPDX-License-Identifier: BSD-2-Clause */
/* MP tables (Intel MP Specification 1.4, chapter 4; see mptbl.h). */
#include <errno.h>
#include <string.h>

#include "bhyve/acpi.h"
#include "bhyve/le_bytes.h"
#include "bhyve/mptbl.h"
#include "libvmmapi/vmmapi.h"

#define	FP_LEN		16		/* 4.1 floating pointer */
#define	HDR_LEN		44		/* 4.2 configuration table header */
#define	PROC_LEN	20
#define	ENTRY_LEN	8
#define	BUS_PCI		0
#define	BUS_ISA		1

/* Entry types (4.3) and interrupt types (table 4-9). */
enum { E_PROC, E_BUS, E_IOAPIC, E_IOINT, E_LINT };
enum { INT_INT, INT_NMI, INT_SMI, INT_EXTINT };
/* Flags: polarity bits 1:0, trigger bits 3:2 (table 4-10). */
#define	F_CONFORM	0x0
#define	F_HIGH_LEVEL	(0x1 | 0x3 << 2)
#define	F_LOW_LEVEL	(0x3 | 0x3 << 2)

static uint8_t *
intr(uint8_t *e, int type, int itype, int flags, int bus, int irq,
    int apic, int pin)
{
	e[0] = (uint8_t)type;
	e[1] = (uint8_t)itype;
	put_le(e + 2, (uint64_t)flags, 2);
	e[4] = (uint8_t)bus;
	e[5] = (uint8_t)irq;
	e[6] = (uint8_t)apic;
	e[7] = (uint8_t)pin;
	return (e + ENTRY_LEN);
}

long
mptable_build(int ncpus, uint32_t pci_slots, uint64_t gpa, uint8_t *buf,
    size_t bufsize)
{
	uint8_t *h = buf + FP_LEN, *e;
	int nslots = __builtin_popcount(pci_slots), ioapic_id = ncpus;
	size_t len;
	int count;

	if (ncpus < 1 || ncpus > 254 || gpa > UINT32_MAX - bufsize)
		return (-EINVAL);
	/* processors, 2 buses, IOAPIC, 15 ISA IRQs, 4 per slot, 2 LINTs */
	count = ncpus + 2 + 1 + 15 + 4 * nslots + 2;
	len = FP_LEN + HDR_LEN + (size_t)ncpus * PROC_LEN +
	    (size_t)(count - ncpus) * ENTRY_LEN;
	if (len > bufsize)
		return (-ENOSPC);
	memset(buf, 0, len);
	/* 4.1 MP Floating Pointer Structure; feature byte 1 = 0: the
	 * configuration table is present; IMCRP clear: virtual wire. */
	memcpy(buf, "_MP_", 4);
	put_le(buf + 4, gpa + FP_LEN, 4);
	buf[8] = 1;				/* length in 16-byte units */
	buf[9] = 4;				/* spec revision 1.4 */
	/* 4.2 header */
	memcpy(h, "PCMP", 4);
	put_le(h + 4, len - FP_LEN, 2);
	h[6] = 4;
	memcpy(h + 8, "BHYVE   ", 8);
	memcpy(h + 16, "VIRTUAL PC  ", 12);
	put_le(h + 34, (uint64_t)count, 2);
	put_le(h + 36, ACPI_LAPIC_BASE, 4);
	e = h + HDR_LEN;
	for (int i = 0; i < ncpus; i++, e += PROC_LEN) {
		e[0] = E_PROC;
		e[1] = (uint8_t)i;		/* local APIC ID */
		e[2] = 0x14;			/* local APIC version */
		e[3] = (uint8_t)(0x01 | (i == 0 ? 0x02 : 0));	/* EN, BP */
		put_le(e + 4, 0x600, 4);	/* family 6 */
		put_le(e + 8, 0x201, 4);	/* FPU, APIC */
	}
	e[0] = E_BUS;
	e[1] = BUS_PCI;
	memcpy(e + 2, "PCI   ", 6);
	e += ENTRY_LEN;
	e[0] = E_BUS;
	e[1] = BUS_ISA;
	memcpy(e + 2, "ISA   ", 6);
	e += ENTRY_LEN;
	e[0] = E_IOAPIC;
	e[1] = (uint8_t)ioapic_id;
	e[2] = 0x11;				/* IOAPIC version */
	e[3] = 0x01;				/* enabled */
	put_le(e + 4, ACPI_IOAPIC_BASE, 4);
	e += ENTRY_LEN;
	for (int irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;		/* the 8259 cascade */
		e = intr(e, E_IOINT, INT_INT, irq == ACPI_SCI_IRQ ?
		    F_HIGH_LEVEL : F_CONFORM, BUS_ISA, irq, ioapic_id,
		    irq == 0 ? 2 : irq);
	}
	for (int s = 0; s < 32; s++) {
		if ((pci_slots & (1u << s)) == 0)
			continue;
		/* PCI source bus IRQ: device in bits 6:2, INTx in 1:0. */
		for (int pin = 0; pin < 4; pin++)
			e = intr(e, E_IOINT, INT_INT, F_LOW_LEVEL, BUS_PCI,
			    s << 2 | pin, ioapic_id, acpi_pci_gsi(s, pin));
	}
	e = intr(e, E_LINT, INT_EXTINT, F_CONFORM, BUS_ISA, 0, 0xFF, 0);
	e = intr(e, E_LINT, INT_NMI, F_CONFORM, BUS_ISA, 0, 0xFF, 1);
	h[7] = (uint8_t)-byte_sum(h, len - FP_LEN);
	buf[10] = (uint8_t)-byte_sum(buf, FP_LEN);
	return ((long)len);
}

int
mptable_install(struct vmctx *ctx, int ncpus, uint32_t pci_slots)
{
	uint8_t *p = vm_map_gpa(ctx, MPTABLE_GPA, MPTABLE_MAXLEN);
	long len;

	if (p == NULL)
		return (-EFAULT);
	len = mptable_build(ncpus, pci_slots, MPTABLE_GPA, p, MPTABLE_MAXLEN);
	return (len < 0 ? (int)len : 0);
}
