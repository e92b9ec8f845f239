/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMBIOS: both entry points (checksums, lengths, version, the same
 * table), structure walk with string sets, and dmidecode's reading of a
 * dump of our tables when dmidecode is installed (scripts/deps.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bhyve/config.h"
#include "bhyve/le_bytes.h"
#include "bhyve/smbiostbl.h"

#define	GPA	0xF1000

/* String `n' of the structure at s (6.1.3), or NULL. */
static const char *
str(const uint8_t *s, int n)
{
	const char *p = (const char *)s + s[1];

	if (n == 0)
		return (NULL);
	while (--n > 0)
		p += strlen(p) + 1;
	return (p);
}

static void
test_walk(void **state)
{
	static uint8_t buf[SMBIOS_MAXLEN];
	struct smbios_params p = { .lowmem = 3ULL << 30,
	    .highmem = 2ULL << 30, .sockets = 2, .cores = 2, .threads = 2 };
	const uint8_t *s, *end;
	int count = 0, cpus = 0, t19 = 0, maxsz = 0, seen[128] = { 0 };
	long len;

	(void)state;
	init_config();
	set_config_value("system.product_name", "TestBox");
	set_config_value("chassis.sku", "");
	for (int i = 0; i < 16; i++)
		p.uuid[i] = (uint8_t)i;
	len = smbios_build(&p, GPA, buf, sizeof(buf));
	assert_true(len > 0);
	/* 5.2.1: the 32-bit entry point, version 3.0. */
	assert_memory_equal(buf, "_SM_", 4);
	assert_int_equal(buf[5], 0x1F);
	assert_int_equal(byte_sum(buf, 0x1F), 0);
	assert_int_equal(buf[6], 3);
	assert_int_equal(buf[7], 0);
	assert_int_equal(buf[10], 0);			/* EPS revision */
	assert_memory_equal(buf + 16, "_DMI_", 5);
	assert_int_equal(byte_sum(buf + 16, 15), 0);
	assert_int_equal(get_le(buf + 24, 4), GPA + 0x40);
	assert_int_equal(get_le(buf + 22, 2) + 0x40, len);
	assert_int_equal(buf[30], 0x30);		/* BCD revision */
	/* 5.2.2: the 64-bit one, 16-byte aligned, the same table. */
	assert_int_equal(SMBIOS_EPS3_OFF % 16, 0);
	assert_memory_equal(buf + 0x20, "_SM3_", 5);
	assert_int_equal(buf[0x26], 0x18);
	assert_int_equal(byte_sum(buf + 0x20, 0x18), 0);
	assert_int_equal(buf[0x27], 3);
	assert_int_equal(buf[0x28], 0);
	assert_int_equal(buf[0x29], 0);			/* docrev */
	assert_int_equal(buf[0x2A], 1);			/* EPS revision */
	assert_int_equal(buf[0x2B], 0);
	assert_int_equal(get_le(buf + 0x2C, 4), get_le(buf + 22, 2));
	assert_int_equal(get_le(buf + 0x30, 8), get_le(buf + 24, 4));
	s = buf + 0x40;
	end = s + get_le(buf + 22, 2);
	while (s < end) {
		const uint8_t *next = s + s[1];
		int nstr = 0;

		assert_true(s[1] >= 4);
		assert_int_equal(get_le(s + 2, 2), count);	/* handles */
		/* String set: strings, then an extra NUL. */
		if (next[0] == 0 && next[1] == 0) {
			next += 2;
		} else {
			while (*next != 0) {
				next += strlen((const char *)next) + 1;
				nstr++;
			}
			next++;
		}
		assert_true(next <= end);
		if ((int)(next - s) > maxsz)
			maxsz = (int)(next - s);
		seen[s[0] & 127]++;
		switch (s[0]) {
		case 0:
			assert_string_equal(str(s, s[4]), "BHYVE");
			assert_string_equal(str(s, s[5]), "14.0");
			break;
		case 1:
			assert_string_equal(str(s, s[5]), "TestBox");
			assert_string_equal(str(s, s[4]), "FreeBSD");
			assert_string_equal(str(s, s[26]), "Virtual Machine");
			/* 7.2.1 byte order */
			assert_int_equal(s[8], 3);
			assert_int_equal(s[11], 0);
			assert_int_equal(s[12], 5);
			assert_int_equal(s[14], 7);
			assert_int_equal(s[16], 8);
			break;
		case 3:
			assert_int_equal(s[21], 0);	/* "" -> no string */
			break;
		case 4:
			/* 3.0 length, with the 16-bit counts too. */
			assert_int_equal(s[1], 0x30);
			assert_int_equal(s[35], 2);
			assert_int_equal(s[37], 4);
			assert_int_equal(get_le(s + 0x2A, 2), 2);
			assert_int_equal(get_le(s + 0x2C, 2), 2);
			assert_int_equal(get_le(s + 0x2E, 2), 4);
			cpus++;
			break;
		case 17:
			assert_int_equal(get_le(s + 12, 2), 5 * 1024);
			break;
		case 19:
			t19++;
			break;
		}
		(void)nstr;
		count++;
		s = next;
		if (seen[127])
			break;
	}
	assert_ptr_equal(s, end);
	assert_int_equal(count, get_le(buf + 28, 2));
	assert_int_equal(maxsz, get_le(buf + 8, 2));
	assert_int_equal(cpus, 2);
	assert_int_equal(t19, 2);
	for (int t = 0; t <= 4; t++)
		assert_int_equal(seen[t], t == 4 ? 2 : 1);
	assert_int_equal(seen[16] + seen[17] + seen[32] + seen[127], 4);
	free_config();
}

/* Counts past 255: FFh in the byte, the count in the 3.0 word. */
static void
test_many_cores(void **state)
{
	static uint8_t buf[SMBIOS_MAXLEN];
	struct smbios_params p = { .lowmem = 1 << 30, .sockets = 1,
	    .cores = 300, .threads = 2 };
	const uint8_t *s;

	(void)state;
	init_config();
	assert_true(smbios_build(&p, GPA, buf, sizeof(buf)) > 0);
	s = buf + 0x40;
	while (s[0] != 4) {
		const uint8_t *n = s + s[1];

		while (n[0] != 0 || n[1] != 0)
			n++;
		s = n + 2;
	}
	assert_int_equal(s[0x23], 0xFF);
	assert_int_equal(s[0x24], 0xFF);
	assert_int_equal(s[0x25], 0xFF);
	assert_int_equal(get_le(s + 0x2A, 2), 300);
	assert_int_equal(get_le(s + 0x2C, 2), 300);
	assert_int_equal(get_le(s + 0x2E, 2), 600);
	free_config();
}

/*
 * dmidecode --from-dump reads a file holding an entry point at offset
 * 0 whose table address is 32, and the table at 32 (what its
 * --dump-bin writes).  Our tables, through either entry point.
 */
static const char *
dmidecode_path(void)
{
	static const char *const paths[] = { "/usr/sbin/dmidecode",
	    "/sbin/dmidecode", "/usr/bin/dmidecode" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return (paths[i]);
	return (NULL);
}

/* Dump with the entry point at `ep' (`eplen' bytes); dmidecode output. */
static char *
dmidecode_dump(const char *tool, const uint8_t *buf, long len, int ep,
    int eplen, int addr_off, int addr_len)
{
	static char out[16384];
	uint8_t head[32];
	char path[64], cmd[256];
	FILE *fp;
	size_t n;

	memset(head, 0, sizeof(head));
	memcpy(head, buf + ep, (size_t)eplen);
	put_le(head + addr_off, 32, addr_len);
	/* Fix the checksums the new address broke. */
	if (eplen == 0x1F) {
		head[21] = 0;
		head[21] = (uint8_t)-byte_sum(head + 16, 15);
		head[4] = 0;
		head[4] = (uint8_t)-byte_sum(head, 0x1F);
	} else {
		head[5] = 0;
		head[5] = (uint8_t)-byte_sum(head, (size_t)eplen);
	}
	snprintf(path, sizeof(path), "/tmp/plat-smbios-%d.bin", (int)getpid());
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(head, 1, 32, fp), 32);
	n = (size_t)len - 0x40;
	assert_int_equal(fwrite(buf + 0x40, 1, n, fp), n);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "%s --from-dump %s 2>&1", tool, path);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	assert_int_equal(pclose(fp), 0);
	unlink(path);
	return (out);
}

