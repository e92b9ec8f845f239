/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyvectl(8): inspect and control a named VM (reference §4).
 *
 * A VM is found in one of two places: a bhyve process running it
 * answers on its control socket (bhyve/ctl_server.h protocol), and a VM
 * bhyveload left (or --create made) is a persistent VM on disk
 * (libvmmapi/vmmapi_persist.c).  Operations that need the engine
 * (statistics, register access, NMI, reset/power-off, RTC, CPU sets) go
 * to the running bhyve; for a VM that only exists on disk, registers
 * are read from and written to its saved state (vCPU 0, as bhyveload
 * left it) and the memory layout and topology come from the state file.
 *
 * Output follows FreeBSD's bhyvectl ("rip[0]\t\t0x%016lx").  Exit 0 on
 * success, 1 on error.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bhyve/ctl_server.h"
#include "libvmmapi/vmmapi.h"

#define	PROG		"bhyvectl"
#define	OPT_REG_BASE	1000	/* + 4 * index + kind */

struct regname {
	const char	*name;
	int		reg;
	int		width;		/* hex digits printed */
};

static const struct regname regs[] = {
	{ "rax", VM_REG_GUEST_RAX, 16 }, { "rbx", VM_REG_GUEST_RBX, 16 },
	{ "rcx", VM_REG_GUEST_RCX, 16 }, { "rdx", VM_REG_GUEST_RDX, 16 },
	{ "rsi", VM_REG_GUEST_RSI, 16 }, { "rdi", VM_REG_GUEST_RDI, 16 },
	{ "rbp", VM_REG_GUEST_RBP, 16 }, { "r8", VM_REG_GUEST_R8, 16 },
	{ "r9", VM_REG_GUEST_R9, 16 }, { "r10", VM_REG_GUEST_R10, 16 },
	{ "r11", VM_REG_GUEST_R11, 16 }, { "r12", VM_REG_GUEST_R12, 16 },
	{ "r13", VM_REG_GUEST_R13, 16 }, { "r14", VM_REG_GUEST_R14, 16 },
	{ "r15", VM_REG_GUEST_R15, 16 }, { "rsp", VM_REG_GUEST_RSP, 16 },
	{ "rip", VM_REG_GUEST_RIP, 16 }, { "rflags", VM_REG_GUEST_RFLAGS, 16 },
	{ "cr0", VM_REG_GUEST_CR0, 16 }, { "cr2", VM_REG_GUEST_CR2, 16 },
	{ "cr3", VM_REG_GUEST_CR3, 16 }, { "cr4", VM_REG_GUEST_CR4, 16 },
	{ "efer", VM_REG_GUEST_EFER, 16 }, { "dr0", VM_REG_GUEST_DR0, 16 },
	{ "dr1", VM_REG_GUEST_DR1, 16 }, { "dr2", VM_REG_GUEST_DR2, 16 },
	{ "dr3", VM_REG_GUEST_DR3, 16 }, { "dr6", VM_REG_GUEST_DR6, 16 },
	{ "dr7", VM_REG_GUEST_DR7, 16 }, { "cs", VM_REG_GUEST_CS, 4 },
	{ "ds", VM_REG_GUEST_DS, 4 }, { "es", VM_REG_GUEST_ES, 4 },
	{ "fs", VM_REG_GUEST_FS, 4 }, { "gs", VM_REG_GUEST_GS, 4 },
	{ "ss", VM_REG_GUEST_SS, 4 }, { "tr", VM_REG_GUEST_TR, 4 },
	{ "ldtr", VM_REG_GUEST_LDTR, 4 },
};

static const struct regname descs[] = {
	{ "cs", VM_REG_GUEST_CS, 0 }, { "ds", VM_REG_GUEST_DS, 0 },
	{ "es", VM_REG_GUEST_ES, 0 }, { "fs", VM_REG_GUEST_FS, 0 },
	{ "gs", VM_REG_GUEST_GS, 0 }, { "ss", VM_REG_GUEST_SS, 0 },
	{ "tr", VM_REG_GUEST_TR, 0 }, { "ldtr", VM_REG_GUEST_LDTR, 0 },
	{ "gdtr", VM_REG_GUEST_GDTR, 0 }, { "idtr", VM_REG_GUEST_IDTR, 0 },
};

