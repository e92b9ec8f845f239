/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI table builder.  Section numbers are ACPI 6.4 unless noted; the
 * HPET table is from the IA-PC HPET specification 1.0a, SPCR from
 * Microsoft's "Serial Port Console Redirection Table" (revision 2), MCFG
 * from the PCI Firmware Specification 3.x 4.1.2.
 *
 * Choices (documented in README "Firmware tables"):
 * - FADT: SMI_CMD = 0, so the OS takes the machine to be in ACPI mode
 *   already (5.2.9, SCI_EN must read as set); fixed-feature power button,
 *   no sleep button; IAPC_BOOT_ARCH = legacy devices + 8042, no VGA,
 *   MSI allowed; reset register I/O 0xCF9 value 6; century at CMOS 0x32.
 * - MADT: one enabled Local APIC per vCPU, UID = APIC ID = vCPU id; the
 *   IOAPIC with ID 0 (what its ID register reads), GSI base 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/acpi.h"
#include "bhyve/acpi_aml.h"
#include "bhyve/le_bytes.h"

#define	HDR_LEN		36	/* 5.2.6 System Description Table Header */
#define	OEM_ID		"BHYVE "
#define	CREATOR_ID	"BHYV"

uint8_t
acpi_sum(const uint8_t *p, size_t len)
{
	return (byte_sum(p, len));
}

/* A zeroed, aligned region of the blob: its offset, or -1. */
static long
t_alloc(struct acpi_tables *t, size_t len, size_t align)
{
	size_t off = (t->len + align - 1) & ~(align - 1);
	size_t cap;
	uint8_t *p;

	if (t->error != 0)
		return (-1);
	if (off + len > t->cap) {
		cap = t->cap == 0 ? 4096 : t->cap;
		while (cap < off + len)
			cap *= 2;
		p = realloc(t->blob, cap);
		if (p == NULL) {
			t->error = -ENOMEM;
			return (-1);
		}
		memset(p + t->cap, 0, cap - t->cap);
		t->blob = p;
		t->cap = cap;
	}
	t->len = off + len;
	return ((long)off);
}

static void
t_fixup(struct acpi_tables *t, bool in_rsdp, size_t off, int size)
{
	if (t->nfix >= ACPI_MAX_FIXUPS) {
		t->error = -E2BIG;
		return;
	}
	t->fix[t->nfix++] = (struct acpi_fixup){ in_rsdp, (uint32_t)off,
	    (uint8_t)size };
}

static void
t_csum(struct acpi_tables *t, bool in_rsdp, size_t off, size_t start,
    size_t len)
{
	if (t->nsum >= ACPI_MAX_CSUMS) {
		t->error = -E2BIG;
		return;
	}
	t->sum[t->nsum++] = (struct acpi_csum){ in_rsdp, (uint32_t)off,
	    (uint32_t)start, (uint32_t)len };
}

/* Pointer field at blob offset `at' to blob offset `target'. */
static void
t_ptr(struct acpi_tables *t, size_t at, size_t target, int size)
{
	put_le(t->blob + at, target, size);
	t_fixup(t, false, at, size);
}

/* Header (5.2.6) of a table of `len' bytes at `off'; checksum later. */
static void
t_header(struct acpi_tables *t, long off, const char *sig, size_t len,
    int rev)
{
	uint8_t *h = t->blob + off;
	char tid[9];

	memcpy(h, sig, 4);
	put_le(h + 4, len, 4);
	h[8] = (uint8_t)rev;
	memcpy(h + 10, OEM_ID, 6);
	snprintf(tid, sizeof(tid), "BV%.4s  ", sig);
	memcpy(h + 16, tid, 8);
	put_le(h + 24, 1, 4);		/* OEM revision */
	memcpy(h + 28, CREATOR_ID, 4);
	put_le(h + 32, 1, 4);		/* creator revision */
	t_csum(t, false, (size_t)off + 9, (size_t)off, len);
}

/* Generic Address Structure (5.2.3.2). */
#define	GAS_MEM		0
#define	GAS_IO		1

