/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Persistent VMs: what FreeBSD's /dev/vmm/NAME is, for bhyveload then
 * bhyve.  On FreeBSD the VM lives in the kernel between the two
 * processes; here the engine lives inside each process, so what has to
 * survive is kept in files, in one directory per VM:
 *
 *   ROOT/NAME/sysmem   guest RAM, created with the memory size; mapped
 *                      MAP_SHARED into the engine's reservation in place
 *                      of a memfd (vmm_mem_set_backing), so what the
 *                      loader wrote is what bhyve's guest sees
 *   ROOT/NAME/state    a small versioned text file: memory size and
 *                      flags, topology, and vCPU 0's registers as the
 *                      loader left them ("loaded 1"); bhyve applies them
 *                      instead of loading a kernel, then clears "loaded"
 *   ROOT/NAME.sock     control socket of a bhyve running the VM
 *                      (bhyve/ctl_server.c, bhyvectl)
 *
 * ROOT is $BHYVE_STATE_DIR if set, else /dev/shm/bhyve (tmpfs, so guest
 * RAM costs what a memfd costs), else $XDG_RUNTIME_DIR/bhyve, else
 * /tmp/bhyve-UID.  Directories are 0700, files 0600.
 *
 * State file (version 1), one item per line, '#' lines ignored:
 *   version 1
 *   memsize BYTES
 *   memflags N
 *   topology SOCKETS CORES THREADS
 *   loaded 0|1
 *   reg N VALUE                  (N: VM_REG_GUEST_*, the ABI number)
 *   desc N BASE LIMIT ACCESS
 *   end
 * Numbers as strtoull base 0.  Anything else, a missing "end" or
 * "version", or text after "end" makes the file invalid (EINVAL): a
 * truncated write is never taken for a good one.  Writes go to a
 * temporary file renamed over the old one.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libvmmapi/vmmapi.h"
#include "libvmmapi/vmmapi_persist.h"

#define	STATE_VERSION	1
#define	STATE_MAXLEN	(64 * 1024)

/* Registers a loader sets, in the order they are applied back. */
static const int save_descs[] = {
	VM_REG_GUEST_CS, VM_REG_GUEST_DS, VM_REG_GUEST_ES, VM_REG_GUEST_FS,
	VM_REG_GUEST_GS, VM_REG_GUEST_SS, VM_REG_GUEST_GDTR,
	VM_REG_GUEST_IDTR, VM_REG_GUEST_LDTR, VM_REG_GUEST_TR,
};
static const int save_regs[] = {
	VM_REG_GUEST_CR3, VM_REG_GUEST_CR4, VM_REG_GUEST_EFER,
	VM_REG_GUEST_CR0, VM_REG_GUEST_CR2,
	VM_REG_GUEST_CS, VM_REG_GUEST_DS, VM_REG_GUEST_ES, VM_REG_GUEST_FS,
	VM_REG_GUEST_GS, VM_REG_GUEST_SS, VM_REG_GUEST_LDTR, VM_REG_GUEST_TR,
	VM_REG_GUEST_RAX, VM_REG_GUEST_RBX, VM_REG_GUEST_RCX,
	VM_REG_GUEST_RDX, VM_REG_GUEST_RSI, VM_REG_GUEST_RDI,
	VM_REG_GUEST_RBP, VM_REG_GUEST_R8, VM_REG_GUEST_R9, VM_REG_GUEST_R10,
	VM_REG_GUEST_R11, VM_REG_GUEST_R12, VM_REG_GUEST_R13,
	VM_REG_GUEST_R14, VM_REG_GUEST_R15, VM_REG_GUEST_RSP,
	VM_REG_GUEST_RFLAGS, VM_REG_GUEST_RIP,
};

#define	NELEM(a)	(sizeof(a) / sizeof((a)[0]))

