/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AML encoder.  Grammar references are to ACPI 6.4 chapter 20; resource
 * descriptors to ACPI 6.4 6.4.  Constructs with a PkgLength are encoded
 * after their contents are known: aml_end() inserts the length where the
 * construct began.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/acpi_aml.h"
#include "bhyve/le_bytes.h"

enum { K_PKG, K_BUFFER };

#define	AML_MAX_PKGLEN	((1u << 28) - 1)	/* 20.2.4 */

void
aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void
aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int
aml_error(const struct aml *a)
{
	if (a->error != 0)
		return (a->error);
	if (a->depth != 0)
		return (-EINVAL);	/* something left open */
	return (0);
}

static void
aml_fail(struct aml *a, int error)
{
	if (a->error == 0)
		a->error = error;
}

static int
aml_reserve(struct aml *a, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (a->error != 0)
		return (-1);
	if (n > AML_MAX_PKGLEN || a->len + n > AML_MAX_PKGLEN) {
		aml_fail(a, -E2BIG);
		return (-1);
	}
	if (a->len + n <= a->cap)
		return (0);
	cap = a->cap == 0 ? 256 : a->cap;
	while (cap < a->len + n)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (p == NULL) {
		aml_fail(a, -ENOMEM);
		return (-1);
	}
	a->buf = p;
	a->cap = cap;
	return (0);
}

void
aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (aml_reserve(a, n) != 0)
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void
aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void
aml_le(struct aml *a, uint64_t v, int n)
{
	uint8_t b[8];

	put_le(b, v, n);
	aml_bytes(a, b, (size_t)n);
}

/* The PkgLength encoding of v (20.2.4): lead byte, then 0-3 bytes. */
static int
pkglen_raw(uint32_t v, uint8_t *out)
{
	int nb;

	if (v < 0x40) {
		out[0] = (uint8_t)v;
		return (1);
	}
	if (v < (1u << 12))
		nb = 2;
	else if (v < (1u << 20))
		nb = 3;
	else
		nb = 4;
	out[0] = (uint8_t)((nb - 1) << 6 | (v & 0xF));
	for (int i = 1; i < nb; i++)
		out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
	return (nb);
}

/* A PkgLength that counts itself plus `content' bytes. */
static int
pkglen_total(size_t content, uint8_t *out)
{
	uint8_t tmp[4];

	for (int nb = 1; nb <= 4; nb++) {
		if (content + (size_t)nb > AML_MAX_PKGLEN)
			return (-1);
		if (pkglen_raw((uint32_t)(content + nb), tmp) == nb)
			return (pkglen_raw((uint32_t)(content + nb), out));
	}
	return (-1);
}

/* The integer encoding into out[9]; returns its length (20.2.3). */
static int
integer_enc(uint64_t v, uint8_t *out)
{
	int n, op;

	if (v == 0 || v == 1) {
		out[0] = (uint8_t)v;	/* ZeroOp, OneOp */
		return (1);
	}
	if (v == UINT64_MAX) {
		out[0] = 0xFF;		/* OnesOp */
		return (1);
	}
	if (v <= 0xFF) {
		op = 0x0A;
		n = 1;
	} else if (v <= 0xFFFF) {
		op = 0x0B;
		n = 2;
	} else if (v <= 0xFFFFFFFF) {
		op = 0x0C;
		n = 4;
	} else {
		op = 0x0E;
		n = 8;
	}
	out[0] = (uint8_t)op;
	put_le(out + 1, v, n);
	return (1 + n);
}

void
aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[9];

	aml_bytes(a, b, (size_t)integer_enc(v, b));
}

static int
seg_char_ok(char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || c == '_')
		return (1);
	return (!first && c >= '0' && c <= '9');
}

/* One NameSeg (20.2.2), padded with '_'; the length of the source. */
static int
aml_nameseg(struct aml *a, const char *s)
{
	char seg[4] = { '_', '_', '_', '_' };
	int n;

	for (n = 0; s[n] != '\0' && s[n] != '.'; n++) {
		if (n >= 4 || !seg_char_ok(s[n], n == 0)) {
			aml_fail(a, -EINVAL);
			return (n);
		}
		seg[n] = s[n];
	}
	if (n == 0)
		aml_fail(a, -EINVAL);
	aml_bytes(a, seg, 4);
	return (n);
}

void
aml_namestring(struct aml *a, const char *path)
{
	const char *p;
	int nseg = 0;

	if (*path == '\\')
		aml_byte(a, *path++);		/* RootChar */
	else
		while (*path == '^')
			aml_byte(a, *path++);	/* ParentPrefixChar */
	if (*path == '\0') {
		aml_byte(a, 0x00);		/* NullName */
		return;
	}
	nseg = 1;
	for (p = path; *p != '\0'; p++)
		nseg += *p == '.';
	if (nseg > 255) {
		aml_fail(a, -EINVAL);
		return;
	}
	if (nseg == 2)
		aml_byte(a, 0x2E);		/* DualNamePrefix */
	else if (nseg > 2) {
		aml_byte(a, 0x2F);		/* MultiNamePrefix */
		aml_byte(a, (uint8_t)nseg);
	}
	for (p = path;;) {
		p += aml_nameseg(a, p);
		if (a->error != 0 || *p != '.')
			break;
		p++;
	}
}

