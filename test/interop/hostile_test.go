//go:build interop

package interop

// Hostile peers against the real servers (issue 9): what an attack costs
// the Go server's TLS process, measured beside the OpenSSL server, and
// the daemon's own defences (its memory closed to the server's user, a
// stuck control socket).

import (
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

// residentKB is a process's VmRSS.
func residentKB(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		t.Fatalf("no VmRSS for %d", pid)
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return kb
}

var tlsdStatusLine = regexp.MustCompile(`pg_tlsd\[\d+\]: status: (\d+) sessions \((\d+) in handshake\), (\d+) goroutines, (\d+) bytes of live heap, (\d+) bytes resident`)

type tlsdStatus struct{ sessions, handshaking, goroutines, heap, resident int }

// askTLSD sends pg_tlsd SIGUSR1 and returns the status line it logs.
func askTLSD(t *testing.T, f *fixture, pid int) tlsdStatus {
	t.Helper()
	before := len(tlsdStatusLine.FindAllString(f.srv.log(t), -1))
	must(t, syscall.Kill(pid, syscall.SIGUSR1))
	var m []string
	waitFor(t, "pg_tlsd's status line", func() bool {
		all := tlsdStatusLine.FindAllStringSubmatch(f.srv.log(t), -1)
		if len(all) > before {
			m = all[len(all)-1]
			return true
		}
		return false
	}, f.srv)
	var n [5]int
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return tlsdStatus{n[0], n[1], n[2], n[3], n[4]}
}

// Handshakes abandoned at authentication_timeout leave nothing in the
// daemon: its goroutines and live heap after a second batch of stalled
// clients are those after the first (which pays for one-time set-up).
func TestAbandonedHandshakesLeaveNothingInTheTLSProcess(t *testing.T) {
	f := biFixture(t, goPrefix, "authentication_timeout = 1s\nmax_connections = 150")
	pid := oneTLSD(t, f)
	batch := func() tlsdStatus {
		for round := 0; round < 2; round++ {
			var conns []net.Conn
			for i := range 100 {
				c := biSSLRequest(t, f.srv.port)
				if i%2 == 1 {
					// Half a ClientHello: a record header announcing 512 bytes, and 40.
					_, err := c.Write(append([]byte{22, 3, 1, 2, 0}, make([]byte, 40)...))
					must(t, err)
				}
				conns = append(conns, c)
			}
			for _, c := range conns {
				biAwaitClose(t, c, time.Now(), 60*time.Second)
				c.Close()
			}
		}
		var s tlsdStatus
		waitFor(t, "the daemon's sessions to end", func() bool {
			s = askTLSD(t, f, pid)
			return s.sessions == 0
		}, f.srv)
		return s
	}
	first := batch()
	second := batch()
	t.Logf("pg_tlsd after 200 abandoned handshakes: %+v; after 200 more: %+v", first, second)
	if second.goroutines > first.goroutines+5 {
		t.Errorf("goroutines grew from %d to %d over 200 abandoned handshakes", first.goroutines, second.goroutines)
	}
	if second.heap > first.heap+1<<20 {
		t.Errorf("live heap grew from %d to %d bytes over 200 abandoned handshakes", first.heap, second.heap)
	}
}

// floodRounds bounds the KeyUpdate flood: each round is 15 KeyUpdate
// requests and a Flush message, 100000 rounds about 40 MB of replies,
// far more than any socket buffer.
const floodRounds = 100000

// keyUpdateFlood logs in over TLS 1.3, then asks for key updates and never
// reads. It returns how many rounds were sent before the server closed
// the connection or stopped reading (floodRounds: neither happened);
// onStalled runs, connection still open, if the server stopped reading.
func keyUpdateFlood(t *testing.T, f *fixture, stallAfter time.Duration, onStalled func()) int {
	t.Helper()
	raw := biSSLRequest(t, f.srv.port)
	secrets := &record.Secrets{}
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13,
		KeyLogWriter: secrets, NextProtos: []string{"postgresql"}})
	must(t, c.Handshake())
	l, err := record.Takeover(c.ConnectionState(), secrets, true, nil, nil)
	must(t, err)

	startup := []byte{0, 0, 0, 0, 0, 3, 0, 0}
	startup = append(startup, "user\x00postgres\x00database\x00postgres\x00\x00"...)
	binary.BigEndian.PutUint32(startup, uint32(len(startup)))
	out, err := l.Seal(nil, startup)
	must(t, err)
	_, err = raw.Write(out)
	must(t, err)
	flush := []byte{'H', 0, 0, 0, 4}
	for round := range floodRounds {
		out = out[:0]
		for range 15 {
			out, err = l.UpdateKeys(out, true)
			must(t, err)
		}
		out, err = l.Seal(out, flush)
		must(t, err)
		// A server that stops reading leaves us blocked: past this
		// deadline the flood has stalled, which is the OpenSSL server's
		// defence (only measured, not asserted). For the Go server a
		// stall is a failure; the deadline turns it into one.
		_ = raw.SetWriteDeadline(time.Now().Add(stallAfter))
		if _, err := raw.Write(out); err != nil {
			t.Logf("flood round %d: %v", round, err)
			if os.IsTimeout(err) && onStalled != nil {
				onStalled()
			}
			return round
		}
	}
	return floodRounds
}

