/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The native side: run test code on the host CPU in a forked child.
 *
 * The child maps fixed pages at the virtual addresses of difftest.h: a
 * runner page (prologue, epilogue, state block), the code page, the
 * scratch data and stack pages.  The prologue (hand-assembled below)
 * saves the host's callee-saved registers and RSP, loads RFLAGS and all
 * 16 GPRs from the state block and jumps to the test code; the code ends
 * with a JMP to the epilogue, which stores all GPRs and RFLAGS back and
 * returns to C.  A fault in the test code arrives as a signal on an
 * alternate stack; the handler takes the registers at the fault from the
 * signal context and the vector from its trap number, and longjmps back.
 * A whole batch runs in one child; results come back in shared memory.
 *
 * 32-bit cases (DT_MODE32) start from a second prologue that also loads
 * DS, ES and SS with the flat 32-bit data selector and ends with a far
 * JMP to the 32-bit user code selector (compatibility mode, SDM Vol 3
 * 5.2.1 / Vol 1 3.1.1); the code ends with a far JMP back to the 64-bit
 * one and the same epilogue.  A fault in 32-bit code still reaches the
 * 64-bit signal handler (the kernel switches to the 64-bit CS for it).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/diff/difftest.h"

#define RUN_EPI		(DT_RUN_VA + 0x200)
#define RUN_PRO32	(DT_RUN_VA + 0x400)	/* prologue of 32-bit cases */
#define ST_IN		(DT_RUN_VA + 0x800)	/* struct dt_state */
#define ST_OUT		(DT_RUN_VA + 0x900)
#define ST_HOSTRSP	(DT_RUN_VA + 0xa00)
#define ST_ENTRY	(DT_RUN_VA + 0xa08)	/* where the test code starts */
#define ST_FAR32	(DT_RUN_VA + 0xa10)	/* the same, m16:32 (CS 0x23) */

static sigjmp_buf	fault_jmp;
static struct dt_result	*cur_res;

/* mov [abs32], reg / mov reg, [abs32]: REX.W 89/8B, ModRM 00 r 100, SIB 25 */
static int
mov_abs(uint8_t *p, bool load, int reg, uint64_t addr)
{
	p[0] = (uint8_t)(0x48 | (reg >= 8 ? 4 : 0));
	p[1] = load ? 0x8b : 0x89;
	p[2] = (uint8_t)((reg & 7) << 3 | 4);
	p[3] = 0x25;
	memcpy(p + 4, &(uint32_t){ (uint32_t)addr }, 4);
	return (8);
}

/*
 * A prologue: save the host's callee-saved registers and RSP, (32-bit
 * cases: load DS, ES, SS with the flat data selector), load RFLAGS and
 * the GPRs, jump to the test code (32-bit: far, through ST_FAR32).
 */
static void
build_prologue(uint8_t *p, bool m32)
{
	static const uint8_t save[] = {
		0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,
	};
	static const uint8_t segs[] = {
		0xb8, DT_SEL_DATA32, 0, 0, 0,	/* mov eax, 0x2b */
		0x8e, 0xd8,			/* mov ds, eax */
		0x8e, 0xc0,			/* mov es, eax */
		0x8e, 0xd0,			/* mov ss, eax */
	};
	int n = 0, r;

	memcpy(p, save, sizeof(save));
	n += sizeof(save);
	n += mov_abs(p + n, false, RSP, ST_HOSTRSP);
	if (m32) {
		memcpy(p + n, segs, sizeof(segs));
		n += sizeof(segs);
	}
	n += mov_abs(p + n, true, RAX, ST_IN + 8 * 16);	/* rflags */
	p[n++] = 0x50;				/* push rax */
	p[n++] = 0x9d;				/* popfq */
	for (r = 0; r < 16; r++)
		n += mov_abs(p + n, true, r, ST_IN + 8 * (uint64_t)r);
	p[n++] = 0xff;		/* jmp [abs] / jmp far [abs] (m16:32) */
	p[n++] = m32 ? 0x2c : 0x24;
	p[n++] = 0x25;
	memcpy(p + n, &(uint32_t){ (uint32_t)(m32 ? ST_FAR32 : ST_ENTRY) }, 4);
}

