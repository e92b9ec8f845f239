/* SPDX-License-Identifier: BSD-2-Clause */
/* POST code port 0x80 (see post.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bhyve/inout.h"
#include "bhyve/post.h"
#include "bhyve/snapshot.h"

struct post_port {
	_Atomic uint8_t	last;
	struct inout_port iop;
	struct snapshot_dev snap;
};

static int
post_io(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	struct post_port *pp = arg;

	(void)ctx;
	(void)port;
	if (in)
		*eax = bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * bytes)) - 1;
	else
		atomic_store(&pp->last, (uint8_t)*eax);
	return (0);
}

/* Save and restore (snapshot.h): record "post" version 1, the last code. */
#define	POST_SNAP_VERSION	1

static int
post_snapshot(void *arg, struct snap_rec *r)
{
	struct post_port *pp = arg;

	snap_rec_set_version(r, POST_SNAP_VERSION);
	(void)snap_put_u64(r, "last", atomic_load(&pp->last));
	return (snap_rec_status(r));
}

static int
post_restore(void *arg, struct snap_rec *r)
{
	struct post_port *pp = arg;
	uint64_t v = 0;
	int error;

	error = snap_check_version(r, 1, POST_SNAP_VERSION);
	if (error == 0)
		error = snap_get_range(r, "last", 0, 0xff, &v);
	if (error != 0)
		return (error);
	atomic_store(&pp->last, (uint8_t)v);
	return (0);
}

struct post_port *
post_init(void)
{
	struct post_port *pp = calloc(1, sizeof(*pp));

	if (pp == NULL)
		return (NULL);
	atomic_init(&pp->last, 0xFF);
	pp->iop = (struct inout_port){ "post", POST_PORT, 1, IOPORT_F_INOUT,
	    post_io, pp };
	if (register_inout(&pp->iop) != 0) {
		free(pp);
		return (NULL);
	}
	pp->snap = (struct snapshot_dev){ .id = "post", .dev = "post",
	    .save = post_snapshot, .restore = post_restore, .arg = pp };
	if (snapshot_register(&pp->snap) != 0) {
		unregister_inout(&pp->iop);
		free(pp);
		errno = EEXIST;
		return (NULL);
	}
	return (pp);
}

void
post_fini(struct post_port *pp)
{
	if (pp == NULL)
		return;
	snapshot_unregister(&pp->snap);
	unregister_inout(&pp->iop);
	free(pp);
}

uint8_t
post_last_code(struct post_port *pp)
{
	return (atomic_load(&pp->last));
}
