package pgtls

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkDataPath compares the two TLS 1.3 data paths, crypto/tls's
// record layer and tls/record, in process: a client and a server Session
// over a socketpair, driven by one goroutine. "query" is a select-only
// transaction's exchange (a 100-byte query, a 300-byte answer), "copy" a
// stream of 64 KiB writes. make bench measures the same through libpq.
func BenchmarkDataPath(b *testing.B) {
	for _, path := range dataPaths[1:] {
		b.Run(path.name+"/query", func(b *testing.B) {
			c, s := sessionPair(b, path)
			query, answer := make([]byte, 100), make([]byte, 300)
			buf := make([]byte, 16<<10)
			b.ReportAllocs()
			for b.Loop() {
				mustWrite(b, c, query)
				mustRead(b, s, buf, len(query))
				mustWrite(b, s, answer)
				mustRead(b, c, buf, len(answer))
			}
		})
		b.Run(path.name+"/copy", func(b *testing.B) {
			c, s := sessionPair(b, path)
			chunk := make([]byte, 64<<10)
			buf := make([]byte, 64<<10)
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			for b.Loop() {
				// Write until the socket is full, then drain it.
				for sent := 0; sent < len(chunk); {
					n, err := c.Write(chunk[sent:])
					sent += n
					if err == ErrWantWrite {
						drain(b, s, buf)
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
			drain(b, s, buf)
		})
	}
}

// sessionPair returns a client and a server Session on path, connected
// and past their handshakes.
func sessionPair(b testing.TB, path dataPath) (client, server *Session) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	client, err = NewClient(ClientOptions{SSLMode: "require", MinProtocol: "TLSv1.3"}, &fdTransport{FD: fds[0]})
	if err != nil {
		b.Fatal(err)
	}
	server, err = NewServer(loadServerConfig(b, serverOptions(b)), &fdTransport{FD: fds[1]})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	b.Cleanup(server.Close)
	path.apply(client)
	path.apply(server)
	for cDone, sDone := false, false; !cDone || !sDone; {
		cDone = cDone || handshakeStep(b, client)
		sDone = sDone || handshakeStep(b, server)
	}
	path.check(b, client)
	path.check(b, server)
	return client, server
}

func handshakeStep(b testing.TB, s *Session) bool {
	err := s.Handshake()
	if err != nil && err != ErrWantRead && err != ErrWantWrite {
		b.Fatal(err)
	}
	return err == nil
}

func mustWrite(b testing.TB, s *Session, p []byte) {
	if n, err := s.Write(p); err != nil || n != len(p) {
		b.Fatalf("write: %d, %v", n, err)
	}
}

func mustRead(b testing.TB, s *Session, buf []byte, want int) {
	for got := 0; got < want; {
		n, err := s.Read(buf[:want-got])
		if err != nil {
			b.Fatalf("read after %d bytes: %v", got, err)
		}
		got += n
	}
}

// drain reads until the socket is empty.
func drain(b *testing.B, s *Session, buf []byte) {
	for {
		_, err := s.Read(buf)
		if err == ErrWantRead {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
