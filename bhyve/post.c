/* SPDX-License-Identifier: BSD-2-Clause */
/* POST code port 0x80 (see post.h). */
#include <stdatomic.h>
#include <stdlib.h>

#include "bhyve/inout.h"
#include "bhyve/post.h"

struct post_port {
	_Atomic uint8_t	last;
	struct inout_port iop;
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
	return (pp);
}

void
post_fini(struct post_port *pp)
{
	if (pp == NULL)
		return;
	unregister_inout(&pp->iop);
	free(pp);
}

uint8_t
post_last_code(struct post_port *pp)
{
	return (atomic_load(&pp->last));
}
