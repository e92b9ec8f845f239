/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The DSDT's AML (ACPI 6.4 5.2.11.1), written with acpi_aml.h:
 *
 *   \PICM, \_PIC(1)             interrupt model chosen by the OS (5.8.1)
 *   \_S5                        soft-off, SLP_TYP 5 (7.4.2)
 *   \_SB.PC00                   PCIe root (PNP0A08, compatible PNP0A03),
 *                               _BBN 0, _CRS windows, _PRT (PIC / APIC)
 *   \_SB.PC00.ISA_              LPC bridge at 0:31.0; its PCI config
 *                               0x60-0x63 / 0x68-0x6B are the PIRQ router
 *     PIC_ TIMR RTC_ KBD_ HPET COM1-COM4 SYSR (motherboard resources)
 *   \_SB.LNKA-LNKH              PCI interrupt links (6.2.13, PNP0C0F)
 */
#include <stdio.h>
#include <string.h>

#include "bhyve/acpi.h"
#include "bhyve/acpi_aml.h"

#define	PCI_ROOT	"\\_SB.PC00"
#define	LPC_PATH	"\\_SB.PC00.ISA"
#define	NLINKS		8

/* IRQs offered to PCI links: not 0-2, 8 (RTC), 12 (mouse), 13 (FPU),
 * 3/4 (COM ports, edge-triggered). */
#define	LINK_IRQ_MASK	((1u << 5) | (1u << 6) | (1u << 7) | (1u << 9) | \
			 (1u << 10) | (1u << 11) | (1u << 14) | (1u << 15))
#define	LINK_IRQ_FLAGS	(AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED)	/* level */
#define	PIRQ_DISABLED	0x80	/* router register: routing disabled */

static void
ret_integer(struct aml *a, uint64_t v)
{
	aml_byte(a, AML_OP_RETURN);
	aml_integer(a, v);
}

static void
name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name(a, name);
	aml_eisaid(a, id);
}

/* Name(_PRT-like, Package() { Package() { addr, pin, src, idx } ... }) */
static void
build_prt(const struct acpi_params *p, struct aml *a, const char *name,
    bool apic)
{
	char link[16];
	int n = 0;

	for (int s = 0; s <= 31; s++)
		if ((p->pci_slots & (1u << s)) != 0)
			n += 4;
	aml_name(a, name);
	aml_package(a, n);
	for (int s = 0; s <= 31; s++) {
		if ((p->pci_slots & (1u << s)) == 0)
			continue;
		for (int pin = 0; pin < 4; pin++) {
			/* 6.2.13: address 0xSSSSFFFF = any function. */
			aml_package(a, 4);
			aml_integer(a, (uint64_t)s << 16 | 0xFFFF);
			aml_integer(a, (uint64_t)pin);
			if (apic) {
				aml_integer(a, 0);
				aml_integer(a, (uint64_t)acpi_pci_gsi(s, pin));
			} else {
				snprintf(link, sizeof(link), "\\_SB.LNK%c",
				    'A' + acpi_pci_link(s, pin));
				aml_namestring(a, link);
				aml_integer(a, 0);
			}
			aml_end(a);
		}
	}
	aml_end(a);
}

static void	build_lpc(const struct acpi_params *p, struct aml *a);

static void
build_pci_root(const struct acpi_params *p, struct aml *a)
{
	aml_device(a, "PC00");
	name_eisaid(a, "_HID", "PNP0A08");
	name_eisaid(a, "_CID", "PNP0A03");
	aml_name_integer(a, "_BBN", 0);
	aml_name_integer(a, "_UID", 0);
	aml_name(a, "_CRS");
	aml_rt_begin(a);
	aml_rt_word_bus(a, 0, 255);
	aml_rt_io(a, 0xCF8, 0xCF8, 1, 8);
	aml_rt_word_io(a, 0x0000, 0x0CF7);
	aml_rt_word_io(a, 0x0D00, 0xFFFF);
	aml_rt_dword_memory(a, 0xA0000, 0xBFFFF);	/* legacy VGA */
	if (p->mmio32_base < ACPI_ECAM_BASE)
		aml_rt_dword_memory(a, (uint32_t)p->mmio32_base,
		    (uint32_t)(ACPI_ECAM_BASE - 1));
	aml_rt_qword_memory(a, ACPI_PCI_MMIO64_BASE,
	    ACPI_PCI_MMIO64_LIMIT - 1);
	aml_rt_end(a);
	build_prt(p, a, "PPRT", false);
	build_prt(p, a, "APRT", true);
	/* Method(_PRT) { If (PICM) { Return (APRT) } Return (PPRT) } */
	aml_method(a, "_PRT", 0);
	aml_if(a);
	aml_namestring(a, "\\PICM");
	aml_byte(a, AML_OP_RETURN);
	aml_namestring(a, "APRT");
	aml_end(a);
	aml_byte(a, AML_OP_RETURN);
	aml_namestring(a, "PPRT");
	aml_end(a);
	build_lpc(p, a);
	aml_end(a);
}

