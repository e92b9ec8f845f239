/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The direct-boot loaders on arbitrary kernel files: multiboot
 * (header search, ELF32/ELF64/a.out-kludge validation, loading with
 * modules) and the Linux bzImage loader (setup header validation,
 * loading with an initrd), into a fake guest RAM whose map callback
 * refuses anything outside it.  Malformed files must fail with an error,
 * never write outside RAM nor read outside the file.
 *
 * Input: byte 0 picks the loader and RAM size, byte 1 the number of
 * modules / the initrd and command line; the rest is the kernel file.
 */
#include <errno.h>
#include <string.h>

#include "bhyve/bootload.h"
#include "bhyve/e820.h"
#include "bhyve/linux_boot.h"
#include "bhyve/multiboot.h"
#include "tests/fuzz/fuzz.h"

#define	RAM_MAX		(16u << 20)

struct fake_ram {
	uint8_t		*buf;
	uint64_t	size;
};

static struct fake_ram ram;

static void *
fake_map(void *arg, uint64_t gpa, size_t len)
{
	struct fake_ram *r = arg;

	if (gpa > r->size || len > r->size - gpa)
		return (NULL);
	return (r->buf + gpa);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram.buf = malloc(RAM_MAX);
	FZ_CHECK(ram.buf != NULL);
	return (0);
}

/*
 * Copies of the file and pieces of it, each in its own allocation so
 * that ASan catches a read past any of them.
 */
static uint8_t *
dup_bytes(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len > 0 ? len : 1);

	FZ_CHECK(d != NULL);
	memcpy(d, p, len);
	return (d);
}

static void
check_cpu(const struct boot_cpu *cpu)
{
	FZ_CHECK(cpu->nregs >= 0 && cpu->nregs <= BOOT_MAX_REGS);
	FZ_CHECK(cpu->ndescs >= 0 && cpu->ndescs <= BOOT_MAX_DESCS);
}

static void
fuzz_multiboot(const struct boot_mem *mem, const uint8_t *img, size_t len,
    uint8_t knobs)
{
	struct boot_file kernel = { "kernel", img, len };
	struct boot_file mods[MB_MAX_MODS + 1];
	uint8_t *modbuf[MB_MAX_MODS + 1];
	struct mb_image im;
	struct mb_result res;
	struct boot_cpu cpu;
	char err[BOOT_ERRLEN];
	int nmods = knobs % (MB_MAX_MODS + 2), i, rc;
	long off;

	off = multiboot_find_header(img, len);
	FZ_CHECK(off >= -1 && (off < 0 || (size_t)off < len));
	memset(&im, 0, sizeof(im));
	err[0] = '\0';
	rc = multiboot_parse(img, len, &im, err, sizeof(err));
	if (rc == 0) {
		FZ_CHECK(im.nsegs >= 0 && im.nsegs <= MB_MAX_SEGS);
		for (i = 0; i < im.nsegs; i++) {
			FZ_CHECK(im.seg[i].filesz <= im.seg[i].memsz);
			FZ_CHECK(im.seg[i].off <= len &&
			    im.seg[i].filesz <= len - im.seg[i].off);
		}
	} else {
		FZ_CHECK(rc < 0);
	}
	FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);

	/* Modules: slices of the file itself. */
	for (i = 0; i < nmods; i++) {
		size_t mo = len > 0 ? (size_t)i * 37 % len : 0;
		size_t ml = (len - mo) / (size_t)(i + 1);

		modbuf[i] = dup_bytes(img + mo, ml);
		mods[i] = (struct boot_file){ "module", modbuf[i], ml };
	}
	memset(&cpu, 0, sizeof(cpu));
	err[0] = '\0';
	rc = multiboot_load(mem, &kernel, knobs & 0x80 ? "console=ttyS0 x" :
	    NULL, mods, nmods, &cpu, &res, err, sizeof(err));
	FZ_CHECK(rc <= 0);
	FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0)
		check_cpu(&cpu);
	for (i = 0; i < nmods; i++)
		free(modbuf[i]);
}

static void
fuzz_linux(const struct boot_mem *mem, const uint8_t *img, size_t len,
    uint8_t knobs)
{
	struct boot_file kernel = { "bzImage", img, len };
	struct boot_file initrd;
	struct e820_entry e820[16];
	struct linux_image li;
	struct linux_result res;
	struct boot_cpu cpu;
	char err[BOOT_ERRLEN], *cmdline = NULL;
	uint8_t *rd = NULL;
	size_t rdlen;
	int ne820, rc;

	(void)linux_is_bzimage(img, len);
	memset(&li, 0, sizeof(li));
	err[0] = '\0';
	rc = linux_parse(img, len, &li, err, sizeof(err));
	if (rc == 0) {
		FZ_CHECK(li.kernel_off <= len && li.kernel_len <= len -
		    li.kernel_off);
		FZ_CHECK(li.hdr_end <= len);
	} else {
		FZ_CHECK(rc < 0);
	}
	FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);

	ne820 = e820_compute(mem->lowmem, mem->highmem, e820, 16);
	if (ne820 < 0)
		return;
	if (knobs & 1) {
		rdlen = len / 3;
		rd = dup_bytes(img + len - rdlen, rdlen);
		initrd = (struct boot_file){ "initrd", rd, rdlen };
	}
	if (knobs & 2) {
		/* A long command line: the header's cmdline_size applies. */
		size_t n = (size_t)(knobs >> 2) * 1024 + 7;

		cmdline = malloc(n + 1);
		FZ_CHECK(cmdline != NULL);
		memset(cmdline, 'x', n);
		cmdline[n] = '\0';
	}
	memset(&cpu, 0, sizeof(cpu));
	err[0] = '\0';
	rc = linux_load(mem, &kernel, cmdline, rd != NULL ? &initrd : NULL,
	    e820, ne820, knobs & 4 ? 0xf0000 : 0, &cpu, &res, err,
	    sizeof(err));
	FZ_CHECK(rc <= 0);
	FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0)
		check_cpu(&cpu);
	free(cmdline);
	free(rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_mem mem = { .map = fake_map, .arg = &ram };
	uint8_t sel, knobs, *img;
	size_t len;

	if (size < 2)
		return (0);
	sel = data[0];
	knobs = data[1];
	/* RAM from 1 MiB up to RAM_MAX in 1 MiB steps. */
	ram.size = (uint64_t)(1 + (sel >> 1) % (RAM_MAX >> 20)) << 20;
	mem.lowmem = ram.size;
	mem.highmem = 0;
	len = size - 2;
	img = dup_bytes(data + 2, len);
	if (sel & 1)
		fuzz_linux(&mem, img, len, knobs);
	else
		fuzz_multiboot(&mem, img, len, knobs);
	free(img);
	return (0);
}