#define	NREGS	(int)(sizeof(regs) / sizeof(regs[0]))
#define	NDESCS	(int)(sizeof(descs) / sizeof(descs[0]))

enum { K_GETREG, K_SETREG, K_GETDESC, K_SETDESC };

enum {
	O_VM = 1, O_CPU, O_CREATE, O_DESTROY, O_STATS, O_ALL, O_TOPO,
	O_ACTIVE, O_SUSPENDED, O_DEBUG, O_RESET, O_POWEROFF, O_NMI,
	O_GETRTC, O_SETRTC, O_MEMMAP, O_MEMSEG, O_GETCAP, O_SETCAP,
	O_CAPNAME, O_DBASE, O_DLIMIT, O_DACCESS, O_X2APIC, O_HELP,
};

/* What the command line asks for. */
static struct {
	const char	*vm;
	int		cpu;
	bool		create, destroy, stats, all, topo, active, suspended;
	bool		debug, reset, poweroff, nmi, getrtc, setrtc, memmap;
	bool		memseg, getcap, setcap, x2apic;
	uint64_t	rtc;
	const char	*capname;
	int		capval;
	bool		getreg[NREGS], setreg[NREGS];
	uint64_t	setval[NREGS];
	bool		getdesc[NDESCS], setdesc[NDESCS];
	uint64_t	dbase;
	uint32_t	dlimit, daccess;
} o = { .cpu = 0 };

/* Where the VM is. */
static struct {
	bool		running;	/* a bhyve answers on the socket */
	struct sockaddr_un sa;
	bool		saved;		/* persistent VM on disk */
	struct vm_saved_state st;
	bool		dirty;		/* st to write back */
} vm;

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

static void
usage(int code)
{
	FILE *fp = code == 0 ? stdout : stderr;

	fprintf(fp, "Usage: " PROG " --vm=<vmname>\n"
	    "       [--cpu=<vcpu_number>]\n"
	    "       [--create]\n"
	    "       [--destroy]\n"
	    "       [--get-all]\n"
	    "       [--get-stats]\n"
	    "       [--get-<reg>] [--set-<reg>=<value>]   "
	    "(rax..r15 rsp rip rflags cr0 cr2-4 efer dr0-3 dr6 dr7\n"
	    "                                          "
	    "cs ds es fs gs ss tr ldtr)\n"
	    "       [--get-desc-<seg>] [--set-desc-<seg> --desc-base=<B> "
	    "--desc-limit=<L> --desc-access=<A>]\n"
	    "       [--get-cpu-topology]\n"
	    "       [--get-active-cpus] [--get-suspended-cpus] "
	    "[--get-debug-cpus]\n"
	    "       [--get-memmap] [--get-memseg]\n"
	    "       [--getcap] [--setcap=<0|1>] [--capname=<capname>]\n"
	    "       [--get-x2apic-state]\n"
	    "       [--get-rtc-time] [--set-rtc-time=<secs>]\n"
	    "       [--inject-nmi]\n"
	    "       [--force-reset]\n"
	    "       [--force-poweroff]\n");
	exit(code);
}

