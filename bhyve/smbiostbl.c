/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMBIOS structures (DSP0134 3.x: 5.2.1 and 5.2.2 entry points, 6.1
 * structure format, 7.x the types; see smbiostbl.h).  Each structure is its
 * formatted area followed by its string set: numbered NUL-terminated
 * strings, then one more NUL (two NULs if it has none).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bhyve/bhyve_options.h"
#include "bhyve/config.h"
#include "bhyve/le_bytes.h"
#include "bhyve/smbiostbl.h"
#include "libvmmapi/vmmapi.h"

#define	EPS_LEN		SMBIOS_EPS_LEN
#define	TABLE_OFF	SMBIOS_TABLE_OFF

struct sbuf_ {
	uint8_t		*buf;
	size_t		cap;
	size_t		len;
	int		error;
	/* the structure being built */
	size_t		start;
	int		nstr;
	int		nstructs;
	int		maxsize;
	uint16_t	handle;
};

/* Start a structure with a formatted area of `len' bytes (zeroed). */
static uint8_t *
s_begin(struct sbuf_ *s, int type, int len)
{
	uint8_t *h;

	if (s->error != 0 || s->len + (size_t)len + 2 > s->cap) {
		s->error = -ENOSPC;
		return (NULL);
	}
	h = s->buf + s->len;
	memset(h, 0, (size_t)len);
	h[0] = (uint8_t)type;
	h[1] = (uint8_t)len;
	put_le(h + 2, s->handle, 2);
	s->start = s->len;
	s->len += (size_t)len;
	s->nstr = 0;
	return (h);
}

/* Append a string to the current structure's set: its number, 0 for
 * none ("" or NULL). */
static uint8_t
s_str(struct sbuf_ *s, const char *str)
{
	size_t n;

	if (str == NULL || *str == '\0' || s->error != 0)
		return (0);
	n = strlen(str) + 1;
	if (s->len + n + 2 > s->cap || s->nstr >= 255) {
		s->error = -ENOSPC;
		return (0);
	}
	memcpy(s->buf + s->len, str, n);
	s->len += n;
	return ((uint8_t)++s->nstr);
}

static void
s_end(struct sbuf_ *s)
{
	if (s->error != 0)
		return;
	if (s->nstr == 0)
		s->buf[s->len++] = 0;
	s->buf[s->len++] = 0;
	if ((int)(s->len - s->start) > s->maxsize)
		s->maxsize = (int)(s->len - s->start);
	s->nstructs++;
	s->handle++;
}

static const char *
cfg(const char *key, const char *def)
{
	const char *v = get_config_value(key);

	return (v != NULL ? v : def);
}

/* Strings are set after the formatted area is filled: the area is at
 * buf + start, which s_str does not move. */
#define	AREA(s)	((s)->buf + (s)->start)

static void
type0_bios(struct sbuf_ *s)
{
	if (s_begin(s, 0, 0x18) == NULL)
		return;
	AREA(s)[4] = s_str(s, cfg("bios.vendor", "BHYVE"));
	AREA(s)[5] = s_str(s, cfg("bios.version", "14.0"));
	put_le(AREA(s) + 6, 0xF000, 2);		/* start segment */
	AREA(s)[8] = s_str(s, cfg("bios.release_date", "10/17/2021"));
	AREA(s)[9] = 0;				/* ROM size: 64 KiB */
	put_le(AREA(s) + 10, 1u << 7, 8);	/* PCI supported */
	AREA(s)[18] = 0x01;			/* ACPI supported */
	AREA(s)[19] = 0x10;			/* virtual machine */
	AREA(s)[20] = 14;			/* BIOS major.minor */
	AREA(s)[21] = 0;
	AREA(s)[22] = 0xFF;			/* no embedded controller */
	AREA(s)[23] = 0xFF;
	s_end(s);
}

