/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyve fwctl (bhyve/fwctl.h): the signature handshake, GET / GET_LEN of
 * hw.ncpu, unknown names and operations, bad request sizes, accesses in
 * the wrong state or width, random access sequences, and the wiring in
 * bhyve_firmware_init() (boot ROM and lpc.fwcfg).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bhyve/config.h"
#include "bhyve/firmware.h"
#include "bhyve/fwctl.h"
#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/qemu_fwcfg.h"
#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

#define	NCPUS	3
#define	TXID	0xA5A50001u
#define	OUT	FWCTL_PORT_OUT
#define	IN	FWCTL_PORT_IN

static int
setup(void **state)
{
	struct fwctl *fc = fwctl_create(NCPUS);

	assert_non_null(fc);
	*state = fc;
	return (0);
}

static int
teardown(void **state)
{
	fwctl_destroy(*state);
	return (0);
}

static uint32_t
io(struct fwctl *fc, int in, int port, int bytes, uint32_t v)
{
	assert_int_equal(fwctl_pio(fc, in, port, bytes, &v), 0);
	return (v);
}

static void
outl(struct fwctl *fc, uint32_t v)
{
	io(fc, 0, OUT, 4, v);
}

static uint32_t
inl(struct fwctl *fc)
{
	return (io(fc, 1, OUT, 4, 0));
}

static void
handshake(struct fwctl *fc)
{
	io(fc, 0, OUT, 2, 0);
	assert_int_equal(io(fc, 1, IN, 1, 0), 'B');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'H');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'Y');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'V');
}

/*
 * A request as BhyveFwCtlLib sends it: size (header + `len' bytes of
 * data), op, txid, then the data as words, the last zero-padded.
 */
static void
send_req(struct fwctl *fc, uint32_t op, const void *data, uint32_t len)
{
	const uint8_t *p = data;
	uint32_t w;

	outl(fc, FWCTL_REQ_HDR_LEN + len);
	outl(fc, op);
	outl(fc, TXID);
	for (uint32_t off = 0; off < len; off += 4) {
		w = 0;
		memcpy(&w, p + off, len - off < 4 ? len - off : 4);
		outl(fc, w);
	}
}

/* Read the response header, check it, and return its data length. */
static uint32_t
recv_hdr(struct fwctl *fc, uint32_t op, uint32_t error)
{
	uint32_t size = inl(fc);

	assert_true(size >= FWCTL_RESP_HDR_LEN && size % 4 == 0);
	assert_int_equal(inl(fc), op);
	assert_int_equal(inl(fc), TXID);
	assert_int_equal(inl(fc), error);
	return (size - FWCTL_RESP_HDR_LEN);
}

/* The conversation is over: reads give all ones. */
static void
assert_idle(struct fwctl *fc)
{
	assert_int_equal(inl(fc), 0xFFFFFFFF);
}

static void
get_ncpu(struct fwctl *fc)
{
	send_req(fc, FWCTL_OP_GET, "hw.ncpu", 8);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET, 0), 12);
	assert_int_equal(inl(fc), 4);		/* value length, 64 bits */
	assert_int_equal(inl(fc), 0);
	assert_int_equal(inl(fc), NCPUS);
	assert_idle(fc);
}

static void
test_signature(void **state)
{
	struct fwctl *fc = *state;
	uint64_t bad0 = fwctl_bad_requests(fc);

	/* Nothing before the first reset. */
	assert_int_equal(io(fc, 1, IN, 1, 0), 0xFF);
	assert_int_equal(inl(fc), 0xFFFFFFFF);
	outl(fc, 20);
	assert_int_equal(fwctl_bad_requests(fc), bad0 + 3);
	handshake(fc);
	assert_int_equal(io(fc, 1, IN, 1, 0), 0xFF);	/* no fifth byte */
	/* A partial signature restarts; either port gives it. */
	io(fc, 0, OUT, 2, 0);
	assert_int_equal(io(fc, 1, IN, 1, 0), 'B');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'H');
	io(fc, 0, OUT, 2, 0);
	assert_int_equal(io(fc, 1, OUT, 1, 0), 'B');
	assert_int_equal(io(fc, 1, OUT, 1, 0), 'H');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'Y');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'V');
	/* A 16-bit write sees only the low half of EAX. */
	io(fc, 0, OUT, 2, 0x10000);
	assert_int_equal(io(fc, 1, IN, 1, 0), 'B');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'H');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'Y');
	assert_int_equal(io(fc, 1, IN, 1, 0), 'V');
	get_ncpu(fc);
}

