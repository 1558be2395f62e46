package main

/*
#include "../libpq_tls.h"
*/
import "C"

import (
	"runtime/cgo"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// session is what a gotls_session handle refers to.
type session struct {
	s         *pgtls.Session
	transport *callbackTransport
	buffered  *C.gotls_buffered // see buffered.go
}

func newHandle(s *session) C.gotls_session { return C.gotls_session(cgo.NewHandle(s)) }

// lookup resolves a handle. A zero, closed or foreign handle yields nil
// rather than the panic cgo.Handle.Value would raise inside a C program.
func lookup(h C.gotls_session) (s *session) {
	if h == 0 {
		return nil
	}
	defer func() {
		if recover() != nil {
			s = nil
		}
	}()
	s, _ = cgo.Handle(h).Value().(*session)
	return s
}

func deleteHandle(h C.gotls_session) {
	defer func() { _ = recover() }()
	cgo.Handle(h).Delete()
}
