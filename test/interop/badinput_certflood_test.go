//go:build interop

package interop

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// TestBadInputCertificateFlood (issue 9): with ssl_ca_file set, a client
// sends a certificate list of 800 certificates sharing one name, each
// signed by the next key, none trusted (255 KB: over OpenSSL's 100 KiB
// max_cert_list, under crypto/tls's 256 KiB). Building the chain for the
// log message used to check a signature against every same-name
// certificate at every step: 18-27 s of pg_tlsd's CPU for one
// connection that never authenticates. Both servers must refuse it with OpenSSL's
// line, "excessive message size", and pg_tlsd must spend little CPU on
// it. A list just under the size limit gets OpenSSL's reason, the chain
// is too long for its verify depth, from both.
//
// What each server costs is logged (pg_tlsd's CPU for Go; for OpenSSL,
// where the backend does the TLS, the backend's, which the postmaster
// collects when it reaps it).
//
// The client sees each server's alert: from Go, crypto/tls's
// bad_certificate (its own chain check fails before ours sees the list);
// from OpenSSL, illegal_parameter for the size and unknown_ca for the
// chain.
func TestBadInputCertificateFlood(t *testing.T) {
	ders, key, err := certs.SameNameChain(800, "x", 0)
	must(t, err)
	underLimit := len(ders)
	for ; tls13CertListSize(ders[:underLimit]) > 100*1024; underLimit-- {
	}
	t.Logf("800 certificates: %d bytes; the first %d: %d bytes", tls13CertListSize(ders), underLimit, tls13CertListSize(ders[:underLimit]))
	c101, err := x509.ParseCertificate(ders[101])
	must(t, err)

	cases := []struct {
		name  string
		ders  [][]byte
		lines []string // regexps on the backend's lines (and continuation lines), in order
	}{
		{"800 certificates", ders, []string{`LOG:  could not accept SSL connection: excessive message size$`}},
		// The limit is OpenSSL's to the byte (for TLS 1.3).
		{fmt.Sprintf("%d certificates, just over the size limit", underLimit+1), ders[:underLimit+1], []string{
			`LOG:  could not accept SSL connection: excessive message size$`}},
		{fmt.Sprintf("%d certificates, under the size limit", underLimit), ders[:underLimit], []string{
			// The Go server's line adds the reason, as for every
			// verification failure.
			`LOG:  could not accept SSL connection: certificate verify failed(: certificate chain too long)?$`,
			`DETAIL:  Client certificate verification failed at depth 101: certificate chain too long\.$`,
			`^\tFailed certificate data \(unverified\): subject "/CN=x", serial number ` + c101.SerialNumber.String() + `, issuer "/CN=x"\.$`,
		}},
	}

	var summary []string
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			f := biFixture(t, b.prefix, "log_connections = receipt")
			// A first TLS session, so that what pg_tlsd does once (at
			// its first handshake) is not counted against the flood.
			biServerUp(t, f)
			for _, tt := range cases {
				t.Run(tt.name, func(t *testing.T) {
					cost := certFlood(t, f, b, tt.ders, key, tt.lines)
					summary = append(summary, fmt.Sprintf("%s, %s: %v of CPU", b.name, tt.name, cost))
				})
			}
		})
	}
	t.Logf("cost of one refused flight:\n%s", strings.Join(summary, "\n"))
}