// A client that floods KeyUpdate requests and never reads costs the Go
// server bounded memory, and its connection is closed with a clear
// error; the OpenSSL server stops reading and stays flat.
func TestKeyUpdateFloodIsBounded(t *testing.T) {
	t.Run("go", func(t *testing.T) {
		f := biFixture(t, goPrefix, "")
		pid := oneTLSD(t, f)
		before := residentKB(t, pid)
		rounds := keyUpdateFlood(t, f, 60*time.Second, func() {
			t.Fatalf("pg_tlsd stopped reading the flood without closing the connection")
		})
		after := residentKB(t, pid)
		t.Logf("pg_tlsd VmRSS %d kB before, %d kB after %d rounds of 15 KeyUpdates", before, after, rounds)
		if rounds == floodRounds {
			t.Fatalf("the server read %d rounds without closing the connection", rounds)
		}
		if after > before+32<<10 {
			t.Errorf("pg_tlsd grew from %d to %d kB", before, after)
		}
		waitFor(t, "the backend to log why", func() bool {
			return strings.Contains(f.srv.log(t), "peer does not read")
		}, f.srv)
		biServerUp(t, f)
	})
	t.Run("openssl", func(t *testing.T) {
		f := biFixture(t, osslPrefix, "")
		rss := 0
		rounds := keyUpdateFlood(t, f, 5*time.Second, func() {
			out := strings.TrimSpace(f.srv.sql(t, "SELECT pid FROM pg_stat_ssl WHERE ssl AND pid <> pg_backend_pid()"))
			if backend, err := strconv.Atoi(out); err == nil {
				rss = residentKB(t, backend)
			}
		})
		t.Logf("OpenSSL server: flood stalled after %d rounds; its backend's VmRSS then %d kB", rounds, rss)
	})
}

// pg_tlsd holds the private key: its memory and core files are closed
// to the server's other processes, which run as the same user. The
// postmaster, for comparison, is dumpable, as every PostgreSQL process is.
func TestTLSProcessMemoryIsClosedToTheServersUser(t *testing.T) {
	f := newFixtureOn(t, goPrefix)
	pid := oneTLSD(t, f)
	pm := postmasterPID(t, f.srv)
	owner := func(p int) uint32 {
		st, err := os.Stat(fmt.Sprintf("/proc/%d/mem", p))
		must(t, err)
		return st.Sys().(*syscall.Stat_t).Uid
	}
	if owner(pm) != uint32(os.Getuid()) {
		t.Fatalf("the postmaster's /proc/%d/mem is owned by %d, want the test's user %d", pm, owner(pm), os.Getuid())
	}
	if owner(pid) != 0 {
		t.Errorf("pg_tlsd's /proc/%d/mem is owned by %d, want root (the process non-dumpable)", pid, owner(pid))
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err == nil {
		defer mem.Close()
		if _, err = mem.ReadAt(make([]byte, 16), 0x400000); err == nil {
			t.Fatalf("read pg_tlsd's memory as the server's user")
		}
	}
	t.Logf("reading pg_tlsd's memory: %v", err)
}

// A TLS process that stops answering on its control socket is replaced:
// otherwise its late answer, or the rest of a half-sent configuration,
// would be read out of step at the next reload. Stopped with SIGSTOP, it
// makes a reload wait out the postmaster's 30 s.
func TestStuckTLSProcessIsReplaced(t *testing.T) {
	f := newFixtureOn(t, goPrefix)
	old := oneTLSD(t, f)
	must(t, syscall.Kill(old, syscall.SIGSTOP))
	defer syscall.Kill(old, syscall.SIGCONT)
	run(t, f.srv.bin("pg_ctl"), "-D", f.srv.data, "reload")
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(f.srv.log(t), "TLS process replaced") {
		if time.Now().After(deadline) {
			t.Fatalf("no replacement of the stopped TLS process; server log:\n%s", f.srv.log(t))
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitFor(t, "the stopped daemon to be gone", func() bool {
		_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(old)))
		return err != nil
	}, f.srv)
	if now := oneTLSD(t, f); now == old {
		t.Fatalf("pg_tlsd is still PID %d", old)
	}
	conninfo := f.verifyFull()
	if r := client(t, f.home, nil, filepath.Join(goPrefix, "bin", "psql"), "-X", "-At", "-d", conninfo, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"); strings.TrimSpace(r.stdout) != "t" {
		t.Fatalf("TLS connection after the replacement: %s", r)
	}
}
