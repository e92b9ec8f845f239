/* SPDX-License-Identifier: BSD-2-Clause */
/* SMBIOS: entry point checksums, structure walk with string sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

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
	assert_memory_equal(buf, "_SM_", 4);
	assert_int_equal(buf[5], 0x1F);
	assert_int_equal(byte_sum(buf, 0x1F), 0);
	assert_memory_equal(buf + 16, "_DMI_", 5);
	assert_int_equal(byte_sum(buf + 16, 15), 0);
	assert_int_equal(get_le(buf + 24, 4), GPA + 0x20);
	assert_int_equal(get_le(buf + 22, 2) + 0x20, len);
	s = buf + 0x20;
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
			assert_int_equal(s[35], 2);
			assert_int_equal(s[37], 4);
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
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_too_small),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
