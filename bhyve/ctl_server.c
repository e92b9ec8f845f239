/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket bhyvectl talks to (protocol in ctl_server.h), and
 * the hand-over from bhyveload.  FreeBSD's bhyvectl issues ioctls on
 * /dev/vmm/NAME while bhyve runs; here the engine lives in the bhyve
 * process, so the operations that need it go through this socket,
 * served on the event thread (mevent).
 *
 * A request on a running vCPU's registers stops that vCPU first
 * (vm_suspend_cpu: it leaves vm_run() with a DEBUG exit and is idle
 * between two vm_run() calls), retries while it is busy, then resumes
 * it: a register is read or written only while its vCPU is idle, the
 * engine's rule.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bhyve/config.h"
#include "bhyve/ctl_server.h"
#include "bhyve/mevent.h"
#include "libvmmapi/vmmapi.h"

/* How long a register request waits for a running vCPU to stop. */
#define	CTL_STOP_WAIT_NS	(2LL * 1000 * 1000 * 1000)
#define	CTL_MAXWORDS		8

static struct {
	struct vmctx	*ctx;
	struct vcpu	**vcpu;
	int		ncpus;
	int		lfd;
	struct mevent	*ev;
	char		path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} srv = { .lfd = -1 };

static _Atomic bool destroy_requested;

/* ---- Hand-over from bhyveload ---- */

int
bhyve_loaded_check(struct vmctx *ctx)
{
	struct vm_saved_state st;
	const char *value;
	size_t memsize;

	if (!vm_is_persistent(ctx))
		return (0);
	if (vm_read_state(vm_get_name(ctx), &st) != 0) {
		fprintf(stderr, "bhyve: VM %s: bad state file: %s\n",
		    vm_get_name(ctx), strerror(errno));
		return (-1);
	}
	value = get_config_value("memory.size");
	if (value == NULL || vm_parse_memsize(value, &memsize) != 0)
		return (-1);
	if (st.memsize != 0 && st.memsize != memsize) {
		fprintf(stderr, "bhyve: VM %s was set up with %juM of memory "
		    "(bhyveload -m); -m %s does not match\n", vm_get_name(ctx),
		    (uintmax_t)(st.memsize >> 20), value);
		return (-1);
	}
	return (0);
}

int
bhyve_loaded_restore(struct vmctx *ctx, struct vcpu *bsp)
{
	struct vm_saved_state st;

	if (!vm_is_persistent(ctx))
		return (0);
	if (vm_read_state(vm_get_name(ctx), &st) != 0) {
		fprintf(stderr, "bhyve: VM %s: bad state file: %s\n",
		    vm_get_name(ctx), strerror(errno));
		return (-1);
	}
	if (!st.loaded)
		return (0);
	if (vm_restore_vcpu_state(bsp, &st) != 0) {
		fprintf(stderr, "bhyve: VM %s: cannot restore the loaded "
		    "registers: %s\n", vm_get_name(ctx), strerror(errno));
		return (-1);
	}
	/* Used once: after a reset the VM needs bhyveload again. */
	st.loaded = false;
	if (vm_write_state(vm_get_name(ctx), &st) != 0) {
		fprintf(stderr, "bhyve: VM %s: cannot update the state file: "
		    "%s\n", vm_get_name(ctx), strerror(errno));
		return (-1);
	}
	return (1);
}

bool
ctl_server_destroy_requested(void)
{
	return (atomic_load(&destroy_requested));
}

/* ---- Requests ---- */

static int
parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return (-1);
	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno != 0 || *end != '\0' ? -1 : 0);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* One register operation on vCPU `v`, stopping it if it runs. */
enum regop { GETREG, SETREG, GETDESC, SETDESC };

static int
vcpu_regop(struct vcpu *v, enum regop op, int reg, uint64_t *val,
    struct seg_desc *sd)
{
	struct timespec pause = { 0, 100 * 1000 };
	bool stopped = false;
	int64_t deadline = 0;
	int r;