int
vm_state_root(char *buf, size_t len)
{
	const char *env;
	struct stat st;
	int n;

	env = getenv("BHYVE_STATE_DIR");
	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, len, "%s", env);
	else if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode))
		n = snprintf(buf, len, "/dev/shm/bhyve");
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && env[0] != '\0')
		n = snprintf(buf, len, "%s/bhyve", env);
	else
		n = snprintf(buf, len, "/tmp/bhyve-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* A name that is one path component of ours: no '/', no leading dot. */
static bool
name_ok(const char *name)
{
	return (name != NULL && name[0] != '\0' && name[0] != '.' &&
	    strchr(name, '/') == NULL &&
	    strnlen(name, VM_MAX_NAMELEN) < VM_MAX_NAMELEN);
}

/* ROOT/NAME[/file]; -errno on a bad name or a long path. */
static int
vm_path(char *buf, size_t len, const char *name, const char *file)
{
	char root[PATH_MAX];
	int n;

	if (!name_ok(name))
		return (-EINVAL);
	if (vm_state_root(root, sizeof(root)) != 0)
		return (-ENAMETOOLONG);
	if (file != NULL)
		n = snprintf(buf, len, "%s/%s/%s", root, name, file);
	else
		n = snprintf(buf, len, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= len)
		return (-ENAMETOOLONG);
	return (0);
}

bool
vm_persist_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (vm_path(path, sizeof(path), name, "state") != 0)
		return (false);
	return (stat(path, &st) == 0 && S_ISREG(st.st_mode));
}

/* ---- State file text ---- */

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return (-1);
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		return (-1);
	return (0);
}

/* Split a line into at most `max` blank-separated words, in place. */
static int
split(char *line, char **w, int max)
{
	int n = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return (-1);
		w[n++] = tok;
	}
	return (n);
}

static int
parse_line(char **w, int n, struct vm_saved_state *st)
{
	uint64_t v[4];

	for (int i = 1; i < n; i++)
		if (parse_u64(w[i], &v[i - 1]) != 0)
			return (-1);
	if (strcmp(w[0], "memsize") == 0 && n == 2) {
		st->memsize = v[0];
	} else if (strcmp(w[0], "memflags") == 0 && n == 2) {
		if (v[0] > (VM_MEM_F_INCORE | VM_MEM_F_WIRED))
			return (-1);
		st->memflags = (int)v[0];
	} else if (strcmp(w[0], "topology") == 0 && n == 4) {
		if (v[0] == 0 || v[1] == 0 || v[2] == 0 || v[0] > UINT16_MAX ||
		    v[1] > UINT16_MAX || v[2] > UINT16_MAX)
			return (-1);
		st->sockets = (uint16_t)v[0];
		st->cores = (uint16_t)v[1];
		st->threads = (uint16_t)v[2];
	} else if (strcmp(w[0], "loaded") == 0 && n == 2) {
		if (v[0] > 1)
			return (-1);
		st->loaded = v[0] == 1;
	} else if (strcmp(w[0], "reg") == 0 && n == 3) {
		if (v[0] >= VM_REG_LAST || st->nent >= VM_STATE_MAXENT)
			return (-1);
		st->ent[st->nent++] = (struct vm_state_ent){ .reg = (int)v[0],
		    .val = v[1] };
	} else if (strcmp(w[0], "desc") == 0 && n == 5) {
		if (v[0] >= VM_REG_LAST || st->nent >= VM_STATE_MAXENT ||
		    v[2] > UINT32_MAX || v[3] > UINT32_MAX)
			return (-1);
		st->ent[st->nent++] = (struct vm_state_ent){ .reg = (int)v[0],
		    .desc = true, .sd = { v[1], (uint32_t)v[2],
		    (uint32_t)v[3] } };
	} else {
		return (-1);
	}
	return (0);
}

