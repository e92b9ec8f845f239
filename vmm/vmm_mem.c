/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest physical memory: see vmm_mem.h for the layout.
 *
 * Locking: `mtx` serializes changes to segs[] and maps[].  The CPU's
 * lookups (vmm_mem_ram_page) read without it: lowmem/highmem are set
 * once, a map entry is published by a release store of its `used` flag
 * after it is filled in, and the shadow range is atomic.
 *
 * Shadowing: in the PC's legacy hole a devmem mapping may cover sysmem
 * (see vmm_mem.h).  Its host pages replace sysmem's at base + gpa; the
 * RAM underneath stays in the memfd, unseen, and comes back when the
 * mapping goes.  [shadow_lo, shadow_hi) bounds every such mapping: the
 * sysmem fast paths (ram_page, map_gpa) stay out of it, and lookups
 * there find the devmem mapping before sysmem's.  Mappings change
 * before the vCPUs run (or the backend flushes the TLBs, memmap_changed).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvmmapi/vmmapi.h"	/* VM_SYSMEM; types only */
#include "vmm/vmm_mem.h"

struct vmm_seg {
	bool		used;
	bool		sysmem;
	int		fd;		/* memfd */
	size_t		len;
	void		*host;		/* devmem: userland's view */
	char		name[VMM_SEGNAME_MAX];
};

struct vmm_map {
	_Atomic bool	used;
	uint64_t	gpa;
	uint64_t	len;
	uint64_t	off;
	int		segid;
	int		prot;
};

struct vmm_mem {
	pthread_mutex_t	mtx;		/* segs, maps updates */
	uint8_t		*resv;		/* reservation, guards too */
	size_t		resv_len;
	uint8_t		*base;		/* gpa 0 */
	uint64_t	limit;		/* guest-physical space */
	size_t		lowmem;
	size_t		highmem;
	_Atomic uint64_t shadow_lo;	/* shadowed sysmem, lo == hi: none */
	_Atomic uint64_t shadow_hi;
	bool		incore;
	struct vmm_seg	segs[VMM_MAX_MEMSEGS];
	struct vmm_map	maps[VMM_MAX_MEMMAPS];
	int		backing[VMM_MAX_MEMSEGS];	/* preset fds, or -1 */
};

struct vmm_mem *
vmm_mem_create(void)
{
	struct vmm_mem *m;
	void *p;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return (NULL);
	/*
	 * Address space only: PROT_NONE private mappings are not charged.
	 * Under an address-space limit (ulimit -v) settle for less.
	 */
	p = MAP_FAILED;
	for (m->limit = VMM_GPA_LIMIT; m->limit >= VMM_GPA_MIN;
	    m->limit >>= 3) {
		m->resv_len = VMM_GUARD_SIZE + m->limit + VMM_GUARD_SIZE;
		p = mmap(NULL, m->resv_len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED)
			break;
	}
	if (p == MAP_FAILED) {
		free(m);
		return (NULL);
	}
	m->resv = p;
	m->base = m->resv + VMM_GUARD_SIZE;
	for (int i = 0; i < VMM_MAX_MEMSEGS; i++)
		m->segs[i].fd = m->backing[i] = -1;
	pthread_mutex_init(&m->mtx, NULL);
	return (m);
}

void
vmm_mem_destroy(struct vmm_mem *m)
{
	if (m == NULL)
		return;
	munmap(m->resv, m->resv_len);
	for (int i = 0; i < VMM_MAX_MEMSEGS; i++) {
		struct vmm_seg *s = &m->segs[i];

		if (!s->used)
			continue;
		if (s->host != NULL)
			munmap(s->host, s->len);
		close(s->fd);
	}
	for (int i = 0; i < VMM_MAX_MEMSEGS; i++)
		if (m->backing[i] >= 0)
			close(m->backing[i]);
	pthread_mutex_destroy(&m->mtx);
	free(m);
}

static int
seg_alloc_locked(struct vmm_mem *m, int segid, size_t len, bool sysmem,
    const char *name)
{
	struct vmm_seg *s;
	int fd;

	if (segid < 0 || segid >= VMM_MAX_MEMSEGS)
		return (-EINVAL);
	if (len == 0 || (len & VMM_PAGE_MASK) != 0 || len > m->limit)
		return (-EINVAL);
	s = &m->segs[segid];
	if (s->used)
		return (-EEXIST);
	if (m->backing[segid] >= 0) {
		struct stat st;

		/* A preset file: it must hold the whole segment already. */
		if (fstat(m->backing[segid], &st) != 0)
			return (-errno);
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < len)
			return (-EINVAL);
		fd = m->backing[segid];
		m->backing[segid] = -1;
	} else if ((fd = memfd_create(name, MFD_CLOEXEC)) < 0) {
		return (-errno);
	} else if (ftruncate(fd, (off_t)len) != 0) {
		int error = -errno;

		close(fd);
		return (error);
	}
	s->used = true;
	s->sysmem = sysmem;
	s->fd = fd;
	s->len = len;
	s->host = NULL;
	strncpy(s->name, name, sizeof(s->name) - 1);
	return (0);
}

