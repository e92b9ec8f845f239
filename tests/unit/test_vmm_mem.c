/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest memory: lowmem/highmem layout, guard regions, vm_map_gpa bounds
 * (incl. wrap-around), devmem segments, devmem shadowing sysmem in the
 * legacy hole, and the CPU's ram_page view.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"
#include "vmm/vmm_mem.h"

#define	MB	(1ULL << 20)
#define	GB	(1ULL << 30)

static void
test_lowmem_only(void **state)
{
	struct vmctx *ctx = test_vm_new("mem-low", 64 * MB);
	uint8_t *p;

	(void)state;
	assert_int_equal(vm_get_lowmem_size(ctx), 64 * MB);
	assert_int_equal(vm_get_highmem_size(ctx), 0);
	assert_int_equal(vm_get_lowmem_limit(ctx), 3 * GB);
	assert_int_equal(vm_get_highmem_base(ctx), 4 * GB);
	p = vm_map_gpa(ctx, 0, 64 * MB);
	assert_non_null(p);
	assert_ptr_equal(vm_map_gpa(ctx, 4096, 1), p + 4096);
	assert_non_null(vm_map_gpa(ctx, 64 * MB - 1, 1));
	assert_non_null(vm_map_gpa(ctx, 64 * MB - 1, 0));
	assert_null(vm_map_gpa(ctx, 64 * MB, 1));
	assert_null(vm_map_gpa(ctx, 64 * MB, 0));
	assert_null(vm_map_gpa(ctx, 64 * MB - 4096, 8192));
	assert_null(vm_map_gpa(ctx, 0, 64 * MB + 1));
	assert_null(vm_map_gpa(ctx, 4 * GB, 1));
	/* Memory is zeroed and writable. */
	assert_int_equal(p[12345], 0);
	p[12345] = 0x5a;
	assert_int_equal(*(uint8_t *)vm_map_gpa(ctx, 12345, 1), 0x5a);
	/* Set up again: the same size is kept, another one refused. */
	assert_int_equal(vm_setup_memory(ctx, 64 * MB, VM_MMAP_ALL), 0);
	assert_int_equal(p[12345], 0x5a);
	assert_int_equal(vm_setup_memory(ctx, 128 * MB, VM_MMAP_ALL), -1);
	assert_int_equal(errno, EEXIST);
	vm_destroy(ctx);
}

static void
test_overflow(void **state)
{
	struct vmctx *ctx = test_vm_new("mem-ovf", 5 * GB);

	(void)state;
	/* gpa + len wraps around: must not pass. */
	assert_null(vm_map_gpa(ctx, UINT64_MAX - 10, 100));
	assert_null(vm_map_gpa(ctx, 4096, SIZE_MAX));
	assert_null(vm_map_gpa(ctx, 4 * GB + 4096, SIZE_MAX - 4095));
	assert_null(vm_map_gpa(ctx, UINT64_MAX, 1));
	assert_null(vm_map_gpa(ctx, 1, UINT64_MAX));
	vm_destroy(ctx);
}

static void
test_highmem(void **state)
{
	struct vmctx *ctx = test_vm_new("mem-high", 5 * GB);
	uint8_t *lo, *hi;

	(void)state;
	assert_int_equal(vm_get_lowmem_size(ctx), 3 * GB);
	assert_int_equal(vm_get_highmem_size(ctx), 2 * GB);
	lo = vm_map_gpa(ctx, 3 * GB - 4096, 4096);
	assert_non_null(lo);
	/* The PCI hole is not memory, and no range may span it. */
	assert_null(vm_map_gpa(ctx, 3 * GB, 1));
	assert_null(vm_map_gpa(ctx, 3 * GB - 4096, 8192));
	assert_null(vm_map_gpa(ctx, 4 * GB - 1, 2));
	hi = vm_map_gpa(ctx, 4 * GB, 2 * GB);
	assert_non_null(hi);
	assert_null(vm_map_gpa(ctx, 6 * GB, 1));
	assert_null(vm_map_gpa(ctx, 6 * GB - 1, 2));
	/* Highmem continues the same segment after lowmem. */
	hi[0] = 0xa5;
	lo[0] = 0x3c;
	assert_int_equal(*(uint8_t *)vm_map_gpa(ctx, 4 * GB, 1), 0xa5);
	assert_int_equal(vm_rev_map_gpa(ctx, hi + 77), 4 * GB + 77);
	assert_int_equal(vm_rev_map_gpa(ctx, lo), 3 * GB - 4096);
	assert_int_equal(vm_rev_map_gpa(ctx, &ctx), (vm_paddr_t)-1);
	vm_destroy(ctx);
}

