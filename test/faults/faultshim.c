/*
 * faultshim.so: an LD_PRELOAD library that makes a program's socket I/O
 * misbehave the way a loaded network and a busy process do, at points
 * chosen by a seeded generator, so that a failing schedule can be replayed.
 *
 *   FAULT_SEED=N     the schedule (required; without it nothing is injected)
 *   FAULT_RATE=P     percent of calls that get a fault (default 30)
 *
 * On send()/recv() (what libpq uses) on TCP sockets it injects, before
 * doing the real call:
 *   - EAGAIN without doing anything (the caller must poll and retry);
 *   - EINTR without doing anything (the caller must retry at once);
 *   - a short count: the real call with a length cut to 1..len-1 bytes.
 * Data is never lost or reordered: every fault is one the kernel may
 * produce itself, so a correct program must still get every byte right.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>

static ssize_t (*real_send) (int, const void *, size_t, int);
static ssize_t (*real_recv) (int, void *, size_t, int);
static uint64_t state;
static int	rate = 30;
static int	enabled;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((constructor))
static void
init(void)
{
	const char *seed = getenv("FAULT_SEED");
	const char *r = getenv("FAULT_RATE");

	real_send = dlsym(RTLD_NEXT, "send");
	real_recv = dlsym(RTLD_NEXT, "recv");
	if (seed != NULL)
	{
		state = strtoull(seed, NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
		enabled = 1;
	}
	if (r != NULL)
		rate = atoi(r);
}

/* splitmix64: small, good enough, and the same everywhere */
static uint64_t
next(void)
{
	uint64_t	z;

	pthread_mutex_lock(&lock);
	z = (state += 0x9E3779B97F4A7C15ULL);
	pthread_mutex_unlock(&lock);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int
is_tcp(int fd)
{
	int			type;
	int			domain;
	socklen_t	len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
		return 0;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		return 0;
	return domain == AF_INET || domain == AF_INET6;
}

/*
 * Decide the fault for one call: 0 none, or EAGAIN / EINTR, or -1 for a
 * short count (then *len is cut).
 */
static int
pick(int fd, size_t *len)
{
	uint64_t	r;

	if (!enabled || !is_tcp(fd))
		return 0;
	r = next();
	if ((int) (r % 100) >= rate)
		return 0;
	switch ((r >> 8) % 3)
	{
		case 0:
			return EAGAIN;
		case 1:
			return EINTR;
		default:
			if (*len > 1)
				*len = 1 + (r >> 16) % (*len - 1);
			return -1;
	}
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	int			f = pick(fd, &len);

	if (f > 0)
	{
		errno = f;
		return -1;
	}
	return real_send(fd, buf, len, flags);
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	int			f = pick(fd, &len);

	if (f > 0)
	{
		errno = f;
		return -1;
	}
	return real_recv(fd, buf, len, flags);
}
