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
// helper, a Go program, makes its system calls directly); so they do for
// a session carried on in a forked child, after a handshake in process
// under faults.
func TestFaultInjection(t *testing.T) {
	f := newFixture(t)
	conninfo := f.verifyFull()

	// Without faults first, and the same workload through the OpenSSL
	// libpq, so that a failure below is about the faults.
	for _, env := range [][]string{{"LD_LIBRARY_PATH=" + goPrefix + "/lib"}, {"LD_LIBRARY_PATH=" + goPrefix + "/lib", helperEnv},
		{"LD_LIBRARY_PATH=" + osslPrefix + "/lib"}} {
		r := client(t, f.home, env, tool("pgtls_workload"), conninfo)
		if r.err != nil || strings.TrimSpace(r.stdout) != "ok" {
			t.Fatalf("workload with %v, no faults: %s", env, r)
		}
	}
	if r := client(t, f.home, nil, tool("pgtls_workload"), conninfo, "carry"); r.err != nil || strings.TrimSpace(r.stdout) != "ok" {
		t.Fatalf("workload carried on in a child, no faults: %s", r)
	}

	schedules := 1000
	if s := os.Getenv("FAULT_SCHEDULES"); s != "" {
		schedules, _ = strconv.Atoi(s)
	}
	t.Run("in-process", func(t *testing.T) { runSchedules(t, f, schedules, nil, conninfo) })
	t.Run("helper", func(t *testing.T) { runSchedules(t, f, schedules/4, []string{helperEnv}, conninfo) })
	// Connected in process, then carried on in a forked child: faults in
	// the handshake, then on the child's plaintext socket.
	t.Run("carried", func(t *testing.T) { runSchedules(t, f, schedules/4, nil, conninfo, "carry") })
}

// runSchedules runs the workload with args under schedules fault
// schedules, two at a time.
func runSchedules(t *testing.T, f *fixture, schedules int, env []string, args ...string) {
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
				}, env...), tool("pgtls_workload"), args...)
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
