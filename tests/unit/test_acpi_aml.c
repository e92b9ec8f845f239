/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AML encoder against encodings worked out by hand from ACPI 6.4
 * chapter 20 (grammar) and 6.4 (resource descriptors).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bhyve/acpi_aml.h"

#define	EXPECT_AML(a, ...) do {						\
	static const uint8_t want_[] = { __VA_ARGS__ };			\
	assert_int_equal(aml_error(a), 0);				\
	assert_int_equal((a)->len, sizeof(want_));			\
	assert_memory_equal((a)->buf, want_, sizeof(want_));		\
} while (0)

static void
test_name_eisaid(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_name(&a, "_HID");
	aml_eisaid(&a, "PNP0A03");
	EXPECT_AML(&a, 0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03);
	assert_int_equal(aml_eisaid_value("PNP0A08"), 0x080AD041);
	assert_int_equal(aml_eisaid_value("pnp0a08"), 0);
	aml_free(&a);
}

static void
test_integers(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 2);
	aml_integer(&a, 0xFF);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x100000000ULL);
	aml_integer(&a, UINT64_MAX);
	EXPECT_AML(&a, 0x00, 0x01, 0x0A, 0x02, 0x0A, 0xFF, 0x0B, 0x00, 0x01,
	    0x0C, 0x78, 0x56, 0x34, 0x12,
	    0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xFF);
	aml_free(&a);
}

static void
test_namestrings(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_namestring(&a, "\\_SB");
	aml_namestring(&a, "\\_SB.PC00");
	aml_namestring(&a, "^ISA");
	aml_namestring(&a, "\\_SB.PC00.ISA.PIRA");
	aml_namestring(&a, "\\");
	EXPECT_AML(&a, '\\', '_', 'S', 'B', '_',
	    '\\', 0x2E, '_', 'S', 'B', '_', 'P', 'C', '0', '0',
	    '^', 'I', 'S', 'A', '_',
	    '\\', 0x2F, 4, '_', 'S', 'B', '_', 'P', 'C', '0', '0', 'I', 'S',
	    'A', '_', 'P', 'I', 'R', 'A',
	    '\\', 0x00);
	aml_free(&a);
	/* Bad segments: too long, leading digit, lower case, empty. */
	const char *bad[] = { "ABCDE", "0ABC", "abc", "A..B", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a);
		aml_namestring(&a, bad[i]);
		if (bad[i][0] != '\0')
			assert_int_equal(aml_error(&a), -EINVAL);
		aml_free(&a);
	}
}

static void
test_scope_method_string(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	/* Scope(\_SB) { Method(_PIC, 1) { Store(Arg0, PICM) } } */
	aml_scope(&a, "\\_SB");
	aml_method(&a, "_PIC", 1);
	aml_byte(&a, AML_OP_STORE);
	aml_byte(&a, AML_ARG0);
	aml_namestring(&a, "PICM");
	aml_end(&a);
	aml_end(&a);
	aml_name_string(&a, "_STR", "ab");
	EXPECT_AML(&a, 0x10, 0x13, '\\', '_', 'S', 'B', '_',
	    0x14, 0x0C, '_', 'P', 'I', 'C', 0x01, 0x70, 0x68,
	    'P', 'I', 'C', 'M',
	    0x08, '_', 'S', 'T', 'R', 0x0D, 'a', 'b', 0x00);
	aml_free(&a);
}

/* 20.2.4: lengths of 63 and more bytes need a multi-byte PkgLength. */
static void
test_pkglength(void **state)
{
	struct aml a;
	uint8_t zeros[200] = { 0 };

	(void)state;
	aml_init(&a);
	aml_scope(&a, "\\");		/* 2 bytes of name */
	aml_bytes(&a, zeros, 60);	/* 62 + 1 = 63: one byte */
	aml_end(&a);
	assert_int_equal(a.len, 1 + 1 + 62);
	assert_int_equal(a.buf[1], 63);
	aml_free(&a);

	aml_init(&a);
	aml_scope(&a, "\\");
	aml_bytes(&a, zeros, 61);	/* 63 + 2 = 65: two bytes */
	aml_end(&a);
	assert_int_equal(a.len, 1 + 2 + 63);
	assert_int_equal(a.buf[1], 0x40 | (65 & 0xF));
	assert_int_equal(a.buf[2], 65 >> 4);
	aml_free(&a);

	aml_init(&a);
	aml_package(&a, 0);
	for (int i = 0; i < 25; i++)
		aml_bytes(&a, zeros, 200);	
	aml_end(&a);
	/* 5001 content bytes: 3-byte PkgLength, 5004 total. */
	assert_int_equal(a.buf[1] >> 6, 2);
	assert_int_equal((a.buf[1] & 0xF) | a.buf[2] << 4 | a.buf[3] << 12,
	    5004);
	aml_free(&a);
}

