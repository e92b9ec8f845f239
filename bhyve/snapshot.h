/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Save and restore of userland device state (DESIGN 7).
 *
 * Each device instance saves one record: its instance name ("com1",
 * "pci.0.3.0"), its model ("uart"), the version of that model's record,
 * and named fields, each a 64-bit number or a byte string (a "blob":
 * config space, FIFO contents).  Records are self-describing: a restore
 * looks fields up by name, in any order, and ignores names it does not
 * know, so a model may add a field without a new version; it bumps the
 * version when a field changes meaning or a new one becomes required,
 * and accepts every older version it can still read.
 *
 * The engine's devices (vmm/io/vdev.h struct vdev_snap) have a record of
 * the same shape with numbers only; the engine never sees this header.
 *
 * Image format, version 1 (SNAP_FORMAT_VERSION).  All integers are
 * little-endian, nothing is padded:
 *
 *   offset  size  contents
 *   0       8     magic "BHYVSNAP"
 *   8       4     format version
 *   12      4     number of records
 *   16      8     length of the whole image in bytes, this header and
 *                 the trailing CRC included
 *   24            the records, one after the other
 *   len-4   4     CRC-32 (IEEE 802.3, zlib's crc32()) of bytes [0, len-4)
 *
 *   record  u32 length of the body that follows, then the body:
 *           name id, name dev, u32 version, u32 field count, fields
 *   field   u8 kind, name, then by kind:
 *           1 (number)  u64 value
 *           2 (blob)    u32 length, that many bytes
 *   name    u8 length (1-63), that many bytes of printable ASCII
 *           (0x21-0x7E); no NUL, no spaces
 *
 * The parser checks every length against the bytes left before using
 * it, requires each record body to be consumed exactly, and refuses
 * unknown kinds, bad names, duplicate record ids and duplicate field
 * names in a record: a corrupt or truncated image gives an error
 * message, never a crash and never a half-read record.
 *
 * A device's restore must validate every value before it changes any
 * state: an out-of-range value (a FIFO count larger than the FIFO) is
 * refused with a message (snap_fail(), or the getters' own), not trusted.
 * Restores rebuild the device's view of the interrupt lines it drives but
 * do not drive them: the engine's record of each line (vioapic/vatpic
 * assertion counts) is restored with the engine's state.
 *
 * Per-device record versions are listed in README.md ("Save and
 * restore") next to the model names.
 */
#ifndef _BHYVE_SNAPSHOT_H_
#define _BHYVE_SNAPSHOT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define	SNAP_MAGIC		"BHYVSNAP"
#define	SNAP_FORMAT_VERSION	1
#define	SNAP_NAMEMAX		63	/* name bytes, without the NUL */
#define	SNAP_HDR_LEN		24
#define	SNAP_CRC_LEN		4

#define	SNAP_KIND_U64		1
#define	SNAP_KIND_BLOB		2

#define	SNAP_WUR	__attribute__((warn_unused_result))

struct snap_rec;
struct snap_image;

/* ---- Records ---- */

/* An empty record; NULL if out of memory or a name is invalid. */
struct snap_rec *snap_rec_new(const char *id, const char *dev,
	    uint32_t version);
void	snap_rec_free(struct snap_rec *r);
const char *snap_rec_id(const struct snap_rec *r);
const char *snap_rec_dev(const struct snap_rec *r);
uint32_t snap_rec_version(const struct snap_rec *r);
void	snap_rec_set_version(struct snap_rec *r, uint32_t version);
unsigned snap_rec_nfields(const struct snap_rec *r);
/* The first error message of a getter or snap_fail(), "" if none. */
const char *snap_rec_errmsg(const struct snap_rec *r);
/*
 * Puts are sticky on failure: after one fails (-ENOMEM, -EINVAL for a
 * bad name) the rest do nothing and this returns that error, so a save
 * function may put everything and return snap_rec_status() once.
 */
int	snap_rec_status(const struct snap_rec *r);

/* Add a field, replacing one of the same name.  0 or -errno. */
int	snap_put_u64(struct snap_rec *r, const char *name, uint64_t val);
int	snap_put_blob(struct snap_rec *r, const char *name, const void *data,
	    size_t len);
/* Remove a field (tests corrupt records with it).  0 or -ENOENT. */
int	snap_del(struct snap_rec *r, const char *name);

/*
 * Getters for restore: 0, or -errno with the reason kept for
 * snap_rec_errmsg() (missing field, wrong kind, out of range, wrong
 * blob length).
 */
int	snap_get_u64(struct snap_rec *r, const char *name, uint64_t *val)
	    SNAP_WUR;
int	snap_get_range(struct snap_rec *r, const char *name, uint64_t min,
	    uint64_t max, uint64_t *val) SNAP_WUR;
/* A register: only the bits in `valid' may be set. */
int	snap_get_bits(struct snap_rec *r, const char *name, uint64_t valid,
	    uint64_t *val) SNAP_WUR;
int	snap_get_bool(struct snap_rec *r, const char *name, bool *val)
	    SNAP_WUR;
/* The blob's bytes stay valid as long as the record. */
int	snap_get_blob(struct snap_rec *r, const char *name,
	    const uint8_t **data, size_t *len) SNAP_WUR;
/* A blob of exactly `len' bytes, copied to dst. */
int	snap_get_blob_exact(struct snap_rec *r, const char *name, void *dst,
	    size_t len) SNAP_WUR;
/* The record's version is one this restore reads: min..max. */
int	snap_check_version(struct snap_rec *r, uint32_t min, uint32_t max)
	    SNAP_WUR;
/* Record a device-specific refusal; returns `error' (negative). */
int	snap_fail(struct snap_rec *r, int error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ---- Images: records of a machine, and their byte form ---- */

struct snap_image *snap_image_new(void);
void	snap_image_free(struct snap_image *img);
/* Append r (the image owns it from then on, even on error); -EEXIST if
 * its id is taken. */
int	snap_image_add(struct snap_image *img, struct snap_rec *r);
unsigned snap_image_count(const struct snap_image *img);
struct snap_rec *snap_image_rec(const struct snap_image *img, unsigned i);
struct snap_rec *snap_image_find(const struct snap_image *img,
	    const char *id);
/* The image in the format above, in a malloc()ed buffer.  0 or -errno. */
int	snap_image_encode(const struct snap_image *img, uint8_t **buf,
	    size_t *len) SNAP_WUR;
/*
 * Parse an image.  0, or -EINVAL (-ENOMEM) with a message in err (may be
 * NULL) naming what is wrong and where.
 */
int	snap_image_decode(const uint8_t *buf, size_t len,
	    struct snap_image **imgp, char *err, size_t errlen) SNAP_WUR;
uint32_t snap_crc32(const void *data, size_t len);

/* ---- The machine: every registered userland device ---- */

typedef int snapshot_save_t(void *arg, struct snap_rec *r);
typedef int snapshot_restore_t(void *arg, struct snap_rec *r);

/*
 * A device instance taking part in whole-machine snapshots.  The device
 * owns the struct (it is linked in, not copied) and registers it when it
 * comes to life, unregisters it before it goes away.  `id' must be
 * stable from one run of the same configuration to the next (derived
 * from config: "com1", "pci.0.3.0"), since restore matches records by
 * it; `dev' names the record's model.  save() puts fields and sets the
 * version; restore() validates, then applies.
 */
struct snapshot_dev {
	char		id[SNAP_NAMEMAX + 1];
	const char	*dev;
	snapshot_save_t	*save;
	snapshot_restore_t *restore;
	void		*arg;
	struct snapshot_dev *next;	/* registry (snapshot.c) */
};

/* 0, -EEXIST (another device has the id) or -EINVAL (bad name).
 * Registering the same struct twice is harmless. */
int	snapshot_register(struct snapshot_dev *d);
void	snapshot_unregister(struct snapshot_dev *d);

/*
 * The whole userland machine as one image, and its inverse.  The vCPUs
 * must be stopped (a bhyvectl --checkpoint would pause them, save the
 * engine's state with its own records, then call these).  Restore
 * requires the same set of devices (same configuration): a record
 * without a device, a device without a record, or a model mismatch is
 * refused before any device is touched.  A device refusing its record
 * leaves the machine partly restored: the caller must not run it.
 * 0, or -errno with a message in err.
 */
int	snapshot_userland_save(uint8_t **buf, size_t *len, char *err,
	    size_t errlen) SNAP_WUR;
int	snapshot_userland_restore(const uint8_t *buf, size_t len, char *err,
	    size_t errlen) SNAP_WUR;
/* The same on a parsed image. */
int	snapshot_save_image(struct snap_image **imgp, char *err,
	    size_t errlen) SNAP_WUR;
int	snapshot_restore_image(struct snap_image *img, char *err,
	    size_t errlen) SNAP_WUR;

#endif /* _BHYVE_SNAPSHOT_H_ */
