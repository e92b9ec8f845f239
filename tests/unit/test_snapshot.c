/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Snapshot records and images (bhyve/snapshot.c): puts and getters, the
 * byte format (a hand-built image must decode, ours must match the
 * documented layout), corrupt and truncated images refused with a
 * message, and the registry's whole-machine save and restore.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/le_bytes.h"
#include "bhyve/snapshot.h"

/* ---- A byte builder for hand-made images ---- */

struct bld {
	uint8_t		b[4096];
	size_t		n;
};

static void
b_bytes(struct bld *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
b_u8(struct bld *b, uint8_t v)
{
	b_bytes(b, &v, 1);
}

static void
b_u32(struct bld *b, uint32_t v)
{
	uint8_t t[4];

	wr_le32(t, v);
	b_bytes(b, t, 4);
}

static void
b_u64(struct bld *b, uint64_t v)
{
	uint8_t t[8];

	wr_le64(t, v);
	b_bytes(b, t, 8);
}

static void
b_name(struct bld *b, const char *s)
{
	b_u8(b, (uint8_t)strlen(s));
	b_bytes(b, s, strlen(s));
}

/* Header for `nrec' records; b_finish() fills in the length and CRC. */
static void
b_header(struct bld *b, uint32_t nrec)
{
	b->n = 0;
	b_bytes(b, "BHYVSNAP", 8);
	b_u32(b, 1);
	b_u32(b, nrec);
	b_u64(b, 0);
}

static void
b_finish(struct bld *b)
{
	wr_le64(b->b + 16, b->n + 4);
	wr_le32(b->b + b->n, snap_crc32(b->b, b->n));
	b->n += 4;
}

/* A record body: id, dev, version, then `nfields' encoded by the caller. */
static size_t
b_rec_start(struct bld *b, const char *id, const char *dev, uint32_t ver,
    uint32_t nfields)
{
	size_t at = b->n;

	b_u32(b, 0);			/* body length, patched */
	b_name(b, id);
	b_name(b, dev);
	b_u32(b, ver);
	b_u32(b, nfields);
	return (at);
}

static void
b_rec_end(struct bld *b, size_t at)
{
	wr_le32(b->b + at, (uint32_t)(b->n - at - 4));
}

/* One valid record with a number "a" and a blob "b". */
static void
b_good(struct bld *b)
{
	size_t at;

	b_header(b, 1);
	at = b_rec_start(b, "dev0", "toy", 3, 2);
	b_u8(b, SNAP_KIND_U64);
	b_name(b, "a");
	b_u64(b, 0x1122334455667788ull);
	b_u8(b, SNAP_KIND_BLOB);
	b_name(b, "b");
	b_u32(b, 3);
	b_bytes(b, "xyz", 3);
	b_rec_end(b, at);
	b_finish(b);
}

static int
decode(const struct bld *b, char *err, size_t errlen)
{
	struct snap_image *img = NULL;
	int error;

	error = snap_image_decode(b->b, b->n, &img, err, errlen);
	assert_true((error == 0) == (img != NULL));
	snap_image_free(img);
	return (error);
}

/* Decoding fails and the message mentions `what'. */
static void
assert_refused(const struct bld *b, const char *what)
{
	char err[256];

	assert_int_equal(decode(b, err, sizeof(err)), -EINVAL);
	if (strstr(err, what) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err, what);
}

/* ---- Tests ---- */

static void
test_crc32(void **state)
{
	(void)state;
	/* The standard check value of CRC-32/ISO-HDLC. */
	assert_int_equal(snap_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(snap_crc32("", 0), 0);
}

static void
test_puts_getters(void **state)
{
	struct snap_rec *r = snap_rec_new("com1", "uart", 2);
	const uint8_t *p;
	uint8_t buf[4];
	uint64_t v;
	size_t n;
	bool bv;

	(void)state;
	assert_non_null(r);
	assert_string_equal(snap_rec_id(r), "com1");
	assert_string_equal(snap_rec_dev(r), "uart");
	assert_int_equal(snap_rec_version(r), 2);
	assert_int_equal(snap_put_u64(r, "x", 5), 0);
	assert_int_equal(snap_put_u64(r, "x", 7), 0);	/* replaces */
	assert_int_equal(snap_put_blob(r, "blob", "abcd", 4), 0);
	assert_int_equal(snap_put_blob(r, "empty", NULL, 0), 0);
	assert_int_equal(snap_put_u64(r, "flag", 1), 0);
	assert_int_equal(snap_rec_nfields(r), 4);
	assert_int_equal(snap_get_u64(r, "x", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(snap_get_bool(r, "flag", &bv), 0);
	assert_true(bv);
	assert_int_equal(snap_get_blob(r, "empty", &p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(snap_get_blob_exact(r, "blob", buf, 4), 0);
	assert_memory_equal(buf, "abcd", 4);
	assert_string_equal(snap_rec_errmsg(r), "");

	/* Each refusal says why; the first message is kept. */
	assert_int_equal(snap_get_u64(r, "nope", &v), -ENOENT);
	assert_non_null(strstr(snap_rec_errmsg(r), "\"nope\" missing"));
	snap_rec_free(r);

	r = snap_rec_new("d", "m", 1);
	assert_int_equal(snap_put_u64(r, "x", 7), 0);
	assert_int_equal(snap_put_blob(r, "blob", "abcd", 4), 0);
	assert_int_equal(snap_get_u64(r, "blob", &v), -EINVAL);
	assert_non_null(strstr(snap_rec_errmsg(r), "is a blob"));
	snap_rec_free(r);

	r = snap_rec_new("d", "m", 1);
	assert_int_equal(snap_put_u64(r, "x", 7), 0);
	assert_int_equal(snap_get_range(r, "x", 0, 6, &v), -ERANGE);
	assert_non_null(strstr(snap_rec_errmsg(r), "out of range"));
	snap_rec_free(r);

	r = snap_rec_new("d", "m", 1);
	assert_int_equal(snap_put_u64(r, "x", 0x90), 0);
	assert_int_equal(snap_get_bits(r, "x", 0x0f, &v), -EINVAL);
	assert_int_equal(snap_put_blob(r, "b", "abc", 3), 0);
	snap_rec_free(r);

	r = snap_rec_new("d", "m", 1);
	assert_int_equal(snap_put_blob(r, "b", "abc", 3), 0);
	assert_int_equal(snap_get_blob_exact(r, "b", buf, 4), -EINVAL);
	assert_non_null(strstr(snap_rec_errmsg(r), "3 bytes, expected 4"));
	assert_int_equal(snap_check_version(r, 2, 3), -ENOTSUP);
	assert_int_equal(snap_del(r, "b"), 0);
	assert_int_equal(snap_del(r, "b"), -ENOENT);
	assert_int_equal(snap_rec_nfields(r), 0);
	snap_rec_free(r);

	/* Bad names: the record refuses them, puts are sticky. */
	assert_null(snap_rec_new("", "m", 1));
	assert_null(snap_rec_new("has space", "m", 1));
	r = snap_rec_new("d", "m", 1);
	assert_int_equal(snap_put_u64(r, "bad name", 1), -EINVAL);
	assert_int_equal(snap_put_u64(r, "good", 1), -EINVAL);
	assert_int_equal(snap_rec_status(r), -EINVAL);
	assert_int_equal(snap_rec_nfields(r), 0);
	snap_rec_free(r);
}

/* Encode: exactly the documented bytes. */
static void
test_encode_layout(void **state)
{
	struct snap_image *img = snap_image_new();
	struct snap_rec *r = snap_rec_new("dev0", "toy", 3);
	struct bld want;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(snap_put_u64(r, "a", 0x1122334455667788ull), 0);
	assert_int_equal(snap_put_blob(r, "b", "xyz", 3), 0);
	assert_int_equal(snap_image_add(img, r), 0);
	assert_int_equal(snap_image_encode(img, &buf, &len), 0);
	b_good(&want);
	assert_int_equal(len, want.n);
	assert_memory_equal(buf, want.b, len);
	free(buf);
	snap_image_free(img);
}

static void
test_roundtrip(void **state)
{
	struct snap_image *img = snap_image_new(), *back;
	struct snap_rec *r;
	uint8_t big[5000], *buf;
	const uint8_t *p;
	uint64_t v;
	size_t len, n;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	for (int d = 0; d < 3; d++) {
		char id[16];

		snprintf(id, sizeof(id), "dev%d", d);
		r = snap_rec_new(id, d == 2 ? "other" : "toy", (uint32_t)d);
		assert_int_equal(snap_put_u64(r, "zero", 0), 0);
		assert_int_equal(snap_put_u64(r, "max", UINT64_MAX), 0);
		assert_int_equal(snap_put_blob(r, "big", big, sizeof(big) -
		    (size_t)d), 0);
		assert_int_equal(snap_put_blob(r, "none", NULL, 0), 0);
		assert_int_equal(snap_image_add(img, r), 0);
	}
	/* Ids are unique in an image. */
	assert_int_equal(snap_image_add(img, snap_rec_new("dev1", "toy", 0)),
	    -EEXIST);
	assert_int_equal(snap_image_encode(img, &buf, &len), 0);
	assert_int_equal(snap_image_decode(buf, len, &back, err,
	    sizeof(err)), 0);
	assert_int_equal(snap_image_count(back), 3);
	for (unsigned d = 0; d < 3; d++) {
		r = snap_image_rec(back, d);
		assert_string_equal(snap_rec_dev(r), d == 2 ? "other" : "toy");
		assert_int_equal(snap_rec_version(r), d);
		assert_int_equal(snap_rec_nfields(r), 4);
		assert_int_equal(snap_get_u64(r, "max", &v), 0);
		assert_true(v == UINT64_MAX);
		assert_int_equal(snap_get_blob(r, "big", &p, &n), 0);
		assert_int_equal(n, sizeof(big) - d);
		assert_memory_equal(p, big, n);
	}
	assert_non_null(snap_image_find(back, "dev2"));
	assert_null(snap_image_find(back, "dev3"));
	snap_image_free(back);
	free(buf);
	snap_image_free(img);

	/* An empty image is valid. */
	img = snap_image_new();
	assert_int_equal(snap_image_encode(img, &buf, &len), 0);
	assert_int_equal(len, SNAP_HDR_LEN + SNAP_CRC_LEN);
	assert_int_equal(snap_image_decode(buf, len, &back, NULL, 0), 0);
	assert_int_equal(snap_image_count(back), 0);
	snap_image_free(back);
	free(buf);
	snap_image_free(img);
}

/* Every prefix and every single-bit flip of a good image is refused. */
static void
test_truncated_and_flipped(void **state)
{
	struct bld good, b;
	char err[256];

	(void)state;
	b_good(&good);
	assert_int_equal(decode(&good, err, sizeof(err)), 0);
	for (size_t n = 0; n < good.n; n++) {
		b = good;
		b.n = n;
		assert_int_equal(decode(&b, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
	}
	/* Trailing garbage. */
	b = good;
	b.b[b.n++] = 0;
	assert_refused(&b, "trailing data");
	for (size_t i = 0; i < good.n * 8; i++) {
		b = good;
		b.b[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(decode(&b, err, sizeof(err)), -EINVAL);
	}
	b = good;
	b.b[30] ^= 1;
	assert_refused(&b, "checksum mismatch");
	/* A prefix made consistent again (length and CRC fixed up) still
	 * fails inside the records, never reads past them. */
	for (size_t n = SNAP_HDR_LEN; n < good.n - 4; n++) {
		b = good;
		b.n = n;
		b_finish(&b);
		assert_int_equal(decode(&b, err, sizeof(err)), -EINVAL);
	}
}

/* Corruptions with a valid checksum, each with its message. */
static void
test_corrupt_structure(void **state)
{
	struct bld b;
	size_t at;

	(void)state;
	b_good(&b);
	memcpy(b.b, "NOTASNAP", 8);
	assert_refused(&b, "bad magic");

	b_good(&b);
	wr_le32(b.b + 8, 2);
	b.n -= 4;
	b_finish(&b);
	assert_refused(&b, "format version 2");

	/* More records than bytes. */
	b_good(&b);
	wr_le32(b.b + 12, 0x10000000u);
	b.n -= 4;
	b_finish(&b);
	assert_refused(&b, "cannot fit");

	/* Record count says 2, one present. */
	b_good(&b);
	wr_le32(b.b + 12, 2);
	b.n -= 4;
	b_finish(&b);
	assert_refused(&b, "record 2");

	/* Record length past the end. */
	b_good(&b);
	wr_le32(b.b + SNAP_HDR_LEN, 0x7fffffffu);
	b.n -= 4;
	b_finish(&b);
	assert_refused(&b, "runs past the image");

	/* Field count too large for the record. */
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "m", 1, 1000);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "cannot fit");

	/* Bytes left over in a record. */
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "m", 1, 0);
	b_u32(&b, 0);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "left over");

	/* Bad names: empty, too long, a space, a NUL. */
	b_header(&b, 1);
	at = b_rec_start(&b, "", "model", 1, 0);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "name length 0");
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "a b", 1, 0);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "outside 0x21-0x7e");
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "m", 1, 1);
	b_u8(&b, SNAP_KIND_U64);
	b_u8(&b, 64);
	for (int i = 0; i < 64; i++)
		b_u8(&b, 'x');
	b_u64(&b, 0);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "name length 64");
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "m", 1, 1);
	b_u8(&b, SNAP_KIND_U64);
	b_u8(&b, 2);
	b_bytes(&b, "a\0", 2);
	b_u64(&b, 0);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "outside 0x21-0x7e");

	/* Unknown kind, duplicate field, blob past the record. */
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "m", 1, 1);
	b_u8(&b, 3);
	b_name(&b, "f");
	b_u64(&b, 0);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "unknown kind 3");
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "m", 1, 2);
	for (int i = 0; i < 2; i++) {
		b_u8(&b, SNAP_KIND_U64);
		b_name(&b, "f");
		b_u64(&b, (uint64_t)i);
	}
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "\"f\" appears twice");
	b_header(&b, 1);
	at = b_rec_start(&b, "d", "m", 1, 1);
	b_u8(&b, SNAP_KIND_BLOB);
	b_name(&b, "f");
	b_u32(&b, 100);
	b_bytes(&b, "abc", 3);
	b_rec_end(&b, at);
	b_finish(&b);
	assert_refused(&b, "100 bytes needed");

	/* Two records with one id. */
	b_header(&b, 2);
	for (int i = 0; i < 2; i++) {
		at = b_rec_start(&b, "same", "m", 1, 0);
		b_rec_end(&b, at);
	}
	b_finish(&b);
	assert_refused(&b, "\"same\" appears twice");
}