static uint64_t
num(const char *opt, const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0' || *s == '-')
		fail("--%s: invalid number '%s'", opt, s);
	return (v);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option fixed[] = {
		{ "vm", required_argument, NULL, O_VM },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "create", no_argument, NULL, O_CREATE },
		{ "destroy", no_argument, NULL, O_DESTROY },
		{ "get-stats", no_argument, NULL, O_STATS },
		{ "get-all", no_argument, NULL, O_ALL },
		{ "get-cpu-topology", no_argument, NULL, O_TOPO },
		{ "get-active-cpus", no_argument, NULL, O_ACTIVE },
		{ "get-suspended-cpus", no_argument, NULL, O_SUSPENDED },
		{ "get-debug-cpus", no_argument, NULL, O_DEBUG },
		{ "force-reset", no_argument, NULL, O_RESET },
		{ "force-poweroff", no_argument, NULL, O_POWEROFF },
		{ "inject-nmi", no_argument, NULL, O_NMI },
		{ "get-rtc-time", no_argument, NULL, O_GETRTC },
		{ "set-rtc-time", required_argument, NULL, O_SETRTC },
		{ "get-memmap", no_argument, NULL, O_MEMMAP },
		{ "get-memseg", no_argument, NULL, O_MEMSEG },
		{ "getcap", no_argument, NULL, O_GETCAP },
		{ "setcap", required_argument, NULL, O_SETCAP },
		{ "capname", required_argument, NULL, O_CAPNAME },
		{ "desc-base", required_argument, NULL, O_DBASE },
		{ "desc-limit", required_argument, NULL, O_DLIMIT },
		{ "desc-access", required_argument, NULL, O_DACCESS },
		{ "get-x2apic-state", no_argument, NULL, O_X2APIC },
		{ "help", no_argument, NULL, O_HELP },
	};
	enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]) };
	static struct option opts[NFIXED + 2 * NREGS + 2 * NDESCS + 1];
	static char names[2 * NREGS + 2 * NDESCS][32];
	int n = 0, k = 0, c, idx;
	uint64_t v;

	memcpy(opts, fixed, sizeof(fixed));
	n = NFIXED;
	for (int i = 0; i < NREGS; i++) {
		snprintf(names[k], sizeof(names[k]), "get-%s", regs[i].name);
		opts[n++] = (struct option){ names[k++], no_argument, NULL,
		    OPT_REG_BASE + 4 * i + K_GETREG };
		snprintf(names[k], sizeof(names[k]), "set-%s", regs[i].name);
		opts[n++] = (struct option){ names[k++], required_argument,
		    NULL, OPT_REG_BASE + 4 * i + K_SETREG };
	}
	for (int i = 0; i < NDESCS; i++) {
		snprintf(names[k], sizeof(names[k]), "get-desc-%s",
		    descs[i].name);
		opts[n++] = (struct option){ names[k++], no_argument, NULL,
		    OPT_REG_BASE + 4 * i + K_GETDESC };
		snprintf(names[k], sizeof(names[k]), "set-desc-%s",
		    descs[i].name);
		opts[n++] = (struct option){ names[k++], no_argument, NULL,
		    OPT_REG_BASE + 4 * i + K_SETDESC };
	}
	opts[n] = (struct option){ NULL, 0, NULL, 0 };

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c >= OPT_REG_BASE) {
			idx = (c - OPT_REG_BASE) / 4;
			switch ((c - OPT_REG_BASE) % 4) {
			case K_GETREG:
				o.getreg[idx] = true;
				break;
			case K_SETREG:
				o.setreg[idx] = true;
				o.setval[idx] = num(regs[idx].name, optarg);
				break;
			case K_GETDESC:
				o.getdesc[idx] = true;
				break;
			default:
				o.setdesc[idx] = true;
				break;
			}
			continue;
		}
		switch (c) {
		case O_VM: o.vm = optarg; break;
		case O_CPU:
			v = num("cpu", optarg);
			if (v >= VM_MAXCPU)
				fail("--cpu=%s: invalid vCPU", optarg);
			o.cpu = (int)v;
			break;
		case O_CREATE: o.create = true; break;
		case O_DESTROY: o.destroy = true; break;
		case O_STATS: o.stats = true; break;
		case O_ALL: o.all = true; break;
		case O_TOPO: o.topo = true; break;
		case O_ACTIVE: o.active = true; break;
		case O_SUSPENDED: o.suspended = true; break;
		case O_DEBUG: o.debug = true; break;
		case O_RESET: o.reset = true; break;
		case O_POWEROFF: o.poweroff = true; break;
		case O_NMI: o.nmi = true; break;
		case O_GETRTC: o.getrtc = true; break;
		case O_SETRTC:
			o.setrtc = true;
			o.rtc = num("set-rtc-time", optarg);
			break;
		case O_MEMMAP: o.memmap = true; break;
		case O_MEMSEG: o.memseg = true; break;
		case O_GETCAP: o.getcap = true; break;
		case O_SETCAP:
			v = num("setcap", optarg);
			if (v > 1)
				fail("--setcap=%s: 0 or 1", optarg);
			o.setcap = true;
			o.capval = (int)v;
			break;
		case O_CAPNAME: o.capname = optarg; break;
		case O_DBASE: o.dbase = num("desc-base", optarg); break;
		case O_DLIMIT:
			v = num("desc-limit", optarg);
			if (v > UINT32_MAX)
				fail("--desc-limit=%s: too large", optarg);
			o.dlimit = (uint32_t)v;
			break;
		case O_DACCESS:
			v = num("desc-access", optarg);
			if (v > UINT32_MAX)
				fail("--desc-access=%s: too large", optarg);
			o.daccess = (uint32_t)v;
			break;
		case O_HELP: usage(0); break;
		default: usage(1);
		}
	}
	if (optind != argc || o.vm == NULL)
		usage(1);
	if (o.setcap && o.capname == NULL)
		fail("--setcap needs --capname");
	if (o.all) {
		for (int i = 0; i < NREGS; i++)
			o.getreg[i] = true;
		for (int i = 0; i < NDESCS; i++)
			o.getdesc[i] = true;
	}
}