	for (;;) {
		switch (op) {
		case GETREG:
			r = vm_get_register(v, reg, val);
			break;
		case SETREG:
			r = vm_set_register(v, reg, *val);
			break;
		case GETDESC:
			r = vm_get_desc(v, reg, &sd->base, &sd->limit,
			    &sd->access);
			break;
		default:
			r = vm_set_desc(v, reg, sd->base, sd->limit,
			    sd->access);
			break;
		}
		if (r == 0 || errno != EBUSY)
			break;
		if (!stopped) {
			if (vm_suspend_cpu(v) != 0)
				break;
			stopped = true;
			deadline = now_ns() + CTL_STOP_WAIT_NS;
		} else if (now_ns() > deadline) {
			errno = EBUSY;
			break;
		}
		nanosleep(&pause, NULL);
	}
	if (stopped) {
		int e = errno;

		(void)vm_resume_cpu(v);
		errno = e;
	}
	return (r);
}

static size_t
reply(char *out, size_t outlen, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t
reply(char *out, size_t outlen, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= outlen)
		return (off);
	va_start(ap, fmt);
	n = vsnprintf(out + off, outlen - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (off);
	return ((size_t)n >= outlen - off ? outlen - 1 : off + (size_t)n);
}

static size_t
cpus_reply(struct vmctx *ctx, const char *which, char *out, size_t outlen)
{
	cpuset_t set;
	size_t off;
	int r;

	if (strcmp(which, "active") == 0)
		r = vm_active_cpus(ctx, &set);
	else if (strcmp(which, "suspended") == 0)
		r = vm_suspended_cpus(ctx, &set);
	else if (strcmp(which, "debug") == 0)
		r = vm_debug_cpus(ctx, &set);
	else {
		r = -1;
		errno = EINVAL;
	}
	if (r != 0)
		return (reply(out, outlen, 0, "err %d\n", errno));
	off = reply(out, outlen, 0, "ok");
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			off = reply(out, outlen, off, " %d", i);
	return (reply(out, outlen, off, "\n"));
}

static size_t
stats_reply(struct vmctx *ctx, struct vcpu *v, char *out, size_t outlen)
{
	uint64_t *stats;
	size_t off;
	int n;

	stats = vm_get_stats(v, NULL, &n);
	if (stats == NULL)
		return (reply(out, outlen, 0, "err %d\n", errno));
	off = reply(out, outlen, 0, "ok %d\n", n);
	for (int i = 0; i < n; i++) {
		const char *d = vm_get_stat_desc(ctx, i);

		off = reply(out, outlen, off, "%ju\t%s\n", (uintmax_t)stats[i],
		    d != NULL ? d : "");
	}
	return (off);
}

size_t
ctl_handle_request(struct vmctx *ctx, struct vcpu **vcpu, int ncpus,
    const char *req, char *out, size_t outlen)
{
	char line[CTL_MAXLINE], *w[CTL_MAXWORDS], *save, *tok;
	uint64_t a[CTL_MAXWORDS] = { 0 };
	struct seg_desc sd;
	struct vcpu *v = NULL;
	uint64_t val;
	time_t t;
	int n = 0, r = -1;

	if (outlen == 0)
		return (0);
	if (strlen(req) >= sizeof(line))
		return (reply(out, outlen, 0, "err %d\n", E2BIG));
	strcpy(line, req);
	line[strcspn(line, "\r\n")] = '\0';
	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (n == CTL_MAXWORDS)
			return (reply(out, outlen, 0, "err %d\n", E2BIG));
		w[n++] = tok;
	}
	if (n == 0)
		return (reply(out, outlen, 0, "err %d\n", EINVAL));
	/* Numbers after the command, checked all at once. */
	for (int i = 1; i < n; i++) {
		if (strcmp(w[0], "cpus") == 0)
			break;
		if (parse_num(w[i], &a[i]) != 0)
			return (reply(out, outlen, 0, "err %d\n", EINVAL));
	}
#define	NEED(k)	do {							\
	if (n != (k))							\
		return (reply(out, outlen, 0, "err %d\n", EINVAL));	\
} while (0)
#define	VCPU()	do {							\
	if (n < 2 || a[1] >= (uint64_t)ncpus || vcpu[a[1]] == NULL)	\
		return (reply(out, outlen, 0, "err %d\n", EINVAL));	\
	v = vcpu[a[1]];							\
} while (0)
#define	REG(i)	do {							\
	if (a[i] >= VM_REG_LAST)					\
		return (reply(out, outlen, 0, "err %d\n", EINVAL));	\
} while (0)
	if (strcmp(w[0], "version") == 0) {
		NEED(1);
		return (reply(out, outlen, 0, "ok %d\n", CTL_PROTO_VERSION));
	} else if (strcmp(w[0], "getreg") == 0) {
		NEED(3); VCPU(); REG(2);
		r = vcpu_regop(v, GETREG, (int)a[2], &val, NULL);
		if (r == 0)
			return (reply(out, outlen, 0, "ok %#jx\n",
			    (uintmax_t)val));
	} else if (strcmp(w[0], "setreg") == 0) {
		NEED(4); VCPU(); REG(2);
		r = vcpu_regop(v, SETREG, (int)a[2], &a[3], NULL);
	} else if (strcmp(w[0], "getdesc") == 0) {
		NEED(3); VCPU(); REG(2);
		r = vcpu_regop(v, GETDESC, (int)a[2], NULL, &sd);
		if (r == 0)
			return (reply(out, outlen, 0, "ok %#jx %#x %#x\n",
			    (uintmax_t)sd.base, sd.limit, sd.access));
	} else if (strcmp(w[0], "setdesc") == 0) {
		NEED(6); VCPU(); REG(2);
		if (a[4] > UINT32_MAX || a[5] > UINT32_MAX)
			return (reply(out, outlen, 0, "err %d\n", EINVAL));
		sd = (struct seg_desc){ a[3], (uint32_t)a[4], (uint32_t)a[5] };
		r = vcpu_regop(v, SETDESC, (int)a[2], NULL, &sd);
	} else if (strcmp(w[0], "stats") == 0) {
		NEED(2); VCPU();
		return (stats_reply(ctx, v, out, outlen));
	} else if (strcmp(w[0], "nmi") == 0) {
		NEED(2); VCPU();
		r = vm_inject_nmi(v);
	} else if (strcmp(w[0], "getcap") == 0) {
		int cv;

		NEED(3); VCPU();
		if (a[2] >= VM_CAP_MAX)
			return (reply(out, outlen, 0, "err %d\n", EINVAL));
		r = vm_get_capability(v, (enum vm_cap_type)a[2], &cv);
		if (r == 0)
			return (reply(out, outlen, 0, "ok %d\n", cv));
	} else if (strcmp(w[0], "setcap") == 0) {
		NEED(4); VCPU();
		if (a[2] >= VM_CAP_MAX || a[3] > 1)
			return (reply(out, outlen, 0, "err %d\n", EINVAL));
		r = vm_set_capability(v, (enum vm_cap_type)a[2], (int)a[3]);
	} else if (strcmp(w[0], "x2apic") == 0) {
		enum x2apic_state xs;

		NEED(2); VCPU();
		r = vm_get_x2apic_state(v, &xs);
		if (r == 0)
			return (reply(out, outlen, 0, "ok %d\n", (int)xs));
	} else if (strcmp(w[0], "suspend") == 0) {
		NEED(2);
		if (a[1] <= VM_SUSPEND_NONE || a[1] >= VM_SUSPEND_LAST)
			return (reply(out, outlen, 0, "err %d\n", EINVAL));
		r = vm_suspend(ctx, (enum vm_suspend_how)a[1]);
	} else if (strcmp(w[0], "destroy") == 0) {
		NEED(1);
		atomic_store(&destroy_requested, true);
		r = vm_suspend(ctx, VM_SUSPEND_POWEROFF);
		if (r != 0 && errno == EALREADY)
			r = 0;
	} else if (strcmp(w[0], "rtcget") == 0) {
		NEED(1);
		r = vm_rtc_gettime(ctx, &t);
		if (r == 0)
			return (reply(out, outlen, 0, "ok %jd\n", (intmax_t)t));
	} else if (strcmp(w[0], "rtcset") == 0) {
		NEED(2);
		r = vm_rtc_settime(ctx, (time_t)a[1]);
	} else if (strcmp(w[0], "topology") == 0) {
		uint16_t s, c, th, m;

		NEED(1);
		r = vm_get_topology(ctx, &s, &c, &th, &m);
		if (r == 0)
			return (reply(out, outlen, 0, "ok %u %u %u %u\n", s, c,
			    th, m));
	} else if (strcmp(w[0], "memmap") == 0) {
		NEED(1);
		return (reply(out, outlen, 0, "ok %zu %zu\n",
		    vm_get_lowmem_size(ctx), vm_get_highmem_size(ctx)));
	} else if (strcmp(w[0], "cpus") == 0) {
		NEED(2);
		return (cpus_reply(ctx, w[1], out, outlen));
	} else {
		errno = EOPNOTSUPP;
	}
