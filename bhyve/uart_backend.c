/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UART backends: where a serial port's bytes go (bhyve(8) -l comN and
 * -s uart; reference section 2b).
 *
 *   stdio          bhyve's terminal, raw; restored at exit and on fatal
 *                  signals.  One user per process.
 *   /dev/...       a host terminal (pty slave, /dev/ttyS0, ...): opened
 *                  O_RDWR|O_NOCTTY, raw, CLOCAL; restored at exit.
 *   tcp=IP:PORT    a TCP server on IP (IPv6 as [::1]); one client at a
 *                  time, further clients are closed at once.
 *   unix=PATH      the same on a UNIX stream socket created at PATH (a
 *                  stale socket there is replaced; removed at cleanup).
 *
 * Input is read on the mevent thread, only as much as the receive FIFO
 * can take; when it is full the input event is disabled, and re-enabled
 * by the core's rx_ready callback once the guest has read, so no byte
 * is ever dropped.  Output is written at once; a socket client that
 * cannot keep up loses bytes (never the guest's time), and without a
 * client output is discarded.
 *
 * Locking: rx_ready and tx run with the UART's lock held; `mtx' guards
 * the client descriptor and input event against the mevent thread's
 * (dis)connects.  Order: UART lock, then mtx; the mevent thread never
 * calls into the UART while holding mtx.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bhyve/mevent.h"
#include "bhyve/uart_emul.h"

enum be_kind {
	BE_STDIO,
	BE_TTY,
	BE_SOCKET,
};

struct uart_backend {
	struct uart_softc *sc;
	enum be_kind	kind;
	pthread_mutex_t	mtx;
	int		rfd, wfd;	/* (mtx) -1: no peer */
	struct mevent	*mev;		/* (mtx) input, NULL: none */
	int		lfd;		/* listening socket */
	struct mevent	*lmev;
	char		*unix_path;	/* to remove at cleanup */
	unsigned long	dropped;	/* output bytes lost */
	/* Read but not yet taken by the FIFO (mevent thread only). */
	uint8_t		pend[UART_FIFO_SIZE];
	int		npend;		/* atomic reads elsewhere */
	int		kickfd;		/* eventfd: flush pend on rx_ready */
	struct mevent	*kmev;
};

/*
 * Terminals put in raw mode, restored at exit and on fatal signals.  The
 * saved states are the process's, as the terminals are.
 */
#define	MAX_TTYS	8
static struct {
	int		fd;
	struct termios	tio;
} saved_tty[MAX_TTYS];
static volatile sig_atomic_t nsaved;
static bool stdio_in_use, restore_installed;

static void
tty_restore_all(void)
{
	for (int i = 0; i < nsaved; i++)
		(void)tcsetattr(saved_tty[i].fd, TCSANOW, &saved_tty[i].tio);
}

static void
tty_signal(int sig)
{
	/* tcsetattr is async-signal-safe (POSIX 2.4.3). */
	tty_restore_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
tty_restore_fd(int fd)
{
	for (int i = 0; i < nsaved; i++) {
		if (saved_tty[i].fd != fd)
			continue;
		(void)tcsetattr(fd, TCSANOW, &saved_tty[i].tio);
		saved_tty[i] = saved_tty[nsaved - 1];
		nsaved--;
		return;
	}
}

static void
tty_raw(int fd, bool clocal)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
	    SIGABRT, SIGSEGV, SIGBUS };
	struct termios tio;
	struct sigaction sa;

	if (!isatty(fd) || nsaved == MAX_TTYS ||
	    tcgetattr(fd, &saved_tty[nsaved].tio) != 0)
		return;
	tio = saved_tty[nsaved].tio;
	saved_tty[nsaved].fd = fd;
	nsaved++;
	cfmakeraw(&tio);
	if (clocal)
		tio.c_cflag |= CLOCAL;
	if (!restore_installed) {
		restore_installed = true;
		atexit(tty_restore_all);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = tty_signal;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct sigaction old;

			/* Keep handlers others installed (SIGTERM: ACPI). */
			if (sigaction(sigs[i], NULL, &old) == 0 &&
			    old.sa_handler == SIG_DFL)
				sigaction(sigs[i], &sa, NULL);
		}
	}
	(void)tcsetattr(fd, TCSANOW, &tio);
}

