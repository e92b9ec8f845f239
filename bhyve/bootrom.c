/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot ROM mapping: see bootrom.h.
 *
 * One VM_BOOTROM segment holds [VARS][ROM]; the ROM part is mapped
 * read/execute ending at 4 GiB, the VARS part read-write just below it.
 * The BIOS area below 1 MiB is guest RAM (sysmem) into which the ROM's
 * top is copied: RAM for the CPU and for device DMA alike (fw_cfg DMA
 * puts SeaBIOS's ACPI RSDP there), as a PC's shadow RAM once the
 * chipset's PAM registers enable it.  Should guest memory end below
 * 1 MiB, the copy gets pages of its own in the segment ([SHADOW] after
 * ROM), mapped read-write there instead.  Guest writes to the ROM at
 * 4 GiB are dropped.
 * The variable store is copied from its file at start and written back
 * at exit (atexit) from a mapping of our own, since guest memory
 * segments are memfds.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bhyve/bootrom.h"
#include "bhyve/config.h"
#include "libvmmapi/vmmapi.h"

#define	PAGE_SIZE_4K	4096u
#define	GPA_4G		(1ull << 32)

/* The variable store being persisted; `lock' guards it. */
static struct {
	pthread_mutex_t	lock;
	int		fd;
	uint8_t		*mem;
	size_t		len;
	bool		atexit_done;
} vars = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

const char *
bootrom_path(void)
{
	const char *p = get_config_value("bootrom");

	return (p != NULL ? p : get_config_value("lpc.bootrom"));
}

static const char *
bootvars_path(void)
{
	const char *p = get_config_value("bootvars");

	return (p != NULL ? p : get_config_value("lpc.bootvars"));
}

size_t
bootrom_shadow_size(size_t romsize)
{
	return (romsize <= BOOTROM_SHADOW_MAX ? romsize : BOOTROM_LEGACY_SIZE);
}

int
bootrom_check_sizes(size_t romsize, size_t varsize, const char **why)
{
	if (romsize == 0) {
		*why = "the ROM file is empty";
		return (-1);
	}
	if (romsize % PAGE_SIZE_4K != 0) {
		*why = "the ROM size is not a multiple of 4 KiB";
		return (-1);
	}
	if (varsize % PAGE_SIZE_4K != 0) {
		*why = "the variable store size is not a multiple of 4 KiB";
		return (-1);
	}
	if (romsize > BOOTROM_MAXSIZE || varsize > BOOTROM_MAXSIZE -
	    romsize) {
		*why = "the ROM (with its variable store) is larger than "
		    "16 MiB";
		return (-1);
	}
	return (0);
}

/* Read exactly len bytes at offset 0. */
static int
read_all(int fd, uint8_t *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, buf + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += (size_t)n;
	}
	return (0);
}

int
bootrom_sync_vars(void)
{
	size_t done = 0;
	ssize_t n;
	int error = 0;

	pthread_mutex_lock(&vars.lock);
	while (vars.fd >= 0 && done < vars.len) {
		n = pwrite(vars.fd, vars.mem + done, vars.len - done,
		    (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = -1;
			break;
		}
		done += (size_t)n;
	}
	if (vars.fd >= 0)
		(void)fsync(vars.fd);
	pthread_mutex_unlock(&vars.lock);
	return (error);
}

static void
bootrom_atexit(void)
{
	if (bootrom_sync_vars() != 0)
		fprintf(stderr, "bootrom: cannot write back the variable "
		    "store: %s\n", strerror(errno));
}

static int
open_sized(const char *path, int flags, size_t *size)
{
	struct stat st;
	int fd;

	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bootrom: cannot open \"%s\": %s\n", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "bootrom: \"%s\" is not a regular file\n",
		    path);
		close(fd);
		return (-1);
	}
	*size = (size_t)st.st_size;
	return (fd);
}

