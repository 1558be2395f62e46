package main

/*
#include "../libpq_tls.h"
*/
import "C"

import (
	"runtime/cgo"
	"sync/atomic"
	"unsafe"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// session is what a gotls_session handle refers to.
type session struct {
	s         *pgtls.Session
	transport *callbackTransport
	buffered  *C.gotls_buffered // see buffered.go
	input     unsafe.Pointer    // the record layer's input buffer, C memory (buffered.go)
	hsMirror  unsafe.Pointer    // C memory for gotls_carry.handshake (carry.go)
	hsCap     int
	closed    atomic.Bool // set by gotls_close; lookup then refuses it
}

func newHandle(s *session) C.gotls_session { return C.gotls_session(cgo.NewHandle(s)) }

// lastLookup remembers the last handle resolved. cgo.Handle.Value is a
// lookup in a concurrent hash map, 6 % of the library's time in a
// select-only run; most programs drive one connection, or a few in turn,
// so one entry saves nearly all of it. cgo.Handle never reuses a value.
var lastLookup atomic.Pointer[handleEntry]

type handleEntry struct {
	h C.gotls_session
	s *session
}

// lookup resolves a handle. A zero, closed or foreign handle yields nil
// rather than the panic cgo.Handle.Value would raise inside a C program.
func lookup(h C.gotls_session) *session {
	if h == 0 {
		return nil
	}
	if e := lastLookup.Load(); e != nil && e.h == h {
		if e.s.closed.Load() {
			return nil
		}
		return e.s
	}
	s := lookupSlow(h)
	if s != nil {
		lastLookup.Store(&handleEntry{h, s})
	}
	return s
}

func lookupSlow(h C.gotls_session) (s *session) {
	defer func() {
		if recover() != nil {
			s = nil
		}
	}()
	s, _ = cgo.Handle(h).Value().(*session)
	return s
}

// deleteHandle ends h. The session is marked closed first, so that a
// stale cache entry cannot resolve to it.
func deleteHandle(h C.gotls_session, s *session) {
	s.closed.Store(true)
	if e := lastLookup.Load(); e != nil && e.h == h {
		lastLookup.CompareAndSwap(e, nil)
	}
	defer func() { _ = recover() }()
	cgo.Handle(h).Delete()
}
