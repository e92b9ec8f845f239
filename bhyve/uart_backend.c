/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UART backends: where a COM port's bytes go.  "stdio" now (the
 * terminal in raw mode, restored at exit and on fatal signals); host
 * ttys and TCP come later.  Input is read on the mevent thread, only as
 * much as the receive FIFO can take; when it is full, reading stops until
 * the guest drains it (the core calls rx_ready).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bhyve/mevent.h"
#include "bhyve/uart_emul.h"

struct uart_backend {
	struct uart_softc *sc;
	int		rfd, wfd;
	struct mevent	*mev;		/* NULL: no input */
};

/* The terminal is the process's: one stdio user, one saved state. */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static bool stdio_in_use;

static void
tty_restore(void)
{
	if (tio_saved)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void
tty_signal(int sig)
{
	/* tcsetattr is async-signal-safe (POSIX 2.4.3). */
	tty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
tty_raw(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
	    SIGABRT, SIGSEGV, SIGBUS };
	struct termios tio;
	struct sigaction sa;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) != 0)
		return;
	tio = saved_tio;
	cfmakeraw(&tio);
	tio_saved = 1;
	atexit(tty_restore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	(void)tcsetattr(STDIN_FILENO, TCSANOW, &tio);
}

static void
be_tx(void *arg, uint8_t byte)
{
	struct uart_backend *be = arg;
	ssize_t n;

	do {
		n = write(be->wfd, &byte, 1);
	} while (n < 0 && errno == EINTR);
}

/* Called with the UART locked: only re-arm the input event. */
static void
be_rx_ready(void *arg)
{
	struct uart_backend *be = arg;

	if (be->mev != NULL)
		mevent_enable(be->mev);
}

static void
be_input(int fd, enum ev_type type, void *arg)
{
	struct uart_backend *be = arg;
	uint8_t buf[UART_FIFO_SIZE];
	int room;
	ssize_t n;

	(void)type;
	room = uart_rx_room(be->sc);
	if (room == 0) {
		mevent_disable(be->mev);
		/* The guest may have drained it meanwhile: look again. */
		if (uart_rx_room(be->sc) > 0)
			mevent_enable(be->mev);
		return;
	}
	if (room > (int)sizeof(buf))
		room = sizeof(buf);
	n = read(fd, buf, (size_t)room);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		/* EOF or a dead input: stop listening. */
		mevent_delete(be->mev);
		be->mev = NULL;
		return;
	}
	if (n > 0)
		(void)uart_rx_put(be->sc, buf, (int)n);
}

static int
stdio_open(struct uart_softc *sc)
{
	struct uart_backend *be;

	if (stdio_in_use) {
		fprintf(stderr, "uart: stdio is already in use\n");
		return (-1);
	}
	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return (-1);
	be->sc = sc;
	be->rfd = STDIN_FILENO;
	be->wfd = STDOUT_FILENO;
	stdio_in_use = true;
	tty_raw();
	uart_backend_put(sc, be);
	uart_set_io(sc, be_tx, be_rx_ready, be);
	/* No input when stdin cannot be polled (a file, /dev/null). */
	be->mev = mevent_add_disabled(be->rfd, EVF_READ, be_input, be);
	if (be->mev != NULL && mevent_enable(be->mev) != 0) {
		mevent_delete(be->mev);
		be->mev = NULL;
	}
	return (0);
}

int
uart_set_backend(struct uart_softc *sc, const char *device)
{
	if (device == NULL)
		return (0);
	if (strcmp(device, "stdio") == 0)
		return (stdio_open(sc));
	fprintf(stderr, "uart: backend '%s' is not supported yet "
	    "(only stdio)\n", device);
	return (-1);
}

void
uart_backend_cleanup(struct uart_softc *sc)
{
	struct uart_backend *be = uart_backend_get(sc);

	if (be == NULL)
		return;
	uart_set_io(sc, NULL, NULL, NULL);
	if (be->mev != NULL)
		mevent_delete(be->mev);
	tty_restore();
	stdio_in_use = false;
	uart_backend_put(sc, NULL);
	free(be);
}