static void
type1_system(struct sbuf_ *s, const uint8_t *uuid)
{
	uint8_t *u;

	if (s_begin(s, 1, 0x1B) == NULL)
		return;
	AREA(s)[4] = s_str(s, cfg("system.manufacturer", "FreeBSD"));
	AREA(s)[5] = s_str(s, cfg("system.product_name", "BHYVE"));
	AREA(s)[6] = s_str(s, cfg("system.version", "1.0"));
	AREA(s)[7] = s_str(s, cfg("system.serial_number", "None"));
	/* 7.2.1: time_low, time_mid, time_hi_and_version little-endian. */
	u = AREA(s) + 8;
	for (int i = 0; i < 4; i++)
		u[i] = uuid[3 - i];
	u[4] = uuid[5];
	u[5] = uuid[4];
	u[6] = uuid[7];
	u[7] = uuid[6];
	memcpy(u + 8, uuid + 8, 8);
	AREA(s)[24] = 0x06;			/* woken by power switch */
	AREA(s)[25] = s_str(s, cfg("system.sku", "None"));
	AREA(s)[26] = s_str(s, cfg("system.family_name", "Virtual Machine"));
	s_end(s);
}

#define	CHASSIS_HANDLE	3

static void
type2_board(struct sbuf_ *s)
{
	if (s_begin(s, 2, 0x0F) == NULL)
		return;
	AREA(s)[4] = s_str(s, cfg("board.manufacturer", "FreeBSD"));
	AREA(s)[5] = s_str(s, cfg("board.product_name", "BHYVE"));
	AREA(s)[6] = s_str(s, cfg("board.version", "1.0"));
	AREA(s)[7] = s_str(s, cfg("board.serial_number", "None"));
	AREA(s)[8] = s_str(s, cfg("board.asset_tag", "None"));
	AREA(s)[9] = 0x01;			/* hosting board */
	AREA(s)[10] = s_str(s, cfg("board.location", "None"));
	put_le(AREA(s) + 11, CHASSIS_HANDLE, 2);
	AREA(s)[13] = 0x0A;			/* motherboard */
	s_end(s);
}

static void
type3_chassis(struct sbuf_ *s)
{
	if (s_begin(s, 3, 0x16) == NULL)
		return;
	AREA(s)[4] = s_str(s, cfg("chassis.manufacturer", "FreeBSD"));
	AREA(s)[5] = 0x01;			/* other */
	AREA(s)[6] = s_str(s, cfg("chassis.version", "1.0"));
	AREA(s)[7] = s_str(s, cfg("chassis.serial_number", "None"));
	AREA(s)[8] = s_str(s, cfg("chassis.asset_tag", "None"));
	AREA(s)[9] = 0x03;			/* states: safe */
	AREA(s)[10] = 0x03;
	AREA(s)[11] = 0x03;
	AREA(s)[12] = 0x03;			/* security: none */
	AREA(s)[21] = s_str(s, cfg("chassis.sku", "None"));
	s_end(s);
}

/*
 * A count in the 8-bit field and the 3.0 16-bit one (7.5.6-7.5.8): the
 * byte says FFh when the count does not fit and the word has it.
 */
static void
put_count(uint8_t *area, int off8, int off16, int n)
{
	if (n > 0xFFFF)
		n = 0xFFFF;
	area[off8] = (uint8_t)(n > 255 ? 0xFF : n);
	put_le(area + off16, (uint64_t)n, 2);
}

static void
type4_cpu(struct sbuf_ *s, const struct smbios_params *p, int socket)
{
	char sock[16];
	int threads = p->cores * p->threads;

	/* 3.0 length: Core Count 2, Core Enabled 2, Thread Count 2. */
	if (s_begin(s, 4, 0x30) == NULL)
		return;
	snprintf(sock, sizeof(sock), "CPU #%d", socket);
	AREA(s)[4] = s_str(s, sock);
	AREA(s)[5] = 0x03;			/* central processor */
	AREA(s)[6] = 0xFE;			/* see family 2 */
	AREA(s)[7] = s_str(s, " ");
	AREA(s)[16] = s_str(s, " ");
	AREA(s)[24] = 0x41;			/* populated, enabled */
	AREA(s)[25] = 0x01;			/* upgrade: other */
	put_le(AREA(s) + 26, 0xFFFF, 2);	/* no cache structures */
	put_le(AREA(s) + 28, 0xFFFF, 2);
	put_le(AREA(s) + 30, 0xFFFF, 2);
	put_count(AREA(s), 35, 42, p->cores);		/* core count */
	put_count(AREA(s), 36, 44, p->cores);		/* enabled */
	put_count(AREA(s), 37, 46, threads);		/* thread count */
	put_le(AREA(s) + 38, 0x04, 2);		/* 64-bit capable */
	put_le(AREA(s) + 40, 0x01, 2);		/* family: other */
	s_end(s);
}