/* ---- Talking to a running bhyve ---- */

/* Send one request; the reply (NUL-terminated) in buf.  0 or -1. */
static int
ctl(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctl(char *buf, size_t len, const char *fmt, ...)
{
	struct timeval tv = { 10, 0 };
	char req[CTL_MAXLINE];
	size_t off = 0;
	va_list ap;
	ssize_t r;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(req, sizeof(req) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(req) - 1)
		fail("request too long");
	req[n++] = '\n';
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&vm.sa, sizeof(vm.sa)) != 0 ||
	    send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return (-1);
	}
	while (off + 1 < len && (r = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)r;
	close(fd);
	buf[off] = '\0';
	return (0);
}

/* A request whose reply must be "ok ..."; returns what follows "ok". */
static char *
ctl_ok(char *buf, size_t len, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static char *
ctl_ok(char *buf, size_t len, const char *what, const char *fmt, ...)
{
	char req[CTL_MAXLINE];
	va_list ap;
	int e;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	if (ctl(buf, len, "%s", req) != 0)
		fail("%s: VM %s: bhyve does not answer", what, o.vm);
	if (strncmp(buf, "ok", 2) == 0)
		return (buf + 2 + (buf[2] == ' '));
	if (sscanf(buf, "err %d", &e) == 1)
		fail("%s: %s (errno = %d)", what, strerror(e), e);
	fail("%s: bad reply from bhyve", what);
}

static bool
socket_live(void)
{
	char buf[64];

	return (ctl(buf, sizeof(buf), "version") == 0 &&
	    strncmp(buf, "ok", 2) == 0);
}

/* ---- Registers, either way ---- */

static struct vm_state_ent *
saved_ent(int reg, bool desc, bool add)
{
	struct vm_saved_state *st = &vm.st;

	if (o.cpu != 0 || !st->loaded)
		fail("VM %s is not running and has no saved registers for "
		    "vCPU %d", o.vm, o.cpu);
	for (int i = st->nent - 1; i >= 0; i--)
		if (st->ent[i].reg == reg && st->ent[i].desc == desc)
			return (&st->ent[i]);
	if (!add)
		return (NULL);
	if (st->nent >= VM_STATE_MAXENT)
		fail("VM %s: too many saved registers", o.vm);
	st->ent[st->nent] = (struct vm_state_ent){ .reg = reg, .desc = desc };
	return (&st->ent[st->nent++]);
}

static int
get_reg(int reg, uint64_t *val, const char *name)
{
	char buf[256];
	struct vm_state_ent *e;

	if (vm.running) {
		*val = num(name, strtok(ctl_ok(buf, sizeof(buf), name,
		    "getreg %d %d", o.cpu, reg), " \n"));
		return (0);
	}
	if ((e = saved_ent(reg, false, false)) == NULL)
		return (-1);
	*val = e->val;
	return (0);
}

static void
print_reg(const struct regname *r)
{
	uint64_t v;
	char label[32];

	if (get_reg(r->reg, &v, r->name) != 0) {
		printf("%s[%d]\t\t(not saved)\n", r->name, o.cpu);
		return;
	}
	snprintf(label, sizeof(label), "%s[%d]", r->name, o.cpu);
	printf("%s%s0x%0*jx\n", label, strlen(label) >= 8 ? "\t" : "\t\t",
	    r->width, (uintmax_t)v);
}

static void
print_desc(const struct regname *d)
{
	struct vm_state_ent *e;
	struct seg_desc sd;
	char buf[256], *p;

	if (vm.running) {
		p = ctl_ok(buf, sizeof(buf), d->name, "getdesc %d %d", o.cpu,
		    d->reg);
		if (sscanf(p, "%jx %x %x", (uintmax_t *)&sd.base, &sd.limit,
		    &sd.access) != 3)
			fail("%s: bad reply from bhyve", d->name);
	} else if ((e = saved_ent(d->reg, true, false)) != NULL) {
		sd = e->sd;
	} else {
		printf("%s desc[%d]\t(not saved)\n", d->name, o.cpu);
		return;
	}
	printf("%s desc[%d]\t0x%016jx/0x%08x/0x%08x\n", d->name, o.cpu,
	    (uintmax_t)sd.base, sd.limit, sd.access);
}

static void
set_regs(void)
{
	char buf[256];

	for (int i = 0; i < NDESCS; i++) {
		if (!o.setdesc[i])
			continue;
		if (vm.running) {
			(void)ctl_ok(buf, sizeof(buf), descs[i].name,
			    "setdesc %d %d %#jx %#x %#x", o.cpu, descs[i].reg,
			    (uintmax_t)o.dbase, o.dlimit, o.daccess);
		} else {
			saved_ent(descs[i].reg, true, true)->sd =
			    (struct seg_desc){ o.dbase, o.dlimit, o.daccess };
			vm.dirty = true;
		}
	}
	for (int i = 0; i < NREGS; i++) {
		if (!o.setreg[i])
			continue;
		if (vm.running) {
			(void)ctl_ok(buf, sizeof(buf), regs[i].name,
			    "setreg %d %d %#jx", o.cpu, regs[i].reg,
			    (uintmax_t)o.setval[i]);
		} else {
			saved_ent(regs[i].reg, false, true)->val =
			    o.setval[i];
			vm.dirty = true;
		}
	}
	if (vm.dirty && vm_write_state(o.vm, &vm.st) != 0)
		fail("VM %s: state file: %s", o.vm, strerror(errno));
}

/* ---- The rest ---- */

static void
need_running(const char *what)
{
	if (!vm.running)
		fail("%s: VM %s is not running (no bhyve serves it)", what,
		    o.vm);
}

static void
print_cpus(const char *label, const char *which)
{
	char buf[4096], *p;

	need_running(label);
	p = ctl_ok(buf, sizeof(buf), label, "cpus %s", which);
	p[strcspn(p, "\n")] = '\0';
	for (char *q = p; *q != '\0'; q++)
		if (*q == ' ')
			*q = ',';
	printf("%s:\t%s\n", label, *p != '\0' ? p : "<none>");
}

static void
print_stats(void)
{
	char buf[16384], *p, *line, *save, *tab;

	need_running("--get-stats");
	p = ctl_ok(buf, sizeof(buf), "--get-stats", "stats %d", o.cpu);
	printf("vcpu%d stats:\n", o.cpu);
	line = strtok_r(p, "\n", &save);	/* the count */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		printf("%-50s\t%s\n", tab + 1, line);
	}
}