static void
test_dmidecode(void **state)
{
	static uint8_t buf[SMBIOS_MAXLEN];
	struct smbios_params p = { .lowmem = 3ULL << 30,
	    .highmem = 2ULL << 30, .sockets = 2, .cores = 4, .threads = 2 };
	const char *tool = dmidecode_path();
	char *out;
	long len;

	(void)state;
	if (tool == NULL) {
		print_message("dmidecode not installed: skipped\n");
		skip();
	}
	init_config();
	set_config_value("system.product_name", "TestBox");
	for (int i = 0; i < 16; i++)
		p.uuid[i] = (uint8_t)(0x10 + i);
	len = smbios_build(&p, GPA, buf, sizeof(buf));
	assert_true(len > 0);
	for (int pass = 0; pass < 2; pass++) {
		out = pass == 0 ?
		    dmidecode_dump(tool, buf, len, 0x20, 0x18, 0x10, 8) :
		    dmidecode_dump(tool, buf, len, 0, 0x1F, 0x18, 4);
		assert_non_null(strstr(out, pass == 0 ?
		    "SMBIOS 3.0.0 present." : "SMBIOS 3.0 present."));
		assert_null(strstr(out, "Invalid"));
		assert_null(strstr(out, "Wrong DMI"));
		assert_null(strstr(out, "<TRUNCATED>"));
		assert_non_null(strstr(out, "Product Name: TestBox"));
		assert_non_null(strstr(out,
		    "UUID: 10111213-1415-1617-1819-1a1b1c1d1e1f"));
		assert_non_null(strstr(out, "Core Count: 4"));
		assert_non_null(strstr(out, "Thread Count: 8"));
		assert_non_null(strstr(out, "Size: 5 GB"));
		assert_non_null(strstr(out, "End Of Table"));
	}
	free_config();
}

