/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ACPI tables: checksums, pointers after relocation, FADT and MADT
 * contents for 1 and 4 CPUs, the table-loader script, and a small AML
 * walker that checks every PkgLength of the DSDT nests exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bhyve/acpi.h"
#include "bhyve/acpi_aml.h"
#include "bhyve/le_bytes.h"

#define	BLOB_GPA	ACPI_TABLES_GPA

struct env {
	struct acpi_tables t;
	uint8_t		rsdp[ACPI_RSDP_LEN];
	uint8_t		*blob;
};

static void
build(struct env *e, int ncpus)
{
	struct acpi_params p = {
		.ncpus = ncpus, .lowmem = 64 << 20,
		.mmio32_base = 0xC0000000, .pci_slots = 0x80000009u,
	};

	memset(e, 0, sizeof(*e));
	assert_int_equal(acpi_build(&p, &e->t), 0);
	e->blob = malloc(e->t.len);
	assert_non_null(e->blob);
	acpi_relocate(&e->t, BLOB_GPA, e->rsdp, e->blob);
}

static void
release(struct env *e)
{
	free(e->blob);
	acpi_tables_free(&e->t);
}

/* The table at guest address gpa, its length checked. */
static const uint8_t *
table_at(struct env *e, uint64_t gpa)
{
	const uint8_t *t;
	uint32_t len;

	assert_true(gpa >= BLOB_GPA && gpa < BLOB_GPA + e->t.len);
	t = e->blob + (gpa - BLOB_GPA);
	len = (uint32_t)get_le(t + 4, 4);
	assert_true(gpa - BLOB_GPA + len <= e->t.len);
	return (t);
}

static const uint8_t *
find_table(struct env *e, const char *sig)
{
	const uint8_t *xsdt = table_at(e, get_le(e->rsdp + 24, 8));
	uint32_t n = ((uint32_t)get_le(xsdt + 4, 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = table_at(e, get_le(xsdt + 36 + 8 * i, 8));

		if (memcmp(t, sig, 4) == 0)
			return (t);
	}
	return (NULL);
}

static void
test_checksums(void **state)
{
	struct env e;
	const uint8_t *xsdt, *rsdt;
	uint32_t n;

	(void)state;
	build(&e, 1);
	assert_memory_equal(e.rsdp, "RSD PTR ", 8);
	assert_int_equal(e.rsdp[15], 2);
	assert_int_equal(acpi_sum(e.rsdp, 20), 0);
	assert_int_equal(acpi_sum(e.rsdp, 36), 0);
	xsdt = table_at(&e, get_le(e.rsdp + 24, 8));
	rsdt = table_at(&e, get_le(e.rsdp + 16, 4));
	assert_memory_equal(xsdt, "XSDT", 4);
	assert_memory_equal(rsdt, "RSDT", 4);
	n = ((uint32_t)get_le(xsdt + 4, 4) - 36) / 8;
	assert_int_equal(n, 5);
	assert_int_equal(get_le(rsdt + 4, 4), 36 + 4 * n);
	assert_int_equal(acpi_sum(xsdt, get_le(xsdt + 4, 4)), 0);
	assert_int_equal(acpi_sum(rsdt, get_le(rsdt + 4, 4)), 0);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = table_at(&e, get_le(xsdt + 36 + 8 * i, 8));

		assert_int_equal(get_le(rsdt + 36 + 4 * i, 4),
		    get_le(xsdt + 36 + 8 * i, 8));
		assert_int_equal(acpi_sum(t, get_le(t + 4, 4)), 0);
		assert_memory_equal(t + 10, "BHYVE ", 6);
	}
	/* The whole area fits the BIOS area. */
	assert_true(BLOB_GPA + e.t.len <= ACPI_AREA_END);
	release(&e);
}