static void
do_caps(void)
{
	char buf[256];
	int first = 0, last = VM_CAP_MAX - 1, cap;

	if (o.capname != NULL) {
		cap = vm_capability_name2type(o.capname);
		if (cap < 0)
			fail("--capname=%s: unknown capability", o.capname);
		first = last = cap;
	}
	need_running(o.setcap ? "--setcap" : "--getcap");
	if (o.setcap)
		(void)ctl_ok(buf, sizeof(buf), "--setcap", "setcap %d %d %d",
		    o.cpu, first, o.capval);
	if (!o.getcap)
		return;
	for (cap = first; cap <= last; cap++) {
		const char *name = vm_capability_type2name(cap);

		if (ctl(buf, sizeof(buf), "getcap %d %d", o.cpu, cap) != 0)
			fail("--getcap: bhyve does not answer");
		if (strncmp(buf, "ok", 2) != 0) {
			printf("Capability \"%s\" is not available\n", name);
			continue;
		}
		printf("Capability \"%s\" is %s on vcpu %d\n", name,
		    strtol(buf + 3, NULL, 0) != 0 ? "set" : "not set", o.cpu);
	}
}

static void
print_memmap(void)
{
	char buf[256];
	uint64_t lo, hi;

	if (vm.running) {
		if (sscanf(ctl_ok(buf, sizeof(buf), "--get-memmap", "memmap"),
		    "%ju %ju", (uintmax_t *)&lo, (uintmax_t *)&hi) != 2)
			fail("--get-memmap: bad reply from bhyve");
	} else {
		lo = vm.st.memsize < VM_LOWMEM_LIMIT ? vm.st.memsize :
		    VM_LOWMEM_LIMIT;
		hi = vm.st.memsize - lo;
	}
	if (o.memmap) {
		printf("%-20s %-20s %-10s %-10s\n", "gpa", "len", "segid",
		    "prot");
		if (lo != 0)
			printf("0x%-18jx 0x%-18jx %-10d %s\n", (uintmax_t)0,
			    (uintmax_t)lo, VM_SYSMEM, "RWX");
		if (hi != 0)
			printf("0x%-18jx 0x%-18jx %-10d %s\n",
			    (uintmax_t)VM_HIGHMEM_BASE, (uintmax_t)hi,
			    VM_SYSMEM, "RWX");
	}
	if (o.memseg) {
		printf("%-10s %-20s %s\n", "ident", "len", "name");
		printf("%-10d 0x%-18jx %s\n", VM_SYSMEM, (uintmax_t)(lo + hi),
		    "sysmem");
	}
}

