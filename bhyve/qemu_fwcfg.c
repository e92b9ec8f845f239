/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU fw_cfg device (see qemu_fwcfg.h; QEMU docs/specs/fw_cfg: "Selector
 * Register", "Data Register", "DMA Interface", "File Directory").
 * Guest requests are validated in full before any effect; a bad request
 * is counted and answered with the DMA error bit or ignored, never fatal.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/inout.h"
#include "bhyve/le_bytes.h"
#include "bhyve/qemu_fwcfg.h"
#include "bhyve/snapshot.h"
#include "libvmmapi/vmmapi.h"

#define	FWCFG_NLEGACY		FWCFG_FILE_FIRST
#define	FWCFG_SEL_WRITE		0x4000	/* legacy write flag */
#define	FWCFG_SEL_ARCH		0x8000	/* arch-specific keys: none here */
#define	FWCFG_KEY_MASK		0x3FFF
#define	DMA_DESC_LEN		16

struct fwcfg_item {
	uint8_t		*data;
	uint32_t	size;
};

struct fwcfg_file {
	char		name[FWCFG_FILE_NAMELEN];
	struct fwcfg_item item;
};

struct qemu_fwcfg {
	struct vmctx	*ctx;
	pthread_mutex_t	mtx;		/* all fields below */
	struct fwcfg_item legacy[FWCFG_NLEGACY];
	struct fwcfg_file *files;	/* sorted by name */
	int		nfiles;
	uint16_t	selector;
	uint32_t	offset;		/* in the selected item */
	uint32_t	dma_high;
	uint64_t	bad;
	struct inout_port iop_sel;
	struct inout_port iop_dma;
	int		registered;
	struct snapshot_dev snap;
};

static void
be_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
be_get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (v);
}

static int
item_set(struct fwcfg_item *it, const void *data, uint32_t size)
{
	uint8_t *copy = NULL;

	if (size > 0) {
		copy = malloc(size);
		if (copy == NULL)
			return (-ENOMEM);
		memcpy(copy, data, size);
	}
	free(it->data);
	it->data = copy;
	it->size = size;
	return (0);
}

/* File directory: BE32 count, then {BE32 size, BE16 select, BE16 0,
 * name[56]} per file. */
static int
rebuild_dir(struct qemu_fwcfg *fc)
{
	uint32_t size = 4 + (uint32_t)fc->nfiles * 64;
	uint8_t *d = calloc(1, size), *e;
	int error;

	if (d == NULL)
		return (-ENOMEM);
	be_put(d, (uint64_t)fc->nfiles, 4);
	for (int i = 0; i < fc->nfiles; i++) {
		e = d + 4 + i * 64;
		be_put(e, fc->files[i].item.size, 4);
		be_put(e + 4, (uint64_t)(FWCFG_FILE_FIRST + i), 2);
		memcpy(e + 8, fc->files[i].name, FWCFG_FILE_NAMELEN);
	}
	error = item_set(&fc->legacy[FWCFG_FILE_DIR], d, size);
	free(d);
	return (error);
}

struct qemu_fwcfg *
qemu_fwcfg_create(struct vmctx *ctx)
{
	struct qemu_fwcfg *fc = calloc(1, sizeof(*fc));
	uint32_t id = FWCFG_ID_TRADITIONAL | FWCFG_ID_DMA;
	uint8_t idle[4];

	if (fc == NULL)
		return (NULL);
	fc->ctx = ctx;
	pthread_mutex_init(&fc->mtx, NULL);
	put_le(idle, id, 4);
	if (item_set(&fc->legacy[FWCFG_SIGNATURE], "QEMU", 4) != 0 ||
	    item_set(&fc->legacy[FWCFG_ID], idle, 4) != 0 ||
	    rebuild_dir(fc) != 0) {
		qemu_fwcfg_destroy(fc);
		return (NULL);
	}
	return (fc);
}

void
qemu_fwcfg_destroy(struct qemu_fwcfg *fc)
{
	if (fc == NULL)
		return;
	qemu_fwcfg_unregister(fc);
	for (int i = 0; i < FWCFG_NLEGACY; i++)
		free(fc->legacy[i].data);
	for (int i = 0; i < fc->nfiles; i++)
		free(fc->files[i].item.data);
	free(fc->files);
	pthread_mutex_destroy(&fc->mtx);
	free(fc);
}

int
qemu_fwcfg_add_item(struct qemu_fwcfg *fc, uint16_t key, const void *data,
    uint32_t size)
{
	int error;

	if (key >= FWCFG_NLEGACY || key == FWCFG_FILE_DIR)
		return (-EINVAL);
	pthread_mutex_lock(&fc->mtx);
	error = item_set(&fc->legacy[key], data, size);
	pthread_mutex_unlock(&fc->mtx);
	return (error);
}