int
vm_state_parse(const char *buf, size_t len, struct vm_saved_state *st)
{
	char *copy, *line, *next;
	char *w[6];
	bool version = false, end = false;
	int n, error = -1;

	memset(st, 0, sizeof(*st));
	st->sockets = st->cores = st->threads = 1;
	if (buf == NULL || len > STATE_MAXLEN || memchr(buf, '\0', len) != NULL)
		goto out;
	if ((copy = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			goto bad;	/* a last line cut short */
		*next++ = '\0';
		if (line[0] == '#')
			continue;
		n = split(line, w, 6);
		if (n == 0)
			continue;
		if (n < 0 || end)
			goto bad;
		if (!version) {
			uint64_t v;

			if (n != 2 || strcmp(w[0], "version") != 0 ||
			    parse_u64(w[1], &v) != 0 || v != STATE_VERSION)
				goto bad;
			version = true;
		} else if (strcmp(w[0], "end") == 0 && n == 1) {
			end = true;
		} else if (parse_line(w, n, st) != 0) {
			goto bad;
		}
	}
	if (end)
		error = 0;
bad:
	free(copy);
out:
	if (error != 0)
		errno = EINVAL;
	return (error);
}

int
vm_state_format(char *buf, size_t len, const struct vm_saved_state *st)
{
	size_t off = 0;
	int n;

#define	EMIT(...) do {							\
	n = snprintf(buf + (off < len ? off : len),			\
	    off < len ? len - off : 0, __VA_ARGS__);			\
	if (n < 0)							\
		return (-1);						\
	off += (size_t)n;						\
} while (0)
	EMIT("# bhyve VM state: written by bhyveload, read by bhyve\n");
	EMIT("version %d\n", STATE_VERSION);
	EMIT("memsize %ju\n", (uintmax_t)st->memsize);
	EMIT("memflags %d\n", st->memflags);
	EMIT("topology %u %u %u\n", st->sockets, st->cores, st->threads);
	EMIT("loaded %d\n", st->loaded ? 1 : 0);
	for (int i = 0; i < st->nent && i < VM_STATE_MAXENT; i++) {
		const struct vm_state_ent *e = &st->ent[i];

		if (e->desc)
			EMIT("desc %d %#jx %#x %#x\n", e->reg,
			    (uintmax_t)e->sd.base, e->sd.limit, e->sd.access);
		else
			EMIT("reg %d %#jx\n", e->reg, (uintmax_t)e->val);
	}
	EMIT("end\n");
#undef EMIT
	return ((int)off);
}

/* ---- State file I/O ---- */