static void
test_fadt(void **state)
{
	struct env e;
	const uint8_t *f, *dsdt, *facs;

	(void)state;
	build(&e, 1);
	f = find_table(&e, "FACP");
	assert_non_null(f);
	assert_int_equal(get_le(f + 4, 4), 276);
	assert_int_equal(f[8], 6);
	dsdt = table_at(&e, get_le(f + 40, 4));
	assert_int_equal(get_le(f + 140, 8), get_le(f + 40, 4));
	assert_memory_equal(dsdt, "DSDT", 4);
	assert_int_equal(acpi_sum(dsdt, get_le(dsdt + 4, 4)), 0);
	facs = e.blob + (get_le(f + 36, 4) - BLOB_GPA);
	assert_int_equal(get_le(f + 132, 8), 0);	/* X_FIRMWARE_CTRL */
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(get_le(f + 36, 4) % 64, 0);	/* 5.2.10 */
	assert_int_equal(get_le(f + 46, 2), 9);		/* SCI */
	assert_int_equal(get_le(f + 56, 4), 0x400);
	assert_int_equal(get_le(f + 64, 4), 0x404);
	assert_int_equal(get_le(f + 76, 4), 0x408);
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_int_equal(f[108], 0x32);
	assert_true(get_le(f + 112, 4) & (1u << 8));	/* TMR_VAL_EXT */
	assert_true(get_le(f + 112, 4) & (1u << 10));	/* RESET_REG_SUP */
	assert_false(get_le(f + 112, 4) & (1u << 20));	/* HW_REDUCED */
	assert_int_equal(f[116], 1);			/* reset reg: I/O */
	assert_int_equal(get_le(f + 120, 8), 0xCF9);
	assert_int_equal(f[128], 6);
	assert_int_equal(f[148], 1);			/* X_PM1a_EVT */
	assert_int_equal(get_le(f + 152, 8), 0x400);
	assert_int_equal(get_le(f + 212, 8), 0x408);	/* X_PM_TMR */
	release(&e);
}

