/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Snapshot records, images and the registry of userland devices (the
 * format is described in snapshot.h).
 *
 * Decoding trusts nothing in the buffer: a cursor hands out bytes only
 * after checking that they are there, and the first failure stops the
 * parse with a message that says what was wrong at which offset.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/le_bytes.h"
#include "bhyve/snapshot.h"

struct snap_field {
	char		name[SNAP_NAMEMAX + 1];
	uint8_t		kind;
	uint64_t	val;
	uint8_t		*blob;		/* kind blob: owned, may be NULL */
	uint32_t	len;
};

struct snap_rec {
	char		id[SNAP_NAMEMAX + 1];
	char		dev[SNAP_NAMEMAX + 1];
	uint32_t	version;
	uint32_t	n, cap;
	struct snap_field *f;
	int		status;		/* first failed put */
	char		msg[192];	/* first getter/snap_fail error */
};

struct snap_image {
	uint32_t	n, cap;
	struct snap_rec	**rec;
};

/* Blobs are counted in a u32; keep well clear of that. */
#define	SNAP_BLOB_MAX	(1u << 30)

/* ---- Names ---- */

static bool
name_ok(const char *s, size_t len)
{
	if (len == 0 || len > SNAP_NAMEMAX)
		return (false);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return (false);
	return (true);
}

static bool
cname_ok(const char *s)
{
	return (s != NULL && name_ok(s, strnlen(s, SNAP_NAMEMAX + 1)));
}

/* ---- Records ---- */

struct snap_rec *
snap_rec_new(const char *id, const char *dev, uint32_t version)
{
	struct snap_rec *r;

	if (!cname_ok(id) || !cname_ok(dev))
		return (NULL);
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return (NULL);
	strcpy(r->id, id);
	strcpy(r->dev, dev);
	r->version = version;
	return (r);
}

void
snap_rec_free(struct snap_rec *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; i < r->n; i++)
		free(r->f[i].blob);
	free(r->f);
	free(r);
}

const char *
snap_rec_id(const struct snap_rec *r)
{
	return (r->id);
}

const char *
snap_rec_dev(const struct snap_rec *r)
{
	return (r->dev);
}

uint32_t
snap_rec_version(const struct snap_rec *r)
{
	return (r->version);
}

void
snap_rec_set_version(struct snap_rec *r, uint32_t version)
{
	r->version = version;
}

unsigned
snap_rec_nfields(const struct snap_rec *r)
{
	return (r->n);
}

const char *
snap_rec_errmsg(const struct snap_rec *r)
{
	return (r->msg);
}

int
snap_rec_status(const struct snap_rec *r)
{
	return (r->status);
}

int
snap_fail(struct snap_rec *r, int error, const char *fmt, ...)
{
	va_list ap;

	if (r->msg[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
		va_end(ap);
	}
	return (error);
}

static struct snap_field *
field_find(const struct snap_rec *r, const char *name)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return (&r->f[i]);
	return (NULL);
}

/* The field called `name', new or emptied; NULL sets the status. */
static struct snap_field *
field_slot(struct snap_rec *r, const char *name)
{
	struct snap_field *f, *nf;
	uint32_t ncap;

	if (r->status != 0)
		return (NULL);
	if (!cname_ok(name)) {
		r->status = -EINVAL;
		return (NULL);
	}
	f = field_find(r, name);
	if (f != NULL) {
		free(f->blob);
		f->blob = NULL;
		f->len = 0;
		return (f);
	}
	if (r->n == r->cap) {
		ncap = r->cap == 0 ? 16 : r->cap * 2;
		nf = realloc(r->f, ncap * sizeof(*nf));
		if (nf == NULL) {
			r->status = -ENOMEM;
			return (NULL);
		}
		r->f = nf;
		r->cap = ncap;
	}
	f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	return (f);
}

int
snap_put_u64(struct snap_rec *r, const char *name, uint64_t val)
{
	struct snap_field *f = field_slot(r, name);

	if (f == NULL)
		return (r->status);
	f->kind = SNAP_KIND_U64;
	f->val = val;
	return (0);
}