int
vm_read_state(const char *name, struct vm_saved_state *st)
{
	char path[PATH_MAX];
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, error;

	if ((error = vm_path(path, sizeof(path), name, "state")) != 0) {
		errno = -error;
		return (-1);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (-1);
	buf = malloc(STATE_MAXLEN + 1);
	if (buf == NULL) {
		close(fd);
		errno = ENOMEM;
		return (-1);
	}
	while (len <= STATE_MAXLEN &&
	    (n = read(fd, buf + len, STATE_MAXLEN + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	error = vm_state_parse(buf, len, st);
	free(buf);
	return (error);
}

int
vm_write_state(const char *name, const struct vm_saved_state *st)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	char *buf;
	int len, fd, error;

	if ((error = vm_path(path, sizeof(path), name, "state")) != 0) {
		errno = -error;
		return (-1);
	}
	len = vm_state_format(NULL, 0, st);
	if (len < 0 || len > STATE_MAXLEN || (buf = malloc((size_t)len + 1)) ==
	    NULL) {
		errno = ENOMEM;
		return (-1);
	}
	(void)vm_state_format(buf, (size_t)len + 1, st);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(buf);
		return (-1);
	}
	error = write(fd, buf, (size_t)len) == len ? 0 : -1;
	if (error != 0 && errno == 0)
		errno = EIO;
	free(buf);
	if (close(fd) != 0)
		error = -1;
	if (error == 0)
		error = rename(tmp, path);
	if (error != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
	}
	return (error);
}

/* ---- vCPU registers ---- */

int
vm_save_vcpu_state(struct vcpu *vcpu, struct vm_saved_state *st)
{
	struct vm_state_ent *e;

	st->nent = 0;
	st->loaded = false;
	for (size_t i = 0; i < NELEM(save_descs); i++) {
		e = &st->ent[st->nent++];
		e->reg = save_descs[i];
		e->desc = true;
		if (vm_get_desc(vcpu, e->reg, &e->sd.base, &e->sd.limit,
		    &e->sd.access) != 0)
			return (-1);
	}
	for (size_t i = 0; i < NELEM(save_regs); i++) {
		e = &st->ent[st->nent++];
		e->reg = save_regs[i];
		e->desc = false;
		if (vm_get_register(vcpu, e->reg, &e->val) != 0)
			return (-1);
	}
	st->loaded = true;
	return (0);
}

int
vm_restore_vcpu_state(struct vcpu *vcpu, const struct vm_saved_state *st)
{
	for (int i = 0; i < st->nent && i < VM_STATE_MAXENT; i++) {
		const struct vm_state_ent *e = &st->ent[i];

		if (e->desc ? vm_set_desc(vcpu, e->reg, e->sd.base,
		    e->sd.limit, e->sd.access) != 0 :
		    vm_set_register(vcpu, e->reg, e->val) != 0)
			return (-1);
	}
	return (0);
}

/* ---- For vmmapi.c ---- */

static int
mkdir_root(void)
{
	char root[PATH_MAX];

	if (vm_state_root(root, sizeof(root)) != 0)
		return (-ENAMETOOLONG);
	if (mkdir(root, 0700) != 0 && errno != EEXIST)
		return (-errno);
	return (0);
}

int
vmp_create(const char *name)
{
	struct vm_saved_state st;
	char path[PATH_MAX];
	int error;

	if ((error = vm_path(path, sizeof(path), name, NULL)) != 0 ||
	    (error = mkdir_root()) != 0)
		return (error);
	if (mkdir(path, 0700) != 0)
		return (-errno);
	memset(&st, 0, sizeof(st));
	st.sockets = st.cores = st.threads = 1;
	if (vm_write_state(name, &st) != 0) {
		error = -errno;
		(void)vmp_remove(name);
		return (error);
	}
	return (0);
}

int
vmp_remove(const char *name)
{
	char path[PATH_MAX], file[PATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d;
	int error;

	if ((error = vm_path(path, sizeof(path), name, NULL)) != 0)
		return (error);
	d = opendir(path);
	if (d == NULL)
		return (-errno);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		(void)unlink(file);
	}
	closedir(d);
	if (rmdir(path) != 0)
		return (-errno);
	return (0);
}

int
vmp_sysmem_fd(const char *name, size_t len, int memflags)
{
	struct vm_saved_state st;
	char path[PATH_MAX];
	struct stat sb;
	int fd, error;

	if ((error = vm_path(path, sizeof(path), name, "sysmem")) != 0)
		return (error);
	if (vm_read_state(name, &st) != 0)
		return (-errno);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return (-errno);
	if (fstat(fd, &sb) != 0) {
		error = -errno;
		goto fail;
	}
	/* As FreeBSD's vm_alloc_memseg: an existing segment keeps its size. */
	if ((sb.st_size != 0 && (uint64_t)sb.st_size != len) ||
	    (st.memsize != 0 && st.memsize != len)) {
		error = -EINVAL;
		goto fail;
	}
	if (sb.st_size == 0 && ftruncate(fd, (off_t)len) != 0) {
		error = -errno;
		goto fail;
	}
	if (st.memsize != len || st.memflags != memflags) {
		st.memsize = len;
		st.memflags = memflags;
		if (vm_write_state(name, &st) != 0) {
			error = -errno;
			goto fail;
		}
	}
	return (fd);
fail:
	close(fd);
	return (error);
}