static void
put_gas(uint8_t *p, int space, int bits, int access, uint64_t addr)
{
	p[0] = (uint8_t)space;
	p[1] = (uint8_t)bits;
	p[2] = 0;
	p[3] = (uint8_t)access;		/* 1 byte, 2 word, 3 dword, 4 qword */
	put_le(p + 4, addr, 8);
}

/* ---- FACS (5.2.10) ---- */

static long
build_facs(struct acpi_tables *t)
{
	long off = t_alloc(t, 64, 64);

	if (off < 0)
		return (-1);
	memcpy(t->blob + off, "FACS", 4);
	put_le(t->blob + off + 4, 64, 4);
	t->blob[off + 32] = 2;		/* version */
	return (off);
}

/* ---- DSDT (5.2.11.1) ---- */

static long
build_dsdt(const struct acpi_params *p, struct acpi_tables *t)
{
	struct aml a;
	long off;

	aml_init(&a);
	if (acpi_build_dsdt_aml(p, &a) != 0) {
		t->error = aml_error(&a) != 0 ? aml_error(&a) : -EINVAL;
		aml_free(&a);
		return (-1);
	}
	off = t_alloc(t, HDR_LEN + a.len, 16);
	if (off >= 0) {
		/* Revision 2: 64-bit AML integers (19.6.29). */
		t_header(t, off, "DSDT", HDR_LEN + a.len, 2);
		memcpy(t->blob + off + HDR_LEN, a.buf, a.len);
	}
	aml_free(&a);
	return (off);
}

/* ---- FADT (5.2.9), revision 6 ---- */

#define	FADT_LEN		276
#define	FADT_F_WBINVD		(1u << 0)
#define	FADT_F_PROC_C1		(1u << 2)
#define	FADT_F_SLP_BUTTON	(1u << 5)	/* no sleep button */
#define	FADT_F_FIX_RTC		(1u << 6)
#define	FADT_F_TMR_VAL_EXT	(1u << 8)
#define	FADT_F_RESET_REG_SUP	(1u << 10)
#define	BOOT_LEGACY_DEVICES	(1u << 0)
#define	BOOT_8042		(1u << 1)
#define	BOOT_VGA_NOT_PRESENT	(1u << 2)

static long
build_fadt(struct acpi_tables *t, long facs, long dsdt)
{
	long off = t_alloc(t, FADT_LEN, 8);
	uint8_t *f;

	if (off < 0)
		return (-1);
	t_header(t, off, "FACP", FADT_LEN, 6);
	f = t->blob + off;
	t_ptr(t, (size_t)off + 36, (size_t)facs, 4);	/* FIRMWARE_CTRL */
	t_ptr(t, (size_t)off + 40, (size_t)dsdt, 4);	/* DSDT */
	put_le(f + 46, ACPI_SCI_IRQ, 2);
	/* SMI_CMD (48) = 0: no SMI, ACPI mode only. */
	put_le(f + 56, ACPI_PM1A_EVT_PORT, 4);
	put_le(f + 64, ACPI_PM1A_CNT_PORT, 4);
	put_le(f + 76, ACPI_PM_TMR_PORT, 4);
	f[88] = 4;			/* PM1_EVT_LEN */
	f[89] = 2;			/* PM1_CNT_LEN */
	f[91] = 4;			/* PM_TMR_LEN */
	put_le(f + 96, 101, 2);		/* P_LVL2_LAT > 100: no C2 */
	put_le(f + 98, 1001, 2);	/* P_LVL3_LAT > 1000: no C3 */
	f[108] = 0x32;			/* CENTURY: RTC CMOS index */
	put_le(f + 109, BOOT_LEGACY_DEVICES | BOOT_8042 |
	    BOOT_VGA_NOT_PRESENT, 2);
	put_le(f + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
	    FADT_F_FIX_RTC | FADT_F_TMR_VAL_EXT | FADT_F_RESET_REG_SUP, 4);
	put_gas(f + 116, GAS_IO, 8, 1, ACPI_RESET_PORT);
	f[128] = ACPI_RESET_VALUE;
	f[131] = 4;			/* FADT minor version: 6.4 */
	/* X_FIRMWARE_CTRL stays 0: the FACS is below 4 GiB and OSes list
	 * both fields when both are set. */
	t_ptr(t, (size_t)off + 140, (size_t)dsdt, 8);	/* X_DSDT */
	put_gas(f + 148, GAS_IO, 32, 2, ACPI_PM1A_EVT_PORT);
	put_gas(f + 172, GAS_IO, 16, 2, ACPI_PM1A_CNT_PORT);
	put_gas(f + 208, GAS_IO, 32, 3, ACPI_PM_TMR_PORT);
	memcpy(f + 268, "BHYVE   ", 8);	/* hypervisor vendor identity */
	return (off);
}

