/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the unit tests that need a VM through libvmmapi: create and
 * open one, with `memsize' bytes of guest memory (none when 0).
 */
#ifndef _TESTS_VM_FIXTURE_H_
#define _TESTS_VM_FIXTURE_H_

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "libvmmapi/vmmapi.h"

static inline struct vmctx *
test_vm_new(const char *name, size_t memsize)
{
	struct vmctx *ctx;

	assert_int_equal(vm_create(name), 0);
	ctx = vm_open(name);
	assert_non_null(ctx);
	if (memsize != 0)
		assert_int_equal(vm_setup_memory(ctx, memsize, VM_MMAP_ALL), 0);
	return (ctx);
}

#endif /* _TESTS_VM_FIXTURE_H_ */