static void
build_runner(void)
{
	static const uint8_t restore[] = {
		0xfc,				/* cld */
		0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,
		0xc3,
	};
	uint8_t *p;
	int n = 0, r;

	build_prologue((uint8_t *)DT_RUN_VA, false);
	build_prologue((uint8_t *)RUN_PRO32, true);

	p = (uint8_t *)RUN_EPI;
	n = 0;
	for (r = 0; r < 16; r++)
		n += mov_abs(p + n, false, r, ST_OUT + 8 * (uint64_t)r);
	n += mov_abs(p + n, true, RSP, ST_HOSTRSP);
	p[n++] = 0x9c;				/* pushfq */
	p[n++] = 0x58;				/* pop rax */
	n += mov_abs(p + n, false, RAX, ST_OUT + 8 * 16);
	memcpy(p + n, restore, sizeof(restore));
}

/* Signal context register order to encoding order. */
static const int greg_of[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void
on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *gr = uc->uc_mcontext.gregs;
	int i;

	(void)si;
	if (cur_res == NULL)
		_exit(100 + sig);
	for (i = 0; i < 16; i++)
		cur_res->out.gpr[i] = (uint64_t)gr[greg_of[i]];
	cur_res->out.rflags = (uint64_t)gr[REG_EFL];
	cur_res->fault_rip = (uint64_t)gr[REG_RIP];
	cur_res->vector = (int)gr[REG_TRAPNO];
	cur_res->err = (uint64_t)gr[REG_ERR];
	cur_res->cr2 = (uint64_t)gr[REG_CR2];
	siglongjmp(fault_jmp, 1);
}

static void *
map_fixed(uint64_t va, size_t len, int prot)
{
	void *p = mmap((void *)va, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED || p != (void *)va) {
		fprintf(stderr, "difftest: cannot map %#llx: %s\n",
		    (unsigned long long)va, strerror(errno));
		_exit(99);
	}
	return (p);
}

/* The child: set up once, then run batches until the pipe closes. */
static void
child(struct dt_case *cases, struct dt_result *res, int cmd_fd, int done_fd)
{
	static uint8_t altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	static const int sigs[] = { SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGTRAP };
	void (*runner)(void), (*runner32)(void);
	struct dt_state *in = (struct dt_state *)ST_IN;
	struct dt_state *out = (struct dt_state *)ST_OUT;
	uint8_t *code;
	int i, n;
	unsigned end;
	int32_t rel;

	map_fixed(DT_RUN_VA, DT_CODE_VA - DT_RUN_VA + DT_CODE_SZ,
	    PROT_READ | PROT_WRITE | PROT_EXEC);
	map_fixed(DT_DATA_VA, DT_DATA_SZ, PROT_READ | PROT_WRITE);
	map_fixed(DT_STACK_VA, DT_STACK_SZ, PROT_READ | PROT_WRITE);
	build_runner();
	/* glibc does not use GS on x86-64: give it the shared base */
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, DT_GS_BASE) != 0)
		_exit(98);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* not blocked in the handler: longjmp needs no mask restore */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		sigaction(sigs[i], &sa, NULL);
	runner = (void (*)(void))(uintptr_t)DT_RUN_VA;
	runner32 = (void (*)(void))(uintptr_t)RUN_PRO32;
	code = (uint8_t *)DT_CODE_VA;
	while (read(cmd_fd, &n, sizeof(n)) == sizeof(n)) {
		for (i = 0; i < n; i++) {
			struct dt_case *c = &cases[i];
			struct dt_result *r = &res[i];

			/*
			 * A case that loops natively: SIGALRM ends the child.
			 * Per case, since a batch of faulting cases is slow
			 * under ASan (each fault a signal and a longjmp).
			 */
			alarm(10);

			/*
			 * The code, then a JMP to the epilogue if it fits in
			 * the page; what lies beyond the page is unmapped
			 * (see gen_fetch_fault for what cases may do there).
			 * 32-bit code: JMP far 0x33:epilogue (EA ptr16:32).
			 */
			end = c->code_at + c->len;
			memset(code, 0xcc, DT_CODE_SZ);
			memcpy(code + c->code_at, c->code, end <= DT_CODE_SZ ?
			    c->len : DT_CODE_SZ - c->code_at);
			if (c->mode == DT_MODE32 && end + 7 <= DT_CODE_SZ) {
				code[end] = 0xea;
				memcpy(code + end + 1,
				    &(uint32_t){ (uint32_t)RUN_EPI }, 4);
				memcpy(code + end + 5,
				    &(uint16_t){ DT_SEL_CODE64 }, 2);
			} else if (c->mode != DT_MODE32 &&
			    end + 5 <= DT_CODE_SZ) {
				code[end] = 0xe9;
				rel = (int32_t)(RUN_EPI -
				    (DT_CODE_VA + end + 5));
				memcpy(code + end + 1, &rel, 4);
			}
			*(uint64_t *)ST_ENTRY = DT_CODE_VA + c->code_at;
			*(uint32_t *)ST_FAR32 = (uint32_t)(DT_CODE_VA +
			    c->code_at);
			*(uint16_t *)(ST_FAR32 + 4) = DT_SEL_CODE32;
			dt_fill_memory(c, (uint8_t *)DT_DATA_VA,
			    (uint8_t *)DT_STACK_VA);
			*in = c->in;
			r->vector = -1;
			r->fault_rip = 0;
			r->err = r->cr2 = 0;
			r->note[0] = '\0';
			cur_res = r;
			if (sigsetjmp(fault_jmp, 0) == 0) {
				if (c->mode == DT_MODE32)
					runner32();
				else
					runner();
				r->out = *out;
			}
			cur_res = NULL;
			r->status = DT_OK;
			memcpy(r->data, (void *)DT_DATA_VA, DT_DATA_SZ);
			memcpy(r->stack, (void *)DT_STACK_VA, DT_STACK_SZ);
			__atomic_store_n(&res[n].status, i + 1,
			    __ATOMIC_RELEASE);
		}
		alarm(0);
		if (write(done_fd, &n, sizeof(n)) != sizeof(n))
			break;
	}
	_exit(0);
}