/*
 * Does [gpa, gpa + len) overlap an existing mapping?  With `shadow',
 * overlapping sysmem is allowed.
 */
static bool
map_overlaps(struct vmm_mem *m, uint64_t gpa, uint64_t len, bool shadow)
{
	for (int i = 0; i < VMM_MAX_MEMMAPS; i++) {
		struct vmm_map *mp = &m->maps[i];

		if (!atomic_load(&mp->used))
			continue;
		if (shadow && m->segs[mp->segid].sysmem)
			continue;
		if (gpa < mp->gpa + mp->len && mp->gpa < gpa + len)
			return (true);
	}
	return (false);
}

/* A devmem mapping inside the legacy hole that covers some lowmem. */
static bool
is_shadow(const struct vmm_mem *m, int segid, uint64_t gpa, uint64_t len)
{
	return (!m->segs[segid].sysmem && gpa >= VMM_LEGACY_BASE &&
	    gpa < VMM_LEGACY_END && len <= VMM_LEGACY_END - gpa &&
	    gpa < m->lowmem);
}

/* Bound the shadowing mappings again, [lo, hi) included if not empty. */
static void
shadow_update_locked(struct vmm_mem *m, uint64_t lo, uint64_t hi)
{
	bool any = lo < hi;

	for (int i = 0; i < VMM_MAX_MEMMAPS; i++) {
		const struct vmm_map *mp = &m->maps[i];

		if (!atomic_load(&mp->used) ||
		    !is_shadow(m, mp->segid, mp->gpa, mp->len))
			continue;
		if (!any || mp->gpa < lo)
			lo = mp->gpa;
		if (!any || mp->gpa + mp->len > hi)
			hi = mp->gpa + mp->len;
		any = true;
	}
	if (!any)
		lo = hi = 0;
	atomic_store(&m->shadow_lo, lo);
	atomic_store(&m->shadow_hi, hi);
}

/* Does [gpa, gpa + len) touch a shadowed range?  (len >= 1) */
static bool
in_shadow(struct vmm_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t lo = atomic_load_explicit(&m->shadow_lo,
	    memory_order_relaxed);
	uint64_t hi = atomic_load_explicit(&m->shadow_hi,
	    memory_order_relaxed);

	return (lo < hi && gpa < hi && (gpa >= lo || lo - gpa < len));
}

static int
mmap_locked(struct vmm_mem *m, uint64_t gpa, int segid, uint64_t off,
    size_t len, int prot)
{
	struct vmm_seg *s;
	struct vmm_map *mp = NULL;
	bool shadow;
	int mflags;

	if (segid < 0 || segid >= VMM_MAX_MEMSEGS || !m->segs[segid].used)
		return (-EINVAL);
	s = &m->segs[segid];
	if (len == 0 || ((gpa | off | len) & VMM_PAGE_MASK) != 0)
		return (-EINVAL);
	/* Both ranges checked without overflowing. */
	if (len > s->len || off > s->len - len)
		return (-EINVAL);
	if (len > m->limit || gpa > m->limit - len)
		return (-EINVAL);
	if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0)
		return (-EINVAL);
	shadow = is_shadow(m, segid, gpa, len);
	if (map_overlaps(m, gpa, len, shadow))
		return (-EEXIST);
	for (int i = 0; i < VMM_MAX_MEMMAPS; i++) {
		if (!atomic_load(&m->maps[i].used)) {
			mp = &m->maps[i];
			break;
		}
	}
	if (mp == NULL)
		return (-ENOSPC);
	/* The fast paths leave sysmem here before its pages go. */
	if (shadow)
		shadow_update_locked(m, gpa, gpa + len);
	/* The host never executes guest memory. */
	mflags = MAP_SHARED | MAP_FIXED | MAP_NORESERVE;
	if (mmap(m->base + gpa, len, prot & (PROT_READ | PROT_WRITE), mflags,
	    s->fd, (off_t)off) == MAP_FAILED) {
		int error = -errno;

		if (shadow)
			shadow_update_locked(m, 0, 0);
		return (error);
	}
	madvise(m->base + gpa, len, m->incore ? MADV_DODUMP : MADV_DONTDUMP);
	mp->gpa = gpa;
	mp->len = len;
	mp->off = off;
	mp->segid = segid;
	mp->prot = prot;
	atomic_store_explicit(&mp->used, true, memory_order_release);
	return (0);
}

