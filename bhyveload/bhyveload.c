/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyveload(8): load a guest kernel into a named VM that bhyve then runs
 * (reference §5).  FreeBSD's bhyveload runs userboot.so, the FreeBSD
 * loader; that cannot run here, so this one is a front end to bhyve's
 * own direct-boot loaders (bhyve/bootload.c: Linux bzImage, multiboot):
 *
 *   -e name=value   a loader variable, i.e. a config key: boot.kernel,
 *                   boot.initrd, boot.cmdline (others are accepted and
 *                   unused, as a loader ignores variables it does not know)
 *   -h host-path    directory relative boot.kernel / boot.initrd paths are
 *                   taken from (FreeBSD: the host directory the loader
 *                   reads /boot from)
 *   -d disk-path    a kernel image given as the boot "disk": used as
 *                   boot.kernel when none is set; a real disk image
 *                   (reading a file system) is refused
 *   -l os-loader    only "builtin" (the default); a loader library cannot
 *                   be loaded
 *   -c cons-dev     "stdio" or a terminal: accepted and checked; the
 *                   built-in loader is not interactive
 *   -m mem-size     guest memory (default 256M); bhyve must use the same
 *   -C / -S         guest memory in core dumps / wired
 *
 * The VM is created as a persistent VM (libvmmapi/vmmapi_persist.c) or,
 * if it exists, reinitialized (FreeBSD: vm_create, EEXIST -> vm_reinit);
 * vCPU 0's registers are saved in its state file for bhyve.
 * Exit status 0 on success, 1 on any error.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bhyve/bhyverun.h"
#include "bhyve/config.h"
#include "bhyve/ctl_server.h"
#include "bhyve/linux_boot.h"
#include "bhyve/multiboot.h"
#include "libvmmapi/vmmapi.h"

#define	PROG	"bhyveload"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: %s [-CS] [-c cons-dev] [-d disk-path] [-e name=value]\n"
	    "       %*s [-h host-path] [-l os-loader] "
	    "[-m mem-size[K|k|M|m|G|g|T|t]] vmname\n",
	    PROG, (int)strlen(PROG), "");
	exit(1);
}