static void
print_topology(void)
{
	char buf[256];
	unsigned s, c, t, m;

	if (vm.running) {
		if (sscanf(ctl_ok(buf, sizeof(buf), "--get-cpu-topology",
		    "topology"), "%u %u %u %u", &s, &c, &t, &m) != 4)
			fail("--get-cpu-topology: bad reply from bhyve");
	} else {
		s = vm.st.sockets;
		c = vm.st.cores;
		t = vm.st.threads;
		m = s * c * t;
	}
	printf("cpu_topology:\tsockets=%u, cores=%u, threads=%u, "
	    "maxcpus=%u\n", s, c, t, m);
}

static void
rtc(void)
{
	char buf[256], tbuf[64];
	struct tm tm;
	time_t t;

	need_running("rtc");
	if (o.setrtc)
		(void)ctl_ok(buf, sizeof(buf), "--set-rtc-time", "rtcset %ju",
		    (uintmax_t)o.rtc);
	if (o.getrtc) {
		t = (time_t)strtoll(ctl_ok(buf, sizeof(buf), "--get-rtc-time",
		    "rtcget"), NULL, 0);
		gmtime_r(&t, &tm);
		strftime(tbuf, sizeof(tbuf), "%a %b %d %H:%M:%S %Y", &tm);
		printf("rtc time %#jx: %s\n", (uintmax_t)t, tbuf);
	}
}

