package main

import (
	"os"
	"runtime"
)

// minProcs is the fewest Ps (GOMAXPROCS) the library runs with.
//
// Every C thread that has called into Go keeps a P while it is back in C
// (the runtime treats it as a goroutine in a system call). When every P is
// held that way, sysmon takes Ps back every 20 µs and the next call has to
// hand one over between threads: on 2 cores, where GOMAXPROCS defaults to
// 2, that doubled the client's context switches under pgbench -S -c 8
// -j 2. With spare Ps sysmon leaves them alone. The extra Ps cost a few
// kilobytes each, not threads. See docs/performance.md.
const minProcs = 8

func init() {
	if os.Getenv("GOMAXPROCS") != "" {
		return // the user's choice stands
	}
	if runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
}