/* ---- MADT (5.2.12) ---- */

static long
build_madt(const struct acpi_params *p, struct acpi_tables *t)
{
	size_t len = HDR_LEN + 8 + (size_t)p->ncpus * 8 + 12 + 2 * 10 + 6;
	long off = t_alloc(t, len, 8);
	uint8_t *m, *e;

	if (off < 0)
		return (-1);
	t_header(t, off, "APIC", len, 5);
	m = t->blob + off;
	put_le(m + 36, ACPI_LAPIC_BASE, 4);
	put_le(m + 40, 1, 4);			/* PCAT_COMPAT: 8259s too */
	e = m + 44;
	for (int i = 0; i < p->ncpus; i++, e += 8) {
		/* Processor Local APIC (5.2.12.2) */
		e[0] = 0;
		e[1] = 8;
		e[2] = (uint8_t)i;		/* ACPI processor UID */
		e[3] = (uint8_t)i;		/* APIC ID */
		put_le(e + 4, 1, 4);		/* enabled */
	}
	/* I/O APIC (5.2.12.3) */
	e[0] = 1;
	e[1] = 12;
	e[2] = ACPI_IOAPIC_ID;
	put_le(e + 4, ACPI_IOAPIC_BASE, 4);
	put_le(e + 8, 0, 4);
	e += 12;
	/* Interrupt Source Overrides (5.2.12.5): IRQ0 -> GSI 2. */
	e[0] = 2;
	e[1] = 10;
	e[2] = 0;				/* ISA */
	e[3] = 0;
	put_le(e + 4, 2, 4);
	put_le(e + 8, 0, 2);			/* conforms to the bus */
	e += 10;
	/* SCI: level-triggered, active-high (MPS INTI flags 5.2.12.5). */
	e[0] = 2;
	e[1] = 10;
	e[3] = ACPI_SCI_IRQ;
	put_le(e + 4, ACPI_SCI_IRQ, 4);
	put_le(e + 8, 0x1 | 0x3 << 2, 2);
	e += 10;
	/* Local APIC NMI (5.2.12.7): all processors, LINT1. */
	e[0] = 4;
	e[1] = 6;
	e[2] = 0xFF;
	put_le(e + 3, 0, 2);
	e[5] = 1;
	return (off);
}

/* ---- HPET (IA-PC HPET 1.0a, 3.2.4) ---- */

static long
build_hpet(struct acpi_tables *t)
{
	size_t len = HDR_LEN + 20;
	long off = t_alloc(t, len, 8);
	uint8_t *h;

	if (off < 0)
		return (-1);
	t_header(t, off, "HPET", len, 1);
	h = t->blob + off;
	/* Event Timer Block ID: the capabilities register's low 32 bits:
	 * vendor 0x8086, 8 timers (NUM_TIM_CAP 7), 32-bit counter, rev 1. */
	put_le(h + 36, 0x8086u << 16 | 7u << 8 | 1u, 4);
	put_gas(h + 40, GAS_MEM, 64, 0, ACPI_HPET_BASE);
	h[52] = 0;				/* HPET number */
	put_le(h + 53, 0x80, 2);		/* minimum clock tick */
	h[55] = 0;				/* no page protection */
	return (off);
}

