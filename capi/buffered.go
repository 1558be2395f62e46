package main

/*
#include <stdlib.h>
#include "../libpq_tls.h"
*/
import "C"

import "unsafe"

// The gotls_buffered of each session lives in C memory, so that libpq can
// answer "bytes pending" between calls without calling into Go, which
// costs more than the answer (docs/performance.md, "the Go path per call").

func newBuffered() *C.gotls_buffered {
	return (*C.gotls_buffered)(C.calloc(1, C.size_t(unsafe.Sizeof(C.gotls_buffered{}))))
}

// publish brings the session's gotls_buffered up to date; every entry
// point that can change what is buffered calls it before returning.
func (s *session) publish() {
	n, exact := s.s.Buffered()
	s.buffered.plaintext = C.size_t(n)
	s.buffered.exact = 0
	if exact {
		s.buffered.exact = 1
	}
}

func (s *session) freeBuffered() {
	C.free(unsafe.Pointer(s.buffered))
	s.buffered = nil
}

//export gotls_buffered_state
func gotls_buffered_state(h C.gotls_session) *C.gotls_cbuffered {
	s := lookup(h)
	if s == nil {
		return nil
	}
	return (*C.gotls_cbuffered)(s.buffered)
}
