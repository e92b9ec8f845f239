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
#include <stdint.h>
#include <string.h>

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

/*
 * Put `len' bytes of real-mode code at `gpa' (below 64 KiB) and point
 * `vcpu' at it: CS base 0, IP = gpa, RFLAGS = 2 (interrupts off).
 */
static inline void
test_load_real(struct vmctx *ctx, struct vcpu *vcpu, uint64_t gpa,
    const uint8_t *code, size_t len)
{
	uint8_t *p = vm_map_gpa(ctx, gpa, len);

	assert_non_null(p);
	memcpy(p, code, len);
	assert_int_equal(vm_set_desc(vcpu, VM_REG_GUEST_CS, 0, 0xffff, 0x9b),
	    0);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_CS, 0), 0);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_RIP, gpa), 0);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_RFLAGS, 2), 0);
}

#endif /* _TESTS_VM_FIXTURE_H_ */
