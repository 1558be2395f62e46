package tlsd

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Stats is what the daemon holds, for a DBA and for the tests that check
// that abandoned sessions leave nothing behind.
type Stats struct {
	Sessions    int64  // connections being served, handshakes included
	Handshaking int64  // of those, still in their TLS handshake
	Goroutines  int    // runtime.NumGoroutine
	HeapBytes   uint64 // live heap after a forced collection
	RSSBytes    uint64 // resident set size; 0 if /proc is unavailable
}

// Stats collects the daemon's figures. It runs a garbage collection so
// that HeapBytes counts only what is still reachable: call it on request,
// not on a hot path.
func (d *Daemon) Stats() Stats {
	// Twice: what a finalizer releases (a closed socket's file) is freed
	// by the collection after the one that ran the finalizer.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return Stats{
		Sessions:    d.active.Load(),
		Handshaking: d.handshaking.Load(),
		Goroutines:  runtime.NumGoroutine(),
		HeapBytes:   m.HeapAlloc,
		RSSBytes:    residentBytes(),
	}
}

// String is the log line pg_tlsd writes on SIGUSR1.
func (s Stats) String() string {
	return fmt.Sprintf("status: %d sessions (%d in handshake), %d goroutines, %d bytes of live heap, %d bytes resident",
		s.Sessions, s.Handshaking, s.Goroutines, s.HeapBytes, s.RSSBytes)
}

func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