/* ---- Registry ---- */

/* A toy device: one register (must be < 100) and a 4-byte buffer. */
struct toy {
	uint64_t	reg;
	uint8_t		buf[4];
	int		restores;
};

static int
toy_save(void *arg, struct snap_rec *r)
{
	struct toy *t = arg;

	snap_rec_set_version(r, 1);
	(void)snap_put_u64(r, "reg", t->reg);
	(void)snap_put_blob(r, "buf", t->buf, sizeof(t->buf));
	return (snap_rec_status(r));
}

static int
toy_restore(void *arg, struct snap_rec *r)
{
	struct toy *t = arg;
	uint8_t buf[4];
	uint64_t reg = 0;
	int error;

	error = snap_check_version(r, 1, 1);
	if (error == 0)
		error = snap_get_range(r, "reg", 0, 99, &reg);
	if (error == 0)
		error = snap_get_blob_exact(r, "buf", buf, sizeof(buf));
	if (error != 0)
		return (error);
	t->reg = reg;
	memcpy(t->buf, buf, sizeof(buf));
	t->restores++;
	return (0);
}

static void
toy_dev(struct snapshot_dev *d, const char *id, const char *model,
    struct toy *t)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->dev = model;
	d->save = toy_save;
	d->restore = toy_restore;
	d->arg = t;
}