static void
test_uuid(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	init_config();
	assert_int_equal(smbios_uuid("vm1", a), 0);
	assert_int_equal(smbios_uuid("vm1", b), 0);
	assert_memory_equal(a, b, 16);			/* deterministic */
	assert_int_equal(a[6] >> 4, 8);
	assert_int_equal(a[8] >> 6, 2);
	assert_int_equal(smbios_uuid("vm2", b), 0);
	assert_memory_not_equal(a, b, 16);
	set_config_value("uuid", "01234567-89ab-cdef-0123-456789abcdef");
	assert_int_equal(smbios_uuid("vm1", a), 0);
	assert_int_equal(a[0], 0x01);
	assert_int_equal(a[15], 0xEF);
	set_config_value("uuid", "nonsense");
	assert_int_equal(smbios_uuid("vm1", a), -EINVAL);
	free_config();
}

static void
test_too_small(void **state)
{
	static uint8_t buf[200];
	struct smbios_params p = { .lowmem = 1 << 30, .sockets = 1,
	    .cores = 1, .threads = 1 };

	(void)state;
	init_config();
	assert_int_equal(smbios_build(&p, GPA, buf, sizeof(buf)), -ENOSPC);
	p.sockets = 0;
	assert_int_equal(smbios_build(&p, GPA, buf, sizeof(buf)), -EINVAL);
	free_config();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_many_cores),
		cmocka_unit_test(test_dmidecode),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_too_small),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
