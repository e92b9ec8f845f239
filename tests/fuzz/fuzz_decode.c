/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The instruction decoder on arbitrary bytes, in each code size.  Every
 * byte string must decode (or ask for more bytes when fewer than 15 were
 * available) to a handler and a length of 1..15 within what it was
 * given; decoding twice gives the same result (run.c caches it).
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/x86/decode.h"
#include "vmm/x86/ops.h"

static void
check(const uint8_t *p, unsigned avail, unsigned csz)
{
	struct x86_insn in, again;
	int rc;

	memset(&in, 0xa5, sizeof(in));
	rc = x86_decode(p, avail, csz, &in);
	if (rc == X86_DEC_MORE) {
		/* SDM Vol 2 2.3.11: 15 bytes always suffice. */
		FZ_CHECK(avail < X86_MAX_INSN);
		return;
	}
	FZ_CHECK(rc == 0);
	FZ_CHECK(in.fn != NULL);
	FZ_CHECK(in.len >= 1 && in.len <= X86_MAX_INSN);
	FZ_CHECK(in.len <= avail || in.len == X86_MAX_INSN);
	if (in.fn == x86_op_gp0)
		return;		/* over 15 bytes: nothing else decoded */
	FZ_CHECK(in.opsize == 1 || in.opsize == 2 || in.opsize == 4 ||
	    in.opsize == 8);
	FZ_CHECK(in.adsize == 2 || in.adsize == 4 || in.adsize == 8);
	FZ_CHECK(csz == 8 || in.adsize != 8);
	FZ_CHECK(in.map <= 3);
	FZ_CHECK(in.scale <= 3);
	FZ_CHECK(in.rex == 0 || csz == 8);
	FZ_CHECK(in.seg < X86_NSEG || in.seg == X86_SEG_NONE);

	memset(&again, 0x5a, sizeof(again));
	FZ_CHECK(x86_decode(p, avail, csz, &again) == 0);
	FZ_CHECK(again.fn == in.fn && again.len == in.len &&
	    again.imm == in.imm && again.disp == in.disp &&
	    again.opsize == in.opsize && again.adsize == in.adsize);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned csz[] = { 2, 4, 8 };
	uint8_t buf[X86_MAX_INSN + 1];
	unsigned avail;
	size_t off;
	int i;

	/*
	 * Decode at every offset of the input (a byte stream as a guest
	 * would run it), with exactly the remaining bytes available, from
	 * a copy so ASan sees any read past `avail'.
	 */
	for (off = 0; off < size && off < 256; off++) {
		avail = size - off > X86_MAX_INSN ? X86_MAX_INSN + 1 :
		    (unsigned)(size - off);
		memcpy(buf, data + off, avail);
		for (i = 0; i < 3; i++) {
			uint8_t *exact = malloc(avail);

			FZ_CHECK(exact != NULL);
			memcpy(exact, buf, avail);
			check(exact, avail, csz[i]);
			free(exact);
		}
	}
	return (0);
}