static pid_t	child_pid = -1;
static int	cmd_fd = -1, done_fd = -1;

static void
child_stop(void)
{
	int st;

	if (child_pid < 0)
		return;
	close(cmd_fd);
	close(done_fd);
	kill(child_pid, SIGKILL);
	while (waitpid(child_pid, &st, 0) < 0 && errno == EINTR)
		;
	child_pid = -1;
}

static int
child_start(struct dt_case *cases, struct dt_result *res)
{
	int cmd[2], done[2];

	if (pipe(cmd) != 0)
		return (-1);
	if (pipe(done) != 0) {
		close(cmd[0]);
		close(cmd[1]);
		return (-1);
	}
	fflush(NULL);
	child_pid = fork();
	if (child_pid < 0)
		return (-1);
	if (child_pid == 0) {
		close(cmd[1]);
		close(done[0]);
		child(cases, res, cmd[0], done[1]);
	}
	close(cmd[0]);
	close(done[1]);
	cmd_fd = cmd[1];
	done_fd = done[0];
	return (0);
}

/*
 * Run n cases natively.  cases and res must be shared memory (from
 * native_alloc).  One child serves all batches; if it dies (it should
 * not: test faults are caught), the cases it did not finish are marked
 * DT_NOTRUN and the next batch starts a new one.  Returns the number of
 * cases that ran, or -1.
 */
int
native_run(struct dt_case *cases, struct dt_result *res, int n)
{
	int got, i, st;
	ssize_t rc;

	if (child_pid < 0 && child_start(cases, res) != 0)
		return (-1);
	res[n].status = 0;
	if (write(cmd_fd, &n, sizeof(n)) != sizeof(n))
		rc = -1;
	else
		while ((rc = read(done_fd, &got, sizeof(got))) < 0 &&
		    errno == EINTR)
			;
	if (rc == sizeof(got))
		return (n);
	/* the child died in the middle of the batch */
	got = __atomic_load_n(&res[n].status, __ATOMIC_ACQUIRE);
	st = 0;
	close(cmd_fd);
	close(done_fd);
	while (waitpid(child_pid, &st, 0) < 0 && errno == EINTR)
		;
	child_pid = -1;
	for (i = got; i < n; i++) {
		res[i].status = DT_NOTRUN;
		snprintf(res[i].note, sizeof(res[i].note),
		    "native child died (wait status %#x) before this case",
		    st);
	}
	return (got);
}

/* Shared memory for n cases and n + 1 results (the last one: progress). */
int
native_alloc(int n, struct dt_case **cases, struct dt_result **res)
{
	void *p;

	p = mmap(NULL, (size_t)n * sizeof(**cases), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	*cases = p;
	p = mmap(NULL, (size_t)(n + 1) * sizeof(**res), PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	*res = p;
	signal(SIGPIPE, SIG_IGN);	/* a dead child shows as EPIPE */
	atexit(child_stop);
	return (0);
}
