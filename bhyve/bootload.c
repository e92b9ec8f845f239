/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Direct kernel boot: read boot.kernel (and boot.initrd, boot.cmdline)
 * from the configuration, recognize the kernel by its content, hand it to
 * the format's loader, then load the BSP's registers it asks for.
 *
 *   Multiboot v1 (header magic within the first 8 KiB)  multiboot.c
 *   Linux bzImage ("HdrS" at 0x202)                       linux_boot.c
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bhyve/acpi.h"
#include "bhyve/bhyverun.h"
#include "bhyve/bootload.h"
#include "bhyve/config.h"
#include "bhyve/e820.h"
#include "bhyve/linux_boot.h"
#include "bhyve/multiboot.h"
#include "libvmmapi/vmmapi.h"

/* A file mapped read-only for the time of loading. */
struct boot_map {
	struct boot_file f;
	void		*addr;
	size_t		maplen;
};

static int
boot_map_file(const char *key, const char *path, size_t maxlen,
    struct boot_map *m)
{
	static const uint8_t empty[1];
	struct stat st;
	int fd;

	memset(m, 0, sizeof(*m));
	m->f.name = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bhyve: %s=%s: %s\n", key, path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "bhyve: %s=%s: not a regular file\n", key,
		    path);
		close(fd);
		return (-1);
	}
	if ((uint64_t)st.st_size > maxlen) {
		fprintf(stderr, "bhyve: %s=%s: %lld bytes do not fit in guest "
		    "memory\n", key, path, (long long)st.st_size);
		close(fd);
		return (-1);
	}
	m->f.len = (size_t)st.st_size;
	m->f.data = empty;
	if (m->f.len > 0) {
		m->addr = mmap(NULL, m->f.len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m->addr == MAP_FAILED) {
			fprintf(stderr, "bhyve: %s=%s: mmap: %s\n", key, path,
			    strerror(errno));
			m->addr = NULL;
			close(fd);
			return (-1);
		}
		m->maplen = m->f.len;
		m->f.data = m->addr;
	}
	close(fd);
	return (0);
}

static void
boot_unmap_file(struct boot_map *m)
{
	if (m->addr != NULL)
		munmap(m->addr, m->maplen);
	m->addr = NULL;
}

static void *
boot_vm_map(void *arg, uint64_t gpa, size_t len)
{
	return (vm_map_gpa(arg, gpa, len));
}

/* Descriptors first, then registers, in the order the loader gave. */
static int
boot_apply_cpu(struct vcpu *bsp, const struct boot_cpu *cpu)
{
	int i;

	for (i = 0; i < cpu->ndescs; i++) {
		if (vm_set_desc(bsp, cpu->desc_reg[i], cpu->desc[i].base,
		    cpu->desc[i].limit, cpu->desc[i].access) != 0) {
			fprintf(stderr, "bhyve: boot: vm_set_desc(%d): %s\n",
			    cpu->desc_reg[i], strerror(errno));
			return (-1);
		}
	}
	for (i = 0; i < cpu->nregs; i++) {
		if (vm_set_register(bsp, cpu->reg[i], cpu->val[i]) != 0) {
			fprintf(stderr, "bhyve: boot: vm_set_register(%d): "
			    "%s\n", cpu->reg[i], strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/*
 * The ACPI RSDP, when the firmware tables are already in guest memory
 * (acpi.h: at ACPI_RSDP_GPA, ACPI 6.4 5.2.5.3 signature), else 0: Linux
 * then scans the BIOS area itself.
 */
static uint64_t
boot_find_rsdp(struct vmctx *ctx)
{
	const void *p;

	p = vm_map_gpa(ctx, ACPI_RSDP_GPA, 8);
	if (p != NULL && memcmp(p, "RSD PTR ", 8) == 0)
		return (ACPI_RSDP_GPA);
	return (0);
}

static int
boot_linux(struct vmctx *ctx, const struct boot_mem *mem,
    const struct boot_map *kmap, const char *cmdline,
    const struct boot_map *imap, struct boot_cpu *cpu, char *err,
    size_t errlen)
{
	struct e820_entry e820[E820_MAX_ENTRIES];
	int n;

	n = e820_get_entries(ctx, e820, E820_MAX_ENTRIES);
	if (n < 0) {
		snprintf(err, errlen, "cannot build the e820 map: %s",
		    strerror(-n));
		return (n);
	}
	return (linux_load(mem, &kmap->f, cmdline, &imap->f, e820, n,
	    boot_find_rsdp(ctx), cpu, NULL, err, errlen));
}

int
bhyve_load_kernel(struct vmctx *ctx, struct vcpu *bsp)
{
	struct boot_map kmap, imap;
	struct boot_mem mem;
	struct boot_cpu cpu;
	char err[BOOT_ERRLEN];
	const char *kernel, *initrd, *cmdline;
	size_t ramsize;
	int error, nmods;

	kernel = get_config_value("boot.kernel");
	initrd = get_config_value("boot.initrd");
	cmdline = get_config_value("boot.cmdline");
	if (kernel == NULL || kernel[0] == '\0') {
		fprintf(stderr, "bhyve: nothing to boot: set boot.kernel "
		    "(-o boot.kernel=FILE)\n");
		return (-1);
	}

	mem.map = boot_vm_map;
	mem.arg = ctx;
	mem.lowmem = vm_get_lowmem_size(ctx);
	mem.highmem = vm_get_highmem_size(ctx);
	ramsize = (size_t)mem.lowmem;

	if (boot_map_file("boot.kernel", kernel, ramsize, &kmap) != 0)
		return (-1);
	nmods = 0;
	memset(&imap, 0, sizeof(imap));
	if (initrd != NULL && initrd[0] != '\0') {
		if (boot_map_file("boot.initrd", initrd, ramsize, &imap) != 0) {
			boot_unmap_file(&kmap);
			return (-1);
		}
		nmods = 1;
	}

	error = -1;
	err[0] = '\0';
	if (multiboot_find_header(kmap.f.data, kmap.f.len) >= 0) {
		if (multiboot_load(&mem, &kmap.f, cmdline, &imap.f, nmods,
		    &cpu, NULL, err, sizeof(err)) == 0)
			error = boot_apply_cpu(bsp, &cpu);
		else
			fprintf(stderr, "bhyve: boot.kernel=%s: multiboot: "
			    "%s\n", kernel, err);
	} else if (linux_is_bzimage(kmap.f.data, kmap.f.len)) {
		if (boot_linux(ctx, &mem, &kmap, cmdline, &imap, &cpu, err,
		    sizeof(err)) == 0)
			error = boot_apply_cpu(bsp, &cpu);
		else
			fprintf(stderr, "bhyve: boot.kernel=%s: Linux: %s\n",
			    kernel, err);
	} else {
		fprintf(stderr, "bhyve: boot.kernel=%s: unknown kernel format "
		    "(neither a multiboot kernel nor a Linux bzImage)\n",
		    kernel);
	}
	boot_unmap_file(&imap);
	boot_unmap_file(&kmap);
	return (error);
}

int
boot_errf(char *err, size_t errlen, int error, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (-error);
}