/* A PNP device with fixed resources: Device(name) { _HID _UID _CRS }. */
struct pnp_io {
	uint16_t	port;
	uint8_t		len;
};

static void
pnp_device(struct aml *a, const char *name, const char *hid, int uid,
    const struct pnp_io *io, int nio, int irq)
{
	aml_device(a, name);
	name_eisaid(a, "_HID", hid);
	if (uid >= 0)
		aml_name_integer(a, "_UID", (uint64_t)uid);
	aml_name(a, "_CRS");
	aml_rt_begin(a);
	for (int i = 0; i < nio; i++)
		aml_rt_io(a, io[i].port, io[i].port, 1, io[i].len);
	if (irq >= 0)
		aml_rt_irq(a, (uint16_t)(1u << irq), -1);
	aml_rt_end(a);
	aml_end(a);
}

static void
build_lpc(const struct acpi_params *p, struct aml *a)
{
	static const struct pnp_io pic[] = { { 0x20, 2 }, { 0xA0, 2 } };
	static const struct pnp_io pit[] = { { 0x40, 4 } };
	static const struct pnp_io rtc[] = { { 0x70, 2 } };
	static const struct pnp_io kbd[] = { { 0x60, 1 }, { 0x64, 1 } };
	static const struct { uint16_t port; int irq; } com[4] = {
		{ 0x3F8, 4 }, { 0x2F8, 3 }, { 0x3E8, 4 }, { 0x2E8, 3 } };
	struct pnp_io sysr[5] = {
		{ 0x4D0, 2 },		/* ELCR */
		{ 0x61, 1 },		/* NMI status and control */
		{ 0x80, 1 },		/* POST */
		{ ACPI_PM1A_EVT_PORT, 12 },	/* PM1a event, control, timer */
		{ 0x510, 12 },		/* fw_cfg */
	};
	char name[8];

	aml_device(a, "ISA");
	aml_name_integer(a, "_ADR", (uint64_t)ACPI_LPC_SLOT << 16);
	/* PIRQ router registers in the bridge's config space. */
	aml_opregion(a, "PIRQ", AML_REGION_PCICFG, 0x60, 0x0C);
	aml_field(a, "PIRQ", 0x01);		/* ByteAcc, NoLock, Preserve */
	for (int i = 0; i < NLINKS; i++) {
		if (i == 4)
			aml_field_reserved(a, 32);	/* 0x64-0x67 */
		snprintf(name, sizeof(name), "PIR%c", 'A' + i);
		aml_field_named(a, name, 8);
	}
	aml_end(a);
	pnp_device(a, "PIC", "PNP0000", -1, pic, 2, 2);
	pnp_device(a, "TIMR", "PNP0100", -1, pit, 1, 0);
	pnp_device(a, "RTC", "PNP0B00", -1, rtc, 1, 8);
	pnp_device(a, "KBD", "PNP0303", -1, kbd, 2, 1);
	for (int i = 0; i < 4; i++) {
		struct pnp_io io = { com[i].port, 8 };

		snprintf(name, sizeof(name), "COM%d", i + 1);
		pnp_device(a, name, "PNP0501", i + 1, &io, 1, com[i].irq);
	}
	/*
	 * The fw_cfg entry only with lpc.fwcfg=qemu.  bhyve's fwctl on the
	 * same ports is left out, as bhyve leaves it: only the boot ROM
	 * talks to it, before the OS reads this table.
	 */
	pnp_device(a, "SYSR", "PNP0C02", 1, sysr, p->fwcfg_qemu ? 5 : 4, -1);
	/* HPET (PNP0103): its registers, read-only as far as _CRS goes. */
	aml_device(a, "HPET");
	name_eisaid(a, "_HID", "PNP0103");
	aml_name_integer(a, "_UID", 0);
	aml_name(a, "_CRS");
	aml_rt_begin(a);
	aml_rt_memory32_fixed(a, 0, ACPI_HPET_BASE, 0x400);
	aml_rt_end(a);
	aml_end(a);
	aml_end(a);
}

/*
 * Device(LNKx): a PCI interrupt link whose IRQ is PIRx of the router
 * (bit 7 = disabled, bits 3:0 = IRQ).
 */