/* ---- MCFG (PCI Firmware 3.x 4.1.2) ---- */

static long
build_mcfg(struct acpi_tables *t)
{
	size_t len = HDR_LEN + 8 + 16;
	long off = t_alloc(t, len, 8);
	uint8_t *m;

	if (off < 0)
		return (-1);
	t_header(t, off, "MCFG", len, 1);
	m = t->blob + off;
	put_le(m + 44, ACPI_ECAM_BASE, 8);
	put_le(m + 52, 0, 2);			/* segment */
	m[54] = 0;				/* start bus */
	m[55] = 255;				/* end bus */
	return (off);
}

/* ---- SPCR (Microsoft SPCR revision 2): COM1, 115200 8N1 ---- */

static long
build_spcr(struct acpi_tables *t)
{
	size_t len = 80;
	long off = t_alloc(t, len, 8);
	uint8_t *s;

	if (off < 0)
		return (-1);
	t_header(t, off, "SPCR", len, 2);
	s = t->blob + off;
	s[36] = 0;				/* 16550 compatible */
	put_gas(s + 40, GAS_IO, 8, 1, 0x3F8);
	s[52] = 0x03;				/* 8259 IRQ and IOAPIC GSI */
	s[53] = 4;
	put_le(s + 54, 4, 4);
	s[58] = 7;				/* 115200 */
	s[59] = 0;				/* no parity */
	s[60] = 1;				/* 1 stop bit */
	s[61] = 0;				/* no flow control */
	s[62] = 0;				/* VT100 */
	put_le(s + 64, 0xFFFF, 2);		/* not a PCI device */
	put_le(s + 66, 0xFFFF, 2);
	return (off);
}

/* ---- XSDT (5.2.8) / RSDT (5.2.7) ---- */

static long
build_xsdt(struct acpi_tables *t, const long *tab, int n, int width)
{
	size_t len = HDR_LEN + (size_t)(n * width);
	long off = t_alloc(t, len, 8);

	if (off < 0)
		return (-1);
	t_header(t, off, width == 8 ? "XSDT" : "RSDT", len, 1);
	for (int i = 0; i < n; i++)
		t_ptr(t, (size_t)off + HDR_LEN + (size_t)(i * width),
		    (size_t)tab[i], width);
	return (off);
}

/* ---- RSDP (5.2.5.3), revision 2 ---- */

static void
build_rsdp(struct acpi_tables *t, long rsdt, long xsdt)
{
	uint8_t *r = t->rsdp;

	memset(r, 0, ACPI_RSDP_LEN);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2;
	put_le(r + 16, (uint64_t)rsdt, 4);
	put_le(r + 20, ACPI_RSDP_LEN, 4);
	put_le(r + 24, (uint64_t)xsdt, 8);
	t_fixup(t, true, 16, 4);
	t_fixup(t, true, 24, 8);
	/* The 20-byte (ACPI 1.0) checksum first: the extended one
	 * covers it. */
	t_csum(t, true, 8, 0, 20);
	t_csum(t, true, 32, 0, ACPI_RSDP_LEN);
}

int
acpi_build(const struct acpi_params *p, struct acpi_tables *t)
{
	long facs, dsdt, tab[5], rsdt, xsdt;
	int n = 0;

	memset(t, 0, sizeof(*t));
	if (p->ncpus < 1 || p->ncpus > 255)
		return (-EINVAL);
	facs = build_facs(t);
	dsdt = build_dsdt(p, t);
	if (facs < 0 || dsdt < 0)
		goto fail;
	tab[n++] = build_fadt(t, facs, dsdt);
	tab[n++] = build_madt(p, t);
	tab[n++] = build_hpet(t);
	tab[n++] = build_mcfg(t);
	tab[n++] = build_spcr(t);
	xsdt = build_xsdt(t, tab, n, 8);
	rsdt = build_xsdt(t, tab, n, 4);
	if (t->error != 0 || xsdt < 0 || rsdt < 0)
		goto fail;
	build_rsdp(t, rsdt, xsdt);
	if (t->error != 0)
		goto fail;
	/* Checksums valid as built too (pointers relative to 0). */
	acpi_relocate(t, 0, t->rsdp, t->blob);
	return (0);
fail:
	n = t->error != 0 ? t->error : -ENOMEM;
	acpi_tables_free(t);
	return (n);
}

