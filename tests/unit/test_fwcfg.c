/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU fw_cfg: legacy items, file directory, data port reads past the
 * end, and the DMA interface with good and bad descriptors (addresses
 * outside guest memory, overflowing lengths, writes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bhyve/acpi.h"
#include "bhyve/config.h"
#include "bhyve/firmware.h"
#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/qemu_fwcfg.h"
#include "bhyve/snapshot.h"
#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

#define	MB	(1ULL << 20)
#define	DESC	0x1000ULL
#define	DST	0x2000ULL

struct env {
	struct vmctx	*ctx;
	struct qemu_fwcfg *fc;
	uint8_t		*mem;
};

static int
setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	e->ctx = test_vm_new("fwcfg-test", 2 * MB);
	e->mem = vm_map_gpa(e->ctx, 0, 2 * MB);
	assert_non_null(e->mem);
	e->fc = qemu_fwcfg_create(e->ctx);
	assert_non_null(e->fc);
	*state = e;
	return (0);
}

static int
teardown(void **state)
{
	struct env *e = *state;

	qemu_fwcfg_destroy(e->fc);
	vm_destroy(e->ctx);
	test_free(e);
	return (0);
}

static void
sel(struct env *e, uint16_t key)
{
	uint32_t v = key;

	assert_int_equal(qemu_fwcfg_pio(e->fc, 0, FWCFG_PORT_SEL, 2, &v), 0);
}

static uint8_t
rd8(struct env *e)
{
	uint32_t v = 0;

	assert_int_equal(qemu_fwcfg_pio(e->fc, 1, FWCFG_PORT_DATA, 1, &v), 0);
	return ((uint8_t)v);
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
}

static void
test_legacy(void **state)
{
	struct env *e = *state;
	char sig[5] = { 0 };
	uint32_t v;

	sel(e, FWCFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)rd8(e);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(rd8(e), 0);		/* past the end */
	sel(e, FWCFG_ID);
	assert_int_equal(rd8(e), FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA);
	/* A 4-byte read takes four data bytes. */
	sel(e, FWCFG_SIGNATURE);
	v = 0;
	qemu_fwcfg_pio(e->fc, 1, FWCFG_PORT_DATA, 4, &v);
	assert_int_equal(v, 0x554D4551);
	/* Unknown and arch-specific keys read as empty. */
	sel(e, 0x1234);
	assert_int_equal(rd8(e), 0);
	sel(e, 0x8000);
	assert_int_equal(rd8(e), 0);
	v = 0x2;
	assert_int_equal(qemu_fwcfg_add_item(e->fc, FWCFG_NB_CPUS, &v, 2), 0);
	sel(e, FWCFG_NB_CPUS);
	assert_int_equal(rd8(e), 2);
	assert_int_equal(rd8(e), 0);
	assert_int_not_equal(qemu_fwcfg_add_item(e->fc, FWCFG_FILE_DIR, &v,
	    2), 0);
	/* DMA signature. */
	qemu_fwcfg_pio(e->fc, 1, FWCFG_PORT_DMA, 4, &v);
	assert_memory_equal(&v, "QEMU", 4);
	qemu_fwcfg_pio(e->fc, 1, FWCFG_PORT_DMA + 4, 4, &v);
	assert_memory_equal(&v, " CFG", 4);
}

static void
test_files(void **state)
{
	struct env *e = *state;
	uint8_t dir[4 + 3 * 64];
	char name[FWCFG_FILE_NAMELEN + 8];

	assert_int_equal(qemu_fwcfg_add_file(e->fc, "opt/b", "BBB", 3), 0);
	assert_int_equal(qemu_fwcfg_add_file(e->fc, "etc/a", "A", 1), 0);
	assert_int_equal(qemu_fwcfg_add_file(e->fc, "zz", "", 0), 0);
	assert_int_equal(qemu_fwcfg_add_file(e->fc, "etc/a", "A", 1), -EEXIST);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(qemu_fwcfg_add_file(e->fc, name, "", 0), -EINVAL);
	assert_int_equal(qemu_fwcfg_add_file(e->fc, "", "", 0), -EINVAL);
	sel(e, FWCFG_FILE_DIR);
	for (size_t i = 0; i < sizeof(dir); i++)
		dir[i] = rd8(e);
	assert_int_equal(be32(dir), 3);
	/* Sorted by name: etc/a, opt/b, zz at 0x20, 0x21, 0x22. */
	assert_int_equal(be32(dir + 4), 1);
	assert_int_equal(dir[8] << 8 | dir[9], 0x20);
	assert_string_equal((char *)dir + 12, "etc/a");
	assert_int_equal(be32(dir + 68), 3);
	assert_int_equal(dir[72] << 8 | dir[73], 0x21);
	assert_string_equal((char *)dir + 76, "opt/b");
	assert_string_equal((char *)dir + 140, "zz");
	sel(e, 0x21);
	assert_int_equal(rd8(e), 'B');
	assert_int_equal(rd8(e), 'B');
	assert_int_equal(rd8(e), 'B');
	assert_int_equal(rd8(e), 0);
	sel(e, 0x23);				/* no such file */
	assert_int_equal(rd8(e), 0);
}