// certFlood connects to f's server (build b), sends the SSLRequest and
// a TLS handshake presenting ders as the client's certificate list,
// checks that it is refused and what the backend logs, and returns the
// CPU the server spent on it.
func certFlood(t *testing.T, f *fixture, b serverBuild, ders [][]byte, key crypto.Signer, lines []string) time.Duration {
	// The CPU is pg_tlsd's for the Go server, and the backend's for the
	// OpenSSL one: the postmaster's "children" CPU once it has reaped
	// the backend (it includes any other child reaped meanwhile, which
	// makes that figure an upper bound).
	var cpu func() time.Duration
	var tlsd int
	if b.prefix == goPrefix {
		tlsd = oneTLSD(t, f)
		cpu = func() time.Duration { return procCPU(t, tlsd, false) }
	} else {
		pm := postmasterPID(t, f.srv)
		cpu = func() time.Duration { return procCPU(t, pm, true) }
	}
	before := cpu()

	c := biSSLRequest(t, f.srv.port)
	// Generous, so that a server that burns seconds on the list (the
	// unfixed one burnt 18 s) is measured rather than cut off.
	const within = 3 * time.Minute
	start := time.Now()
	c.SetDeadline(start.Add(within))
	roots := x509.NewCertPool()
	roots.AddCert(f.certs.Root.Cert)
	tc := tls.Client(c, &tls.Config{RootCAs: roots, ServerName: "localhost",
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{Certificate: ders, PrivateKey: key}, nil
		}})
	err := tc.Handshake()
	if err == nil {
		// TLS 1.3: the client is done before the server has looked at
		// its certificates; the verdict comes with the first read.
		_, err = tc.Read(make([]byte, 1))
	}
	if err == nil {
		t.Fatal("the server accepted the list")
	}
	e := biAwaitClose(t, c, start, within)

	// The line, once the backend has logged why it failed.
	pid, _ := biBackendLines(t, f.srv, biPort(c), regexp.MustCompile(`LOG:  could not accept SSL connection: `))
	got := backendText(f.srv.log(t), pid)
	if b.prefix != goPrefix {
		waitFor(t, "the backend to be reaped", func() bool {
			_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
			return os.IsNotExist(err)
		})
	}
	cost := cpu() - before
	t.Logf("%s: %d certificates (%d bytes): client: %v; closed after %v (%v); server CPU %v (in clock ticks of 10ms); backend logged:\n%s",
		b.name, len(ders), tls13CertListSize(ders), err, e.after.Round(time.Millisecond), e.err, cost, strings.Join(got, "\n"))

	next := 0
	for _, l := range got {
		if next < len(lines) && regexp.MustCompile(lines[next]).MatchString(l) {
			next++
		}
	}
	if next < len(lines) {
		t.Errorf("no backend line matching %q", lines[next])
	}
	if b.prefix == goPrefix {
		if pids := tlsdPIDs(t, f.srv.data); len(pids) != 1 || pids[0] != tlsd {
			t.Fatalf("pg_tlsd was %d, now %v: it was restarted", tlsd, pids)
		}
		// A bound on pg_tlsd's CPU time, not on elapsed time: other load
		// on the machine does not count toward it (a loaded machine
		// stretched the unfixed server's 27 s of CPU to 52 s of wall
		// time). The bounded work is parsing the list and at most 100
		// signature checks of crypto/x509's and 100 of ours, 20-40 ms;
		// the unfixed chain building cost 18-27 s for the 800
		// certificates and 4.4 s for the 321 under the size limit. 1 s
		// is 25 times the first and well under the others.
		if cost >= time.Second {
			t.Errorf("pg_tlsd spent %v of CPU on the list, want under 1s", cost)
		}
	}
	biServerUp(t, f)
	return cost
}

// tls13CertListSize is the length of the TLS 1.3 Certificate message
// body carrying ders as clients send it (what OpenSSL compares with its
// max_cert_list): empty context, list length, and for each certificate
// its length and empty extensions.
func tls13CertListSize(ders [][]byte) int {
	n := 1 + 3
	for _, d := range ders {
		n += 3 + len(d) + 2
	}
	return n
}

// procCPU is the CPU time of process pid (user and system, from
// /proc/<pid>/stat), or with children that of its children it has
// reaped.
func procCPU(t *testing.T, pid int, children bool) time.Duration {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	must(t, err)
	// The fields after the command name, which is in parentheses and
	// may hold anything: state is field 3, utime 14, stime 15, cutime
	// 16, cstime 17.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	field := func(n int) int64 {
		v, err := strconv.ParseInt(fields[n-3], 10, 64)
		must(t, err)
		return v
	}
	ticks := field(14) + field(15)
	if children {
		ticks = field(16) + field(17)
	}
	// In clock ticks, USER_HZ: 100 per second on Linux.
	return time.Duration(ticks) * 10 * time.Millisecond
}

// backendText is what the backend pid logged: its lines (with the default
// log_line_prefix '%m [%p] ') and their continuation lines, which the
// server log starts with a tab.
func backendText(log string, pid int) []string {
	var out []string
	mine := false
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "\t") {
			if mine {
				out = append(out, l)
			}
			continue
		}
		mine = strings.Contains(l, "["+strconv.Itoa(pid)+"] ")
		if mine {
			out = append(out, l)
		}
	}
	return out
}
