/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UART backends over real sockets: tcp= accepts one client and drops
 * the next, bytes flow both ways, input beyond the receive FIFO waits
 * (flow control) instead of being lost; unix= likewise; bad specs fail.
 * Also the boot ROM size checks.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bhyve/bootrom.h"
#include "bhyve/mevent.h"
#include "bhyve/uart_emul.h"

static pthread_t mevent_tid;

static void *
mevent_thread(void *arg)
{
	(void)arg;
	mevent_dispatch();
	return (NULL);
}

static int
group_setup(void **state)
{
	(void)state;
	assert_int_equal(mevent_init(), 0);
	assert_int_equal(pthread_create(&mevent_tid, NULL, mevent_thread,
	    NULL), 0);
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	mevent_stop();
	pthread_join(mevent_tid, NULL);
	return (0);
}

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Read RBR while LSR.DR says there is data, for up to ~2 s. */
static int
drain(struct uart_softc *sc, uint8_t *buf, int want)
{
	int n = 0;

	for (int tries = 0; n < want && tries < 400; tries++) {
		while (n < want && (uart_read(sc, 5) & 0x01))
			buf[n++] = uart_read(sc, 0);
		if (n < want)
			msleep(5);
	}
	return (n);
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	return (fd);
}

/* A second client is closed by bhyve: read sees EOF. */
static void
assert_rejected(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_true(read(fd, &c, 1) <= 0);
}

static void
exchange(struct uart_softc *sc, int fd)
{
	uint8_t in[40], out[40];
	char got[4];
	int n;

	/* 40 bytes into a 16-byte FIFO: none lost. */
	uart_write(sc, 2, 0x07);
	for (int i = 0; i < 40; i++)
		in[i] = (uint8_t)('a' + i % 26);
	assert_int_equal(write(fd, in, sizeof(in)), (ssize_t)sizeof(in));
	n = drain(sc, out, 40);
	assert_int_equal(n, 40);
	assert_memory_equal(in, out, 40);
	/* Guest output reaches the client. */
	uart_write(sc, 0, 'x');
	uart_write(sc, 0, 'y');
	n = 0;
	for (int tries = 0; n < 2 && tries < 100; tries++) {
		ssize_t r = recv(fd, got + n, 2 - (size_t)n, MSG_DONTWAIT);

		if (r > 0)
			n += (int)r;
		else
			msleep(10);
	}
	assert_int_equal(n, 2);
	assert_memory_equal(got, "xy", 2);
}

static void
test_tcp(void **state)
{
	struct uart_softc *sc;
	char spec[64];
	int port, fd1, fd2, fd3, error = -1;

	(void)state;
	sc = uart_init(NULL, NULL, NULL);
	assert_non_null(sc);
	for (port = 20000 + getpid() % 20000; error != 0 && port < 60000;
	    port += 97) {
		snprintf(spec, sizeof(spec), "tcp=127.0.0.1:%d", port);
		error = uart_set_backend(sc, spec);
	}
	assert_int_equal(error, 0);
	port -= 97;
	fd1 = tcp_connect(port);
	msleep(50);
	fd2 = tcp_connect(port);
	assert_rejected(fd2);
	exchange(sc, fd1);
	/* After the client leaves, a new one is accepted. */
	close(fd1);
	msleep(100);
	fd3 = tcp_connect(port);
	msleep(50);
	exchange(sc, fd3);
	close(fd2);
	close(fd3);
	uart_destroy(sc);
}

static void
test_unix(void **state)
{
	struct sockaddr_un sun;
	struct uart_softc *sc;
	char spec[128];
	int fd;

	(void)state;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/uart-test-%d.sock",
	    (int)getpid());
	snprintf(spec, sizeof(spec), "unix=%s", sun.sun_path);
	sc = uart_init(NULL, NULL, NULL);
	assert_int_equal(uart_set_backend(sc, spec), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	msleep(50);
	exchange(sc, fd);
	close(fd);
	uart_destroy(sc);
	/* The socket file is removed at cleanup. */
	assert_int_equal(access(sun.sun_path, F_OK), -1);
}

static void
test_bad_backends(void **state)
{
	struct uart_softc *sc = uart_init(NULL, NULL, NULL);

	(void)state;
	assert_int_equal(uart_set_backend(sc, "tcp=127.0.0.1"), -1);
	assert_int_equal(uart_set_backend(sc, "tcp=[::1:5"), -1);
	assert_int_equal(uart_set_backend(sc, "nonsense"), -1);
	assert_int_equal(uart_set_backend(sc, "/nonexistent/tty"), -1);
	assert_int_equal(uart_set_backend(sc, "/dev/null"), -1); /* no tty */
	assert_int_equal(uart_set_backend(sc, NULL), 0);
	uart_destroy(sc);
}

static void
test_bootrom_sizes(void **state)
{
	const char *why;

	(void)state;
	assert_int_equal(bootrom_check_sizes(64 * 1024, 0, &why), 0);
	assert_int_equal(bootrom_check_sizes(2u << 20, 128u << 10, &why), 0);
	assert_int_equal(bootrom_check_sizes(0, 0, &why), -1);
	assert_int_equal(bootrom_check_sizes(4097, 0, &why), -1);
	assert_int_equal(bootrom_check_sizes(4096, 100, &why), -1);
	assert_int_equal(bootrom_check_sizes(17u << 20, 0, &why), -1);
	assert_int_equal(bootrom_check_sizes(16u << 20, 4096, &why), -1);
	assert_int_equal(bootrom_check_sizes(16u << 20, 0, &why), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_bad_backends),
		cmocka_unit_test(test_bootrom_sizes),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