static void
test_registry(void **state)
{
	struct toy t1 = { 42, "abc", 0 }, t2 = { 7, "xyz", 0 };
	struct snapshot_dev d1, d2, d3, dup;
	struct snap_image *img;
	struct snap_rec *r;
	uint8_t *buf;
	size_t len;
	char err[256];

	(void)state;
	toy_dev(&d1, "toy1", "toy", &t1);
	toy_dev(&d2, "toy2", "toy", &t2);
	toy_dev(&dup, "toy1", "toy", &t2);
	assert_int_equal(snapshot_register(&d1), 0);
	assert_int_equal(snapshot_register(&d2), 0);
	assert_int_equal(snapshot_register(&d1), 0);	/* same struct */
	assert_int_equal(snapshot_register(&dup), -EEXIST);

	assert_int_equal(snapshot_userland_save(&buf, &len, err,
	    sizeof(err)), 0);
	t1.reg = 1;
	memset(t2.buf, 0, sizeof(t2.buf));
	assert_int_equal(snapshot_userland_restore(buf, len, err,
	    sizeof(err)), 0);
	assert_int_equal(t1.reg, 42);
	assert_memory_equal(t2.buf, "xyz", 4);
	assert_int_equal(t1.restores + t2.restores, 2);

	/* A corrupt buffer never reaches a device. */
	buf[len / 2] ^= 0x40;
	assert_int_equal(snapshot_userland_restore(buf, len, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "checksum"));
	assert_int_equal(t1.restores + t2.restores, 2);
	free(buf);

	/* A value the device refuses: named, device unchanged. */
	assert_int_equal(snapshot_save_image(&img, err, sizeof(err)), 0);
	r = snap_image_find(img, "toy2");
	assert_int_equal(snap_put_u64(r, "reg", 100), 0);
	t2.reg = 5;
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)),
	    -ERANGE);
	assert_non_null(strstr(err, "toy2"));
	assert_non_null(strstr(err, "\"reg\" = 0x64 out of range"));
	assert_int_equal(t2.reg, 5);
	snap_image_free(img);

	/* A device the snapshot lacks: refused before any restore. */
	assert_int_equal(snapshot_save_image(&img, err, sizeof(err)), 0);
	toy_dev(&d3, "toy3", "toy", &t2);
	assert_int_equal(snapshot_register(&d3), 0);
	t1.restores = 0;
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "no record for device toy3"));
	assert_int_equal(t1.restores, 0);
	snapshot_unregister(&d3);

	/* A record whose device is gone, and a model mismatch. */
	snapshot_unregister(&d2);
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "toy2 (toy) does not exist"));
	d2.dev = "other";
	assert_int_equal(snapshot_register(&d2), 0);
	assert_int_equal(snapshot_restore_image(img, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "is a other here but a toy"));
	snap_image_free(img);

	snapshot_unregister(&d1);
	snapshot_unregister(&d2);
	/* Nothing registered: an empty image. */
	assert_int_equal(snapshot_userland_save(&buf, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(len, SNAP_HDR_LEN + SNAP_CRC_LEN);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_puts_getters),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated_and_flipped),
		cmocka_unit_test(test_corrupt_structure),
		cmocka_unit_test(test_registry),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