int
snap_put_blob(struct snap_rec *r, const char *name, const void *data,
    size_t len)
{
	struct snap_field *f;
	uint8_t *copy = NULL;

	if (r->status != 0)
		return (r->status);
	if (len > SNAP_BLOB_MAX) {
		r->status = -EINVAL;
		return (r->status);
	}
	if (len > 0) {
		copy = malloc(len);
		if (copy == NULL) {
			r->status = -ENOMEM;
			return (r->status);
		}
		memcpy(copy, data, len);
	}
	f = field_slot(r, name);
	if (f == NULL) {
		free(copy);
		return (r->status);
	}
	f->kind = SNAP_KIND_BLOB;
	f->blob = copy;
	f->len = (uint32_t)len;
	return (0);
}

int
snap_del(struct snap_rec *r, const char *name)
{
	struct snap_field *f = field_find(r, name);
	uint32_t i;

	if (f == NULL)
		return (-ENOENT);
	i = (uint32_t)(f - r->f);
	free(f->blob);
	memmove(&r->f[i], &r->f[i + 1], (r->n - i - 1) * sizeof(*f));
	r->n--;
	return (0);
}

static struct snap_field *
get_kind(struct snap_rec *r, const char *name, uint8_t kind, int *error)
{
	struct snap_field *f = field_find(r, name);

	if (f == NULL) {
		*error = snap_fail(r, -ENOENT, "field \"%s\" missing", name);
		return (NULL);
	}
	if (f->kind != kind) {
		*error = snap_fail(r, -EINVAL, "field \"%s\" is a %s, not a "
		    "%s", name, f->kind == SNAP_KIND_U64 ? "number" : "blob",
		    kind == SNAP_KIND_U64 ? "number" : "blob");
		return (NULL);
	}
	return (f);
}

int
snap_get_u64(struct snap_rec *r, const char *name, uint64_t *val)
{
	struct snap_field *f;
	int error = 0;

	f = get_kind(r, name, SNAP_KIND_U64, &error);
	if (f == NULL)
		return (error);
	*val = f->val;
	return (0);
}

int
snap_get_range(struct snap_rec *r, const char *name, uint64_t min,
    uint64_t max, uint64_t *val)
{
	uint64_t v = 0;
	int error;

	error = snap_get_u64(r, name, &v);
	if (error != 0)
		return (error);
	if (v < min || v > max)
		return (snap_fail(r, -ERANGE, "field \"%s\" = %#" PRIx64
		    " out of range [%#" PRIx64 ", %#" PRIx64 "]", name, v,
		    min, max));
	*val = v;
	return (0);
}

int
snap_get_bits(struct snap_rec *r, const char *name, uint64_t valid,
    uint64_t *val)
{
	uint64_t v = 0;
	int error;

	error = snap_get_u64(r, name, &v);
	if (error != 0)
		return (error);
	if ((v & ~valid) != 0)
		return (snap_fail(r, -EINVAL, "field \"%s\" = %#" PRIx64
		    " has bits outside %#" PRIx64, name, v, valid));
	*val = v;
	return (0);
}

int
snap_get_bool(struct snap_rec *r, const char *name, bool *val)
{
	uint64_t v = 0;
	int error;

	error = snap_get_range(r, name, 0, 1, &v);
	if (error != 0)
		return (error);
	*val = v != 0;
	return (0);
}

int
snap_get_blob(struct snap_rec *r, const char *name, const uint8_t **data,
    size_t *len)
{
	struct snap_field *f;
	int error = 0;

	f = get_kind(r, name, SNAP_KIND_BLOB, &error);
	if (f == NULL)
		return (error);
	*data = f->blob;
	*len = f->len;
	return (0);
}

int
snap_get_blob_exact(struct snap_rec *r, const char *name, void *dst,
    size_t len)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	int error;

	error = snap_get_blob(r, name, &p, &n);
	if (error != 0)
		return (error);
	if (n != len)
		return (snap_fail(r, -EINVAL, "field \"%s\" has %zu bytes, "
		    "expected %zu", name, n, len));
	if (len > 0)
		memcpy(dst, p, len);
	return (0);
}

int
snap_check_version(struct snap_rec *r, uint32_t min, uint32_t max)
{
	if (r->version < min || r->version > max)
		return (snap_fail(r, -ENOTSUP, "%s record version %u not "
		    "supported (%u-%u)", r->dev, r->version, min, max));
	return (0);
}

/* ---- Images ---- */

struct snap_image *
snap_image_new(void)
{
	return (calloc(1, sizeof(struct snap_image)));
}

void
snap_image_free(struct snap_image *img)
{
	if (img == NULL)
		return;
	for (uint32_t i = 0; i < img->n; i++)
		snap_rec_free(img->rec[i]);
	free(img->rec);
	free(img);
}

