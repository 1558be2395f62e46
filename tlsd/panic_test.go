package tlsd

import (
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

// A panic while answering a backend's query (they print the client's
// certificate, attacker-controlled input) ends that session only, with a
// logged error (issue 9, item 7). The panic is provoked with a session
// whose client certificate is missing its parsed form, a state the
// daemon never builds itself.
func TestPanicAnsweringAQueryEndsOnlyThatSession(t *testing.T) {
	var logged strings.Builder
	var mu sync.Mutex
	d := &Daemon{Log: log.New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), "", 0)}
	channel := socketpair(t, unix.SOCK_SEQPACKET)
	backendEnd := os.NewFile(uintptr(channel[0]), "backend")
	defer backendEnd.Close()
	s := &session{d: d, channel: fileUnixConn(t, channel[1]), established: true,
		peer: &pgtls.ClientCertificate{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serveChannel()
	}()
	query := append(appendInts(nil, queryMagic, queryNameField, 0), "CN"...)
	if _, err := backendEnd.Write(query); err != nil {
		t.Fatal(err)
	}
	_ = backendEnd.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := backendEnd.Read(make([]byte, 512)); err != io.EOF {
		t.Errorf("backend read %d bytes, %v; want the channel closed", n, err)
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "internal error answering a backend, connection dropped") {
		t.Errorf("log %q, want the panic reported", logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
