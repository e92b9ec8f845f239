/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * POST code port 0x80: firmware and kernels write progress codes (and
 * Linux uses it as an I/O delay).  Writes are accepted and the last one
 * kept; reads return 0xFF, as bhyve's post.c does.
 */
#ifndef _BHYVE_POST_H_
#define _BHYVE_POST_H_

#include <stdint.h>

#define	POST_PORT	0x80

struct post_port;

/* Claim port 0x80.  NULL with errno. */
struct post_port *post_init(void);
void	post_fini(struct post_port *pp);
/* The last code written, 0xFF before any. */
uint8_t	post_last_code(struct post_port *pp);

#endif /* _BHYVE_POST_H_ */
