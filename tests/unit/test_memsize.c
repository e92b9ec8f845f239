/* SPDX-License-Identifier: BSD-2-Clause */
/* vm_parse_memsize(): bhyve -m syntax. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "libvmmapi/vmmapi.h"

#define	KiB	(1024ULL)
#define	MiB	(1024ULL * KiB)
#define	GiB	(1024ULL * MiB)
#define	TiB	(1024ULL * GiB)

static void
expect_size(const char *s, uint64_t want)
{
	size_t got = 12345;

	if (vm_parse_memsize(s, &got) != 0)
		fail_msg("\"%s\" rejected (errno %d)", s, errno);
	if (got != want)
		fail_msg("\"%s\": got %zu, want %ju", s, got, (uintmax_t)want);
}

static void
expect_error(const char *s, int err)
{
	size_t got = 12345;

	errno = 0;
	if (vm_parse_memsize(s, &got) == 0)
		fail_msg("\"%s\" accepted as %zu", s, got);
	assert_int_equal(errno, err);
	assert_int_equal(got, 12345);	/* untouched on error */
}

static void
test_plain_megabytes(void **state)
{
	(void)state;
	expect_size("256", 256 * MiB);
	expect_size("1", 1 * MiB);
	expect_size("0", 0);
	expect_size("1048575", 1048575 * MiB);	/* just below 1 MiB */
	expect_size("0x100", 256 * MiB);	/* strtoul base 0 */
	expect_size("010", 8 * MiB);		/* octal */
}

static void
test_plain_bytes(void **state)
{
	(void)state;
	expect_size("1048576", 1 * MiB);	/* 1 MiB and more: bytes */
	expect_size("268435456", 256 * MiB);
	expect_size("0x100000", 1 * MiB);
	expect_size("4294967296", 4 * GiB);
}

static void
test_suffixes(void **state)
{
	(void)state;
	expect_size("256M", 256 * MiB);
	expect_size("256m", 256 * MiB);
	expect_size("1G", 1 * GiB);
	expect_size("1g", 1 * GiB);
	expect_size("2T", 2 * TiB);
	expect_size("2t", 2 * TiB);
	expect_size("512K", 512 * KiB);
	expect_size("512k", 512 * KiB);
	expect_size("1P", 1024 * TiB);
	expect_size("1e", 1024 * 1024 * TiB);
	expect_size("4096B", 4096);		/* bytes, even below 1 MiB */
	expect_size("4096b", 4096);
	expect_size("256MB", 256 * MiB);	/* expand_number's optional B */
	expect_size("1gb", 1 * GiB);
	expect_size("0x10M", 16 * MiB);
	expect_size("0G", 0);
}

static void
test_empty_and_garbage(void **state)
{
	(void)state;
	expect_error("", EINVAL);
	expect_error("M", EINVAL);
	expect_error("foo", EINVAL);
	expect_error("256X", EINVAL);
	expect_error("256 M", EINVAL);
	expect_error("256M ", EINVAL);
	expect_error(" 256M", EINVAL);
	expect_error("256MM", EINVAL);
	expect_error("256MBB", EINVAL);
	expect_error("256BB", EINVAL);
	expect_error("1.5G", EINVAL);
	expect_error("-1", EINVAL);
	expect_error("-256M", EINVAL);
	expect_error("+256M", EINVAL);
	expect_error("0x", EINVAL);
	expect_error("08", EINVAL);
	expect_error("256Mx", EINVAL);
}

static void
test_overflow(void **state)
{
	(void)state;
	expect_error("18446744073709551616", ERANGE);	/* 2^64 */
	expect_error("99999999999999999999999999", ERANGE);
	expect_error("16E", ERANGE);
	expect_error("17179869184G", ERANGE);		/* 2^34 GiB */
	expect_size("18446744073709551615", UINT64_MAX);
	expect_size("15E", 15ULL << 60);
}

static void
test_very_long(void **state)
{
	char buf[4096];

	(void)state;
	memset(buf, '0', sizeof(buf) - 3);
	buf[sizeof(buf) - 3] = '1';
	buf[sizeof(buf) - 2] = 'M';
	buf[sizeof(buf) - 1] = '\0';
	/* Leading zeros make it octal 1: still 1 MiB. */
	expect_size(buf, 1 * MiB);
	memset(buf, '9', sizeof(buf) - 1);
	expect_error(buf, ERANGE);
}

static void
test_null(void **state)
{
	size_t sz;

	(void)state;
	assert_int_equal(vm_parse_memsize(NULL, &sz), -1);
	assert_int_equal(vm_parse_memsize("1G", NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_megabytes),
		cmocka_unit_test(test_plain_bytes),
		cmocka_unit_test(test_suffixes),
		cmocka_unit_test(test_empty_and_garbage),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_very_long),
		cmocka_unit_test(test_null),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