static void
build_link(struct aml *a, int i)
{
	char name[8], reg[32];

	snprintf(name, sizeof(name), "LNK%c", 'A' + i);
	snprintf(reg, sizeof(reg), LPC_PATH ".PIR%c", 'A' + i);
	aml_device(a, name);
	name_eisaid(a, "_HID", "PNP0C0F");
	aml_name_integer(a, "_UID", (uint64_t)i + 1);
	/* _STA: If (And(PIRx, 0x80)) { Return (0x09) } Return (0x0B) */
	aml_method(a, "_STA", 0);
	aml_if(a);
	aml_byte(a, AML_OP_AND);
	aml_namestring(a, reg);
	aml_integer(a, PIRQ_DISABLED);
	aml_byte(a, AML_NULLNAME);
	ret_integer(a, 0x09);			/* present, disabled */
	aml_end(a);
	ret_integer(a, 0x0B);			/* present, enabled */
	aml_end(a);
	aml_name(a, "_PRS");
	aml_rt_begin(a);
	aml_rt_irq(a, LINK_IRQ_MASK, LINK_IRQ_FLAGS);
	aml_rt_end(a);
	/*
	 * _CRS: Name(RTLX, ResourceTemplate() { IRQ(...) {} })
	 *       CreateWordField(RTLX, 1, IRQM)
	 *       If (LEqual(And(PIRx, 0x80), 0)) {
	 *           ShiftLeft(1, And(PIRx, 0x0F), IRQM) }
	 *       Return (RTLX)
	 */
	aml_method(a, "_CRS", AML_METHOD_SERIALIZED);
	aml_name(a, "RTLX");
	aml_rt_begin(a);
	aml_rt_irq(a, 0, LINK_IRQ_FLAGS);
	aml_rt_end(a);
	aml_byte(a, AML_OP_CREATEWORDFIELD);
	aml_namestring(a, "RTLX");
	aml_integer(a, 1);
	aml_namestring(a, "IRQM");
	aml_if(a);
	aml_byte(a, AML_OP_LEQUAL);
	aml_byte(a, AML_OP_AND);
	aml_namestring(a, reg);
	aml_integer(a, PIRQ_DISABLED);
	aml_byte(a, AML_NULLNAME);
	aml_integer(a, 0);
	aml_byte(a, AML_OP_SHIFTLEFT);
	aml_integer(a, 1);
	aml_byte(a, AML_OP_AND);
	aml_namestring(a, reg);
	aml_integer(a, 0x0F);
	aml_byte(a, AML_NULLNAME);
	aml_namestring(a, "IRQM");
	aml_end(a);
	aml_byte(a, AML_OP_RETURN);
	aml_namestring(a, "RTLX");
	aml_end(a);
	/*
	 * _SRS(1): CreateWordField(Arg0, 1, IRQS)
	 *          FindSetRightBit(IRQS, Local0)   (1-based, 0 if none)
	 *          If (Local0) { Decrement(Local0) Store(Local0, PIRx) }
	 *          Else { Store(0x80, PIRx) }
	 */
	aml_method(a, "_SRS", 1 | AML_METHOD_SERIALIZED);
	aml_byte(a, AML_OP_CREATEWORDFIELD);
	aml_byte(a, AML_ARG0);
	aml_integer(a, 1);
	aml_namestring(a, "IRQS");
	aml_byte(a, AML_OP_FINDSETRIGHTBIT);
	aml_namestring(a, "IRQS");
	aml_byte(a, AML_LOCAL0);
	aml_if(a);
	aml_byte(a, AML_LOCAL0);
	aml_byte(a, AML_OP_DECREMENT);
	aml_byte(a, AML_LOCAL0);
	aml_byte(a, AML_OP_STORE);
	aml_byte(a, AML_LOCAL0);
	aml_namestring(a, reg);
	aml_end(a);
	aml_else(a);
	aml_byte(a, AML_OP_STORE);
	aml_integer(a, PIRQ_DISABLED);
	aml_namestring(a, reg);
	aml_end(a);
	aml_end(a);
	/* _DIS: Or(PIRx, 0x80, PIRx) */
	aml_method(a, "_DIS", 0);
	aml_byte(a, AML_OP_OR);
	aml_namestring(a, reg);
	aml_integer(a, PIRQ_DISABLED);
	aml_namestring(a, reg);
	aml_end(a);
	aml_end(a);
}

int
acpi_build_dsdt_aml(const struct acpi_params *p, struct aml *a)
{
	/* Name(PICM, 0)  Method(_PIC, 1) { Store(Arg0, PICM) } */
	aml_name_integer(a, "\\PICM", 0);
	aml_method(a, "\\_PIC", 1);
	aml_byte(a, AML_OP_STORE);
	aml_byte(a, AML_ARG0);
	aml_namestring(a, "\\PICM");
	aml_end(a);
	/* Name(_S5, Package() { SLP_TYPa, SLP_TYPb, 0, 0 }) */
	aml_name(a, "\\_S5");
	aml_package(a, 4);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, ACPI_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a);
	aml_scope(a, "\\_SB");
	build_pci_root(p, a);
	for (int i = 0; i < NLINKS; i++)
		build_link(a, i);
	aml_end(a);
	return (aml_error(a));
}
