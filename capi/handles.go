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
	want      C.int // the last call's GOTLS_OK / WANT_* / ERROR
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

// lookupConfig resolves a gotls_server_config handle, or yields nil.
func lookupConfig(h C.gotls_server_config) (c *pgtls.ServerConfig) {
	if h == 0 {
		return nil
	}
	defer func() {
		if recover() != nil {
			c = nil
		}
	}()
	c, _ = cgo.Handle(h).Value().(*pgtls.ServerConfig)
	return c
}