static void
check_madt(int ncpus)
{
	struct env e;
	const uint8_t *m, *p, *end;
	int lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	build(&e, ncpus);
	m = find_table(&e, "APIC");
	assert_non_null(m);
	assert_int_equal(get_le(m + 36, 4), 0xFEE00000);
	assert_int_equal(get_le(m + 40, 4), 1);
	end = m + get_le(m + 4, 4);
	for (p = m + 44; p < end; p += p[1]) {
		assert_true(p[1] >= 2 && p + p[1] <= end);
		switch (p[0]) {
		case 0:
			assert_int_equal(p[2], lapics);
			assert_int_equal(p[3], lapics);
			assert_int_equal(get_le(p + 4, 4), 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(get_le(p + 4, 4), 0xFEC00000);
			assert_int_equal(get_le(p + 8, 4), 0);
			ioapics++;
			break;
		case 2:
			if (p[3] == 0)
				assert_int_equal(get_le(p + 4, 4), 2);
			else {
				assert_int_equal(p[3], 9);
				assert_int_equal(get_le(p + 4, 4), 9);
				assert_int_equal(get_le(p + 8, 2), 0x0D);
			}
			isos++;
			break;
		case 4:
			assert_int_equal(p[2], 0xFF);
			assert_int_equal(p[5], 1);
			nmis++;
			break;
		default:
			fail();
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
	release(&e);
}

static void
test_madt(void **state)
{
	(void)state;
	check_madt(1);
	check_madt(4);
}

static void
test_hpet_mcfg_spcr(void **state)
{
	struct env e;
	const uint8_t *t;

	(void)state;
	build(&e, 2);
	t = find_table(&e, "HPET");
	assert_non_null(t);
	assert_int_equal(get_le(t + 36, 4) >> 16, 0x8086);
	assert_int_equal((get_le(t + 36, 4) >> 8) & 0x1F, 7);	/* 8 timers */
	assert_int_equal((get_le(t + 36, 4) >> 13) & 1, 0);	/* 32-bit */
	assert_int_equal(get_le(t + 44, 8), 0xFED00000);
	t = find_table(&e, "MCFG");
	assert_non_null(t);
	assert_int_equal(get_le(t + 44, 8), 0xE0000000);
	assert_int_equal(t[54], 0);
	assert_int_equal(t[55], 255);
	t = find_table(&e, "SPCR");
	assert_non_null(t);
	assert_int_equal(get_le(t + 44, 8), 0x3F8);
	assert_int_equal(t[53], 4);
	assert_int_equal(t[58], 7);
	release(&e);
}

/* ---- A small AML walker (ACPI 6.4 chapter 20, the subset we emit) ---- */

struct walk {
	const uint8_t	*p, *end;
	bool		ok;
	int		devices, methods, packages, buffers;
};

static bool
w_fail(struct walk *w)
{
	w->ok = false;
	return (false);
}

/* PkgLength at w->p: the end pointer of the construct. */
static const uint8_t *
w_pkglen(struct walk *w)
{
	const uint8_t *start = w->p;
	uint32_t len;
	int nb;

	if (w->p >= w->end)
		return (w_fail(w), NULL);
	nb = (*w->p >> 6) + 1;
	if (w->p + nb > w->end)
		return (w_fail(w), NULL);
	if (nb == 1)
		len = *w->p & 0x3F;
	else {
		len = *w->p & 0x0F;
		for (int i = 1; i < nb; i++)
			len |= (uint32_t)w->p[i] << (4 + 8 * (i - 1));
	}
	w->p += nb;
	if (len < (uint32_t)nb || start + len > w->end)
		return (w_fail(w), NULL);
	return (start + len);
}

static bool
is_lead(uint8_t c)
{
	return (c == '\\' || c == '^' || c == '_' || (c >= 'A' && c <= 'Z') ||
	    c == 0x2E || c == 0x2F);
}

static bool
w_name(struct walk *w)
{
	int nseg = 1;

	while (w->p < w->end && (*w->p == '\\' || *w->p == '^'))
		w->p++;
	if (w->p >= w->end)
		return (w_fail(w));
	if (*w->p == 0x00) {
		w->p++;
		return (true);
	}
	if (*w->p == 0x2E) {
		nseg = 2;
		w->p++;
	} else if (*w->p == 0x2F) {
		if (w->p + 1 >= w->end)
			return (w_fail(w));
		nseg = w->p[1];
		w->p += 2;
	}
	for (int i = 0; i < nseg; i++, w->p += 4) {
		if (w->p + 4 > w->end)
			return (w_fail(w));
		for (int j = 0; j < 4; j++) {
			uint8_t c = w->p[j];

			if (!(c == '_' || (c >= 'A' && c <= 'Z') ||
			    (j > 0 && c >= '0' && c <= '9')))
				return (w_fail(w));
		}
	}
	return (true);
}

static bool w_term(struct walk *w);

static bool
w_list(struct walk *w, const uint8_t *end)
{
	const uint8_t *save = w->end;

	w->end = end;
	while (w->ok && w->p < end)
		w_term(w);
	w->end = save;
	return (w->ok && w->p == end);
}

/* Resource descriptors of a template: they must end with an End Tag
 * exactly at the buffer's end (ACPI 6.4 6.4.2, 6.4.3). */
static bool
w_resources(const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		if (*p & 0x80) {		/* large */
			if (p + 3 > end)
				return (false);
			p += 3 + get_le(p + 1, 2);
		} else {
			if ((*p >> 3) == 0x0F)
				return (p + 2 == end);
			p += 1 + (*p & 7);
		}
	}
	return (false);
}

static bool
w_term(struct walk *w)
{
	const uint8_t *end;
	uint8_t op;
	uint64_t v;
	int n;

	if (w->p >= w->end)
		return (w_fail(w));
	op = *w->p;
	if (is_lead(op))
		return (w_name(w));
	w->p++;
	switch (op) {
	case 0x00: case 0x01: case 0xFF:	/* Zero One Ones / NullName */
	case 0x60: case 0x61: case 0x62: case 0x63:
	case 0x68: case 0x69: case 0x6A:
		return (true);
	case 0x0A: w->p += 1; break;
	case 0x0B: w->p += 2; break;
	case 0x0C: w->p += 4; break;
	case 0x0E: w->p += 8; break;
	case 0x0D:
		while (w->p < w->end && *w->p != 0)
			w->p++;
		w->p++;
		break;
	case 0x08:				/* Name */
		return (w_name(w) && w_term(w));
	case 0x10:				/* Scope */
		end = w_pkglen(w);
		return (end != NULL && w_name(w) && w_list(w, end));
	case 0x14:				/* Method */
		end = w_pkglen(w);
		w->methods++;
		if (end == NULL || !w_name(w))
			return (false);
		w->p++;				/* flags */
		return (w_list(w, end));
	case 0xA0: case 0xA1:			/* If, Else */
		end = w_pkglen(w);
		return (end != NULL && w_list(w, end));
	case 0x12:				/* Package */
		end = w_pkglen(w);
		if (end == NULL)
			return (false);
		n = *w->p++;
		w->packages++;
		{
			const uint8_t *save = w->end;
			int count = 0;

			w->end = end;
			while (w->ok && w->p < end && w_term(w))
				count++;
			w->end = save;
			if (count != n || w->p != end)
				return (w_fail(w));
		}
		return (true);
	case 0x11:				/* Buffer */
		end = w_pkglen(w);
		if (end == NULL || w->p >= end)
			return (w_fail(w));
		op = *w->p++;
		n = op == 0x0A ? 1 : op == 0x0B ? 2 : op == 0x0C ? 4 : 0;
		v = n > 0 ? get_le(w->p, n) : op;
		w->p += n;
		if (v != (uint64_t)(end - w->p) || !w_resources(w->p, end))
			return (w_fail(w));
		w->buffers++;
		w->p = end;
		return (true);
	case 0x70:				/* Store */
		return (w_term(w) && w_term(w));
	case 0x74: case 0x79: case 0x7B: case 0x7D:	/* op, op, target */
		return (w_term(w) && w_term(w) && w_term(w));
	case 0x93:				/* LEqual */
		return (w_term(w) && w_term(w));
	case 0x82:				/* FindSetRightBit */
		return (w_term(w) && w_term(w));
	case 0x76: case 0xA4:			/* Decrement, Return */
		return (w_term(w));
	case 0x8B:				/* CreateWordField */
		return (w_term(w) && w_term(w) && w_name(w));
	case 0x5B:
		if (w->p >= w->end)
			return (w_fail(w));
		op = *w->p++;
		if (op == 0x82) {		/* Device */
			end = w_pkglen(w);
			w->devices++;
			return (end != NULL && w_name(w) && w_list(w, end));
		}
		if (op == 0x80)			/* OpRegion */
			return (w_name(w) && (w->p++, true) && w_term(w) &&
			    w_term(w));
		if (op == 0x81) {		/* Field */
			end = w_pkglen(w);
			if (end == NULL || !w_name(w))
				return (false);
			w->p++;			/* flags */
			while (w->ok && w->p < end) {
				if (*w->p == 0x00)
					w->p++;
				else
					w->p += 4;
				/* the PkgLength here is a bit count */
				w->p += (*w->p >> 6) + 1;
			}
			return (w->ok && w->p == end ? true : w_fail(w));
		}
		return (w_fail(w));
	default:
		return (w_fail(w));
	}
	return (w->p <= w->end ? true : w_fail(w));
}

static void
test_dsdt_walk(void **state)
{
	struct acpi_params p = {
		.ncpus = 2, .lowmem = 256 << 20, .mmio32_base = 0xC0000000,
		.pci_slots = 0xFFFFFFFFu, .fwcfg_qemu = true,
	};
	struct aml a;
	struct walk w;

	(void)state;
	aml_init(&a);
	assert_int_equal(acpi_build_dsdt_aml(&p, &a), 0);
	memset(&w, 0, sizeof(w));
	w.p = a.buf;
	w.end = a.buf + a.len;
	w.ok = true;
	assert_true(w_list(&w, w.end));
	/* PC00, ISA, 11 ISA devices, 8 links. */
	assert_int_equal(w.devices, 1 + 1 + 10 + 8);
	/* _PIC, _PRT, 4 per link. */
	assert_int_equal(w.methods, 2 + 4 * 8);
	/* _S5, 2 _PRT tables of 128 entries each. */
	assert_int_equal(w.packages, 1 + 2 * (1 + 128));
	assert_true(a.len > 1000);
	/* Name(_HID, EisaId("PNP0A08")) is in there. */
	{
		static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0C,
		    0x41, 0xD0, 0x0A, 0x08 };

		assert_non_null(memmem(a.buf, a.len, hid, sizeof(hid)));
	}
	aml_free(&a);
}

/* What a firmware does with etc/table-loader, done here by hand. */
static void
test_loader_script(void **state)
{
	struct env e;
	uint8_t *script, rsdp[ACPI_RSDP_LEN], *blob;
	size_t len;
	uint64_t blob_addr = 0x7F00000;

	(void)state;
	build(&e, 2);
	assert_int_equal(acpi_loader_script(&e.t, &script, &len), 0);
	assert_int_equal(len % ACPI_LOADER_ENTRY, 0);
	blob = malloc(e.t.len);
	memcpy(rsdp, e.t.rsdp, ACPI_RSDP_LEN);
	memcpy(blob, e.t.blob, e.t.len);
	for (size_t off = 0; off < len; off += ACPI_LOADER_ENTRY) {
		const uint8_t *c = script + off;
		uint32_t cmd = (uint32_t)get_le(c, 4);
		const char *file = (const char *)c + 4;
		uint8_t *base = strcmp(file, "etc/acpi/rsdp") == 0 ? rsdp :
		    blob;

		assert_true(strcmp(file, "etc/acpi/rsdp") == 0 ||
		    strcmp(file, "etc/acpi/tables") == 0);
		if (cmd == ACPI_LOADER_ALLOCATE) {
			assert_int_equal(c[4 + 60], base == rsdp ?
			    ACPI_LOADER_ZONE_FSEG : ACPI_LOADER_ZONE_HIGH);
		} else if (cmd == ACPI_LOADER_ADD_POINTER) {
			uint32_t at = (uint32_t)get_le(c + 4 + 112, 4);
			int sz = c[4 + 116];
			uint64_t v;

			assert_string_equal((const char *)c + 4 + 56,
			    "etc/acpi/tables");
			v = get_le(base + at, sz) + blob_addr;
			for (int i = 0; i < sz; i++)
				base[at + i] = (uint8_t)(v >> (8 * i));
		} else if (cmd == ACPI_LOADER_ADD_CHECKSUM) {
			uint32_t at = (uint32_t)get_le(c + 4 + 56, 4);
			uint32_t st = (uint32_t)get_le(c + 4 + 60, 4);
			uint32_t ln = (uint32_t)get_le(c + 4 + 64, 4);

			base[at] = (uint8_t)(base[at] -
			    acpi_sum(base + st, ln));
		} else {
			fail();
		}
	}
	/* Same bytes as acpi_relocate() gives for that address. */
	acpi_relocate(&e.t, blob_addr, e.rsdp, e.blob);
	assert_memory_equal(rsdp, e.rsdp, ACPI_RSDP_LEN);
	assert_memory_equal(blob, e.blob, e.t.len);
	free(blob);
	free(script);
	release(&e);
}

/*
 * Cross-check with ACPICA's iasl (Debian acpica-tools), when installed:
 * every table disassembles with no error and no checksum complaint, and
 * the DSDT's disassembly compiles again without errors or warnings.
 */
static int
run(const char *cmd)
{
	int rc = system(cmd);

	return (rc == -1 ? -1 : WEXITSTATUS(rc));
}

static void
test_iasl(void **state)
{
	char dir[] = "/tmp/acpi-test.XXXXXX", cmd[512], path[256];
	struct env e;
	const uint8_t *xsdt;
	uint32_t n;
	FILE *fp;

	(void)state;
	if (run("command -v iasl >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	build(&e, 4);
	xsdt = table_at(&e, get_le(e.rsdp + 24, 8));
	n = ((uint32_t)get_le(xsdt + 4, 4) - 36) / 8;
	for (uint32_t i = 0; i <= n + 1; i++) {
		const uint8_t *t;

		if (i < n)
			t = table_at(&e, get_le(xsdt + 36 + 8 * i, 8));
		else if (i == n)
			t = xsdt;
		else
			t = table_at(&e,
			    get_le(find_table(&e, "FACP") + 40, 4));
		snprintf(path, sizeof(path), "%s/%.4s.dat", dir, t);
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(t, 1, get_le(t + 4, 4), fp),
		    get_le(t + 4, 4));
		fclose(fp);
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %.4s.dat "
		    ">%.4s.log 2>&1 && ! grep -qiE 'error|incorrect|invalid' "
		    "%.4s.log", dir, t, t, t);
		if (run(cmd) != 0)
			fail_msg("iasl -d %.4s failed (see %s)", t, dir);
	}
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -p re DSDT.dsl >re.log 2>&1 "
	    "&& grep -q ' 0 Errors, 0 Warnings' re.log", dir);
	if (run(cmd) != 0)
		fail_msg("DSDT does not recompile cleanly (see %s)", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)run(cmd);
	release(&e);
}

static void
test_bad_params(void **state)
{
	struct acpi_params p = { .ncpus = 0 };
	struct acpi_tables t;

	(void)state;
	assert_int_equal(acpi_build(&p, &t), -22);
	p.ncpus = 256;
	assert_int_equal(acpi_build(&p, &t), -22);
	/* Routing shared with the PCI emulation. */
	assert_int_equal(acpi_pci_link(0, 0), 0);
	assert_int_equal(acpi_pci_link(7, 3), 2);
	assert_int_equal(acpi_pci_gsi(31, 3), 16 + 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_hpet_mcfg_spcr),
		cmocka_unit_test(test_dsdt_walk),
		cmocka_unit_test(test_loader_script),
		cmocka_unit_test(test_iasl),
		cmocka_unit_test(test_bad_params),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
