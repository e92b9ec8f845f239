/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stand-in for libFuzzer's main() when only gcc is at hand: runs the
 * harness on every file (or every file of every directory) named on the
 * command line, then on mutations of them from a fixed-seed generator
 * until -time=SECONDS or -runs=N is used up.  A sanitizer report or an
 * abort prints the input that caused it in hex.  No coverage feedback:
 * this is a smoke test, not a fuzzer.
 *
 *	fuzz_x [-time=S] [-runs=N] [-seed=N] [-max_len=N] FILE|DIR...
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void	__sanitizer_set_death_callback(void (*cb)(void));

struct input {
	uint8_t	*p;
	size_t	n;
};

static struct input	*pool;
static size_t		npool, cappool;
static const uint8_t	*cur;
static size_t		curlen;
static uint64_t		rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dull);
}

static void
dump_current(void)
{
	size_t i;

	fprintf(stderr, "driver: crashing input (%zu bytes):\n", curlen);
	for (i = 0; i < curlen; i++)
		fprintf(stderr, "%02x%s", cur[i], i % 32 == 31 ? "\n" : "");
	fprintf(stderr, "\n");
}

static void
on_signal(int sig)
{
	dump_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
add_input(const uint8_t *p, size_t n)
{
	if (npool == cappool) {
		cappool = cappool ? 2 * cappool : 64;
		pool = realloc(pool, cappool * sizeof(*pool));
		if (pool == NULL)
			abort();
	}
	pool[npool].p = malloc(n ? n : 1);
	if (pool[npool].p == NULL)
		abort();
	memcpy(pool[npool].p, p, n);
	pool[npool++].n = n;
}

static void
run_one(const uint8_t *p, size_t n)
{
	/* A copy of exactly n bytes, so ASan sees reads past the end. */
	uint8_t *copy = malloc(n ? n : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, p, n);
	cur = copy;
	curlen = n;
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static void
load_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (fp == NULL)
		return;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf != NULL && n >= 0 && fread(buf, 1, (size_t)n, fp) ==
	    (size_t)n) {
		add_input(buf, (size_t)n);
		run_one(buf, (size_t)n);
	}
	free(buf);
	fclose(fp);
}

static void
load_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char sub[4096];
	DIR *d;

	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		load_file(path);
		return;
	}
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		load_file(sub);
	}
	closedir(d);
}

/* One random edit of a pool input (or of random bytes). */
static size_t
mutate(uint8_t *buf, size_t max)
{
	size_t n = 0, i, k, edits;

	if (npool > 0 && rnd() % 8 != 0) {
		struct input *in = &pool[rnd() % npool];

		n = in->n < max ? in->n : max;
		memcpy(buf, in->p, n);
	} else {
		n = rnd() % (max < 64 ? max : 64);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
	}
	edits = 1 + rnd() % 8;
	for (k = 0; k < edits; k++) {
		switch (rnd() % 5) {
		case 0:
			if (n > 0)
				buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			if (n > 0)
				buf[rnd() % n] = (uint8_t)rnd();
			break;
		case 2:		/* interesting values */
			if (n > 0)
				buf[rnd() % n] = (uint8_t[]){ 0, 1, 0x7f, 0x80,
				    0xff }[rnd() % 5];
			break;
		case 3:		/* insert */
			if (n < max) {
				i = rnd() % (n + 1);
				memmove(buf + i + 1, buf + i, n - i);
				buf[i] = (uint8_t)rnd();
				n++;
			}
			break;
		default:	/* delete */
			if (n > 0) {
				i = rnd() % n;
				memmove(buf + i, buf + i + 1, n - i - 1);
				n--;
			}
			break;
		}
	}
	return (n);
}

int
main(int argc, char **argv)
{
	long seconds = 0, runs = 0, i;
	size_t max_len = 4096, n;
	time_t end;
	uint8_t *buf;
	int a;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	__sanitizer_set_death_callback(dump_current);
	signal(SIGABRT, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGFPE, on_signal);
	for (a = 1; a < argc; a++) {
		if (strncmp(argv[a], "-time=", 6) == 0)
			seconds = atol(argv[a] + 6);
		else if (strncmp(argv[a], "-max_total_time=", 16) == 0)
			seconds = atol(argv[a] + 16);
		else if (strncmp(argv[a], "-runs=", 6) == 0)
			runs = atol(argv[a] + 6);
		else if (strncmp(argv[a], "-seed=", 6) == 0)
			rng = strtoull(argv[a] + 6, NULL, 0) | 1;
		else if (strncmp(argv[a], "-max_len=", 9) == 0)
			max_len = (size_t)atol(argv[a] + 9);
		else if (argv[a][0] != '-')
			load_path(argv[a]);
	}
	if (max_len == 0)
		max_len = 1;
	buf = malloc(max_len);
	if (buf == NULL)
		return (1);
	end = time(NULL) + seconds;
	for (i = 0; (runs > 0 && i < runs) || (seconds > 0 &&
	    time(NULL) < end); i++) {
		n = mutate(buf, max_len);
		run_one(buf, n);
	}
	printf("driver: %zu seed inputs, %ld generated, no crash\n", npool, i);
	free(buf);
	return (0);
}