int
qemu_fwcfg_add_file(struct qemu_fwcfg *fc, const char *name,
    const void *data, uint32_t size)
{
	struct fwcfg_file *files, f;
	int i, error, cmp = 1;

	if (name[0] == '\0' || strlen(name) >= FWCFG_FILE_NAMELEN)
		return (-EINVAL);
	memset(&f, 0, sizeof(f));
	strcpy(f.name, name);
	if (item_set(&f.item, data, size) != 0)
		return (-ENOMEM);
	pthread_mutex_lock(&fc->mtx);
	for (i = 0; i < fc->nfiles; i++) {
		cmp = strcmp(name, fc->files[i].name);
		if (cmp <= 0)
			break;
	}
	error = -EEXIST;
	if (cmp == 0)
		goto out;
	error = -ENOSPC;
	if (fc->nfiles >= FWCFG_MAX_FILES)
		goto out;
	error = -ENOMEM;
	files = realloc(fc->files, (size_t)(fc->nfiles + 1) * sizeof(*files));
	if (files == NULL)
		goto out;
	fc->files = files;
	memmove(&files[i + 1], &files[i],
	    (size_t)(fc->nfiles - i) * sizeof(*files));
	files[i] = f;
	fc->nfiles++;
	f.item.data = NULL;
	error = rebuild_dir(fc);
out:
	pthread_mutex_unlock(&fc->mtx);
	free(f.item.data);
	return (error);
}

/* The selected item, or NULL (unknown keys read as empty). */
static const struct fwcfg_item *
selected(const struct qemu_fwcfg *fc)
{
	uint16_t key = fc->selector & FWCFG_KEY_MASK;

	if ((fc->selector & FWCFG_SEL_ARCH) != 0)
		return (NULL);
	if (key < FWCFG_NLEGACY)
		return (&fc->legacy[key]);
	if (key - FWCFG_FILE_FIRST < fc->nfiles)
		return (&fc->files[key - FWCFG_FILE_FIRST].item);
	return (NULL);
}

static void
do_select(struct qemu_fwcfg *fc, uint16_t sel)
{
	fc->selector = sel;
	fc->offset = 0;
}

/* Copy up to n bytes from the data offset; zeros past the end. */
static void
read_data(struct qemu_fwcfg *fc, uint8_t *dst, uint32_t n)
{
	const struct fwcfg_item *it = selected(fc);
	uint32_t avail = 0, take;

	if (it != NULL && fc->offset < it->size)
		avail = it->size - fc->offset;
	take = n < avail ? n : avail;
	if (take > 0)
		memcpy(dst, it->data + fc->offset, take);
	memset(dst + take, 0, n - take);
	fc->offset = n > UINT32_MAX - fc->offset ? UINT32_MAX :
	    fc->offset + n;
}

/*
 * One DMA request (QEMU docs: "DMA Interface"): the FWCfgDmaAccess at
 * `desc' is {BE32 control, BE32 length, BE64 address}; control is
 * written back as 0 (done) or with the error bit.
 */
static void
run_dma(struct qemu_fwcfg *fc, uint64_t desc)
{
	uint8_t *d, *dst;
	uint32_t control, len, status = 0;
	uint64_t addr;

	if (desc > UINT64_MAX - DMA_DESC_LEN ||
	    (d = vm_map_gpa(fc->ctx, desc, DMA_DESC_LEN)) == NULL) {
		fc->bad++;		/* nowhere to report it */
		return;
	}
	control = (uint32_t)be_get(d, 4);
	len = (uint32_t)be_get(d + 4, 4);
	addr = be_get(d + 8, 8);
	if ((control & FWCFG_DMA_SELECT) != 0)
		do_select(fc, (uint16_t)(control >> 16));
	if ((control & FWCFG_DMA_READ) != 0) {
		dst = NULL;
		if (len > 0 && addr <= UINT64_MAX - len + 1)
			dst = vm_map_gpa(fc->ctx, addr, len);
		if (len > 0 && dst == NULL)
			status = FWCFG_DMA_ERROR;
		else if (len > 0)
			read_data(fc, dst, len);
	} else if ((control & FWCFG_DMA_WRITE) != 0) {
		status = FWCFG_DMA_ERROR;	/* read-only device */
	} else if ((control & FWCFG_DMA_SKIP) != 0) {
		fc->offset = len > UINT32_MAX - fc->offset ? UINT32_MAX :
		    fc->offset + len;
	}
	if (status != 0)
		fc->bad++;
	be_put(d, status, 4);
}

static uint32_t
bswap32_(uint32_t v)
{
	return (v >> 24 | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) | v << 24);
}

