//go:build interop

package interop

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultDeadline bounds one schedule: well above the workload's own limit
// (60 s without progress), which reports a hang first, with the state of
// both sides.
const faultDeadline = 180 * time.Second

// TestFaultInjection runs the workload (connect, > 1 MB result, COPY both
// ways, pipeline mode) through the Go libpq under faultshim.so: send() and
// recv() return EAGAIN, EINTR and short counts at seeded random points.
// Every schedule must finish with every byte right: the faults are all
// ones a kernel may produce, so a failure is a bug. Through the helper
// process the faults hit libpq's plaintext socket to the helper (the
// helper, a Go program, makes its system calls directly).
func TestFaultInjection(t *testing.T) {
	f := newFixture(t)
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")

	// Without faults first, and the same workload through the OpenSSL
	// libpq, so that a failure below is about the faults.
	for _, env := range [][]string{{"LD_LIBRARY_PATH=" + goPrefix + "/lib"}, {"LD_LIBRARY_PATH=" + goPrefix + "/lib", helperEnv},
		{"LD_LIBRARY_PATH=" + osslPrefix + "/lib"}} {
		r := client(t, f.home, env, tool("pgtls_workload"), conninfo)
		if r.err != nil || strings.TrimSpace(r.stdout) != "ok" {
			t.Fatalf("workload with %v, no faults: %s", env, r)
		}
	}

	schedules := 1000
	if s := os.Getenv("FAULT_SCHEDULES"); s != "" {
		schedules, _ = strconv.Atoi(s)
	}
	t.Run("in-process", func(t *testing.T) { runSchedules(t, f, conninfo, schedules, nil) })
	t.Run("helper", func(t *testing.T) { runSchedules(t, f, conninfo, schedules/4, []string{helperEnv}) })
}

// runSchedules runs the workload under schedules fault schedules, two at
// a time.
func runSchedules(t *testing.T, f *fixture, conninfo string, schedules int, env []string) {
	var (
		next    atomic.Int64
		mu      sync.Mutex
		failed  []string
		workers sync.WaitGroup
	)
	for w := 0; w < 2; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for {
				seed := next.Add(1)
				if seed > int64(schedules) {
					return
				}
				r := runClient(faultDeadline, f.home, append([]string{
					"LD_PRELOAD=" + tool("faultshim.so"),
					fmt.Sprintf("FAULT_SEED=%d", seed),
				}, env...), tool("pgtls_workload"), conninfo)
				if r.err != nil || strings.TrimSpace(r.stdout) != "ok" {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("FAULT_SEED=%d: %s", seed, r))
					mu.Unlock()
				}
			}
		}()
	}
	workers.Wait()
	if len(failed) > 0 {
		t.Errorf("%d of %d schedules failed; first ones:\n%s", len(failed), schedules, strings.Join(failed[:min(3, len(failed))], "\n"))
	}
	t.Logf("%d fault schedules, %d failed", schedules, len(failed))
}