/* Touch a host address in a child; true if the child took SIGSEGV. */
static bool
faults(volatile uint8_t *p)
{
	pid_t pid;
	int st;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		(void)*p;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

static void
test_guards(void **state)
{
	struct vmctx *ctx = test_vm_new("mem-guard", 5 * GB);
	uint8_t *base = vm_map_gpa(ctx, 0, 1);

	(void)state;
	assert_non_null(base);
	assert_false(faults(base));
	assert_true(faults(base - 1));			/* below gpa 0 */
	assert_true(faults(base - VMM_GUARD_SIZE));
	assert_true(faults(base + 3 * GB));		/* the PCI hole */
	assert_true(faults(base + 4 * GB - 1));
	assert_false(faults(base + 4 * GB));
	assert_false(faults(base + 6 * GB - 1));
	assert_true(faults(base + 6 * GB));		/* above highmem */
	vm_destroy(ctx);
}

static void
test_devmem(void **state)
{
	struct vmctx *ctx = test_vm_new("mem-dev", 16 * MB);
	const uint64_t rom = 4 * GB - 64 * 1024;
	uint8_t *p, *g;

	(void)state;
	p = vm_create_devmem(ctx, VM_BOOTROM, "bootrom", 64 * 1024);
	assert_ptr_not_equal(p, MAP_FAILED);
	memset(p, 0x90, 64 * 1024);
	p[64 * 1024 - 16] = 0xea;
	/* Same segment twice, bad names, sysmem id: refused. */
	assert_ptr_equal(vm_create_devmem(ctx, VM_BOOTROM, "x", 4096),
	    MAP_FAILED);
	assert_ptr_equal(vm_create_devmem(ctx, VM_PCIROM, "", 4096),
	    MAP_FAILED);
	assert_ptr_equal(vm_create_devmem(ctx, VM_SYSMEM, "y", 4096),
	    MAP_FAILED);
	/* Bad mappings. */
	assert_int_equal(vm_mmap_memseg(ctx, rom + 1, VM_BOOTROM, 0,
	    64 * 1024, PROT_READ), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(vm_mmap_memseg(ctx, rom, VM_BOOTROM, 4096,
	    64 * 1024, PROT_READ), -1);
	assert_int_equal(vm_mmap_memseg(ctx, rom, VM_FRAMEBUFFER, 0,
	    64 * 1024, PROT_READ), -1);
	assert_int_equal(vm_mmap_memseg(ctx, 0, VM_BOOTROM, 0, 64 * 1024,
	    PROT_READ), -1);			/* overlaps lowmem */
	assert_int_equal(errno, EEXIST);
	assert_int_equal(vm_mmap_memseg(ctx, UINT64_MAX - 4095, VM_BOOTROM,
	    0, 64 * 1024, PROT_READ), -1);
	/* The boot ROM, read-only, ending at 4 GiB. */
	assert_int_equal(vm_mmap_memseg(ctx, rom, VM_BOOTROM, 0, 64 * 1024,
	    PROT_READ | PROT_EXEC), 0);
	/* Not sysmem: vm_map_gpa does not hand it out. */
	assert_null(vm_map_gpa(ctx, rom, 16));
	g = vm_map_gpa(ctx, 0, 1);
	assert_int_equal(g[rom + 64 * 1024 - 16], 0xea);
	vm_destroy(ctx);
}

static void
test_ram_page(void **state)
{
	struct vmm_mem *m = vmm_mem_create();
	void *host;
	uint8_t *pg;

	(void)state;
	assert_non_null(m);
	assert_int_equal(vmm_mem_setup_sysmem(m, 5 * GB), 0);
	pg = vmm_mem_ram_page(m, 0x1234, true);
	assert_ptr_equal(pg, vmm_mem_base(m) + 0x1000);
	assert_non_null(vmm_mem_ram_page(m, 4 * GB + 5, false));
	assert_null(vmm_mem_ram_page(m, 3 * GB, false));
	assert_null(vmm_mem_ram_page(m, 6 * GB, false));
	assert_int_equal(vmm_mem_alloc_devmem(m, VM_BOOTROM, "rom", 8192,
	    &host), 0);
	assert_int_equal(vmm_mem_mmap(m, 4 * GB - 8192, VM_BOOTROM, 0, 8192,
	    PROT_READ), 0);
	((uint8_t *)host)[4100] = 7;
	pg = vmm_mem_ram_page(m, 4 * GB - 4096, false);
	assert_non_null(pg);
	assert_int_equal(pg[4], 7);
	assert_null(vmm_mem_ram_page(m, 4 * GB - 4096, true));
	assert_int_equal(vmm_mem_prot(m, 4 * GB - 1), PROT_READ);
	assert_int_equal(vmm_mem_prot(m, 3 * GB), -1);
	assert_int_equal(vmm_mem_top(m), 6 * GB);
	/* Unmapped again: not memory any more; sysmem cannot go. */
	assert_int_equal(vmm_mem_munmap(m, 4 * GB - 8192, 4096), -EINVAL);
	assert_int_equal(vmm_mem_munmap(m, 4 * GB - 8192, 8192), 0);
	assert_null(vmm_mem_ram_page(m, 4 * GB - 4096, false));
	assert_int_equal(vmm_mem_munmap(m, 0, 3 * GB), -EPERM);
	vmm_mem_destroy(m);
}

/* A ROM over lowmem at 0xE0000-0xFFFFF hides the RAM until unmapped. */
static void
test_shadow(void **state)
{
	struct vmm_mem *m = vmm_mem_create();
	const uint64_t rom = 0xE0000, romlen = 0x20000;
	uint8_t *base, *host, *pg;
	void *h;

	(void)state;
	assert_non_null(m);
	assert_int_equal(vmm_mem_setup_sysmem(m, 16 * MB), 0);
	base = vmm_mem_base(m);
	base[0xF0000] = 0x11;			/* RAM under the ROM */
	assert_int_equal(vmm_mem_alloc_devmem(m, VM_BOOTROM, "rom", romlen,
	    &h), 0);
	host = h;
	memset(host, 0xAB, romlen);
	/* Outside the hole, or across its end, overlapping is refused. */
	assert_int_equal(vmm_mem_mmap(m, 0x90000, VM_BOOTROM, 0, romlen,
	    PROT_READ), -EEXIST);
	assert_int_equal(vmm_mem_mmap(m, 0xF0000, VM_BOOTROM, 0, romlen,
	    PROT_READ), -EEXIST);
	assert_int_equal(vmm_mem_mmap(m, rom, VM_BOOTROM, 0, romlen,
	    PROT_READ | PROT_EXEC), 0);
	/* Not twice over the same place. */
	assert_int_equal(vmm_mem_mmap(m, 0xF0000, VM_BOOTROM, 0, 0x1000,
	    PROT_READ), -EEXIST);
	/* The CPU reads the ROM there and may not write it. */
	pg = vmm_mem_ram_page(m, 0xF0123, false);
	assert_ptr_equal(pg, base + 0xF0000);
	assert_int_equal(pg[0], 0xAB);
	assert_null(vmm_mem_ram_page(m, 0xF0000, true));
	assert_null(vmm_mem_ram_page(m, rom, true));
	assert_int_equal(vmm_mem_prot(m, 0xFFFFF), PROT_READ | PROT_EXEC);
	/* RAM next to it is as before. */
	assert_non_null(vmm_mem_ram_page(m, rom - 1, true));
	assert_non_null(vmm_mem_ram_page(m, 0x100000, true));
	assert_int_equal(vmm_mem_prot(m, rom - 1),
	    PROT_READ | PROT_WRITE | PROT_EXEC);
	/* Devices and loaders get no pointer into it. */
	assert_null(vmm_mem_map_gpa(m, 0xF0000, 1));
	assert_null(vmm_mem_map_gpa(m, 0xFFFFF, 0));
	assert_null(vmm_mem_map_gpa(m, rom - 1, 2));
	assert_null(vmm_mem_map_gpa(m, 0, 16 * MB));
	assert_non_null(vmm_mem_map_gpa(m, 0, rom));
	assert_non_null(vmm_mem_map_gpa(m, 0x100000, 15 * MB));
	assert_int_equal(vmm_mem_rev_map(m, base + 0xF0000), (uint64_t)-1);
	/* Unmapped: the RAM shows again, with what it held. */
	assert_int_equal(vmm_mem_munmap(m, rom, romlen), 0);
	pg = vmm_mem_ram_page(m, 0xF0000, true);
	assert_ptr_equal(pg, base + 0xF0000);
	assert_int_equal(pg[0], 0x11);
	assert_non_null(vmm_mem_map_gpa(m, 0, 16 * MB));
	assert_int_equal(vmm_mem_prot(m, 0xF0000),
	    PROT_READ | PROT_WRITE | PROT_EXEC);
	vmm_mem_destroy(m);
}

/* lowmem ending inside the hole: only the RAM part is shadowed. */
static void
test_shadow_partial(void **state)
{
	struct vmm_mem *m = vmm_mem_create();
	uint8_t *base;
	void *h;

	(void)state;
	assert_non_null(m);
	assert_int_equal(vmm_mem_setup_sysmem(m, 0xF0000), 0);
	base = vmm_mem_base(m);
	assert_int_equal(vmm_mem_alloc_devmem(m, VM_BOOTROM, "rom", 0x20000,
	    &h), 0);
	((uint8_t *)h)[0x1FFFF] = 0xEA;
	assert_int_equal(vmm_mem_mmap(m, 0xE0000, VM_BOOTROM, 0, 0x20000,
	    PROT_READ), 0);
	assert_int_equal(vmm_mem_ram_page(m, 0xFF000, false)[0xFFF], 0xEA);
	assert_null(vmm_mem_ram_page(m, 0xE8000, true));
	assert_int_equal(vmm_mem_munmap(m, 0xE0000, 0x20000), 0);
	assert_ptr_equal(vmm_mem_ram_page(m, 0xE8000, true), base + 0xE8000);
	assert_null(vmm_mem_ram_page(m, 0xF8000, false));	/* no RAM */
	assert_true(faults(base + 0xF8000));
	assert_false(faults(base + 0xE8000));
	vmm_mem_destroy(m);
}

static void
test_two_vms(void **state)
{
	struct vmctx *a = test_vm_new("mem-a", 8 * MB);
	struct vmctx *b = test_vm_new("mem-b", 8 * MB);
	uint8_t *pa = vm_map_gpa(a, 0, 8 * MB), *pb = vm_map_gpa(b, 0, 8 * MB);

	(void)state;
	assert_ptr_not_equal(pa, pb);
	pa[100] = 1;
	assert_int_equal(pb[100], 0);
	vm_destroy(a);
	vm_destroy(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowmem_only),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_highmem),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_devmem),
		cmocka_unit_test(test_ram_page),
		cmocka_unit_test(test_shadow),
		cmocka_unit_test(test_shadow_partial),
		cmocka_unit_test(test_two_vms),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
