/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyve fwctl (see fwctl.h): a state machine fed one port access at a
 * time.  Nothing is buffered beyond FWCTL_NAME_MAX request bytes and one
 * response, so a guest announcing a 4 GiB request only costs itself the
 * time to send it (or an outw 0 to abandon it).
 *
 *   IDLE --outw 0--> SIG --4 x inb--> REQ --last request word--> RESP
 *                                      ^                           |
 *                                      +----last response word-----+
 *
 * outw 0 restarts at SIG from any state, dropping a partial request or
 * an unread response: firmware probes again after a reboot it cannot
 * tell the device about.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/fwctl.h"
#include "bhyve/inout.h"
#include "bhyve/le_bytes.h"

#define	FWCTL_LEN_FIELD		8	/* GET's value length: 64 bits */
#define	FWCTL_RESP_MAX		(FWCTL_RESP_HDR_LEN + FWCTL_LEN_FIELD + \
				 FWCTL_VALUE_MAX)

static const uint8_t fwctl_sig[4] = { 'B', 'H', 'Y', 'V' };

enum fwctl_state {
	FWCTL_IDLE,		/* until the first outw 0 */
	FWCTL_SIG,		/* sending the signature */
	FWCTL_REQ,		/* taking request words */
	FWCTL_RESP,		/* sending response words */
};

struct fwctl_node {
	char		name[FWCTL_NAME_MAX];
	uint8_t		*data;
	uint32_t	len;
};

struct fwctl {
	pthread_mutex_t	mtx;		/* all fields below */
	enum fwctl_state state;
	unsigned	sig_idx;	/* next signature byte */
	/* The request being received. */
	unsigned	req_hdr;	/* header words so far, 0-3 */
	uint32_t	req_op;
	uint32_t	req_txid;
	uint32_t	req_len;	/* data bytes announced */
	uint32_t	req_left;	/* data bytes still to come */
	uint32_t	name_len;	/* bytes in name[] */
	uint8_t		name[FWCTL_NAME_MAX];
	/* The response being sent. */
	uint32_t	resp_len;	/* multiple of 4 */
	uint32_t	resp_off;
	uint8_t		resp[FWCTL_RESP_MAX];
	uint64_t	bad;
	struct fwctl_node nodes[FWCTL_MAX_NODES];
	int		nnodes;
	struct inout_port iop_out;
	struct inout_port iop_in;
	bool		registered;
};

/* An operation's result: an error code, data (up to FWCTL_RESP_MAX -
 * FWCTL_RESP_HDR_LEN bytes) and its length. */
typedef uint32_t fwctl_op_t(struct fwctl *fc, uint8_t *data, uint32_t *len);

static uint32_t
all_ones(int bytes)
{
	return (bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * bytes)) - 1);
}

/*
 * The node the request names.  The name ends at the first NUL or at the
 * announced size (bytes after it only pad the last word); it must match
 * exactly.  (bhyve compares with strncmp over the words received, so
 * there an empty or unterminated prefix also matches; edk2 always sends
 * the whole NUL-terminated name.)
 */
static const struct fwctl_node *
lookup(const struct fwctl *fc)
{
	size_t n = strnlen((const char *)fc->name, fc->name_len);

	if (n == 0 || n >= FWCTL_NAME_MAX)
		return (NULL);
	for (int i = 0; i < fc->nnodes; i++)
		if (strlen(fc->nodes[i].name) == n &&
		    memcmp(fc->nodes[i].name, fc->name, n) == 0)
			return (&fc->nodes[i]);
	return (NULL);
}

/* GET and GET_LEN share the name checks; `value' says which. */
static uint32_t
op_get_common(struct fwctl *fc, uint8_t *data, uint32_t *len, bool value)
{
	const struct fwctl_node *node;

	if (fc->req_len > FWCTL_NAME_MAX)
		return (FWCTL_E2BIG);
	node = lookup(fc);
	if (node == NULL)
		return (FWCTL_ENOENT);
	put_le(data, node->len, FWCTL_LEN_FIELD);
	*len = FWCTL_LEN_FIELD;
	if (value) {
		memcpy(data + FWCTL_LEN_FIELD, node->data, node->len);
		*len += node->len;
	}
	return (0);
}