struct snap_rec *
snap_image_find(const struct snap_image *img, const char *id)
{
	for (uint32_t i = 0; i < img->n; i++)
		if (strcmp(img->rec[i]->id, id) == 0)
			return (img->rec[i]);
	return (NULL);
}

int
snap_image_add(struct snap_image *img, struct snap_rec *r)
{
	struct snap_rec **nr;
	uint32_t ncap;

	if (snap_image_find(img, r->id) != NULL) {
		snap_rec_free(r);
		return (-EEXIST);
	}
	if (img->n == img->cap) {
		ncap = img->cap == 0 ? 16 : img->cap * 2;
		nr = realloc(img->rec, ncap * sizeof(*nr));
		if (nr == NULL) {
			snap_rec_free(r);
			return (-ENOMEM);
		}
		img->rec = nr;
		img->cap = ncap;
	}
	img->rec[img->n++] = r;
	return (0);
}

unsigned
snap_image_count(const struct snap_image *img)
{
	return (img->n);
}

struct snap_rec *
snap_image_rec(const struct snap_image *img, unsigned i)
{
	return (i < img->n ? img->rec[i] : NULL);
}

/*
 * CRC-32 as IEEE 802.3 and zlib define it: reflected polynomial
 * 0xEDB88320, initial value and final XOR all-ones; four bits a step.
 */
uint32_t
snap_crc32(const void *data, size_t len)
{
	static const uint32_t tab[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ tab[crc & 15];
		crc = (crc >> 4) ^ tab[crc & 15];
	}
	return (crc ^ 0xffffffffu);
}

/* Encoded sizes. */
static size_t
name_size(const char *s)
{
	return (1 + strlen(s));
}

static size_t
field_size(const struct snap_field *f)
{
	return (1 + name_size(f->name) + (f->kind == SNAP_KIND_U64 ? 8 :
	    4 + (size_t)f->len));
}

static size_t
body_size(const struct snap_rec *r)
{
	size_t n = name_size(r->id) + name_size(r->dev) + 4 + 4;

	for (uint32_t i = 0; i < r->n; i++)
		n += field_size(&r->f[i]);
	return (n);
}

static uint8_t *
put_name(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return (p + n);
}

static uint8_t *
put_rec(uint8_t *p, const struct snap_rec *r, size_t body)
{
	wr_le32(p, (uint32_t)body);
	p = put_name(p + 4, r->id);
	p = put_name(p, r->dev);
	wr_le32(p, r->version);
	wr_le32(p + 4, r->n);
	p += 8;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct snap_field *f = &r->f[i];

		*p++ = f->kind;
		p = put_name(p, f->name);
		if (f->kind == SNAP_KIND_U64) {
			wr_le64(p, f->val);
			p += 8;
			continue;
		}
		wr_le32(p, f->len);
		if (f->len > 0)
			memcpy(p + 4, f->blob, f->len);
		p += 4 + f->len;
	}
	return (p);
}

int
snap_image_encode(const struct snap_image *img, uint8_t **bufp, size_t *lenp)
{
	size_t len = SNAP_HDR_LEN + SNAP_CRC_LEN, body;
	uint8_t *buf, *p;

	for (uint32_t i = 0; i < img->n; i++) {
		body = body_size(img->rec[i]);
		if (body > UINT32_MAX || len > SIZE_MAX - 4 - body)
			return (-EOVERFLOW);
		len += 4 + body;
	}
	buf = malloc(len);
	if (buf == NULL)
		return (-ENOMEM);
	memcpy(buf, SNAP_MAGIC, 8);
	wr_le32(buf + 8, SNAP_FORMAT_VERSION);
	wr_le32(buf + 12, img->n);
	wr_le64(buf + 16, len);
	p = buf + SNAP_HDR_LEN;
	for (uint32_t i = 0; i < img->n; i++)
		p = put_rec(p, img->rec[i], body_size(img->rec[i]));
	wr_le32(p, snap_crc32(buf, len - SNAP_CRC_LEN));
	*bufp = buf;
	*lenp = len;
	return (0);
}

/* ---- Decoding ---- */

struct cursor {
	const uint8_t	*buf;
	size_t		off, end;	/* end: of the current record */
	char		*err;
	size_t		errlen;
	uint32_t	recno;		/* record being parsed, 1-based */
	bool		failed;
};