/* bhyve gone (its socket no longer answers), waiting at most 10 s. */
static void
wait_gone(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 500 && socket_live(); i++)
		nanosleep(&ts, NULL);
}

static void
destroy(void)
{
	struct vmctx *ctx;
	char buf[256];

	if (vm.running) {
		(void)ctl_ok(buf, sizeof(buf), "--destroy", "destroy");
		wait_gone();
		if (socket_live())
			fail("--destroy: VM %s is still running", o.vm);
	}
	if (vm_persist_exists(o.vm)) {
		ctx = vm_open(o.vm);
		if (ctx == NULL)
			fail("--destroy: %s: %s", o.vm, strerror(errno));
		vm_destroy(ctx);
		if (vm_persist_exists(o.vm))
			fail("--destroy: VM %s could not be removed", o.vm);
	}
}

int
main(int argc, char **argv)
{
	char buf[256];
	struct vmctx *ctx;

	parse_args(argc, argv);
	if (o.vm[0] == '\0' || o.vm[0] == '.' || strchr(o.vm, '/') != NULL ||
	    strlen(o.vm) >= VM_MAX_NAMELEN)
		fail("invalid VM name '%s'", o.vm);
	vm.sa.sun_family = AF_UNIX;
	if (ctl_socket_path(o.vm, vm.sa.sun_path, sizeof(vm.sa.sun_path)) == 0)
		vm.running = socket_live();
	vm.saved = vm_persist_exists(o.vm);

	if (o.create) {
		if (vm.running || vm.saved)
			fail("vm_create: %s: %s", o.vm, strerror(EEXIST));
		ctx = vm_openf(o.vm, VMMAPI_OPEN_CREATE | VMMAPI_OPEN_PERSIST);
		if (ctx == NULL)
			fail("vm_create: %s: %s", o.vm, strerror(errno));
		vm_close(ctx);
		vm.saved = true;
	}
	if (!vm.running && !vm.saved)
		fail("vm %s not found", o.vm);
	if (vm.saved && !vm.running && vm_read_state(o.vm, &vm.st) != 0)
		fail("VM %s: state file: %s", o.vm, strerror(errno));

	set_regs();
	for (int i = 0; i < NREGS; i++)
		if (o.getreg[i])
			print_reg(&regs[i]);
	for (int i = 0; i < NDESCS; i++)
		if (o.getdesc[i])
			print_desc(&descs[i]);
	if (o.x2apic) {
		need_running("--get-x2apic-state");
		printf("x2apic_state[%d]\t%s\n", o.cpu,
		    strtol(ctl_ok(buf, sizeof(buf), "--get-x2apic-state",
		    "x2apic %d", o.cpu), NULL, 0) == X2APIC_ENABLED ?
		    "enabled" : "disabled");
	}
	if (o.getcap || o.setcap)
		do_caps();
	if (o.topo)
		print_topology();
	if (o.memmap || o.memseg)
		print_memmap();
	if (o.active)
		print_cpus("active cpus", "active");
	if (o.suspended)
		print_cpus("suspended cpus", "suspended");
	if (o.debug)
		print_cpus("debug cpus", "debug");
	if (o.getrtc || o.setrtc)
		rtc();
	if (o.stats)
		print_stats();
	if (o.nmi) {
		need_running("--inject-nmi");
		(void)ctl_ok(buf, sizeof(buf), "--inject-nmi", "nmi %d", o.cpu);
	}
	if (o.reset || o.poweroff) {
		need_running(o.reset ? "--force-reset" : "--force-poweroff");
		(void)ctl_ok(buf, sizeof(buf), o.reset ? "--force-reset" :
		    "--force-poweroff", "suspend %d", o.reset ?
		    VM_SUSPEND_RESET : VM_SUSPEND_POWEROFF);
	}
	if (o.destroy)
		destroy();
	return (0);
}
