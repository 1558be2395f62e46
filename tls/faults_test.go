package pgtls

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// faultTransport is a Transport that misbehaves the way a busy socket
// may: driven by a seeded generator, it reports would-block although the
// socket is ready, and moves fewer bytes than asked, on reads and writes.
type faultTransport struct {
	inner Transport
	rng   *rand.Rand

	blocks, shorts int  // faults injected
	off            bool // pass everything through
}

func (f *faultTransport) fault(p []byte) ([]byte, bool) {
	if len(p) == 0 || f.off {
		return p, false
	}
	if f.rng.IntN(100) < 30 {
		f.blocks++
		return nil, true
	}
	switch f.rng.IntN(3) {
	case 0: // a few bytes
		f.shorts++
		return p[:1+f.rng.IntN(min(len(p), 16))], false
	case 1: // anything up to all of it
		f.shorts++
		return p[:1+f.rng.IntN(len(p))], false
	}
	return p, false
}

func (f *faultTransport) Read(p []byte) (int, error) {
	p, block := f.fault(p)
	if block {
		return 0, ErrWouldBlock
	}
	return f.inner.Read(p)
}

func (f *faultTransport) Write(p []byte) (int, error) {
	p, block := f.fault(p)
	if block {
		return 0, ErrWouldBlock
	}
	return f.inner.Write(p)
}

// TestFaultInjection runs, for each of 300 seeds, a full handshake and a
// 256 KB echo over a transport that injects spurious would-block results
// and short reads and writes. Every run must complete and echo exactly.
func TestFaultInjection(t *testing.T) {
	t.Parallel()
	const seeds = 300
	const size = 256 << 10
	for seed := range uint64(seeds) {
		path := dataPaths[seed%uint64(len(dataPaths))]
		version := path.version
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			fd, conn := socketPair(t)
			cfg := serverConfig(t)
			cfg.MaxVersion = version
			srv := serveTLS(t, conn, cfg, echo)
			var ft *faultTransport
			c := newClient(t, fd, ClientOptions{Host: "localhost", SSLMode: "require", SSLSNI: true}, func(tr Transport) Transport {
				ft = &faultTransport{inner: tr, rng: rng}
				return ft
			})
			path.apply(c.s)
			if err := c.handshake(); err != nil {
				t.Fatalf("seed %d: handshake: %v", seed, err)
			}
			path.check(t, c.s)
			if p, _ := c.s.Attribute("protocol"); p != versionNames[version] {
				t.Fatalf("seed %d: negotiated %s, want %s", seed, p, versionNames[version])
			}
			got, err := c.echo(data)
			if err != nil {
				t.Fatalf("seed %d: echo failed after %d of %d bytes: %v", seed, len(got), size, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("seed %d: echoed data differs at byte %d", seed, firstDiff(got, data))
			}
			// Close sends close_notify only if the socket takes it at once,
			// which a faulty transport may refuse; let it through.
			ft.off = true
			c.s.Close()
			if err := srv.wait(t); err != nil {
				t.Fatalf("seed %d: server: %v", seed, err)
			}
			if ft.blocks == 0 || ft.shorts == 0 {
				t.Fatalf("seed %d: no faults injected (%d blocks, %d short)", seed, ft.blocks, ft.shorts)
			}
		})
	}
}