int
qemu_fwcfg_pio(struct qemu_fwcfg *fc, int in, int port, int bytes,
    uint32_t *eax)
{
	uint8_t b[4];

	pthread_mutex_lock(&fc->mtx);
	if (port == FWCFG_PORT_SEL && !in) {
		do_select(fc, (uint16_t)*eax);
	} else if (port == FWCFG_PORT_SEL && in) {
		*eax = fc->selector;
	} else if (port == FWCFG_PORT_DATA && in) {
		/* Wider reads take consecutive data bytes. */
		read_data(fc, b, (uint32_t)bytes);
		*eax = 0;
		for (int i = bytes - 1; i >= 0; i--)
			*eax = *eax << 8 | b[i];
	} else if (port == FWCFG_PORT_DATA) {
		fc->bad++;			/* legacy writes: ignored */
	} else if (in && bytes == 4 && (port == FWCFG_PORT_DMA ||
	    port == FWCFG_PORT_DMA + 4)) {
		/* "QEMU CFG", big-endian, for DMA detection. */
		*eax = bswap32_(port == FWCFG_PORT_DMA ? 0x51454D55 :
		    0x20434647);
	} else if (!in && bytes == 4 && port == FWCFG_PORT_DMA) {
		fc->dma_high = bswap32_(*eax);
	} else if (!in && bytes == 4 && port == FWCFG_PORT_DMA + 4) {
		run_dma(fc, (uint64_t)fc->dma_high << 32 | bswap32_(*eax));
		fc->dma_high = 0;
	} else {
		fc->bad++;
		if (in)
			*eax = 0xFFFFFFFF;
	}
	pthread_mutex_unlock(&fc->mtx);
	return (0);
}

static int
fwcfg_io(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	(void)ctx;
	return (qemu_fwcfg_pio(arg, in, port, bytes, eax));
}

/*
 * Save and restore (snapshot.h): record "fwcfg" version 1 holds the
 * guest's position (selector, data offset, the DMA address high half
 * written so far).  The items come from the configuration and are not
 * saved; the file count is, to refuse a record from another setup.
 */
#define	FWCFG_SNAP_VERSION	1

static int
fwcfg_snapshot(void *arg, struct snap_rec *r)
{
	struct qemu_fwcfg *fc = arg;

	pthread_mutex_lock(&fc->mtx);
	snap_rec_set_version(r, FWCFG_SNAP_VERSION);
	(void)snap_put_u64(r, "selector", fc->selector);
	(void)snap_put_u64(r, "offset", fc->offset);
	(void)snap_put_u64(r, "dma_high", fc->dma_high);
	(void)snap_put_u64(r, "nfiles", (uint64_t)fc->nfiles);
	pthread_mutex_unlock(&fc->mtx);
	return (snap_rec_status(r));
}

static int
fwcfg_restore(void *arg, struct snap_rec *r)
{
	struct qemu_fwcfg *fc = arg;
	uint64_t sel = 0, off = 0, high = 0, nfiles = 0;
	int error;

	error = snap_check_version(r, 1, FWCFG_SNAP_VERSION);
	if (error == 0)
		error = snap_get_range(r, "selector", 0, UINT16_MAX, &sel);
	if (error == 0)
		error = snap_get_range(r, "offset", 0, UINT32_MAX, &off);
	if (error == 0)
		error = snap_get_range(r, "dma_high", 0, UINT32_MAX, &high);
	if (error == 0)
		error = snap_get_u64(r, "nfiles", &nfiles);
	if (error != 0)
		return (error);
	pthread_mutex_lock(&fc->mtx);
	if (nfiles != (uint64_t)fc->nfiles) {
		pthread_mutex_unlock(&fc->mtx);
		return (snap_fail(r, -EINVAL, "%ju files in the record, %d "
		    "here", (uintmax_t)nfiles, fc->nfiles));
	}
	fc->selector = (uint16_t)sel;
	fc->offset = (uint32_t)off;
	fc->dma_high = (uint32_t)high;
	pthread_mutex_unlock(&fc->mtx);
	return (0);
}

int
qemu_fwcfg_register(struct qemu_fwcfg *fc)
{
	fc->iop_sel = (struct inout_port){ "fw_cfg", FWCFG_PORT_SEL, 2,
	    IOPORT_F_INOUT, fwcfg_io, fc };
	fc->iop_dma = (struct inout_port){ "fw_cfg dma", FWCFG_PORT_DMA, 8,
	    IOPORT_F_INOUT, fwcfg_io, fc };
	if (register_inout(&fc->iop_sel) != 0)
		return (-errno);
	if (register_inout(&fc->iop_dma) != 0) {
		int error = -errno;

		unregister_inout(&fc->iop_sel);
		return (error);
	}
	fc->snap = (struct snapshot_dev){ .id = "fwcfg", .dev = "fwcfg",
	    .save = fwcfg_snapshot, .restore = fwcfg_restore, .arg = fc };
	if (snapshot_register(&fc->snap) != 0) {
		unregister_inout(&fc->iop_sel);
		unregister_inout(&fc->iop_dma);
		return (-EEXIST);
	}
	fc->registered = 1;
	return (0);
}

void
qemu_fwcfg_unregister(struct qemu_fwcfg *fc)
{
	if (!fc->registered)
		return;
	snapshot_unregister(&fc->snap);
	unregister_inout(&fc->iop_sel);
	unregister_inout(&fc->iop_dma);
	fc->registered = 0;
}

uint64_t
qemu_fwcfg_bad_requests(struct qemu_fwcfg *fc)
{
	uint64_t n;

	pthread_mutex_lock(&fc->mtx);
	n = fc->bad;
	pthread_mutex_unlock(&fc->mtx);
	return (n);
}