#undef NEED
#undef VCPU
#undef REG
	if (r == 0)
		return (reply(out, outlen, 0, "ok\n"));
	return (reply(out, outlen, 0, "err %d\n", errno != 0 ? errno : EIO));
}

/* ---- The socket ---- */

int
ctl_socket_path(const char *name, char *buf, size_t len)
{
	char root[PATH_MAX];
	int n;

	if (name == NULL || name[0] == '\0' || name[0] == '.' ||
	    strchr(name, '/') != NULL || vm_state_root(root, sizeof(root)) != 0)
		return (-1);
	n = snprintf(buf, len, "%s/%s.sock", root, name);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

static void
ctl_accept(int lfd, enum ev_type type, void *arg)
{
	struct timeval tv = { 1, 0 };
	char req[CTL_MAXLINE + 1], out[8192];
	size_t len = 0, olen;
	ssize_t r;
	int fd;

	(void)type;
	(void)arg;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* A slow or silent client cannot hold the event loop for long. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < CTL_MAXLINE && memchr(req, '\n', len) == NULL &&
	    (r = read(fd, req + len, CTL_MAXLINE - len)) > 0)
		len += (size_t)r;
	req[len] = '\0';
	if (memchr(req, '\n', len) == NULL && len == CTL_MAXLINE)
		olen = reply(out, sizeof(out), 0, "err %d\n", E2BIG);
	else
		olen = ctl_handle_request(srv.ctx, srv.vcpu, srv.ncpus, req,
		    out, sizeof(out));
	/* A client gone already must not raise SIGPIPE in bhyve. */
	(void)send(fd, out, olen, MSG_NOSIGNAL);
	close(fd);
}

