//go:build interop

package interop

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// brokenServer accepts one connection at a time, answers the SSLRequest
// with 'S' and then misbehaves as behave says.
func brokenServer(t *testing.T, behave func(c net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				// An orderly end whatever the client sent meanwhile: closing
				// with its bytes unread would answer with a reset, which
				// the client sees as EOF or as ECONNRESET depending on
				// which arrives first. Half-close, then drain until it
				// hangs up.
				defer func() {
					if tc, ok := c.(*net.TCPConn); ok {
						tc.CloseWrite()
						io.Copy(io.Discard, c)
					}
					c.Close()
				}()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				req := make([]byte, 8)
				if _, err := io.ReadFull(c, req); err != nil || binary.BigEndian.Uint32(req[4:]) != 80877103 {
					return
				}
				if _, err := c.Write([]byte{'S'}); err != nil {
					return
				}
				behave(c)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// readClientHello consumes the client's first TLS record.
func readClientHello(c net.Conn) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return
	}
	io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint16(hdr[3:])))
}

func TestBrokenPeer(t *testing.T) {
	random := make([]byte, 256)
	rand.Read(random)
	cases := []struct {
		name    string
		behave  func(c net.Conn)
		wantErr string // both libpqs' errors match it
	}{
		{"close after S", func(c net.Conn) {}, `SSL error: unexpected eof while reading`},
		{"close after ClientHello", func(c net.Conn) { readClientHello(c) }, `SSL error: unexpected eof while reading`},
		{"garbage", func(c net.Conn) { readClientHello(c); c.Write(random) }, `SSL error: wrong version number`},
		{"plaintext error message", func(c net.Conn) {
			readClientHello(c)
			c.Write([]byte("EFATAL: not really TLS\x00\x00"))
		}, `SSL error: wrong version number`},
		{"truncated record", func(c net.Conn) {
			readClientHello(c)
			c.Write([]byte{22, 3, 3, 0, 100, 2, 0, 0})
		}, `SSL error: unexpected eof while reading`},
		{"oversized record", func(c net.Conn) {
			readClientHello(c)
			c.Write([]byte{22, 3, 3, 0xff, 0xff})
			c.Write(make([]byte, 1024))
		}, `SSL error: packet length too long`},
		{"stall", func(c net.Conn) { readClientHello(c); time.Sleep(20 * time.Second) }, `timeout expired`},
	}
	home := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := brokenServer(t, c.behave)
			conninfo := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=require connect_timeout=3", port)
			for _, build := range []string{goPrefix, osslPrefix} {
				start := time.Now()
				r := client(t, home, nil, filepath.Join(build, "bin", "psql"), "-X", "-d", conninfo, "-c", "SELECT 1")
				if r.err == nil {
					t.Fatalf("%s: connected to a broken server:\n%s", build, r)
				}
				if elapsed := time.Since(start); elapsed > 15*time.Second {
					t.Errorf("%s: took %v to give up", build, elapsed)
				}
				if !regexp.MustCompile(c.wantErr).MatchString(r.stderr) {
					t.Errorf("%s: want error matching %q\n%s", build, c.wantErr, r)
				}
				t.Logf("%s: %s", filepath.Base(build), r.stderr)
			}
		})
	}
}