static uint32_t
op_get(struct fwctl *fc, uint8_t *data, uint32_t *len)
{
	return (op_get_common(fc, data, len, true));
}

static uint32_t
op_get_len(struct fwctl *fc, uint8_t *data, uint32_t *len)
{
	return (op_get_common(fc, data, len, false));
}

/* bhyve implements these two only; the rest (NULL, ECHO, SET) is ENOENT. */
static fwctl_op_t *const fwctl_ops[] = {
	[FWCTL_OP_GET] = op_get,
	[FWCTL_OP_GET_LEN] = op_get_len,
};

static void
req_clear(struct fwctl *fc)
{
	fc->req_hdr = 0;
	fc->req_op = fc->req_txid = fc->req_len = fc->req_left = 0;
	fc->name_len = 0;
	memset(fc->name, 0, sizeof(fc->name));
}

/* The request is complete: build the whole response, then send it. */
static void
respond(struct fwctl *fc)
{
	uint8_t *data = fc->resp + FWCTL_RESP_HDR_LEN;
	uint32_t err = FWCTL_ENOENT, len = 0;

	memset(fc->resp, 0, sizeof(fc->resp));
	if (fc->req_op < sizeof(fwctl_ops) / sizeof(fwctl_ops[0]) &&
	    fwctl_ops[fc->req_op] != NULL)
		err = fwctl_ops[fc->req_op](fc, data, &len);
	fc->resp_len = FWCTL_RESP_HDR_LEN + ((len + 3) & ~3u);
	put_le(fc->resp, fc->resp_len, 4);
	put_le(fc->resp + 4, fc->req_op, 4);
	put_le(fc->resp + 8, fc->req_txid, 4);
	put_le(fc->resp + 12, err, 4);
	fc->resp_off = 0;
	req_clear(fc);
	fc->state = FWCTL_RESP;
}

/* One request word, in state REQ. */
static void
req_word(struct fwctl *fc, uint32_t v)
{
	switch (fc->req_hdr) {
	case 0:
		if (v < FWCTL_REQ_HDR_LEN) {
			fc->bad++;	/* no header to answer to: drop it */
			return;
		}
		fc->req_len = fc->req_left = v - FWCTL_REQ_HDR_LEN;
		fc->req_hdr++;
		return;
	case 1:
		fc->req_op = v;
		fc->req_hdr++;
		return;
	case 2:
		fc->req_txid = v;
		fc->req_hdr++;
		break;
	default:
		/* Keep what a name can hold; the op rejects longer ones. */
		if (fc->name_len + 4 <= sizeof(fc->name)) {
			put_le(fc->name + fc->name_len, v, 4);
			fc->name_len += fc->req_left < 4 ? fc->req_left : 4;
		}
		fc->req_left -= fc->req_left < 4 ? fc->req_left : 4;
		break;
	}
	if (fc->req_left == 0)
		respond(fc);
}

/* One response word, in state RESP; back to REQ after the last. */
static uint32_t
resp_word(struct fwctl *fc)
{
	uint32_t v = (uint32_t)get_le(fc->resp + fc->resp_off, 4);

	fc->resp_off += 4;
	if (fc->resp_off >= fc->resp_len)
		fc->state = FWCTL_REQ;
	return (v);
}

static void
restart(struct fwctl *fc)
{
	req_clear(fc);
	fc->resp_len = fc->resp_off = 0;
	fc->sig_idx = 0;
	fc->state = FWCTL_SIG;
}

static uint32_t
fwctl_in(struct fwctl *fc, int bytes)
{
	if (bytes == 1 && fc->state == FWCTL_SIG) {
		uint8_t c = fwctl_sig[fc->sig_idx++];

		if (fc->sig_idx == sizeof(fwctl_sig))
			fc->state = FWCTL_REQ;
		return (c);
	}
	if (bytes == 4 && fc->state == FWCTL_RESP)
		return (resp_word(fc));
	fc->bad++;
	return (all_ones(bytes));
}