/* Is a bhyve answering on `path`? */
static bool
socket_live(const struct sockaddr_un *sa)
{
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (false);
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return (r == 0);
}

void
ctl_server_start(struct vmctx *ctx, struct vcpu **vcpu, int ncpus)
{
	struct sockaddr_un sa;
	char root[PATH_MAX];
	int fd;

	if (ctl_socket_path(vm_get_name(ctx), sa.sun_path,
	    sizeof(sa.sun_path)) != 0 || vm_state_root(root, sizeof(root)) != 0)
		return;
	sa.sun_family = AF_UNIX;
	if (mkdir(root, 0700) != 0 && errno != EEXIST)
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		/* Left by a bhyve that died, or in use by a live one. */
		if (errno != EADDRINUSE || socket_live(&sa) ||
		    unlink(sa.sun_path) != 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			close(fd);
			return;
		}
	}
	(void)chmod(sa.sun_path, 0600);
	if (listen(fd, 8) != 0) {
		unlink(sa.sun_path);
		close(fd);
		return;
	}
	srv.ctx = ctx;
	srv.vcpu = vcpu;
	srv.ncpus = ncpus;
	srv.lfd = fd;
	strcpy(srv.path, sa.sun_path);
	srv.ev = mevent_add(fd, EVF_READ, ctl_accept, NULL);
	if (srv.ev == NULL)
		ctl_server_stop();
}

void
ctl_server_stop(void)
{
	if (srv.lfd < 0)
		return;
	/* The event thread has stopped (teardown) or never ran. */
	if (srv.ev != NULL)
		(void)mevent_delete(srv.ev);
	unlink(srv.path);
	close(srv.lfd);
	srv.lfd = -1;
	srv.ev = NULL;
}