/* Write a descriptor at gpa and trigger it. */
static uint32_t
dma(struct env *e, uint64_t gpa, uint32_t control, uint32_t len,
    uint64_t addr)
{
	uint8_t *d = gpa <= 2 * MB - 16 ? e->mem + gpa : NULL;
	uint32_t hi = __builtin_bswap32((uint32_t)(gpa >> 32));
	uint32_t lo = __builtin_bswap32((uint32_t)gpa);

	if (d != NULL) {
		for (int i = 0; i < 4; i++) {
			d[i] = (uint8_t)(control >> (24 - 8 * i));
			d[4 + i] = (uint8_t)(len >> (24 - 8 * i));
		}
		for (int i = 0; i < 8; i++)
			d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
	}
	qemu_fwcfg_pio(e->fc, 0, FWCFG_PORT_DMA, 4, &hi);
	qemu_fwcfg_pio(e->fc, 0, FWCFG_PORT_DMA + 4, 4, &lo);
	return (d != NULL ? be32(d) : 0xFFFFFFFF);
}

static void
test_dma(void **state)
{
	struct env *e = *state;
	uint64_t bad0;

	assert_int_equal(qemu_fwcfg_add_file(e->fc, "f", "hello", 5), 0);
	memset(e->mem + DST, 0xAA, 16);
	/* select + read 8: five bytes then zeros. */
	assert_int_equal(dma(e, DESC, 0x20u << 16 | FWCFG_DMA_SELECT |
	    FWCFG_DMA_READ, 8, DST), 0);
	assert_memory_equal(e->mem + DST, "hello\0\0\0", 8);
	assert_int_equal(e->mem[DST + 8], 0xAA);
	/* skip 1, read 2 */
	assert_int_equal(dma(e, DESC, 0x20u << 16 | FWCFG_DMA_SELECT |
	    FWCFG_DMA_SKIP, 1, 0), 0);
	assert_int_equal(dma(e, DESC, FWCFG_DMA_READ, 2, DST), 0);
	assert_memory_equal(e->mem + DST, "el", 2);
	/* Length 0: nothing, no error. */
	assert_int_equal(dma(e, DESC, FWCFG_DMA_READ, 0, 0xFFFFFFFFFFFFF000),
	    0);
	bad0 = qemu_fwcfg_bad_requests(e->fc);
	/* Destination outside guest memory. */
	assert_int_equal(dma(e, DESC, FWCFG_DMA_READ, 4, 3 * MB),
	    FWCFG_DMA_ERROR);
	/* Straddling the end of memory. */
	assert_int_equal(dma(e, DESC, FWCFG_DMA_READ, 8, 2 * MB - 4),
	    FWCFG_DMA_ERROR);
	/* Address + length wrapping around. */
	assert_int_equal(dma(e, DESC, FWCFG_DMA_READ, 0x20,
	    0xFFFFFFFFFFFFFFF0ULL), FWCFG_DMA_ERROR);
	/* Huge length. */
	assert_int_equal(dma(e, DESC, FWCFG_DMA_READ, 0xFFFFFFFF, DST),
	    FWCFG_DMA_ERROR);
	/* Writes are refused. */
	assert_int_equal(dma(e, DESC, 0x20u << 16 | FWCFG_DMA_SELECT |
	    FWCFG_DMA_WRITE, 4, DST), FWCFG_DMA_ERROR);
	assert_int_equal(qemu_fwcfg_bad_requests(e->fc), bad0 + 5);
	/* Descriptor itself outside memory or wrapping: ignored. */
	dma(e, 16 * MB, FWCFG_DMA_READ, 4, DST);
	dma(e, 0xFFFFFFFFFFFFFFF8ULL, FWCFG_DMA_READ, 4, DST);
	assert_int_equal(qemu_fwcfg_bad_requests(e->fc), bad0 + 7);
	/* The device still works. */
	assert_int_equal(dma(e, DESC, 0x20u << 16 | FWCFG_DMA_SELECT |
	    FWCFG_DMA_READ, 5, DST), 0);
	assert_memory_equal(e->mem + DST, "hello", 5);
}