static void
test_get(void **state)
{
	struct fwctl *fc = *state;

	handshake(fc);
	get_ncpu(fc);
	get_ncpu(fc);				/* no new handshake needed */
	send_req(fc, FWCTL_OP_GET_LEN, "hw.ncpu", 8);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET_LEN, 0), 8);
	assert_int_equal(inl(fc), 4);
	assert_int_equal(inl(fc), 0);
	assert_idle(fc);
	/* No NUL: the name ends at the announced size. */
	send_req(fc, FWCTL_OP_GET, "hw.ncpu", 7);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET, 0), 12);
	for (int i = 0; i < 3; i++)
		inl(fc);
	assert_idle(fc);
}

static void
expect_enoent(struct fwctl *fc, uint32_t op, const void *data, uint32_t len)
{
	send_req(fc, op, data, len);
	assert_int_equal(recv_hdr(fc, op, FWCTL_ENOENT), 0);
	assert_idle(fc);
}

static void
test_unknown(void **state)
{
	struct fwctl *fc = *state;

	handshake(fc);
	expect_enoent(fc, FWCTL_OP_GET, "hw.nope", 8);
	expect_enoent(fc, FWCTL_OP_GET_LEN, "hw.nope", 8);
	expect_enoent(fc, FWCTL_OP_GET, "hw.n", 4);	/* a prefix */
	expect_enoent(fc, FWCTL_OP_GET, "hw.ncpu.x", 10);
	expect_enoent(fc, FWCTL_OP_GET, "", 0);	/* no name at all */
	expect_enoent(fc, FWCTL_OP_GET, "", 1);
	/* Operations bhyve does not implement, and nonsense ones. */
	expect_enoent(fc, FWCTL_OP_NULL, NULL, 0);
	expect_enoent(fc, FWCTL_OP_ECHO, "hello", 6);
	expect_enoent(fc, FWCTL_OP_SET, "hw.ncpu\0\4\0\0\0", 12);
	expect_enoent(fc, 0, NULL, 0);
	expect_enoent(fc, 0xFFFFFFFF, "hw.ncpu", 8);
	get_ncpu(fc);
}

static void
test_sizes(void **state)
{
	struct fwctl *fc = *state;
	char name[FWCTL_NAME_MAX + 8];
	uint64_t bad0;

	handshake(fc);
	/* Sizes below the header are dropped, the next word starts anew. */
	bad0 = fwctl_bad_requests(fc);
	outl(fc, 0);
	outl(fc, FWCTL_REQ_HDR_LEN - 1);
	assert_int_equal(fwctl_bad_requests(fc), bad0 + 2);
	get_ncpu(fc);
	/* Too long a name: E2BIG once all of it is in. */
	memset(name, 'x', sizeof(name));
	send_req(fc, FWCTL_OP_GET, name, FWCTL_NAME_MAX + 1);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET, FWCTL_E2BIG), 0);
	assert_idle(fc);
	send_req(fc, FWCTL_OP_GET_LEN, name, sizeof(name));
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET_LEN, FWCTL_E2BIG), 0);
	/* The longest accepted, without a NUL: just not found. */
	expect_enoent(fc, FWCTL_OP_GET, name, FWCTL_NAME_MAX);
	/* A size that is not a whole number of words. */
	send_req(fc, FWCTL_OP_GET, "hw.ncpu\0\0", 9);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET, 0), 12);
	for (int i = 0; i < 3; i++)
		inl(fc);
	assert_idle(fc);
	/* A 4 GiB request: abandoned by a reset, nothing kept of it. */
	outl(fc, 0xFFFFFFFF);
	outl(fc, FWCTL_OP_GET);
	outl(fc, TXID);
	for (int i = 0; i < 10000; i++)
		outl(fc, 0x41414141);
	assert_int_equal(inl(fc), 0xFFFFFFFF);		/* still taking it */
	handshake(fc);
	get_ncpu(fc);
}

