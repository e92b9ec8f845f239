/* SPDX-License-Identifier: BSD-2-Clause */
/* pc-testdev ports and MMIO window, the debug exit and the POST port. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/pctestdev.h"
#include "bhyve/post.h"
#include "bhyve/snapshot.h"
#include "tests/unit/snap_fixture.h"
#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

struct env {
	struct vmctx	*ctx;
	struct pctestdev *td;
};

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->ctx = test_vm_new("testdev-test", 1 << 20);
	init_inout();
	init_mem(1);
	e->td = pctestdev_init(e->ctx);
	assert_non_null(e->td);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	pctestdev_fini(e->td);
	vm_destroy(e->ctx);
	test_free(e);
	return (0);
}

static uint32_t
io(struct env *e, int in, int port, int bytes, uint32_t v)
{
	struct vm_exit vme;

	memset(&vme, 0, sizeof(vme));
	vme.exitcode = VM_EXITCODE_INOUT;
	vme.u.inout.port = (uint16_t)port;
	vme.u.inout.bytes = (uint8_t)bytes;
	vme.u.inout.in = in;
	vme.u.inout.eax = v;
	assert_int_equal(emulate_inout(e->ctx, NULL, &vme), 0);
	return (vme.u.inout.eax);
}

static void
test_scratch_flush(void **state)
{
	struct env *e = *state;

	io(e, 0, 0xE0, 4, 0x12345678);
	assert_int_equal(io(e, 1, 0xE0, 4, 0), 0x12345678);
	assert_int_equal(io(e, 1, 0xE0, 2, 0), 0x5678);
	assert_int_equal(io(e, 1, 0xE1, 1, 0), 0x56);
	io(e, 0, 0xE2, 1, 0xAB);
	assert_int_equal(io(e, 1, 0xE0, 4, 0), 0x12AB5678);
	io(e, 0, 0xE0, 2, 0xBEEF);
	assert_int_equal(io(e, 1, 0xE0, 4, 0), 0x12ABBEEF);
	/* An access running past 0xE3 keeps to the register. */
	io(e, 0, 0xE3, 4, 0xFFFFFF99);
	assert_int_equal(io(e, 1, 0xE0, 4, 0), 0x99ABBEEF);
	io(e, 0, 0xE4, 4, 1);			/* flush */
	assert_int_equal(io(e, 1, 0xE4, 1, 0xFF), 0);
}

static void
test_irq_lines(void **state)
{
	struct env *e = *state;

	/* Assert and deassert ISA and IOAPIC lines; repeated writes of the
	 * same level are idempotent. */
	io(e, 0, 0x2000 + 14, 1, 1);
	io(e, 0, 0x2000 + 14, 1, 1);
	io(e, 0, 0x2000 + 14, 1, 0);
	io(e, 0, 0x2000 + 20, 1, 1);
	io(e, 0, 0x2000 + 20, 1, 0);
	io(e, 0, 0x2000 + 23, 4, 0);
	assert_int_equal(io(e, 1, 0x2000, 1, 0xFF), 0);
}

static void
test_mmio(void **state)
{
	struct env *e = *state;
	uint64_t v;

	assert_int_equal(write_mem(NULL, PCTESTDEV_MEM_BASE + 8,
	    0x1122334455667788ULL, 8), 0);
	assert_int_equal(read_mem(NULL, PCTESTDEV_MEM_BASE + 8, &v, 8), 0);
	assert_int_equal(v, 0x1122334455667788ULL);
	assert_int_equal(read_mem(NULL, PCTESTDEV_MEM_BASE + 9, &v, 2), 0);
	assert_int_equal(v, 0x6677);
	assert_int_equal(write_mem(NULL, PCTESTDEV_MEM_BASE + 0xFFFC,
	    0xCAFEF00D, 4), 0);
	assert_int_equal(read_mem(NULL, PCTESTDEV_MEM_BASE + 0xFFFC, &v, 4),
	    0);
	assert_int_equal(v, 0xCAFEF00D);
	/* Straddling the end of the window: no overrun, 0xFF outside. */
	assert_int_equal(pctestdev_mmio(e->td, MEM_F_READ,
	    PCTESTDEV_MEM_BASE + 0xFFFE, 4, &v), 0);
	assert_int_equal(v, 0xFFFFCAFE);
	v = 0x1234;
	assert_int_equal(pctestdev_mmio(e->td, MEM_F_WRITE,
	    PCTESTDEV_MEM_BASE + 0xFFFF, 2, &v), 0);
	assert_int_equal(pctestdev_mmio(e->td, MEM_F_READ,
	    PCTESTDEV_MEM_BASE - 1, 2, &v), 0);
	assert_int_equal(v, 0x00FF);
	assert_int_equal(pctestdev_mmio(e->td, MEM_F_READ,
	    PCTESTDEV_MEM_BASE, 16, &v), -1);
}