/* ---- Data path ---- */

static void
be_tx(void *arg, uint8_t byte)
{
	struct uart_backend *be = arg;
	ssize_t n;

	pthread_mutex_lock(&be->mtx);
	if (be->wfd < 0) {
		pthread_mutex_unlock(&be->mtx);
		return;
	}
	do {
		if (be->kind == BE_SOCKET)
			n = send(be->wfd, &byte, 1, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
		else
			n = write(be->wfd, &byte, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		be->dropped++;
	pthread_mutex_unlock(&be->mtx);
}

/* The FIFO has room again (UART lock held): resume reading. */
static void
be_rx_ready(void *arg)
{
	struct uart_backend *be = arg;

	uint64_t one = 1;

	pthread_mutex_lock(&be->mtx);
	if (be->mev != NULL)
		(void)mevent_enable(be->mev);
	pthread_mutex_unlock(&be->mtx);
	/* Bytes already read wait for the mevent thread to put them. */
	if (__atomic_load_n(&be->npend, __ATOMIC_RELAXED) > 0 &&
	    be->kickfd >= 0)
		(void)write(be->kickfd, &one, sizeof(one));
}

/* Drop the peer: a socket client went away, or input hit EOF. */
static void
be_disconnect(struct uart_backend *be)
{
	pthread_mutex_lock(&be->mtx);
	if (be->mev != NULL)
		(void)mevent_delete(be->mev);
	be->mev = NULL;
	if (be->kind == BE_SOCKET && be->rfd >= 0) {
		close(be->rfd);
		be->rfd = be->wfd = -1;
	}
	pthread_mutex_unlock(&be->mtx);
}

/*
 * Hand bytes read earlier to the FIFO.  The FIFO can shrink between the
 * room check and the put (the guest turning FIFOs off, or loopback), so
 * what it refuses is kept, never dropped.  true when nothing is left.
 */
static bool
be_flush_pending(struct uart_backend *be)
{
	int n;

	if (be->npend == 0)
		return (true);
	n = uart_rx_put(be->sc, be->pend, be->npend);
	if (n > 0) {
		memmove(be->pend, be->pend + n, (size_t)(be->npend - n));
		__atomic_store_n(&be->npend, be->npend - n, __ATOMIC_RELAXED);
	}
	return (be->npend == 0);
}

/* rx_ready found bytes pending: put them now (mevent thread). */
static void
be_kick(int fd, enum ev_type type, void *arg)
{
	struct uart_backend *be = arg;
	uint64_t v;

	(void)type;
	(void)read(fd, &v, sizeof(v));
	(void)be_flush_pending(be);
}

static void
be_input(int fd, enum ev_type type, void *arg)
{
	struct mevent *mev;
	struct uart_backend *be = arg;
	int room;
	ssize_t n;

	(void)type;
	room = be_flush_pending(be) ? uart_rx_room(be->sc) : 0;
	if (room == 0) {
		/* Flow control: wait for rx_ready. */
		pthread_mutex_lock(&be->mtx);
		mev = be->mev;
		if (mev != NULL)
			(void)mevent_disable(mev);
		pthread_mutex_unlock(&be->mtx);
		/* The guest may have drained it meanwhile: look again. */
		if (uart_rx_room(be->sc) > 0)
			be_rx_ready(be);
		return;
	}
	if (room > (int)sizeof(be->pend))
		room = sizeof(be->pend);
	n = read(fd, be->pend, (size_t)room);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		be_disconnect(be);
		return;
	}
	__atomic_store_n(&be->npend, (int)n, __ATOMIC_RELAXED);
	(void)be_flush_pending(be);
}

/* Attach the input event (mevent thread or init). */
static int
be_watch(struct uart_backend *be, int rfd)
{
	struct mevent *mev;

	mev = mevent_add_disabled(rfd, EVF_READ, be_input, be);
	if (mev == NULL)
		return (-1);
	pthread_mutex_lock(&be->mtx);
	be->mev = mev;
	pthread_mutex_unlock(&be->mtx);
	if (mevent_enable(mev) != 0) {
		be_disconnect(be);
		return (-1);
	}
	return (0);
}

/* ---- Sockets ---- */

static void
be_accept(int lfd, enum ev_type type, void *arg)
{
	struct uart_backend *be = arg;
	bool busy;
	int cfd;

	(void)type;
	cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	pthread_mutex_lock(&be->mtx);
	busy = be->rfd >= 0;
	if (!busy)
		be->rfd = be->wfd = cfd;
	pthread_mutex_unlock(&be->mtx);
	if (!busy)
		be->npend = 0;		/* a new peer: nothing of the old */
	if (busy) {
		/* One client at a time, as bhyve: others are dropped. */
		close(cfd);
		return;
	}
	if (be_watch(be, cfd) != 0) {
		pthread_mutex_lock(&be->mtx);
		be->rfd = be->wfd = -1;
		pthread_mutex_unlock(&be->mtx);
		close(cfd);
	}
}

/* "IP:PORT" or "[IPv6]:PORT" into a listening socket; -1 on error. */
static int
tcp_listen(const char *spec)
{
	struct addrinfo hints, *res, *ai;
	char *copy, *host, *port, *colon;
	int fd = -1, one = 1, error;

	copy = strdup(spec);
	if (copy == NULL)
		return (-1);
	colon = strrchr(copy, ':');
	if (colon == NULL || colon[1] == '\0') {
		fprintf(stderr, "uart: tcp=%s: expected IP:PORT\n", spec);
		free(copy);
		return (-1);
	}
	*colon = '\0';
	port = colon + 1;
	host = copy;
	if (host[0] == '[') {
		size_t l = strlen(host);

		if (l < 2 || host[l - 1] != ']') {
			fprintf(stderr, "uart: tcp=%s: bad IPv6 address\n",
			    spec);
			free(copy);
			return (-1);
		}
		host[l - 1] = '\0';
		host++;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	error = getaddrinfo(*host != '\0' ? host : NULL, port, &hints, &res);
	if (error != 0) {
		fprintf(stderr, "uart: tcp=%s: %s\n", spec,
		    gai_strerror(error));
		free(copy);
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "uart: tcp=%s: cannot listen: %s\n", spec,
		    strerror(errno));
	freeaddrinfo(res);
	free(copy);
	return (fd);
}

static int
unix_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "uart: unix=%s: bad socket path\n", path);
		return (-1);
	}
	strcpy(sun.sun_path, path);
	/* Replace a stale socket, never any other file. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, 1) != 0) {
		fprintf(stderr, "uart: unix=%s: cannot listen: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	return (fd);
}

/* ---- Opening ---- */

static struct uart_backend *
be_alloc(struct uart_softc *sc, enum be_kind kind)
{
	struct uart_backend *be;

	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return (NULL);
	pthread_mutex_init(&be->mtx, NULL);
	be->sc = sc;
	be->kind = kind;
	be->rfd = be->wfd = be->lfd = -1;
	be->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (be->kickfd >= 0)
		be->kmev = mevent_add(be->kickfd, EVF_READ, be_kick, be);
	return (be);
}

static void
be_free(struct uart_backend *be)
{
	if (be->kmev != NULL)
		(void)mevent_delete(be->kmev);
	if (be->kickfd >= 0)
		close(be->kickfd);
	pthread_mutex_destroy(&be->mtx);
	free(be->unix_path);
	free(be);
}

static int
stdio_open(struct uart_backend *be)
{
	if (stdio_in_use) {
		fprintf(stderr, "uart: stdio is already in use\n");
		return (-1);
	}
	stdio_in_use = true;
	be->rfd = STDIN_FILENO;
	be->wfd = STDOUT_FILENO;
	tty_raw(STDIN_FILENO, false);
	/* No input when stdin cannot be polled (a file, /dev/null). */
	(void)be_watch(be, STDIN_FILENO);
	return (0);
}

static int
tty_open(struct uart_backend *be, const char *path)
{
	int fd, fl;

	/* O_NONBLOCK: do not wait for carrier; cleared below. */
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "uart: cannot open %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	if (!isatty(fd)) {
		fprintf(stderr, "uart: %s is not a terminal\n", path);
		close(fd);
		return (-1);
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	tty_raw(fd, true);
	be->rfd = be->wfd = fd;
	if (be_watch(be, fd) != 0) {
		tty_restore_fd(fd);
		close(fd);
		be->rfd = be->wfd = -1;
		return (-1);
	}
	return (0);
}

static int
socket_open(struct uart_backend *be, const char *device)
{
	if (strncmp(device, "tcp=", 4) == 0) {
		be->lfd = tcp_listen(device + 4);
	} else {
		be->lfd = unix_listen(device + 5);
		if (be->lfd >= 0)
			be->unix_path = strdup(device + 5);
	}
	if (be->lfd < 0)
		return (-1);
	be->lmev = mevent_add(be->lfd, EVF_READ, be_accept, be);
	if (be->lmev == NULL) {
		close(be->lfd);
		be->lfd = -1;
		return (-1);
	}
	return (0);
}

int
uart_set_backend(struct uart_softc *sc, const char *device)
{
	struct uart_backend *be;
	enum be_kind kind;
	int error;

	if (device == NULL)
		return (0);
	if (strcmp(device, "stdio") == 0)
		kind = BE_STDIO;
	else if (strncmp(device, "tcp=", 4) == 0 ||
	    strncmp(device, "unix=", 5) == 0)
		kind = BE_SOCKET;
	else if (device[0] == '/')
		kind = BE_TTY;
	else {
		fprintf(stderr, "uart: unknown backend \"%s\" (stdio, "
		    "/dev/TTY, tcp=IP:PORT, unix=PATH)\n", device);
		return (-1);
	}
	be = be_alloc(sc, kind);
	if (be == NULL)
		return (-1);
	uart_backend_put(sc, be);
	uart_set_io(sc, be_tx, be_rx_ready, be);
	switch (kind) {
	case BE_STDIO:
		error = stdio_open(be);
		break;
	case BE_TTY:
		error = tty_open(be, device);
		break;
	default:
		error = socket_open(be, device);
		break;
	}
	if (error != 0) {
		uart_set_io(sc, NULL, NULL, NULL);
		uart_backend_put(sc, NULL);
		be_free(be);
		return (-1);
	}
	return (0);
}

void
uart_backend_cleanup(struct uart_softc *sc)
{
	struct uart_backend *be = uart_backend_get(sc);

	if (be == NULL)
		return;
	uart_set_io(sc, NULL, NULL, NULL);
	if (be->lmev != NULL)
		(void)mevent_delete(be->lmev);
	if (be->lfd >= 0)
		close(be->lfd);
	be_disconnect(be);
	switch (be->kind) {
	case BE_STDIO:
		tty_restore_fd(STDIN_FILENO);
		stdio_in_use = false;
		break;
	case BE_TTY:
		tty_restore_fd(be->rfd);
		close(be->rfd);
		break;
	default:
		break;
	}
	if (be->unix_path != NULL)
		(void)unlink(be->unix_path);
	uart_backend_put(sc, NULL);
	be_free(be);
}