static void __attribute__((format(printf, 1, 2), noreturn))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* A kernel the built-in loaders recognize? */
static bool
is_kernel_image(const char *path)
{
	uint8_t buf[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		fail("%s: %s", path, strerror(errno));
	return (multiboot_find_header(buf, (size_t)n) >= 0 ||
	    linux_is_bzimage(buf, (size_t)n));
}

/* Does a bhyve run the VM (its control socket answers)? */
static bool
vm_running(const char *name)
{
	struct sockaddr_un sa;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (ctl_socket_path(name, sa.sun_path, sizeof(sa.sun_path)) != 0)
		return (false);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (false);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return (r == 0);
}

/* -h: relative boot file paths are under the host directory. */
static void
apply_host_path(const char *key, const char *host)
{
	char path[PATH_MAX];
	const char *v = get_config_value(key);

	if (host == NULL || v == NULL || v[0] == '\0' || v[0] == '/')
		return;
	if (snprintf(path, sizeof(path), "%s/%s", host, v) >=
	    (int)sizeof(path))
		fail("-h %s: %s: path too long", host, v);
	set_config_value(key, path);
}

int
main(int argc, char **argv)
{
	struct vm_saved_state st;
	struct vmctx *ctx;
	struct vcpu *bsp;
	const char *cons = "stdio", *disk = NULL, *host = NULL;
	const char *kernel, *name;
	size_t memsize = 256UL << 20;
	int c, memflags = 0, ndisks = 0;
	bool existed;

	init_config();
	while ((c = getopt(argc, argv, "CSc:d:e:h:l:m:")) != -1) {
		switch (c) {
		case 'C':
			memflags |= VM_MEM_F_INCORE;
			break;
		case 'S':
			memflags |= VM_MEM_F_WIRED;
			break;
		case 'c':
			cons = optarg;
			break;
		case 'd':
			if (ndisks++ > 0)
				fail("-d %s: only one boot disk (a kernel "
				    "image) is supported", optarg);
			disk = optarg;
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				fail("-e %s: expected name=value", optarg);
			if (parse_config_option(optarg) != 0)
				exit(1);
			break;
		case 'h':
			host = optarg;
			break;
		case 'l':
			if (strcmp(optarg, "builtin") != 0)
				fail("-l %s: loader libraries are not supported;"
				    " the built-in loader boots Linux bzImage "
				    "and multiboot kernels", optarg);
			break;
		case 'm':
			if (vm_parse_memsize(optarg, &memsize) != 0)
				fail("invalid memsize '%s'", optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	name = argv[0];
	if (name[0] == '\0' || strlen(name) >= VM_MAX_NAMELEN ||
	    name[0] == '.' || strchr(name, '/') != NULL)
		fail("invalid VM name '%s'", name);

	if (strcmp(cons, "stdio") != 0) {
		int fd = open(cons, O_RDWR | O_NOCTTY | O_CLOEXEC);

		if (fd < 0)
			fail("-c %s: %s", cons, strerror(errno));
		close(fd);
	}
	if (disk != NULL) {
		if (!is_kernel_image(disk))
			fail("-d %s: not a Linux bzImage or multiboot kernel; "
			    "booting from a disk image is not supported (give "
			    "the kernel with -e boot.kernel=FILE)", disk);
		if (get_config_value("boot.kernel") == NULL)
			set_config_value("boot.kernel", disk);
	}
	apply_host_path("boot.kernel", host);
	apply_host_path("boot.initrd", host);
	kernel = get_config_value("boot.kernel");
	if (kernel == NULL || kernel[0] == '\0')
		fail("no kernel to load: give -e boot.kernel=FILE "
		    "(or -d FILE)");

	/* FreeBSD's vm_reinit fails with EBUSY for a running VM too. */
	if (vm_running(name))
		fail("VM %s is running: %s", name, strerror(EBUSY));
	existed = vm_persist_exists(name);
	ctx = vm_openf(name, VMMAPI_OPEN_CREATE | VMMAPI_OPEN_REINIT |
	    VMMAPI_OPEN_PERSIST);
	if (ctx == NULL)
		fail("vm_create %s: %s", name, strerror(errno));
	vm_set_memflags(ctx, memflags);
	if (vm_setup_memory(ctx, memsize, VM_MMAP_ALL) != 0) {
		int e = errno;

		if (e == EINVAL && existed && vm_read_state(name, &st) == 0 &&
		    st.memsize != 0 && st.memsize != memsize)
			fail("VM %s exists with %juM of memory, not %zuM: "
			    "destroy it first (bhyvectl --destroy --vm=%s)",
			    name, (uintmax_t)(st.memsize >> 20),
			    memsize >> 20, name);
		if (!existed)
			vm_destroy(ctx);
		fail("vm_setup_memory: %s", strerror(e));
	}
	bsp = vm_vcpu_open(ctx, 0);
	if (bsp == NULL)
		fail("vm_vcpu_open: %s", strerror(errno));
	if (bhyve_load_kernel(ctx, bsp) != 0) {
		/* The message is printed; a VM made just for this goes. */
		if (!existed)
			vm_destroy(ctx);
		exit(1);
	}
	if (vm_read_state(name, &st) != 0)
		fail("VM %s: state file: %s", name, strerror(errno));
	if (vm_save_vcpu_state(bsp, &st) != 0)
		fail("VM %s: reading vCPU 0: %s", name, strerror(errno));
	if (vm_write_state(name, &st) != 0)
		fail("VM %s: state file: %s", name, strerror(errno));
	vm_vcpu_close(bsp);
	vm_close(ctx);
	return (0);
}