static void
test_package_buffer(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_name(&a, "_S5");
	aml_package(&a, 2);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_end(&a);
	aml_buffer(&a);
	aml_byte(&a, 0xAA);
	aml_byte(&a, 0xBB);
	aml_end(&a);
	EXPECT_AML(&a, 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0A, 0x05,
	    0x00,
	    0x11, 0x05, 0x0A, 0x02, 0xAA, 0xBB);
	aml_free(&a);
}

static void
test_resources(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_rt_begin(&a);
	aml_rt_io(&a, 0x3F8, 0x3F8, 1, 8);
	aml_rt_irq(&a, 1 << 4, -1);
	aml_rt_irq(&a, 0, AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED);
	aml_rt_memory32_fixed(&a, 0, 0xFED00000, 0x400);
	aml_rt_end(&a);
	/* 8 + 3 + 4 + 12 + 2 = 29 bytes; BufferSize 0x0A 29. */
	EXPECT_AML(&a, 0x11, 32, 0x0A, 29,
	    0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08,
	    0x22, 0x10, 0x00,
	    0x23, 0x00, 0x00, 0x18,
	    0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0xD0, 0xFE, 0x00, 0x04, 0x00,
	    0x00,
	    0x79, 0x00);
	aml_free(&a);

	aml_init(&a);
	aml_rt_word_bus(&a, 0, 255);
	aml_rt_dword_memory(&a, 0xC0000000, 0xDFFFFFFF);
	EXPECT_AML(&a, 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x01,
	    0x87, 0x17, 0x00, 0x00, 0x0C, 0x01,
	    0, 0, 0, 0, 0x00, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xFF, 0xDF,
	    0, 0, 0, 0, 0x00, 0x00, 0x00, 0x20);
	aml_free(&a);

	aml_init(&a);
	aml_rt_qword_memory(&a, 0xD000000000ULL, 0xFCFFFFFFFFULL);
	assert_int_equal(a.len, 46);
	assert_int_equal(a.buf[0], 0x8A);
	assert_int_equal(a.buf[1], 0x2B);
	aml_free(&a);
}

static void
test_field(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_opregion(&a, "PIRQ", AML_REGION_PCICFG, 0x60, 0x0C);
	aml_field(&a, "PIRQ", 0x01);
	aml_field_named(&a, "PIRA", 8);
	aml_field_reserved(&a, 32);
	aml_field_named(&a, "PIRE", 8);
	aml_end(&a);
	EXPECT_AML(&a, 0x5B, 0x80, 'P', 'I', 'R', 'Q', 0x02, 0x0A, 0x60, 0x0A,
	    0x0C,
	    0x5B, 0x81, 0x12, 'P', 'I', 'R', 'Q', 0x01, 'P', 'I', 'R', 'A', 8,
	    0x00, 32, 'P', 'I', 'R', 'E', 8);
	aml_free(&a);
}

static void
test_errors(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_scope(&a, "\\_SB");
	assert_int_equal(aml_error(&a), -EINVAL);	/* left open */
	aml_end(&a);
	assert_int_equal(aml_error(&a), 0);
	aml_end(&a);					/* one too many */
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);

	aml_init(&a);
	aml_eisaid(&a, "PNP0A0");
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);

	aml_init(&a);
	aml_package(&a, 256);
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);

	aml_init(&a);
	for (int i = 0; i < AML_MAXDEPTH + 1; i++)
		aml_scope(&a, "\\");
	assert_int_equal(aml_error(&a), -E2BIG);
	aml_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_eisaid),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_namestrings),
		cmocka_unit_test(test_scope_method_string),
		cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_package_buffer),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_errors),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
