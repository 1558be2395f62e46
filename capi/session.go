package main

/*
#include "../libpq_tls.h"
*/
import "C"

import (
	"syscall"
	"unsafe"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// status maps a pgtls result to GOTLS_OK / WANT_* / ERROR.
func status(err error) C.int {
	switch err {
	case nil:
		return C.GOTLS_OK
	case pgtls.ErrWantRead:
		return C.GOTLS_WANT_READ
	case pgtls.ErrWantWrite:
		return C.GOTLS_WANT_WRITE
	}
	return C.GOTLS_ERROR
}

//export gotls_handshake
func gotls_handshake(h C.gotls_session) C.int {
	s := lookup(h)
	if s == nil {
		return C.GOTLS_ERROR
	}
	err := s.s.Handshake()
	s.publish()
	return status(err)
}

//export gotls_read
func gotls_read(h C.gotls_session, buf unsafe.Pointer, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil {
		return -1
	}
	checkIn()
	return s.read(buf, n)
}

//export gotls_read_received
func gotls_read_received(h C.gotls_session, got C.ssize_t, errno C.int, buf unsafe.Pointer, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil {
		return -1
	}
	checkIn()
	// The session's next read of the socket, into read_space, is this one.
	// A caller that read elsewhere (read_space NULL) fails the session with
	// EFAULT there (readOnce).
	s.transport.early = earlyRead{true, C.uintptr_t(uintptr(unsafe.Pointer(s.buffered.read_space))), got, syscall.Errno(errno)}
	r := s.read(buf, n)
	s.transport.early = earlyRead{}
	return r
}

func (s *session) read(buf unsafe.Pointer, n C.size_t) C.ssize_t {
	if n == 0 {
		return 0
	}
	got, err := s.s.Read(unsafe.Slice((*byte)(buf), int(n)))
	s.publish()
	switch status(err) {
	case C.GOTLS_OK:
		return C.ssize_t(got)
	case C.GOTLS_ERROR:
		return -1
	}
	return 0
}

//export gotls_pending
func gotls_pending(h C.gotls_session) C.ssize_t {
	s := lookup(h)
	if s == nil {
		return 0
	}
	checkIn()
	n := s.s.Pending()
	s.publish()
	return C.ssize_t(n)
}

//export gotls_write
func gotls_write(h C.gotls_session, buf *C.gotls_cchar, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil {
		return -1
	}
	checkIn()
	if n == 0 {
		return 0
	}
	sent, err := s.s.Write(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)))
	s.publish()
	switch status(err) {
	case C.GOTLS_OK:
		return C.ssize_t(sent)
	case C.GOTLS_ERROR:
		return -1
	}
	return 0
}

//export gotls_last_error
func gotls_last_error(h C.gotls_session, errnoOut *C.int, buf *C.char, n C.size_t) C.int {
	if errnoOut != nil {
		*errnoOut = 0
	}
	s := lookup(h)
	if s == nil {
		copyOut("invalid TLS session handle", buf, n)
		return C.GOTLS_ERR_CONFIG
	}
	e := s.s.Err()
	if e == nil {
		copyOut("", buf, n)
		return C.GOTLS_ERR_NONE
	}
	copyOut(e.Message, buf, n)
	return errorKind(e, errnoOut)
}

func errorKind(e *pgtls.Error, errnoOut *C.int) C.int {
	if e.Kind == pgtls.KindTransport && errnoOut != nil {
		*errnoOut = C.int(e.Errno)
	}
	return C.int(e.Code())
}

// pgtls numbers the kinds as libpq_tls.h does: an index other than 0 here
// is a mismatch, and does not compile.
var (
	_ = [1]int{}[pgtls.KindConfig-C.GOTLS_ERR_CONFIG]
	_ = [1]int{}[pgtls.KindTransport-C.GOTLS_ERR_TRANSPORT]
	_ = [1]int{}[pgtls.KindEOF-C.GOTLS_ERR_EOF]
	_ = [1]int{}[pgtls.KindClosed-C.GOTLS_ERR_CLOSED]
	_ = [1]int{}[pgtls.KindTLS-C.GOTLS_ERR_TLS]
	_ = [1]int{}[pgtls.CodeTLSVersion-C.GOTLS_ERR_TLS_VERSION]
)

//export gotls_close
func gotls_close(h C.gotls_session) {
	s := lookup(h)
	if s == nil {
		return
	}
	s.s.Close()
	deleteHandle(h, s)
	s.free()
}