static void
test_ports(void **state)
{
	struct env *e = *state;
	struct vm_exit vme;
	uint32_t v = 0;

	init_inout();
	assert_int_equal(qemu_fwcfg_register(e->fc), 0);
	memset(&vme, 0, sizeof(vme));
	vme.exitcode = VM_EXITCODE_INOUT;
	vme.u.inout.port = FWCFG_PORT_SEL;
	vme.u.inout.bytes = 2;
	vme.u.inout.eax = FWCFG_SIGNATURE;
	assert_int_equal(emulate_inout(e->ctx, NULL, &vme), 0);
	vme.u.inout.port = FWCFG_PORT_DATA;
	vme.u.inout.bytes = 1;
	vme.u.inout.in = 1;
	assert_int_equal(emulate_inout(e->ctx, NULL, &vme), 0);
	assert_int_equal(vme.u.inout.eax & 0xFF, 'Q');
	/* Odd accesses are harmless. */
	qemu_fwcfg_pio(e->fc, 0, FWCFG_PORT_DATA, 1, &v);
	qemu_fwcfg_pio(e->fc, 0, FWCFG_PORT_DMA + 1, 1, &v);
	qemu_fwcfg_pio(e->fc, 1, FWCFG_PORT_DMA + 2, 2, &v);
	qemu_fwcfg_unregister(e->fc);
	vme.u.inout.port = FWCFG_PORT_DATA;
	assert_int_equal(emulate_inout(e->ctx, NULL, &vme), INOUT_UNHANDLED);
}

/* Port I/O through the bhyve dispatch (the device firmware.c made). */
static uint32_t
port_io(struct env *e, int in, int port, int bytes, uint32_t v)
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
port_read(struct env *e, uint16_t key, uint8_t *buf, size_t n)
{
	port_io(e, 0, FWCFG_PORT_SEL, 2, key);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)port_io(e, 1, FWCFG_PORT_DATA, 1, 0);
}

/* Find `name' in the directory: its selector and size; -1. */
static int
dir_find(struct env *e, const char *name, uint32_t *size)
{
	uint8_t ent[64];
	uint32_t n;

	port_read(e, FWCFG_FILE_DIR, ent, 4);
	n = be32(ent);
	for (uint32_t f = 0; f < n; f++) {
		for (int i = 0; i < 64; i++)
			ent[i] = (uint8_t)port_io(e, 1, FWCFG_PORT_DATA, 1, 0);
		if (strcmp((char *)ent + 8, name) == 0) {
			*size = be32(ent);
			return (ent[4] << 8 | ent[5]);
		}
	}
	return (-1);
}

/*
 * bhyve_firmware_init() with lpc.fwcfg=qemu, a -f file and bootindex
 * keys: the fw_cfg ports answer with the expected files, and the tables
 * are in the BIOS area.
 */