static void __attribute__((format(printf, 2, 3)))
cur_fail(struct cursor *c, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->err == NULL || c->errlen == 0)
		return;
	if (c->recno > 0)
		snprintf(c->err, c->errlen, "snapshot: record %u, byte %zu: "
		    "%s", c->recno, c->off, what);
	else
		snprintf(c->err, c->errlen, "snapshot: byte %zu: %s", c->off,
		    what);
}

/* `n' bytes at the cursor, or NULL (failure recorded). */
static const uint8_t *
cur_take(struct cursor *c, size_t n, const char *what)
{
	const uint8_t *p;

	if (c->failed)
		return (NULL);
	if (n > c->end - c->off) {
		cur_fail(c, "%s: %zu bytes needed, %zu left", what, n,
		    c->end - c->off);
		return (NULL);
	}
	p = c->buf + c->off;
	c->off += n;
	return (p);
}

static bool
cur_u8(struct cursor *c, const char *what, uint8_t *v)
{
	const uint8_t *p = cur_take(c, 1, what);

	if (p != NULL)
		*v = *p;
	return (p != NULL);
}

static bool
cur_u32(struct cursor *c, const char *what, uint32_t *v)
{
	const uint8_t *p = cur_take(c, 4, what);

	if (p != NULL)
		*v = rd_le32(p);
	return (p != NULL);
}

static bool
cur_u64(struct cursor *c, const char *what, uint64_t *v)
{
	const uint8_t *p = cur_take(c, 8, what);

	if (p != NULL)
		*v = rd_le64(p);
	return (p != NULL);
}

