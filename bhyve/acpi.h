/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI tables generated at startup (ACPI 6.4 chapter 5): RSDP, XSDT,
 * RSDT, FADT, FACS, DSDT (our own AML, acpi_aml.h), MADT, HPET, MCFG,
 * SPCR.
 *
 * The tables are built position-independent, the way QEMU's fw_cfg
 * table loader wants them: every table except the RSDP in one blob
 * ("etc/acpi/tables") whose pointers hold offsets into that blob, the
 * RSDP on its own ("etc/acpi/rsdp"), plus the list of pointer fields and
 * checksums.  acpi_relocate() does what a firmware loader does with
 * them; acpi_loader_script() writes the "etc/table-loader" commands.
 *
 * Guest view without a boot ROM: the RSDP at ACPI_RSDP_GPA in the BIOS
 * area (found by scanning 0xE0000-0xFFFFF, ACPI 6.4 5.2.5.1), the other
 * tables right after it, all inside the e820 reserved range
 * [0x9FC00, 0x100000).
 */
#ifndef _BHYVE_ACPI_H_
#define _BHYVE_ACPI_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmctx;

#define	ACPI_RSDP_GPA		0xF2400ULL	/* as bhyve; 16-byte aligned */
#define	ACPI_TABLES_GPA		0xF2440ULL	/* 64-byte aligned (FACS) */
#define	ACPI_AREA_END		0x100000ULL

/* Fixed platform resources described by the tables (DESIGN §6). */
#define	ACPI_PM1A_EVT_PORT	0x400
#define	ACPI_PM1A_CNT_PORT	0x404
#define	ACPI_PM_TMR_PORT	0x408
#define	ACPI_SCI_IRQ		9
#define	ACPI_RESET_PORT		0xCF9
#define	ACPI_RESET_VALUE	0x06
#define	ACPI_S5_SLP_TYP		5
#define	ACPI_ECAM_BASE		0xE0000000ULL
#define	ACPI_ECAM_SIZE		0x10000000ULL	/* buses 0-255 */
#define	ACPI_IOAPIC_BASE	0xFEC00000U
#define	ACPI_IOAPIC_ID		0	/* the engine's IOAPIC ID register */
#define	ACPI_HPET_BASE		0xFED00000U
#define	ACPI_LAPIC_BASE		0xFEE00000U
#define	ACPI_PCI_MMIO64_BASE	0xD000000000ULL
#define	ACPI_PCI_MMIO64_LIMIT	0xFD00000000ULL	/* exclusive */
#define	ACPI_LPC_SLOT		31		/* LPC bridge at 0:31.0 */

/*
 * PCI INTx routing shared by the DSDT _PRT, the MP table and the PCI
 * emulation: INTx pin `pin' (0 = INTA#) of a device in bus 0 slot
 * `slot' uses PIRQ link (slot + pin) mod 8 (LNKA-LNKH, router registers
 * 0x60-0x63 and 0x68-0x6B of the LPC bridge), and in APIC mode IOAPIC
 * pin 16 + that link.
 */
static inline int
acpi_pci_link(int slot, int pin)
{
	return ((slot + pin) & 7);
}

static inline int
acpi_pci_gsi(int slot, int pin)
{
	return (16 + acpi_pci_link(slot, pin));
}

struct acpi_params {
	int		ncpus;
	uint64_t	lowmem;		/* RAM below 4 GiB, bytes */
	uint64_t	mmio32_base;	/* 32-bit PCI window start */
	uint32_t	pci_slots;	/* bus 0 slots in use, bit per slot */
	bool		fwcfg_qemu;	/* reserve the fw_cfg ports */
};

/* A pointer field: `size' bytes at `offset' hold an offset into the
 * tables blob, to which the blob's address is added. */
struct acpi_fixup {
	bool		in_rsdp;
	uint32_t	offset;
	uint8_t		size;
};

/* The byte at `offset' makes [start, start + len) sum to 0. */
struct acpi_csum {
	bool		in_rsdp;
	uint32_t	offset;
	uint32_t	start;
	uint32_t	len;
};

#define	ACPI_MAX_FIXUPS	32
#define	ACPI_MAX_CSUMS	16
#define	ACPI_RSDP_LEN	36

struct acpi_tables {
	uint8_t		*blob;
	size_t		len;
	size_t		cap;
	int		error;
	uint8_t		rsdp[ACPI_RSDP_LEN];
	struct acpi_fixup fix[ACPI_MAX_FIXUPS];
	int		nfix;
	struct acpi_csum sum[ACPI_MAX_CSUMS];
	int		nsum;
};

/* 0 or a negative errno. */
int	acpi_build(const struct acpi_params *p, struct acpi_tables *t);
void	acpi_tables_free(struct acpi_tables *t);

/*
 * Copy the tables into rsdp_out[ACPI_RSDP_LEN] and blob_out[t->len]
 * for a blob placed at guest address `blob_gpa': pointers relocated,
 * checksums recomputed.
 */
void	acpi_relocate(const struct acpi_tables *t, uint64_t blob_gpa,
	    uint8_t *rsdp_out, uint8_t *blob_out);

/* The DSDT body (AML after the table header), for tests. */
struct aml;
int	acpi_build_dsdt_aml(const struct acpi_params *p, struct aml *a);

/*
 * QEMU's "etc/table-loader" script for these tables (128-byte commands:
 * ALLOCATE, ADD_POINTER, ADD_CHECKSUM).  *out is malloc'd.  0 or -errno.
 */
#define	ACPI_LOADER_ENTRY	128
#define	ACPI_LOADER_ALLOCATE	1
#define	ACPI_LOADER_ADD_POINTER	2
#define	ACPI_LOADER_ADD_CHECKSUM 3
#define	ACPI_LOADER_ZONE_HIGH	1
#define	ACPI_LOADER_ZONE_FSEG	2
#define	ACPI_LOADER_FILESZ	56
int	acpi_loader_script(const struct acpi_tables *t, uint8_t **out,
	    size_t *len);

/* Sum of bytes, for checksums. */
uint8_t	acpi_sum(const uint8_t *p, size_t len);

#endif /* _BHYVE_ACPI_H_ */
