/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The snapshot image parser (bhyve/snapshot.c) and the restore side of
 * device records on arbitrary bytes.
 *
 * Input: a mode byte, then
 *   bit 0 clear: the rest is an image, taken as is (bit 1 clear) or with
 *                its length field and CRC made consistent (bit 1 set) so
 *                the parse gets past the checksum;
 *   bit 0 set:   the rest describes records (ids, models, fields, built
 *                with the snap_* API), which are encoded, then bytes of
 *                the encoding are flipped as the input says, the CRC
 *                fixed up unless bit 1 is set, and the result parsed.
 *
 * Invariants: a successful parse re-encodes to the very same bytes; an
 * unflipped encoding always parses; every parsed record, fed to the
 * UART's restore, is refused or leaves a UART whose registers read
 * sanely.  Sanitizers catch the rest.
 */
#include <stdbool.h>
#include <string.h>

#include "bhyve/le_bytes.h"
#include "bhyve/snapshot.h"
#include "bhyve/uart_emul.h"
#include "tests/fuzz/fuzz.h"

static struct uart_softc *uart;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	uart = uart_init(NULL, NULL, NULL);
	FZ_CHECK(uart != NULL);
	return (0);
}

/* Length field and CRC consistent with the buffer's size. */
static void
fix_up(uint8_t *buf, size_t len)
{
	if (len < SNAP_HDR_LEN + SNAP_CRC_LEN)
		return;
	wr_le64(buf + 16, len);
	wr_le32(buf + len - SNAP_CRC_LEN, snap_crc32(buf, len - SNAP_CRC_LEN));
}

/* The UART takes any record its restore accepts, and stays sane. */
static void
try_uart(struct snap_rec *r)
{
	uint8_t lsr;

	if (uart_restore(uart, r) != 0) {
		FZ_CHECK(snap_rec_errmsg(r)[0] != '\0');
		return;
	}
	lsr = uart_read(uart, 5);
	FZ_CHECK((lsr & 0x60) == 0x60);
	/* At most a FIFO's worth of bytes comes out. */
	for (int i = 0; i < UART_FIFO_SIZE && (uart_read(uart, 5) & 1); i++)
		(void)uart_read(uart, 0);
	FZ_CHECK((uart_read(uart, 5) & 1) == 0);
}

static void
parse(const uint8_t *buf, size_t len, bool must_parse)
{
	struct snap_image *img = NULL;
	uint8_t *again = NULL;
	size_t alen = 0;
	char err[256];
	int error;

	error = snap_image_decode(buf, len, &img, err, sizeof(err));
	if (error != 0) {
		if (must_parse)
			fprintf(stderr, "%s\n", err);
		FZ_CHECK(!must_parse);
		FZ_CHECK(img == NULL && err[0] != '\0');
		return;
	}
	FZ_CHECK(snap_image_encode(img, &again, &alen) == 0);
	FZ_CHECK(alen == len && memcmp(again, buf, len) == 0);
	free(again);
	for (unsigned i = 0; i < snap_image_count(img); i++)
		try_uart(snap_image_rec(img, i));
	snap_image_free(img);
}

/* A name from the input: 1-8 printable characters, sometimes a UART's. */
static void
fz_name(struct fz *f, char *out, size_t cap)
{
	static const char *const known[] = {
		"ier", "lcr", "mcr", "scr", "dll", "dlm", "fcr", "lsr_oe",
		"msr", "rx_fifo", "thre_pending", "intr_on", "rx_timeout",
		"rx_wait_ns", "uart", "com1",
	};
	uint8_t n = fz_u8(f);
	size_t len;

	if (n < 0x80) {
		snprintf(out, cap, "%s", known[n % (sizeof(known) /
		    sizeof(known[0]))]);
		return;
	}
	len = 1 + (n & 7);
	for (size_t i = 0; i < len && i + 1 < cap; i++)
		out[i] = (char)(0x21 + fz_u8(f) % 94);
	out[len < cap ? len : cap - 1] = '\0';
}

static void
build(struct fz *f, bool fix)
{
	struct snap_image *img = snap_image_new();
	struct snap_rec *r;
	uint8_t blob[64], *buf = NULL;
	char id[16], dev[16], name[16];
	size_t len = 0;
	int nrec = fz_u8(f) % 4;

	FZ_CHECK(img != NULL);
	for (int i = 0; i < nrec; i++) {
		snprintf(id, sizeof(id), "dev%d", i);
		fz_name(f, dev, sizeof(dev));
		r = snap_rec_new(id, dev, fz_u8(f) % 3);
		FZ_CHECK(r != NULL);
		for (int n = fz_u8(f) % 16; n > 0; n--) {
			fz_name(f, name, sizeof(name));
			if (fz_u8(f) & 1) {
				(void)snap_put_u64(r, name, fz_u64(f) >>
				    (fz_u8(f) % 64));
			} else {
				size_t bl = fz_u8(f) % sizeof(blob);

				for (size_t k = 0; k < bl; k++)
					blob[k] = fz_u8(f);
				(void)snap_put_blob(r, name, blob, bl);
			}
		}
		FZ_CHECK(snap_rec_status(r) == 0);
		FZ_CHECK(snap_image_add(img, r) == 0);
	}
	FZ_CHECK(snap_image_encode(img, &buf, &len) == 0);
	snap_image_free(img);
	parse(buf, len, true);
	/* Flips: (offset, xor) pairs from what is left of the input. */
	for (int n = fz_u8(f) % 8; n > 0 && len > 0; n--) {
		size_t off = fz_u16(f) % len;

		buf[off] ^= fz_u8(f) | 1;
	}
	if (fix)
		fix_up(buf, len);
	parse(buf, len, false);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t mode, *copy;

	if (size == 0)
		return (0);
	mode = fz_u8(&f);
	if (mode & 1) {
		build(&f, (mode & 2) == 0);
		return (0);
	}
	copy = malloc(f.n + 1);		/* +1: never malloc(0) */
	FZ_CHECK(copy != NULL);
	memcpy(copy, f.p, f.n);
	if (mode & 2)
		fix_up(copy, f.n);
	parse(copy, f.n, false);
	free(copy);
	return (0);
}
