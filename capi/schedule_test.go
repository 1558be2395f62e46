package main

import (
	"runtime"
	"testing"
	"time"
)

// The main goroutine keeps the main thread: a goroutine that ends locked
// to the main thread does not end the thread (the runtime parks it), and
// TestCallingThreadsAreCountedWhileTheyLive needs its threads to end.
func init() { runtime.LockOSThread() }

// The Ps grow with the calling threads, keep one spare, and stop at
// maxProcs.
func TestSpareProcsFollowTheCallingThreads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(minProcs))
	saved := userProcs
	userProcs = false
	defer func() { userProcs = saved }()

	for _, step := range []struct{ threads, procs int }{
		{1, minProcs},  // a spare already
		{7, minProcs},  // 7 threads, one spare
		{8, 16},        // every P held: doubled
		{16, 32},       // again
		{20, 32},       // spares left
		{40, maxProcs}, // doubling stops at the cap
		{500, maxProcs},
	} {
		ensureSpareProcs(step.threads)
		if got := runtime.GOMAXPROCS(0); got != step.procs {
			t.Errorf("with %d calling threads: GOMAXPROCS %d, want %d", step.threads, got, step.procs)
		}
	}
}

// A GOMAXPROCS the user set stands.
func TestUserProcsStand(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	saved := userProcs
	userProcs = true
	defer func() { userProcs = saved }()

	ensureSpareProcs(100)
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS %d, want the user's 3", got)
	}
}

// Threads are counted on their first call and uncounted when they exit
// (the pthread key's destructor), so that the count is of live threads.
func TestCallingThreadsAreCountedWhileTheyLive(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	const n = 5
	before := liveThreads()
	called := make(chan struct{})
	release := make(chan struct{})
	for range n {
		go func() {
			// Never unlocked: the thread exits with the goroutine, so
			// no thread that has checked in is used again.
			runtime.LockOSThread()
			checkIn()
			called <- struct{}{}
			<-release
		}()
	}
	for range n {
		<-called
	}
	if got := liveThreads() - before; got != n {
		t.Fatalf("%d threads checked in, %d counted", n, got)
	}
	close(release)
	// Thread exit runs after the goroutines end; the deadline only turns
	// a missing destructor into a failure instead of a hang.
	deadline := time.Now().Add(30 * time.Second)
	for liveThreads() != before {
		if time.Now().After(deadline) {
			t.Fatalf("%d threads exited, %d still counted", n, liveThreads()-before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