static void
type16_array(struct sbuf_ *s, uint64_t total)
{
	if (s_begin(s, 16, 0x17) == NULL)
		return;
	AREA(s)[4] = 0x03;			/* system board */
	AREA(s)[5] = 0x03;			/* system memory */
	AREA(s)[6] = 0x03;			/* no error correction */
	put_le(AREA(s) + 7, 0x80000000u, 4);	/* see extended */
	put_le(AREA(s) + 11, 0xFFFE, 2);	/* no error information */
	put_le(AREA(s) + 13, 1, 2);		/* one device */
	put_le(AREA(s) + 15, total, 8);
	s_end(s);
}

static void
type17_device(struct sbuf_ *s, uint16_t array, uint64_t total)
{
	uint64_t mb = total >> 20;

	if (s_begin(s, 17, 0x28) == NULL)
		return;
	put_le(AREA(s) + 4, array, 2);
	put_le(AREA(s) + 6, 0xFFFE, 2);
	put_le(AREA(s) + 8, 64, 2);		/* total width */
	put_le(AREA(s) + 10, 64, 2);		/* data width */
	if (mb < 0x7FFF) {
		put_le(AREA(s) + 12, mb, 2);
	} else {
		put_le(AREA(s) + 12, 0x7FFF, 2);	/* see extended */
		put_le(AREA(s) + 28, mb > 0x7FFFFFFF ? 0x7FFFFFFF : mb, 4);
	}
	AREA(s)[14] = 0x09;			/* DIMM */
	AREA(s)[16] = s_str(s, "DIMM 0");
	AREA(s)[17] = s_str(s, "Bank 0");
	AREA(s)[18] = 0x07;			/* RAM */
	put_le(AREA(s) + 19, 0x0004, 2);	/* type detail: unknown */
	s_end(s);
}

static void
type19_mapped(struct sbuf_ *s, uint16_t array, uint64_t base, uint64_t len)
{
	uint64_t end = base + len - 1;

	if (s_begin(s, 19, 0x1F) == NULL)
		return;
	if ((end >> 10) < 0xFFFFFFFF) {
		put_le(AREA(s) + 4, base >> 10, 4);	/* KiB */
		put_le(AREA(s) + 8, end >> 10, 4);
	} else {
		put_le(AREA(s) + 4, 0xFFFFFFFF, 4);
		put_le(AREA(s) + 8, 0xFFFFFFFF, 4);
		put_le(AREA(s) + 15, base, 8);
		put_le(AREA(s) + 23, end, 8);
	}
	put_le(AREA(s) + 12, array, 2);
	AREA(s)[14] = 1;			/* partition width */
	s_end(s);
}

static void
type_simple(struct sbuf_ *s, int type, int len)
{
	if (s_begin(s, type, len) == NULL)
		return;
	s_end(s);
}