static void
test_out_of_order(void **state)
{
	struct fwctl *fc = *state;
	uint64_t bad0;

	handshake(fc);
	bad0 = fwctl_bad_requests(fc);
	/* Wrong widths: reads all ones, writes ignored. */
	assert_int_equal(io(fc, 1, OUT, 2, 0), 0xFFFF);
	assert_int_equal(io(fc, 1, IN, 2, 0), 0xFFFF);
	io(fc, 0, OUT, 1, 0);
	io(fc, 0, OUT, 2, 0x1234);
	io(fc, 0, IN, 4, 28);			/* 0x511 takes no writes */
	io(fc, 0, IN, 2, 0);			/* not even a reset */
	assert_int_equal(io(fc, 1, IN, 1, 0), 0xFF);	/* no signature */
	assert_int_equal(inl(fc), 0xFFFFFFFF);	/* no response yet */
	assert_int_equal(fwctl_bad_requests(fc), bad0 + 8);
	get_ncpu(fc);
	/* During a response: writes and byte reads do not disturb it. */
	send_req(fc, FWCTL_OP_GET, "hw.ncpu", 8);
	assert_int_equal(inl(fc), 28);
	outl(fc, 20);
	outl(fc, FWCTL_OP_GET);
	assert_int_equal(io(fc, 1, IN, 1, 0), 0xFF);
	assert_int_equal(inl(fc), FWCTL_OP_GET);
	assert_int_equal(inl(fc), TXID);
	assert_int_equal(inl(fc), 0);
	assert_int_equal(inl(fc), 4);
	assert_int_equal(inl(fc), 0);
	assert_int_equal(inl(fc), NCPUS);
	assert_idle(fc);
	assert_idle(fc);			/* reading past the end */
	/* A reset drops an unread response ... */
	send_req(fc, FWCTL_OP_GET, "hw.ncpu", 8);
	assert_int_equal(inl(fc), 28);
	handshake(fc);
	assert_idle(fc);
	/* ... and a partial request. */
	outl(fc, 20);
	outl(fc, FWCTL_OP_GET);
	handshake(fc);
	get_ncpu(fc);
	/* A reset in the middle of the signature, then a request. */
	io(fc, 0, OUT, 2, 0);
	io(fc, 1, IN, 1, 0);
	outl(fc, 20);				/* ignored: no signature yet */
	handshake(fc);
	get_ncpu(fc);
}

static void
test_nodes(void **state)
{
	struct fwctl *fc = *state;
	uint8_t big[FWCTL_VALUE_MAX + 1];
	char name[FWCTL_NAME_MAX + 1];
	uint32_t n;
	int i;

	memset(big, 0, sizeof(big));
	assert_int_equal(fwctl_add_node(fc, "hw.ncpu", "", 0), -EEXIST);
	assert_int_equal(fwctl_add_node(fc, "", "", 0), -EINVAL);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(fwctl_add_node(fc, name, "", 0), -EINVAL);
	assert_int_equal(fwctl_add_node(fc, "t.big", big, sizeof(big)),
	    -EINVAL);
	assert_int_equal(fwctl_add_node(fc, "t.five", "abcde", 5), 0);
	for (i = 0; i < FWCTL_VALUE_MAX; i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(fwctl_add_node(fc, "t.max", big, FWCTL_VALUE_MAX),
	    0);
	assert_int_equal(fwctl_add_node(fc, "t.empty", "", 0), 0);
	for (i = 0; fwctl_add_node(fc, (char[]){ 'f', (char)('a' + i), 0 },
	    "", 0) == 0; i++)
		;
	assert_int_equal(i, FWCTL_MAX_NODES - 4);
	handshake(fc);
	/* Five bytes: the last data word is zero-padded. */
	send_req(fc, FWCTL_OP_GET, "t.five", 7);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET, 0), 16);
	assert_int_equal(inl(fc), 5);
	assert_int_equal(inl(fc), 0);
	assert_int_equal(inl(fc), 0x64636261);
	assert_int_equal(inl(fc), 0x65);
	assert_idle(fc);
	/* The largest value, all of it. */
	send_req(fc, FWCTL_OP_GET, "t.max", 6);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET, 0), 8 + FWCTL_VALUE_MAX);
	assert_int_equal(inl(fc), FWCTL_VALUE_MAX);
	assert_int_equal(inl(fc), 0);
	for (i = 0; i < FWCTL_VALUE_MAX; i += 4) {
		memcpy(&n, big + i, 4);
		assert_int_equal(inl(fc), n);
	}
	assert_idle(fc);
	send_req(fc, FWCTL_OP_GET, "t.empty", 8);
	assert_int_equal(recv_hdr(fc, FWCTL_OP_GET, 0), 8);
	assert_int_equal(inl(fc), 0);
	assert_int_equal(inl(fc), 0);
	assert_idle(fc);
}

/*
 * Random accesses (ports 0x510/0x511, widths 1/2/4, biased towards the
 * values the protocol uses) never break the device: afterwards a
 * handshake and a GET still work.
 */
static void
test_random(void **state)
{
	static const uint32_t vals[] = { 0, 12, 16, 20, 92, 0xFFFFFFFF,
	    FWCTL_OP_GET, FWCTL_OP_GET_LEN, 0x6E2E7768, 0x00757063 };
	struct fwctl *fc = *state;
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	uint32_t v;

	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (x >> 32) % 4 == 0 ? (uint32_t)(x >> 8) :
		    vals[(x >> 40) % (sizeof(vals) / sizeof(vals[0]))];
		io(fc, (int)(x & 1), (x & 2) ? IN : OUT, 1 << ((x >> 2) % 3),
		    v);
	}
	handshake(fc);
	get_ncpu(fc);
}

