/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the unit tests of the configuration tree (test_config.c,
 * test_options.c, test_pci_slot.c): cmocka setup/teardown that give each
 * test a fresh, empty tree, and assert_value() for a key's value.
 */
#ifndef _TESTS_CONFIG_FIXTURE_H_
#define _TESTS_CONFIG_FIXTURE_H_

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "bhyve/config.h"

static inline int
setup(void **state)
{
	(void)state;
	init_config();
	return (0);
}

static inline int
teardown(void **state)
{
	(void)state;
	free_config();
	return (0);
}

/* Fail unless `key` is set to `want` (unset when `want` is NULL). */
static inline void
assert_value(const char *key, const char *want)
{
	const char *got = get_config_value(key);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("%s: got \"%s\", want unset", key, got);
		return;
	}
	if (got == NULL)
		fail_msg("%s: unset, want \"%s\"", key, want);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", key, got, want);
}

#endif /* _TESTS_CONFIG_FIXTURE_H_ */