static bool
cur_name(struct cursor *c, const char *what, char out[SNAP_NAMEMAX + 1])
{
	const uint8_t *p;
	uint8_t n;

	if (!cur_u8(c, what, &n))
		return (false);
	if (n == 0 || n > SNAP_NAMEMAX) {
		cur_fail(c, "%s: name length %u not in 1-%d", what, n,
		    SNAP_NAMEMAX);
		return (false);
	}
	p = cur_take(c, n, what);
	if (p == NULL)
		return (false);
	if (!name_ok((const char *)p, n)) {
		cur_fail(c, "%s: name has a byte outside 0x21-0x7e", what);
		return (false);
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return (true);
}

static bool
dec_field(struct cursor *c, struct snap_rec *r)
{
	char name[SNAP_NAMEMAX + 1];
	const uint8_t *p;
	uint64_t v;
	uint32_t len;
	uint8_t kind;

	if (!cur_u8(c, "field kind", &kind) || !cur_name(c, "field name",
	    name))
		return (false);
	if (field_find(r, name) != NULL) {
		cur_fail(c, "field \"%s\" appears twice", name);
		return (false);
	}
	switch (kind) {
	case SNAP_KIND_U64:
		if (!cur_u64(c, name, &v))
			return (false);
		if (snap_put_u64(r, name, v) != 0)
			break;
		return (true);
	case SNAP_KIND_BLOB:
		if (!cur_u32(c, name, &len) ||
		    (p = cur_take(c, len, name)) == NULL)
			return (false);
		if (len > SNAP_BLOB_MAX) {
			cur_fail(c, "field \"%s\": blob too large", name);
			return (false);
		}
		if (snap_put_blob(r, name, p, len) != 0)
			break;
		return (true);
	default:
		cur_fail(c, "field \"%s\": unknown kind %u", name, kind);
		return (false);
	}
	cur_fail(c, "out of memory");
	return (false);
}

/* One record at the cursor; NULL on failure. */
static struct snap_rec *
dec_rec(struct cursor *c)
{
	char id[SNAP_NAMEMAX + 1], dev[SNAP_NAMEMAX + 1];
	struct snap_rec *r;
	uint32_t body, version, nfields;
	size_t outer_end = c->end;

	if (!cur_u32(c, "record length", &body))
		return (NULL);
	if (body > c->end - c->off) {
		cur_fail(c, "record length %u runs past the image (%zu bytes "
		    "left)", body, c->end - c->off);
		return (NULL);
	}
	c->end = c->off + body;
	r = NULL;
	if (!cur_name(c, "record id", id) || !cur_name(c, "record model",
	    dev) || !cur_u32(c, "record version", &version) ||
	    !cur_u32(c, "field count", &nfields))
		goto fail;
	/* A field takes 7 bytes at least: bound the count first. */
	if (nfields > (c->end - c->off) / 7) {
		cur_fail(c, "%s: %u fields cannot fit in %zu bytes", id,
		    nfields, c->end - c->off);
		goto fail;
	}
	r = snap_rec_new(id, dev, version);
	if (r == NULL) {
		cur_fail(c, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < nfields; i++)
		if (!dec_field(c, r))
			goto fail;
	if (c->off != c->end) {
		cur_fail(c, "%s: %zu bytes left over after %u fields", id,
		    c->end - c->off, nfields);
		goto fail;
	}
	c->end = outer_end;
	return (r);
fail:
	snap_rec_free(r);
	c->end = outer_end;
	return (NULL);
}

static bool
dec_header(struct cursor *c, size_t len, uint32_t *nrec)
{
	const uint8_t *p;
	uint64_t total = 0;
	uint32_t version = 0;

	if (len < SNAP_HDR_LEN + SNAP_CRC_LEN) {
		cur_fail(c, "truncated: %zu bytes, a snapshot has at least "
		    "%d", len, SNAP_HDR_LEN + SNAP_CRC_LEN);
		return (false);
	}
	p = cur_take(c, 8, "magic");
	if (memcmp(p, SNAP_MAGIC, 8) != 0) {
		cur_fail(c, "not a bhyve snapshot (bad magic)");
		return (false);
	}
	(void)cur_u32(c, "version", &version);
	(void)cur_u32(c, "record count", nrec);
	(void)cur_u64(c, "length", &total);
	if (version != SNAP_FORMAT_VERSION) {
		cur_fail(c, "format version %u, this bhyve reads %d", version,
		    SNAP_FORMAT_VERSION);
		return (false);
	}
	if (total != len) {
		cur_fail(c, "image says %" PRIu64 " bytes, %zu given (%s)",
		    total, len, total > len ? "truncated" : "trailing data");
		return (false);
	}
	if (rd_le32(c->buf + len - SNAP_CRC_LEN) !=
	    snap_crc32(c->buf, len - SNAP_CRC_LEN)) {
		cur_fail(c, "checksum mismatch: the image is corrupt");
		return (false);
	}
	/* A record takes 16 bytes at least. */
	if (*nrec > (len - SNAP_HDR_LEN - SNAP_CRC_LEN) / 16) {
		cur_fail(c, "%u records cannot fit in %zu bytes", *nrec, len);
		return (false);
	}
	return (true);
}

int
snap_image_decode(const uint8_t *buf, size_t len, struct snap_image **imgp,
    char *err, size_t errlen)
{
	struct cursor c = { .buf = buf, .end = len, .err = err,
	    .errlen = errlen };
	struct snap_image *img;
	struct snap_rec *r;
	uint32_t nrec;

	*imgp = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (buf == NULL || !dec_header(&c, len, &nrec))
		return (-EINVAL);
	img = snap_image_new();
	if (img == NULL)
		return (-ENOMEM);
	c.end = len - SNAP_CRC_LEN;
	for (c.recno = 1; c.recno <= nrec; c.recno++) {
		r = dec_rec(&c);
		if (r == NULL)
			goto fail;
		if (snap_image_find(img, r->id) != NULL) {
			cur_fail(&c, "device \"%s\" appears twice", r->id);
			snap_rec_free(r);
			goto fail;
		}
		if (snap_image_add(img, r) != 0) {
			cur_fail(&c, "out of memory");
			goto fail;
		}
	}
	c.recno = 0;
	if (c.off != c.end) {
		cur_fail(&c, "%zu bytes after the last record", c.end - c.off);
		goto fail;
	}
	*imgp = img;
	return (0);
fail:
	snap_image_free(img);
	return (-EINVAL);
}

/* ---- The registry ---- */

/*
 * Registered devices, in registration order (the order of the records
 * in an image).  `lock' protects the list and is held across a whole
 * save or restore, so devices cannot come or go in the middle of one;
 * device callbacks take their own locks after it, and must not register.
 */
static struct {
	pthread_mutex_t	lock;
	struct snapshot_dev *head;
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER };

int
snapshot_register(struct snapshot_dev *d)
{
	struct snapshot_dev **pp;
	int error = 0;

	if (!cname_ok(d->id) || !cname_ok(d->dev) || d->save == NULL ||
	    d->restore == NULL)
		return (-EINVAL);
	pthread_mutex_lock(&reg.lock);
	for (pp = &reg.head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == d)
			goto out;
		if (strcmp((*pp)->id, d->id) == 0) {
			error = -EEXIST;
			goto out;
		}
	}
	d->next = NULL;
	*pp = d;
out:
	pthread_mutex_unlock(&reg.lock);
	return (error);
}

void
snapshot_unregister(struct snapshot_dev *d)
{
	struct snapshot_dev **pp;

	pthread_mutex_lock(&reg.lock);
	for (pp = &reg.head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			d->next = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&reg.lock);
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The device's own message, or the errno's. */
static const char *
rec_reason(const struct snap_rec *r, int error)
{
	return (r->msg[0] != '\0' ? r->msg : strerror(-error));
}

int
snapshot_save_image(struct snap_image **imgp, char *err, size_t errlen)
{
	struct snap_image *img;
	struct snapshot_dev *d;
	struct snap_rec *r;
	int error = 0;

	*imgp = NULL;
	img = snap_image_new();
	if (img == NULL)
		return (-ENOMEM);
	pthread_mutex_lock(&reg.lock);
	for (d = reg.head; d != NULL && error == 0; d = d->next) {
		r = snap_rec_new(d->id, d->dev, 0);
		if (r == NULL) {
			error = -ENOMEM;
			set_err(err, errlen, "snapshot: %s: out of memory",
			    d->id);
			break;
		}
		error = d->save(d->arg, r);
		if (error == 0)
			error = snap_rec_status(r);
		if (error != 0) {
			set_err(err, errlen, "snapshot: saving %s (%s): %s",
			    d->id, d->dev, rec_reason(r, error));
			snap_rec_free(r);
			break;
		}
		error = snap_image_add(img, r);
		if (error != 0)
			set_err(err, errlen, "snapshot: %s: %s", d->id,
			    strerror(-error));
	}
	pthread_mutex_unlock(&reg.lock);
	if (error != 0) {
		snap_image_free(img);
		return (error);
	}
	*imgp = img;
	return (0);
}

/* Same devices, same models, both ways; reg.lock held. */
static int
match_devices(struct snap_image *img, char *err, size_t errlen)
{
	struct snapshot_dev *d;
	struct snap_rec *r;

	for (d = reg.head; d != NULL; d = d->next) {
		r = snap_image_find(img, d->id);
		if (r == NULL) {
			set_err(err, errlen, "snapshot: no record for device "
			    "%s (%s)", d->id, d->dev);
			return (-ENOENT);
		}
		if (strcmp(r->dev, d->dev) != 0) {
			set_err(err, errlen, "snapshot: %s is a %s here but a "
			    "%s in the snapshot", d->id, d->dev, r->dev);
			return (-EINVAL);
		}
	}
	for (uint32_t i = 0; i < img->n; i++) {
		for (d = reg.head; d != NULL; d = d->next)
			if (strcmp(d->id, img->rec[i]->id) == 0)
				break;
		if (d == NULL) {
			set_err(err, errlen, "snapshot: device %s (%s) does "
			    "not exist in this machine", img->rec[i]->id,
			    img->rec[i]->dev);
			return (-ENOENT);
		}
	}
	return (0);
}

int
snapshot_restore_image(struct snap_image *img, char *err, size_t errlen)
{
	struct snapshot_dev *d;
	struct snap_rec *r;
	int error;

	pthread_mutex_lock(&reg.lock);
	error = match_devices(img, err, errlen);
	for (d = reg.head; d != NULL && error == 0; d = d->next) {
		r = snap_image_find(img, d->id);
		r->msg[0] = '\0';
		error = d->restore(d->arg, r);
		if (error != 0)
			set_err(err, errlen, "snapshot: restoring %s (%s v%u): "
			    "%s", d->id, d->dev, r->version,
			    rec_reason(r, error));
	}
	pthread_mutex_unlock(&reg.lock);
	return (error);
}

int
snapshot_userland_save(uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct snap_image *img;
	int error;

	error = snapshot_save_image(&img, err, errlen);
	if (error != 0)
		return (error);
	error = snap_image_encode(img, buf, len);
	if (error != 0)
		set_err(err, errlen, "snapshot: encoding: %s",
		    strerror(-error));
	snap_image_free(img);
	return (error);
}

int
snapshot_userland_restore(const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	struct snap_image *img;
	int error;

	error = snap_image_decode(buf, len, &img, err, errlen);
	if (error != 0)
		return (error);
	error = snapshot_restore_image(img, err, errlen);
	snap_image_free(img);
	return (error);
}