/* Port I/O through the dispatch table (inout.c). */
static int
port_io(struct vmctx *ctx, int in, int port, int bytes, uint32_t *v)
{
	struct vm_exit vme;
	int rc;

	memset(&vme, 0, sizeof(vme));
	vme.exitcode = VM_EXITCODE_INOUT;
	vme.u.inout.port = (uint16_t)port;
	vme.u.inout.bytes = (uint8_t)bytes;
	vme.u.inout.in = in;
	vme.u.inout.eax = *v;
	rc = emulate_inout(ctx, NULL, &vme);
	*v = vme.u.inout.eax;
	return (rc);
}

/* The signature as read through the dispatch ("" if unhandled). */
static void
probe(struct vmctx *ctx, char sig[5])
{
	uint32_t v = 0;

	memset(sig, 0, 5);
	if (port_io(ctx, 0, OUT, 2, &v) != 0)
		return;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(port_io(ctx, 1, IN, 1, &v), 0);
		sig[i] = (char)v;
	}
}

static void
test_ports(void **state)
{
	struct fwctl *fc = *state;
	struct vmctx *ctx = NULL;
	char sig[5];
	uint32_t v = 0;

	init_inout();
	assert_int_equal(fwctl_register(fc), 0);
	probe(ctx, sig);
	assert_string_equal(sig, "BHYV");
	/* 0x511 is read-only: writes are not the device's. */
	assert_int_equal(port_io(ctx, 0, IN, 4, &v), INOUT_UNHANDLED);
	fwctl_unregister(fc);
	fwctl_unregister(fc);			/* harmless twice */
	assert_int_equal(port_io(ctx, 1, IN, 1, &v), INOUT_UNHANDLED);
	/* Ports already taken (by the other flavour): refused. */
	{
		struct qemu_fwcfg *qf = qemu_fwcfg_create(NULL);

		assert_non_null(qf);
		assert_int_equal(qemu_fwcfg_register(qf), 0);
		assert_int_equal(fwctl_register(fc), -EEXIST);
		qemu_fwcfg_destroy(qf);
	}
	assert_int_equal(fwctl_register(fc), 0);
	probe(ctx, sig);
	assert_string_equal(sig, "BHYV");
}

/* bhyve_firmware_init() with `fwcfg' (NULL: unset) and a ROM or not;
 * the signature on 0x510/0x511 afterwards. */
static int
firmware(struct vmctx *ctx, const char *fwcfg, bool rom, char sig[5])
{
	int error;

	init_config();
	if (fwcfg != NULL)
		set_config_value("lpc.fwcfg", fwcfg);
	if (rom)
		set_config_value("lpc.bootrom", "/fw/CODE.fd");
	init_inout();
	init_mem(1);
	error = bhyve_firmware_init(ctx, NCPUS);
	probe(ctx, sig);
	bhyve_firmware_fini();
	free_config();
	return (error);
}

static void
test_firmware(void **state)
{
	struct vmctx *ctx = test_vm_new("fwctl-test", 2 << 20);
	char sig[5];
	uint32_t v;

	(void)state;
	/* bhyve's rule: fwctl with a boot ROM and lpc.fwcfg=bhyve. */
	assert_int_equal(firmware(ctx, "bhyve", true, sig), 0);
	assert_string_equal(sig, "BHYV");
	assert_int_equal(firmware(ctx, NULL, true, sig), 0);
	assert_string_equal(sig, "BHYV");
	/* no ROM to serve: QEMU fw_cfg for directly booted kernels */
	assert_int_equal(firmware(ctx, "bhyve", false, sig), 0);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(firmware(ctx, NULL, false, sig), 0);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(firmware(ctx, "qemu", true, sig), 0);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(firmware(ctx, "qemu", false, sig), 0);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(firmware(ctx, "BHYVE", true, sig), -1);
	assert_int_equal(firmware(ctx, "", true, sig), -1);
	/* The whole path: GET hw.ncpu through the dispatch. */
	init_config();
	set_config_value("lpc.bootrom", "/fw/CODE.fd");
	init_inout();
	init_mem(1);
	assert_int_equal(bhyve_firmware_init(ctx, NCPUS), 0);
	probe(ctx, sig);
	assert_string_equal(sig, "BHYV");
	for (uint32_t w = 0; w < 5; w++) {
		static const uint32_t req[] = { 20, FWCTL_OP_GET, 7,
		    0x6E2E7768, 0x00757063 };	/* "hw.n" "cpu\0" */

		v = req[w];
		assert_int_equal(port_io(ctx, 0, OUT, 4, &v), 0);
	}
	for (int w = 0; w < 7; w++) {
		static const uint32_t resp[] = { 28, FWCTL_OP_GET, 7, 0,
		    4, 0, NCPUS };

		assert_int_equal(port_io(ctx, 1, OUT, 4, &v), 0);
		assert_int_equal(v, resp[w]);
	}
	bhyve_firmware_fini();
	free_config();
	vm_destroy(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test(test_firmware),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