void
aml_string(struct aml *a, const char *s)
{
	aml_byte(a, 0x0D);			/* StringPrefix */
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s > 0x7F) {
			aml_fail(a, -EINVAL);
			return;
		}
		aml_byte(a, (uint8_t)*s);
	}
	aml_byte(a, 0x00);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * EISA ID (ACPI 6.4 6.1.5): three letters compressed 5 bits each, then
 * four hex digits; stored so that the bytes read "compressed high, low,
 * digits 0-1, digits 2-3".  0 for a malformed ID.
 */
uint32_t
aml_eisaid_value(const char *id)
{
	uint32_t c, d = 0;

	if (strlen(id) != 7)
		return (0);
	for (int i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			return (0);
	for (int i = 3; i < 7; i++) {
		if (hexval(id[i]) < 0)
			return (0);
		d = d << 4 | (uint32_t)hexval(id[i]);
	}
	c = (uint32_t)(id[0] - 0x40) << 10 | (uint32_t)(id[1] - 0x40) << 5 |
	    (uint32_t)(id[2] - 0x40);
	return ((c >> 8) | (c & 0xFF) << 8 | (d >> 8) << 16 |
	    (d & 0xFF) << 24);
}

void
aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = aml_eisaid_value(id);

	if (v == 0) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, 0x0C);			/* DWordPrefix, always */
	aml_le(a, v, 4);
}

void
aml_name(struct aml *a, const char *path)
{
	aml_byte(a, 0x08);			/* NameOp */
	aml_namestring(a, path);
}

void
aml_name_integer(struct aml *a, const char *path, uint64_t v)
{
	aml_name(a, path);
	aml_integer(a, v);
}

void
aml_name_string(struct aml *a, const char *path, const char *s)
{
	aml_name(a, path);
	aml_string(a, s);
}

static void
aml_open(struct aml *a, int kind)
{
	if (a->depth >= AML_MAXDEPTH) {
		aml_fail(a, -E2BIG);
		return;
	}
	a->open[a->depth].start = a->len;
	a->open[a->depth].kind = kind;
	a->depth++;
}

/* Insert n bytes of hdr at offset `at'. */
static void
aml_insert(struct aml *a, size_t at, const uint8_t *hdr, size_t n)
{
	if (aml_reserve(a, n) != 0)
		return;
	memmove(a->buf + at + n, a->buf + at, a->len - at);
	memcpy(a->buf + at, hdr, n);
	a->len += n;
}

void
aml_end(struct aml *a)
{
	uint8_t hdr[16];
	size_t start, n;
	int kind, hl, il;

	if (a->depth == 0) {
		aml_fail(a, -EINVAL);
		return;
	}
	a->depth--;
	if (a->error != 0)
		return;
	start = a->open[a->depth].start;
	kind = a->open[a->depth].kind;
	n = a->len - start;
	if (kind == K_BUFFER) {
		/* BufferOp PkgLength BufferSize ByteList (20.2.5.4) */
		uint8_t ienc[9];

		il = integer_enc(n, ienc);
		hl = pkglen_total(n + (size_t)il, hdr);
		if (hl < 0) {
			aml_fail(a, -E2BIG);
			return;
		}
		memcpy(hdr + hl, ienc, (size_t)il);
		hl += il;
	} else {
		hl = pkglen_total(n, hdr);
		if (hl < 0) {
			aml_fail(a, -E2BIG);
			return;
		}
	}
	aml_insert(a, start, hdr, (size_t)hl);
}

void
aml_scope(struct aml *a, const char *path)
{
	aml_byte(a, 0x10);			/* ScopeOp */
	aml_open(a, K_PKG);
	aml_namestring(a, path);
}

void
aml_device(struct aml *a, const char *path)
{
	aml_byte(a, 0x5B);			/* DeviceOp */
	aml_byte(a, 0x82);
	aml_open(a, K_PKG);
	aml_namestring(a, path);
}

void
aml_method(struct aml *a, const char *path, int flags)
{
	aml_byte(a, 0x14);			/* MethodOp */
	aml_open(a, K_PKG);
	aml_namestring(a, path);
	aml_byte(a, (uint8_t)(flags & 0x0F));
}

void
aml_package(struct aml *a, int nelem)
{
	if (nelem < 0 || nelem > 255) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, 0x12);			/* PackageOp */
	aml_open(a, K_PKG);
	aml_byte(a, (uint8_t)nelem);
}

