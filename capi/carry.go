package main

/*
#include <stdlib.h>
#include <string.h>
#include "../libpq_tls.h"
*/
import "C"

import (
	"unsafe"
)

// A child that libpq's process forks cannot call into Go, yet may go on
// with a connection its parent made (pg_basebackup's WAL stream): it hands
// the session's state to a helper process (docs/fork.md). So the state is
// kept where C reads it, gotls_buffered.carry, brought up to date with the
// rest of gotls_buffered (publish) before every call returns. The input
// buffer is C memory already; the rest is a few words, the secrets, and
// now and then a post-handshake message cut short by a record boundary.

// publishCarry brings s.buffered.carry up to date.
func (s *session) publishCarry() {
	c := &s.buffered.carry
	st, ok := s.s.CarryState()
	// Pointers into Go's heap may not be kept in C memory: the undelivered
	// bytes must be in the C input buffer.
	if !ok || s.input == nil || len(st.ReadSecret) > C.GOTLS_MAX_SECRET || len(st.ReadSecret) != len(st.WriteSecret) {
		c.usable = 0
		return
	}
	c.client = 0
	if st.Client {
		c.client = 1
	}
	c.suite = C.uint16_t(st.Suite)
	c.useless = C.uint16_t(st.Useless)
	c.read_seq = C.uint64_t(st.ReadSeq)
	c.write_seq = C.uint64_t(st.WriteSeq)
	c.secret_len = C.size_t(len(st.ReadSecret))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&c.read_secret[0])), len(c.read_secret)), st.ReadSecret)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&c.write_secret[0])), len(c.write_secret)), st.WriteSecret)
	c.plaintext, c.plaintext_len = inputPointer(st.Plaintext), C.size_t(len(st.Plaintext))
	c.input, c.input_len = inputPointer(st.Input), C.size_t(len(st.Input))
	c.handshake, c.handshake_len = s.handshakeCopy(st.Handshake), C.size_t(len(st.Handshake))
	c.usable = 1
}

// inputPointer is where b, a part of the C input buffer, starts; nil when
// it is empty (its start may then be just past the buffer's end).
func inputPointer(b []byte) *C.uchar {
	if len(b) == 0 {
		return nil
	}
	return (*C.uchar)(unsafe.Pointer(&b[0]))
}

// handshakeCopy copies an incomplete post-handshake message into C
// memory, which grows to the largest seen and is freed with the session.
// Such a message is rare (a NewSessionTicket split across records).
func (s *session) handshakeCopy(hs []byte) *C.uchar {
	if len(hs) == 0 {
		return nil
	}
	if len(hs) > s.hsCap {
		C.free(s.hsMirror)
		s.hsMirror, s.hsCap = C.malloc(C.size_t(len(hs))), len(hs)
	}
	C.memcpy(s.hsMirror, unsafe.Pointer(&hs[0]), C.size_t(len(hs)))
	return (*C.uchar)(s.hsMirror)
}

// freeCarry forgets the secrets and releases the copy of the handshake
// message.
func (s *session) freeCarry() {
	C.explicit_bzero(unsafe.Pointer(&s.buffered.carry), C.size_t(unsafe.Sizeof(s.buffered.carry)))
	C.free(s.hsMirror)
	s.hsMirror, s.hsCap = nil, 0
}
