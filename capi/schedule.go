package main

// How the C threads that call into the library meet Go's scheduler.
//
// Every C thread that has called into Go keeps a P (a Go scheduler slot)
// while it is back in C: the runtime treats it as a goroutine in a system
// call, and does not hand the P back of its own accord (golang/go#57103).
// Go's monitor thread, sysmon, takes such Ps back (runtime/proc.go,
// retake), and each time the next call must get a P through the
// scheduler's slow path while sysmon, having found work, polls every
// 20 µs for a while. Two things keep sysmon away from a thread that keeps
// calling in: a spare P (sysmon leaves a P in a system call alone for
// 10 ms when some P is idle) and a pass through the scheduler within every
// 10 ms (sysmon takes a P whose goroutine has not been scheduled for
// forcePreemptNS, 10 ms). docs/performance.md has the figures.

/*
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

// How often a calling thread goes through Go's scheduler: under
// forcePreemptNS (10 ms), with room for the thread's time in C between
// two calls.
#define GOTLS_PASS_EVERY_NS 8000000

// Per thread, not per session: sysmon judges the thread's P, whichever
// sessions the thread drives (pgbench -c 8 -j 2 runs four on each).
static __thread int64_t gotls_thread_last_pass;
static __thread int gotls_thread_known;

// Threads that have called in and not exited.
static atomic_int gotls_live_threads;
static pthread_key_t gotls_thread_key;
static pthread_once_t gotls_thread_key_once = PTHREAD_ONCE_INIT;

static void
gotls_thread_exit(void *unused)
{
	(void) unused;
	atomic_fetch_sub(&gotls_live_threads, 1);
}

static void
gotls_make_thread_key(void)
{
	if (pthread_key_create(&gotls_thread_key, gotls_thread_exit) != 0)
		gotls_thread_key = (pthread_key_t) -1;
}

static int
gotls_live_threads_now(void)
{
	return atomic_load(&gotls_live_threads);
}

struct gotls_thread_news
{
	int			pass_due;		// go through the scheduler now
	int			live_threads;	// on a thread's first call: threads that
								// have called in, this one included
};

static struct gotls_thread_news
gotls_thread_check_in(void)
{
	struct gotls_thread_news news = {0, 0};
	struct timespec ts;
	int64_t		now;

	if (!gotls_thread_known)
	{
		gotls_thread_known = 1;
		pthread_once(&gotls_thread_key_once, gotls_make_thread_key);
		// The destructor runs at thread exit for a non-NULL value only.
		if (gotls_thread_key != (pthread_key_t) -1)
			pthread_setspecific(gotls_thread_key, (void *) 1);
		news.live_threads = atomic_fetch_add(&gotls_live_threads, 1) + 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (now - gotls_thread_last_pass >= GOTLS_PASS_EVERY_NS)
	{
		gotls_thread_last_pass = now;
		news.pass_due = 1;
	}
	return news;
}
*/
import "C"

import (
	"os"
	"runtime"
	"sync"
)

// minProcs is the fewest Ps the library runs with: GOMAXPROCS defaults to
// the number of cores, 2 here, and two pgbench threads held both, which
// doubled the client's context switches under pgbench -S -c 8 -j 2.
const minProcs = 8

// maxProcs is the most Ps the library grows to for its calling threads.
// The garbage collector gives a quarter of the Ps a dedicated worker
// thread while it marks: beyond 64 Ps that is a crowd of threads on a
// machine of a few cores, and more threads than that contend for Ps
// again (sysmon takes them back from threads in C).
const maxProcs = 64

// userProcs is set when the user chose GOMAXPROCS: their choice stands.
var userProcs = os.Getenv("GOMAXPROCS") != ""

func init() {
	if !userProcs && runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
}

// checkIn runs at the start of each read, write and pending call.
func checkIn() {
	news := C.gotls_thread_check_in()
	if news.live_threads > 0 {
		ensureSpareProcs(int(news.live_threads))
	}
	if news.pass_due != 0 {
		// Advances the P's schedtick. Not cheap: the callback goroutine
		// is locked to its thread, so the pass hands the P to another
		// thread and back (about 7 futex calls and 5 context switches),
		// hence once per thread per GOTLS_PASS_EVERY_NS and no more.
		runtime.Gosched()
	}
}

// liveThreads is how many calling threads have not exited.
func liveThreads() int { return int(C.gotls_live_threads_now()) }

var procsMu sync.Mutex

// ensureSpareProcs keeps a P idle beyond one for each calling thread, so
// that threads in C never hold every P, up to maxProcs. It doubles, so
// that a program starting many threads changes GOMAXPROCS (a stop of the
// world) only a few times; it never shrinks.
func ensureSpareProcs(threads int) {
	if userProcs {
		return
	}
	procsMu.Lock()
	defer procsMu.Unlock()
	if have := runtime.GOMAXPROCS(0); threads+1 > have && have < maxProcs {
		runtime.GOMAXPROCS(min(2*threads, maxProcs))
	}
}