static void
test_exit(void **state)
{
	struct env *e = *state;

	assert_int_equal(pctestdev_exit_status(e->td), -1);
	io(e, 0, 0xF4, 4, 0x10);
	assert_int_equal(pctestdev_exit_status(e->td), 0x21);
	io(e, 0, 0xF4, 1, 0);			/* the first one counts */
	assert_int_equal(pctestdev_exit_status(e->td), 0x21);
	assert_int_equal(pctestdev_exit_status(NULL), -1);
}

static void
test_exit_width(void **state)
{
	struct env *e = *state;

	io(e, 0, 0xF4, 1, 0x1FF);
	assert_int_equal(pctestdev_exit_status(e->td), 0x1FF);
}

static void
test_post(void **state)
{
	struct env *e = *state;
	struct post_port *pp = post_init();

	assert_non_null(pp);
	assert_int_equal(post_last_code(pp), 0xFF);
	io(e, 0, 0x80, 1, 0x42);
	assert_int_equal(post_last_code(pp), 0x42);
	assert_int_equal(io(e, 1, 0x80, 1, 0), 0xFF);
	assert_null(post_init());		/* port taken */
	post_fini(pp);
}

/* Save, fresh devices, restore: scratch, lines, memory, POST code. */
static void
test_snapshot(void **state)
{
	struct env *e = *state;
	struct post_port *pp = post_init();
	struct snap_image *img, *again;
	struct snap_rec *r;
	uint64_t v;
	char err[256];

	assert_non_null(pp);
	io(e, 0, 0xE0, 4, 0xdeadbeef);
	io(e, 0, 0x2000 + 5, 1, 1);
	assert_int_equal(write_mem(NULL, PCTESTDEV_MEM_BASE + 0x100,
	    0x0102030405060708ULL, 8), 0);
	io(e, 0, 0x80, 1, 0x42);
	assert_int_equal(snapshot_save_image(&img, err, sizeof(err)), 0);

	pctestdev_fini(e->td);
	post_fini(pp);
	e->td = pctestdev_init(e->ctx);
	pp = post_init();
	assert_non_null(e->td);
	assert_non_null(pp);
	assert_int_equal(io(e, 1, 0xE0, 4, 0), 0);
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)), 0);
	snap_image_free(img);

	assert_int_equal(io(e, 1, 0xE0, 4, 0), 0xdeadbeef);
	assert_int_equal(read_mem(NULL, PCTESTDEV_MEM_BASE + 0x100, &v, 8),
	    0);
	assert_int_equal(v, 0x0102030405060708ULL);
	assert_int_equal(post_last_code(pp), 0x42);
	assert_int_equal(pctestdev_exit_status(e->td), -1);
	/* The line levels came back (not readable through the ports). */
	assert_int_equal(snapshot_save_image(&again, err, sizeof(err)), 0);
	r = snap_image_find(again, "pc-testdev");
	assert_int_equal(snap_get_u64(r, "irq", &v), 0);
	assert_int_equal(v, 1u << 5);
	snap_image_free(again);
	io(e, 0, 0x2000 + 5, 1, 0);
	post_fini(pp);
}

static void
test_snapshot_refused(void **state)
{
	struct env *e = *state;
	struct post_port *pp = post_init();
	struct snap_image *img;
	struct snap_rec *r;
	char err[256];

	assert_non_null(pp);
	io(e, 0, 0xE0, 4, 0x11223344);
#define	REFUSED(id, tweak, msg) do {					\
	/* the scratch port moves on after the save */			\
	SNAP_REFUSED(id, (tweak, io(e, 0, 0xE0, 4, 0x55667788)), msg);	\
	assert_int_equal(io(e, 1, 0xE0, 4, 0), 0x55667788);		\
	io(e, 0, 0xE0, 4, 0x11223344);					\
} while (0)

	REFUSED("pc-testdev", snap_put_u64(r, "irq", 1u << 24), "\"irq\"");
	REFUSED("pc-testdev", snap_put_u64(r, "exit_status", 2),
	    "not a status");
	REFUSED("pc-testdev", snap_put_blob(r, "mem", "x", 1),
	    "mem has 1 bytes");
	REFUSED("pc-testdev", snap_put_blob(r, "scratch", "abc", 3),
	    "3 bytes, expected 4");
#undef REFUSED
	/* POST: registered after pc-testdev, which is restored first. */
	assert_int_equal(snapshot_save_image(&img, err, sizeof(err)), 0);
	r = snap_image_find(img, "post");
	assert_int_equal(snap_put_u64(r, "last", 0x100), 0);
	io(e, 0, 0x80, 1, 0x17);
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)),
	    -ERANGE);
	assert_non_null(strstr(err, "restoring post (post v1): field "
	    "\"last\" = 0x100 out of range"));
	assert_int_equal(post_last_code(pp), 0x17);
	snap_image_free(img);
	post_fini(pp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scratch_flush, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_irq_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_width, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_post, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_refused, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