int
vmm_mem_set_backing(struct vmm_mem *m, int segid, int fd)
{
	int nfd = -1;

	if (segid < 0 || segid >= VMM_MAX_MEMSEGS)
		return (-EINVAL);
	if (fd >= 0 && (nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return (-errno);
	pthread_mutex_lock(&m->mtx);
	if (m->backing[segid] >= 0)
		close(m->backing[segid]);
	m->backing[segid] = nfd;
	pthread_mutex_unlock(&m->mtx);
	return (0);
}

int
vmm_mem_setup_sysmem(struct vmm_mem *m, size_t len)
{
	size_t lo, hi;
	int error;

	if (len == 0 || (len & VMM_PAGE_MASK) != 0)
		return (-EINVAL);
	if (len > VMM_LOWMEM_LIMIT && (m->limit < VMM_HIGHMEM_BASE ||
	    len - VMM_LOWMEM_LIMIT > m->limit - VMM_HIGHMEM_BASE))
		return (-E2BIG);
	lo = len < VMM_LOWMEM_LIMIT ? len : VMM_LOWMEM_LIMIT;
	hi = len - lo;
	pthread_mutex_lock(&m->mtx);
	if (m->segs[VM_SYSMEM].used) {
		/*
		 * Set up already (bhyveload, then bhyve): fine if it is the
		 * same size, as FreeBSD's vm_alloc_memseg.
		 */
		error = m->segs[VM_SYSMEM].len == len ? 0 : -EEXIST;
		pthread_mutex_unlock(&m->mtx);
		return (error);
	}
	error = seg_alloc_locked(m, VM_SYSMEM, len, true, "sysmem");
	if (error == 0)
		error = mmap_locked(m, 0, VM_SYSMEM, 0, lo,
		    PROT_READ | PROT_WRITE | PROT_EXEC);
	if (error == 0 && hi > 0)
		error = mmap_locked(m, VMM_HIGHMEM_BASE, VM_SYSMEM, lo, hi,
		    PROT_READ | PROT_WRITE | PROT_EXEC);
	if (error == 0) {
		m->lowmem = lo;
		m->highmem = hi;
	}
	pthread_mutex_unlock(&m->mtx);
	return (error);
}

int
vmm_mem_alloc_devmem(struct vmm_mem *m, int segid, const char *name,
    size_t len, void **hostp)
{
	struct vmm_seg *s;
	void *p;
	int error;

	if (segid == VM_SYSMEM || name == NULL || name[0] == '\0')
		return (-EINVAL);
	pthread_mutex_lock(&m->mtx);
	error = seg_alloc_locked(m, segid, len, false, name);
	if (error != 0) {
		pthread_mutex_unlock(&m->mtx);
		return (error);
	}
	s = &m->segs[segid];
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (p == MAP_FAILED) {
		error = -errno;
		close(s->fd);
		memset(s, 0, sizeof(*s));
		s->fd = -1;
		pthread_mutex_unlock(&m->mtx);
		return (error);
	}
	s->host = p;
	*hostp = p;
	pthread_mutex_unlock(&m->mtx);
	return (0);
}

int
vmm_mem_mmap(struct vmm_mem *m, uint64_t gpa, int segid, uint64_t off,
    size_t len, int prot)
{
	int error;

	pthread_mutex_lock(&m->mtx);
	error = mmap_locked(m, gpa, segid, off, len, prot);
	pthread_mutex_unlock(&m->mtx);
	return (error);
}

/*
 * Before a shadowing mapping goes: sysmem's pages back in its place
 * (lowmem is sysmem from offset 0), so the RAM shows again.  Then the
 * range left for the guard is what lies above lowmem: gpa and len are
 * moved past the part given back.
 */
static int
unshadow(struct vmm_mem *m, uint64_t *gpa, size_t *len)
{
	uint64_t n;

	n = m->lowmem - *gpa < *len ? m->lowmem - *gpa : *len;
	if (mmap(m->base + *gpa, n, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_FIXED | MAP_NORESERVE, m->segs[VM_SYSMEM].fd, (off_t)*gpa) ==
	    MAP_FAILED)
		return (-errno);
	madvise(m->base + *gpa, n, m->incore ? MADV_DODUMP : MADV_DONTDUMP);
	*gpa += n;
	*len -= n;
	return (0);
}

/* Like FreeBSD's vm_munmap_memseg: removes the mapping [gpa, gpa+len). */
int
vmm_mem_munmap(struct vmm_mem *m, uint64_t gpa, size_t len)
{
	uint64_t g;
	size_t l;
	int error = -EINVAL;

	pthread_mutex_lock(&m->mtx);
	for (int i = 0; i < VMM_MAX_MEMMAPS; i++) {
		struct vmm_map *mp = &m->maps[i];

		if (!atomic_load(&mp->used) || mp->gpa != gpa ||
		    mp->len != len)
			continue;
		/* sysmem stays: FreeBSD refuses to unmap it too. */
		if (m->segs[mp->segid].sysmem) {
			error = -EPERM;
			break;
		}
		g = gpa;
		l = len;
		if (is_shadow(m, mp->segid, g, l) &&
		    (error = unshadow(m, &g, &l)) != 0)
			break;
		atomic_store(&mp->used, false);
		shadow_update_locked(m, 0, 0);
		/* Back to guard: accesses fault instead of reaching the fd. */
		error = 0;
		if (l > 0 && mmap(m->base + g, l, PROT_NONE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			error = -errno;
		break;
	}
	pthread_mutex_unlock(&m->mtx);
	return (error);
}

void
vmm_mem_set_dump(struct vmm_mem *m, bool incore)
{
	pthread_mutex_lock(&m->mtx);
	m->incore = incore;
	for (int i = 0; i < VMM_MAX_MEMMAPS; i++) {
		struct vmm_map *mp = &m->maps[i];

		if (atomic_load(&mp->used))
			madvise(m->base + mp->gpa, mp->len,
			    incore ? MADV_DODUMP : MADV_DONTDUMP);
	}
	pthread_mutex_unlock(&m->mtx);
}

/* [gpa, gpa+len) inside [start, start+size)?  No sums that can wrap. */
static bool
range_in(uint64_t gpa, uint64_t len, uint64_t start, uint64_t size)
{
	if (gpa < start)
		return (false);
	gpa -= start;
	return (gpa < size && len <= size - gpa);
}

void *
vmm_mem_map_gpa(struct vmm_mem *m, uint64_t gpa, size_t len)
{
	/* Shadowed RAM is not the guest's: its writes would fault here. */
	if (m->lowmem > 0 && range_in(gpa, len, 0, m->lowmem) &&
	    !in_shadow(m, gpa, len == 0 ? 1 : len))
		return (m->base + gpa);
	if (m->highmem > 0 && range_in(gpa, len, VMM_HIGHMEM_BASE,
	    m->highmem))
		return (m->base + gpa);
	return (NULL);
}

uint64_t
vmm_mem_rev_map(struct vmm_mem *m, const void *host)
{
	const uint8_t *p = host;
	uint64_t gpa;

	if (p < m->base || p >= m->base + m->limit)
		return ((uint64_t)-1);
	gpa = (uint64_t)(p - m->base);
	if (vmm_mem_map_gpa(m, gpa, 1) == NULL)
		return ((uint64_t)-1);
	return (gpa);
}

/* The mapping the guest sees at gpa: devmem over a shadowed sysmem. */
static const struct vmm_map *
find_map(struct vmm_mem *m, uint64_t gpa)
{
	const struct vmm_map *sys = NULL;

	for (int i = 0; i < VMM_MAX_MEMMAPS; i++) {
		const struct vmm_map *mp = &m->maps[i];

		if (!atomic_load_explicit(&mp->used, memory_order_acquire))
			continue;
		if (gpa < mp->gpa || gpa - mp->gpa >= mp->len)
			continue;
		if (!m->segs[mp->segid].sysmem)
			return (mp);
		sys = mp;
	}
	return (sys);
}

uint8_t *
vmm_mem_ram_page(struct vmm_mem *m, uint64_t gpa, bool write)
{
	const struct vmm_map *mp;

	gpa &= ~VMM_PAGE_MASK;
	/* Fast path: sysmem is always read-write-execute. */
	if ((gpa < m->lowmem && !in_shadow(m, gpa, 1)) ||
	    gpa - VMM_HIGHMEM_BASE < m->highmem)
		return (m->base + gpa);
	mp = find_map(m, gpa);
	if (mp == NULL)
		return (NULL);
	if (write ? (mp->prot & PROT_WRITE) == 0 : (mp->prot & PROT_READ) == 0)
		return (NULL);
	return (m->base + gpa);
}

int
vmm_mem_prot(struct vmm_mem *m, uint64_t gpa)
{
	const struct vmm_map *mp = find_map(m, gpa);

	return (mp == NULL ? -1 : mp->prot);
}

size_t
vmm_mem_lowmem(struct vmm_mem *m)
{
	return (m->lowmem);
}

size_t
vmm_mem_highmem(struct vmm_mem *m)
{
	return (m->highmem);
}

uint64_t
vmm_mem_top(struct vmm_mem *m)
{
	uint64_t top = VMM_HIGHMEM_BASE;

	for (int i = 0; i < VMM_MAX_MEMMAPS; i++) {
		const struct vmm_map *mp = &m->maps[i];

		if (atomic_load(&mp->used) && mp->gpa + mp->len > top)
			top = mp->gpa + mp->len;
	}
	return (top);
}

uint8_t *
vmm_mem_base(struct vmm_mem *m)
{
	return (m->base);
}