static void
fwctl_out(struct fwctl *fc, int bytes, uint32_t v)
{
	if (bytes == 2 && (v & 0xFFFF) == 0)
		restart(fc);
	else if (bytes == 4 && fc->state == FWCTL_REQ)
		req_word(fc, v);
	else
		fc->bad++;
}

int
fwctl_pio(struct fwctl *fc, int in, int port, int bytes, uint32_t *eax)
{
	pthread_mutex_lock(&fc->mtx);
	if (in)
		*eax = fwctl_in(fc, bytes);
	else if (port == FWCTL_PORT_OUT)
		fwctl_out(fc, bytes, *eax);
	else
		fc->bad++;		/* 0x511 is read-only */
	pthread_mutex_unlock(&fc->mtx);
	return (0);
}

static int
fwctl_io(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	(void)ctx;
	return (fwctl_pio(arg, in, port, bytes, eax));
}

struct fwctl *
fwctl_create(int ncpus)
{
	struct fwctl *fc = calloc(1, sizeof(*fc));
	uint8_t v[4];
	int error;

	if (fc == NULL)
		return (NULL);
	pthread_mutex_init(&fc->mtx, NULL);
	fc->state = FWCTL_IDLE;
	/* bhyve's value is its C int guest_ncpus: 4 bytes. */
	put_le(v, (uint64_t)ncpus, 4);
	error = fwctl_add_node(fc, "hw.ncpu", v, sizeof(v));
	if (error != 0) {
		fwctl_destroy(fc);
		errno = -error;
		return (NULL);
	}
	return (fc);
}

void
fwctl_destroy(struct fwctl *fc)
{
	if (fc == NULL)
		return;
	fwctl_unregister(fc);
	for (int i = 0; i < fc->nnodes; i++)
		free(fc->nodes[i].data);
	pthread_mutex_destroy(&fc->mtx);
	free(fc);
}

int
fwctl_add_node(struct fwctl *fc, const char *name, const void *data,
    uint32_t len)
{
	struct fwctl_node *node;
	int error = 0;

	/* The name and its NUL must fit a GET request. */
	if (name[0] == '\0' || strlen(name) >= FWCTL_NAME_MAX ||
	    len > FWCTL_VALUE_MAX)
		return (-EINVAL);
	pthread_mutex_lock(&fc->mtx);
	for (int i = 0; i < fc->nnodes; i++)
		if (strcmp(fc->nodes[i].name, name) == 0)
			error = -EEXIST;
	if (error == 0 && fc->nnodes >= FWCTL_MAX_NODES)
		error = -ENOSPC;
	if (error != 0)
		goto out;
	node = &fc->nodes[fc->nnodes];
	node->data = malloc(len > 0 ? len : 1);
	if (node->data == NULL) {
		error = -ENOMEM;
		goto out;
	}
	memcpy(node->data, data, len);
	node->len = len;
	strcpy(node->name, name);
	fc->nnodes++;
out:
	pthread_mutex_unlock(&fc->mtx);
	return (error);
}

int
fwctl_register(struct fwctl *fc)
{
	int error;

	fc->iop_out = (struct inout_port){ "fwctl", FWCTL_PORT_OUT, 1,
	    IOPORT_F_INOUT, fwctl_io, fc };
	fc->iop_in = (struct inout_port){ "fwctl in", FWCTL_PORT_IN, 1,
	    IOPORT_F_IN, fwctl_io, fc };
	if (register_inout(&fc->iop_out) != 0)
		return (-errno);
	if (register_inout(&fc->iop_in) != 0) {
		error = -errno;
		unregister_inout(&fc->iop_out);
		return (error);
	}
	fc->registered = true;
	return (0);
}

void
fwctl_unregister(struct fwctl *fc)
{
	if (!fc->registered)
		return;
	unregister_inout(&fc->iop_out);
	unregister_inout(&fc->iop_in);
	fc->registered = false;
}

uint64_t
fwctl_bad_requests(struct fwctl *fc)
{
	uint64_t n;

	pthread_mutex_lock(&fc->mtx);
	n = fc->bad;
	pthread_mutex_unlock(&fc->mtx);
	return (n);
}