static void
test_firmware(void **state)
{
	static const char *const files[] = { "etc/acpi/rsdp",
	    "etc/acpi/tables", "etc/table-loader", "etc/e820",
	    "opt/bhyve/hw.ncpu", "etc/smbios/smbios-anchor",
	    "etc/smbios/smbios-tables" };
	struct env *e = *state;
	uint8_t buf[128];
	uint32_t size;
	int key;

	init_config();
	set_config_value("lpc.fwcfg", "qemu");
	set_config_value("fwcfg.file.0.name", "opt/test");
	set_config_value("fwcfg.file.0.string", "xyz");
	set_config_value("pci.0.0.0.device", "hostbridge");
	set_config_value("pci.0.4.0.device", "virtio-blk");
	set_config_value("pci.0.4.0.bootindex", "2");
	set_config_value("pci.0.5.1.device", "virtio-blk");
	set_config_value("pci.0.5.1.bootindex", "1");
	init_inout();
	init_mem(1);
	assert_int_equal(bhyve_firmware_pci_slots(), 0x31);
	assert_int_equal(bhyve_firmware_init(e->ctx, 1), 0);
	port_io(e, 0, FWCFG_PORT_SEL, 2, FWCFG_NB_CPUS);
	assert_int_equal(port_io(e, 1, FWCFG_PORT_DATA, 2, 0), 1);
	/* No display: "nographic", which puts SeaBIOS's console on COM1. */
	port_io(e, 0, FWCFG_PORT_SEL, 2, FWCFG_NOGRAPHIC);
	assert_int_equal(port_io(e, 1, FWCFG_PORT_DATA, 2, 0), 1);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_true(dir_find(e, files[i], &size) >= FWCFG_FILE_FIRST);
	key = dir_find(e, "opt/test", &size);
	assert_int_equal(size, 3);
	port_read(e, (uint16_t)key, buf, 3);
	assert_memory_equal(buf, "xyz", 3);
	key = dir_find(e, "bootorder", &size);
	assert_true(key > 0 && size < sizeof(buf));
	port_read(e, (uint16_t)key, buf, size);
	buf[size] = 0;
	assert_string_equal((char *)buf,
	    "/pci@i0cf8/pci@5,1\n/pci@i0cf8/pci@4\n");
	key = dir_find(e, "etc/acpi/rsdp", &size);
	assert_int_equal(size, ACPI_RSDP_LEN);
	port_read(e, (uint16_t)key, buf, size);
	assert_memory_equal(buf, "RSD PTR ", 8);
	/* The RSDP, MP and SMBIOS entry points where the README says. */
	assert_memory_equal(e->mem + ACPI_RSDP_GPA, "RSD PTR ", 8);
	assert_int_equal(acpi_sum(e->mem + ACPI_RSDP_GPA, 36), 0);
	assert_memory_equal(e->mem + 0xF0000, "_MP_", 4);
	assert_memory_equal(e->mem + 0xF1000, "_SM_", 4);
	assert_memory_equal(e->mem + 0xF1020, "_SM3_", 5);
	assert_int_equal(bhyve_firmware_exit_status(3), 3);
	bhyve_firmware_fini();
	{
		struct vm_exit vme;

		memset(&vme, 0, sizeof(vme));
		vme.exitcode = VM_EXITCODE_INOUT;
		vme.u.inout.port = FWCFG_PORT_SEL;
		vme.u.inout.bytes = 2;
		assert_int_equal(emulate_inout(e->ctx, NULL, &vme),
		    INOUT_UNHANDLED);		/* the ports are free again */
	}
	free_config();
}

/*
 * Save and restore (snapshot.h): a guest half-way through reading a file
 * carries on after the record is restored into a fresh device built from
 * the same configuration; records that do not fit are refused.
 */
static void
test_snapshot(void **state)
{
	struct env *e = *state;
	struct snap_image *img;
	struct snap_rec *r;
	uint32_t v;
	char err[256];

	init_inout();
	assert_int_equal(qemu_fwcfg_add_file(e->fc, "opt/x", "hello world",
	    11), 0);
	assert_int_equal(qemu_fwcfg_register(e->fc), 0);
	sel(e, FWCFG_FILE_FIRST);
	assert_int_equal(rd8(e), 'h');
	assert_int_equal(rd8(e), 'e');
	v = 0x78563412;			/* DMA address, high half */
	assert_int_equal(qemu_fwcfg_pio(e->fc, 0, FWCFG_PORT_DMA, 4, &v), 0);
	assert_int_equal(snapshot_save_image(&img, err, sizeof(err)), 0);

	qemu_fwcfg_destroy(e->fc);
	e->fc = qemu_fwcfg_create(e->ctx);
	assert_non_null(e->fc);
	assert_int_equal(qemu_fwcfg_add_file(e->fc, "opt/x", "hello world",
	    11), 0);
	assert_int_equal(qemu_fwcfg_register(e->fc), 0);
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)), 0);
	v = 0;
	assert_int_equal(qemu_fwcfg_pio(e->fc, 1, FWCFG_PORT_SEL, 2, &v), 0);
	assert_int_equal(v, FWCFG_FILE_FIRST);
	assert_int_equal(rd8(e), 'l');
	assert_int_equal(rd8(e), 'l');

	/* Another file count, a selector wider than 16 bits: refused. */
	r = snap_image_find(img, "fwcfg");
	assert_int_equal(snap_put_u64(r, "nfiles", 5), 0);
	assert_true(snapshot_restore_image(img, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "5 files in the record, 1 here"));
	assert_int_equal(snap_put_u64(r, "nfiles", 1), 0);
	assert_int_equal(snap_put_u64(r, "selector", 0x10000), 0);
	assert_true(snapshot_restore_image(img, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "\"selector\" = 0x10000 out of range"));
	assert_int_equal(rd8(e), 'o');		/* position kept */
	snap_image_free(img);
	qemu_fwcfg_unregister(e->fc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
