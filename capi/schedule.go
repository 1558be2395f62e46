package main

import (
	"runtime"
	"time"
)

// passSchedulerEvery is how often a session's calls go through the Go
// scheduler (runtime.Gosched), so that sysmon leaves the calling thread's
// P alone.
//
// A C thread that has called into Go keeps a P while it is back in C, as
// a goroutine in a system call, and its calls never pass through the
// scheduler: the P's schedtick, which only execute() advances, stays
// put. After forcePreemptNS (10 ms) of one schedtick, sysmon's retake
// (runtime/proc.go) treats the P as running one goroutine too long and
// takes it from the thread, even though the thread keeps returning; the
// next call must then get a P back through the scheduler's slow path, and
// sysmon, having found work, polls every 20 µs for a while. That churn
// cost a libpq client about 60 % more CPU and twice the context switches
// per transaction (docs/performance.md). A Gosched advances schedtick;
// half of forcePreemptNS leaves room for sysmon's sampling.
const passSchedulerEvery = 5 * time.Millisecond

// passScheduler yields once if the session has not for passSchedulerEvery.
// A thread that calls rarely yields on each call, which costs it nothing
// it would not pay anyway: its P is retaken between calls.
func (s *session) passScheduler() {
	now := time.Now()
	if now.Sub(s.lastPass) < passSchedulerEvery {
		return
	}
	s.lastPass = now
	runtime.Gosched()
}
