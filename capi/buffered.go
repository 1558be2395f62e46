package main

/*
#include <stdlib.h>
#include "../libpq_tls.h"
*/
import "C"

import (
	"unsafe"

	"github.com/pg-gotls/pg-gotls/tls/record"
)

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
	// The space is in the C memory of newInput, so C may keep it.
	s.buffered.read_space, s.buffered.read_space_len = nil, 0
	if space := s.s.ReadSpace(); len(space) > 0 {
		s.buffered.read_space = (*C.uchar)(unsafe.Pointer(&space[0]))
		s.buffered.read_space_len = C.size_t(len(space))
	}
	s.publishCarry()
}

// newInput is the session's record layer's input buffer (SetInputBuffer):
// C memory, because C reads the socket into it (gotls_buffered.read_space).
func (s *session) newInput() []byte {
	s.input = C.malloc(C.size_t(record.InputSize))
	return unsafe.Slice((*byte)(s.input), record.InputSize)
}

// free releases the session's C memory, once the session is closed.
func (s *session) free() {
	s.freeCarry()
	C.free(unsafe.Pointer(s.buffered))
	C.free(s.input)
	s.buffered, s.input = nil, nil
}

//export gotls_buffered_state
func gotls_buffered_state(h C.gotls_session) *C.gotls_cbuffered {
	s := lookup(h)
	if s == nil {
		return nil
	}
	return (*C.gotls_cbuffered)(s.buffered)
}