void
aml_buffer(struct aml *a)
{
	aml_byte(a, 0x11);			/* BufferOp */
	aml_open(a, K_BUFFER);
}

void
aml_if(struct aml *a)
{
	aml_byte(a, 0xA0);			/* IfOp */
	aml_open(a, K_PKG);
}

void
aml_else(struct aml *a)
{
	aml_byte(a, 0xA1);			/* ElseOp */
	aml_open(a, K_PKG);
}

void
aml_opregion(struct aml *a, const char *name, int space, uint64_t offset,
    uint64_t len)
{
	aml_byte(a, 0x5B);			/* OpRegionOp */
	aml_byte(a, 0x80);
	aml_namestring(a, name);
	aml_byte(a, (uint8_t)space);
	aml_integer(a, offset);
	aml_integer(a, len);
}

void
aml_field(struct aml *a, const char *region, int flags)
{
	aml_byte(a, 0x5B);			/* FieldOp */
	aml_byte(a, 0x81);
	aml_open(a, K_PKG);
	aml_namestring(a, region);
	aml_byte(a, (uint8_t)flags);
}

/* NamedField := NameSeg PkgLength, the length in bits (20.2.5.2). */
void
aml_field_named(struct aml *a, const char *seg, uint32_t bits)
{
	uint8_t b[4];

	if (strchr(seg, '.') != NULL || bits > AML_MAX_PKGLEN) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_nameseg(a, seg);
	aml_bytes(a, b, (size_t)pkglen_raw(bits, b));
}

void
aml_field_reserved(struct aml *a, uint32_t bits)
{
	uint8_t b[4];

	if (bits > AML_MAX_PKGLEN) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, 0x00);			/* ReservedField */
	aml_bytes(a, b, (size_t)pkglen_raw(bits, b));
}

/* ---- Resource templates (ACPI 6.4 6.4) ---- */

void
aml_rt_begin(struct aml *a)
{
	aml_buffer(a);
}

void
aml_rt_end(struct aml *a)
{
	/* End Tag (6.4.2.9); checksum 0 means "treat as valid". */
	aml_byte(a, 0x79);
	aml_byte(a, 0x00);
	aml_end(a);
}

/* I/O Port Descriptor (6.4.2.5), 16-bit decode. */
void
aml_rt_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
    uint8_t len)
{
	aml_byte(a, 0x47);
	aml_byte(a, 0x01);
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

/* IRQ Descriptor (6.4.2.1): 2-byte form without flags. */
void
aml_rt_irq(struct aml *a, uint16_t mask, int flags)
{
	aml_byte(a, flags < 0 ? 0x22 : 0x23);
	aml_le(a, mask, 2);
	if (flags >= 0)
		aml_byte(a, (uint8_t)flags);
}

/* 32-Bit Fixed Memory Range Descriptor (6.4.3.4). */
void
aml_rt_memory32_fixed(struct aml *a, int rw, uint32_t base, uint32_t len)
{
	aml_byte(a, 0x86);
	aml_le(a, 9, 2);
	aml_byte(a, rw ? 0x01 : 0x00);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

/*
 * Address Space Descriptors (6.4.3.5.1-3), as a producer with fixed
 * minimum and maximum and positive decode (general flags 0x0C).
 */
#define	ASD_PRODUCER_FIXED	0x0C
#define	ASD_MEMORY		0
#define	ASD_IO			1
#define	ASD_BUS			2

static void
aml_rt_asd(struct aml *a, int tag, int width, int rtype, int tflags,
    uint64_t min, uint64_t max)
{
	aml_byte(a, (uint8_t)tag);
	aml_le(a, (uint64_t)(3 + 5 * width), 2);
	aml_byte(a, (uint8_t)rtype);
	aml_byte(a, ASD_PRODUCER_FIXED);
	aml_byte(a, (uint8_t)tflags);
	aml_le(a, 0, width);			/* granularity */
	aml_le(a, min, width);
	aml_le(a, max, width);
	aml_le(a, 0, width);			/* translation offset */
	aml_le(a, max - min + 1, width);
}

void
aml_rt_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	aml_rt_asd(a, 0x88, 2, ASD_BUS, 0, min, max);
}

/* I/O flags: _RNG = 3, ISA and non-ISA ranges. */
void
aml_rt_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	aml_rt_asd(a, 0x88, 2, ASD_IO, 0x03, min, max);
}

/* Memory flags: read-write, non-cacheable (_RW = 1, _MEM = 0). */
void
aml_rt_dword_memory(struct aml *a, uint32_t min, uint32_t max)
{
	aml_rt_asd(a, 0x87, 4, ASD_MEMORY, 0x01, min, max);
}

void
aml_rt_qword_memory(struct aml *a, uint64_t min, uint64_t max)
{
	aml_rt_asd(a, 0x8A, 8, ASD_MEMORY, 0x01, min, max);
}