void
acpi_tables_free(struct acpi_tables *t)
{
	free(t->blob);
	memset(t, 0, sizeof(*t));
}

void
acpi_relocate(const struct acpi_tables *t, uint64_t blob_gpa,
    uint8_t *rsdp_out, uint8_t *blob_out)
{
	uint8_t *p;

	if (rsdp_out != t->rsdp)
		memcpy(rsdp_out, t->rsdp, ACPI_RSDP_LEN);
	if (blob_out != t->blob)
		memcpy(blob_out, t->blob, t->len);
	for (int i = 0; i < t->nfix; i++) {
		const struct acpi_fixup *f = &t->fix[i];

		p = (f->in_rsdp ? rsdp_out : blob_out) + f->offset;
		put_le(p, get_le(p, f->size) + blob_gpa, f->size);
	}
	for (int i = 0; i < t->nsum; i++) {
		const struct acpi_csum *c = &t->sum[i];

		p = c->in_rsdp ? rsdp_out : blob_out;
		p[c->offset] = 0;
		p[c->offset] = (uint8_t)-acpi_sum(p + c->start, c->len);
	}
}

/* ---- QEMU table loader script (QEMU docs: "etc/table-loader") ---- */

static uint8_t *
loader_cmd(uint8_t *script, int *n, uint32_t cmd)
{
	uint8_t *e = script + (size_t)(*n)++ * ACPI_LOADER_ENTRY;

	memset(e, 0, ACPI_LOADER_ENTRY);
	put_le(e, cmd, 4);
	return (e + 4);
}

#define	FILE_RSDP	"etc/acpi/rsdp"
#define	FILE_TABLES	"etc/acpi/tables"

int
acpi_loader_script(const struct acpi_tables *t, uint8_t **out, size_t *len)
{
	int n = 0, max = 2 + t->nfix + t->nsum;
	uint8_t *s, *e;

	s = malloc((size_t)max * ACPI_LOADER_ENTRY);
	if (s == NULL)
		return (-ENOMEM);
	/* ALLOCATE: file[56], align u32, zone u8. */
	e = loader_cmd(s, &n, ACPI_LOADER_ALLOCATE);
	strcpy((char *)e, FILE_RSDP);
	put_le(e + 56, 16, 4);
	e[60] = ACPI_LOADER_ZONE_FSEG;
	e = loader_cmd(s, &n, ACPI_LOADER_ALLOCATE);
	strcpy((char *)e, FILE_TABLES);
	put_le(e + 56, 64, 4);
	e[60] = ACPI_LOADER_ZONE_HIGH;
	/* ADD_POINTER: dest[56], src[56], offset u32, size u8. */
	for (int i = 0; i < t->nfix; i++) {
		e = loader_cmd(s, &n, ACPI_LOADER_ADD_POINTER);
		strcpy((char *)e, t->fix[i].in_rsdp ? FILE_RSDP : FILE_TABLES);
		strcpy((char *)e + 56, FILE_TABLES);
		put_le(e + 112, t->fix[i].offset, 4);
		e[116] = t->fix[i].size;
	}
	/* ADD_CHECKSUM: file[56], offset u32, start u32, length u32. */
	for (int i = 0; i < t->nsum; i++) {
		e = loader_cmd(s, &n, ACPI_LOADER_ADD_CHECKSUM);
		strcpy((char *)e, t->sum[i].in_rsdp ? FILE_RSDP : FILE_TABLES);
		put_le(e + 56, t->sum[i].offset, 4);
		put_le(e + 60, t->sum[i].start, 4);
		put_le(e + 64, t->sum[i].len, 4);
	}
	*out = s;
	*len = (size_t)n * ACPI_LOADER_ENTRY;
	return (0);
}