long
smbios_build(const struct smbios_params *p, uint64_t gpa, uint8_t *buf,
    size_t bufsize)
{
	struct sbuf_ s;
	uint8_t *e = buf, *e3 = buf + SMBIOS_EPS3_OFF;
	uint16_t array;

	if (p->sockets < 1 || p->cores < 1 || p->threads < 1 ||
	    bufsize < TABLE_OFF || gpa > UINT32_MAX - bufsize)
		return (-EINVAL);
	memset(&s, 0, sizeof(s));
	s.buf = buf + TABLE_OFF;
	s.cap = bufsize - TABLE_OFF;
	type0_bios(&s);
	type1_system(&s, p->uuid);
	type2_board(&s);
	type3_chassis(&s);		/* handle CHASSIS_HANDLE */
	for (int i = 0; i < p->sockets; i++)
		type4_cpu(&s, p, i);
	array = s.handle;
	type16_array(&s, p->lowmem + p->highmem);
	type17_device(&s, array, p->lowmem + p->highmem);
	type19_mapped(&s, array, 0, p->lowmem);
	if (p->highmem > 0)
		type19_mapped(&s, array, 4ULL << 30, p->highmem);
	type_simple(&s, 32, 0x0B);		/* boot: no errors */
	type_simple(&s, 127, 4);
	if (s.error != 0)
		return (s.error);
	if (s.len > 0xFFFF)
		return (-ENOSPC);
	/* 5.2.1 SMBIOS 2.1 (32-bit) entry point. */
	memset(e, 0, TABLE_OFF);
	memcpy(e, "_SM_", 4);
	e[5] = EPS_LEN;
	e[6] = SMBIOS_MAJOR;
	e[7] = SMBIOS_MINOR;
	put_le(e + 8, (uint64_t)s.maxsize, 2);
	memcpy(e + 16, "_DMI_", 5);
	put_le(e + 22, s.len, 2);
	put_le(e + 24, gpa + TABLE_OFF, 4);
	put_le(e + 28, (uint64_t)s.nstructs, 2);
	e[30] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;	/* BCD revision */
	e[21] = (uint8_t)-byte_sum(e + 16, 15);
	e[4] = (uint8_t)-byte_sum(e, EPS_LEN);
	/*
	 * 5.2.2 SMBIOS 3.0 (64-bit) entry point: no structure count (the
	 * table ends with type 127), a maximum size, a 64-bit address.
	 */
	memcpy(e3, "_SM3_", 5);
	e3[6] = SMBIOS_EPS3_LEN;
	e3[7] = SMBIOS_MAJOR;
	e3[8] = SMBIOS_MINOR;
	e3[9] = 0;				/* docrev */
	e3[10] = 0x01;				/* entry point revision 3.0 */
	put_le(e3 + 12, s.len, 4);
	put_le(e3 + 16, gpa + TABLE_OFF, 8);
	e3[5] = (uint8_t)-byte_sum(e3, SMBIOS_EPS3_LEN);
	return ((long)(TABLE_OFF + s.len));
}

int
smbios_install(struct vmctx *ctx, const struct smbios_params *p)
{
	uint8_t *buf = vm_map_gpa(ctx, SMBIOS_GPA, SMBIOS_MAXLEN);
	long len;

	if (buf == NULL)
		return (-EFAULT);
	len = smbios_build(p, SMBIOS_GPA, buf, SMBIOS_MAXLEN);
	return (len < 0 ? (int)len : 0);
}

static uint64_t
fnv1a64(const char *s, uint64_t h)
{
	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001B3ULL;		/* FNV 64-bit prime */
	}
	return (h);
}

int
smbios_uuid(const char *vmname, uint8_t uuid[16])
{
	const char *v = get_config_value("uuid");
	char host[256], key[512];
	uint64_t h1, h2;

	if (v != NULL)
		return (bhyve_parse_uuid(v, uuid) == 0 ? 0 : -EINVAL);
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	snprintf(key, sizeof(key), "%s/%s", host, vmname);
	h1 = fnv1a64(key, 0xCBF29CE484222325ULL);	/* FNV offset basis */
	h2 = fnv1a64(key, h1 ^ 0x5555555555555555ULL);
	for (int i = 0; i < 8; i++) {
		uuid[i] = (uint8_t)(h1 >> (56 - 8 * i));
		uuid[8 + i] = (uint8_t)(h2 >> (56 - 8 * i));
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0F) | 0x80);	/* version 8 */
	uuid[8] = (uint8_t)((uuid[8] & 0x3F) | 0x80);	/* RFC 4122 variant */
	return (0);
}