int
bootrom_init(struct vmctx *ctx)
{
	const char *rom = bootrom_path(), *varp = bootvars_path(), *why;
	size_t romsize, varsize = 0, shadow, segsize;
	int romfd, varfd = -1;
	uint8_t *seg, *low;
	uint64_t gpa;

	if (rom == NULL)
		return (0);
	romfd = open_sized(rom, O_RDONLY, &romsize);
	if (romfd < 0)
		return (-1);
	if (varp != NULL) {
		varfd = open_sized(varp, O_RDWR, &varsize);
		if (varfd < 0)
			goto fail;
	}
	if (bootrom_check_sizes(romsize, varsize, &why) != 0) {
		fprintf(stderr, "bootrom: %s: %s\n", rom, why);
		goto fail;
	}
	/* The BIOS area is normally RAM; else the copy needs pages here. */
	shadow = bootrom_shadow_size(romsize);
	low = vm_map_gpa(ctx, BOOTROM_SHADOW_END - shadow, shadow);
	segsize = varsize + romsize + (low == NULL ? shadow : 0);
	seg = vm_create_devmem(ctx, VM_BOOTROM, "bootrom", segsize);
	if (seg == MAP_FAILED) {
		fprintf(stderr, "bootrom: cannot allocate %zu bytes: %s\n",
		    segsize, strerror(errno));
		goto fail;
	}
	if ((varsize > 0 && read_all(varfd, seg, varsize) != 0) ||
	    read_all(romfd, seg + varsize, romsize) != 0) {
		fprintf(stderr, "bootrom: cannot read %s\n", rom);
		goto fail;
	}
	gpa = GPA_4G - romsize;
	if (vm_mmap_memseg(ctx, gpa, VM_BOOTROM, (vm_ooffset_t)varsize,
	    romsize, PROT_READ | PROT_EXEC) != 0 || (varsize > 0 &&
	    vm_mmap_memseg(ctx, gpa - varsize, VM_BOOTROM, 0, varsize,
	    PROT_READ | PROT_WRITE) != 0)) {
		fprintf(stderr, "bootrom: cannot map the ROM at %#jx: %s\n",
		    (uintmax_t)gpa, strerror(errno));
		goto fail;
	}
	/* The BIOS area: a writable copy of the ROM's top (bootrom.h). */
	if (low != NULL) {
		memcpy(low, seg + varsize + romsize - shadow, shadow);
	} else {
		memcpy(seg + varsize + romsize, seg + varsize + romsize -
		    shadow, shadow);
		if (vm_mmap_memseg(ctx, BOOTROM_SHADOW_END - shadow,
		    VM_BOOTROM, (vm_ooffset_t)(varsize + romsize), shadow,
		    PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
			fprintf(stderr, "bootrom: cannot map the ROM below "
			    "1 MiB: %s\n", strerror(errno));
			goto fail;
		}
	}
	close(romfd);
	if (varfd >= 0) {
		/*
		 * Our own mapping of the store's pages (mremap of a shared
		 * mapping with old size 0 duplicates it): it outlives the
		 * VM's, which teardown unmaps before exit handlers run.
		 */
		uint8_t *dup = mremap(seg, 0, varsize, MREMAP_MAYMOVE);

		if (dup == MAP_FAILED) {
			fprintf(stderr, "bootrom: cannot map the variable "
			    "store: %s\n", strerror(errno));
			close(varfd);
			return (-1);
		}
		pthread_mutex_lock(&vars.lock);
		if (vars.fd >= 0) {
			close(vars.fd);
			(void)munmap(vars.mem, vars.len);
		}
		vars.fd = varfd;
		vars.mem = dup;
		vars.len = varsize;
		pthread_mutex_unlock(&vars.lock);
		if (!vars.atexit_done) {
			atexit(bootrom_atexit);
			vars.atexit_done = true;
		}
	}
	return (0);
fail:
	close(romfd);
	if (varfd >= 0)
		close(varfd);
	return (-1);
}
