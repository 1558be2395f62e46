package main

/*
#include <errno.h>
#include <stdint.h>
#include "../libpq_tls.h"

// The callbacks and their arguments arrive as integers: see
// callbackTransport.
static ssize_t
gotls_call_read(uintptr_t fn, uintptr_t ctx, uintptr_t buf, size_t len)
{
	return ((gotls_read_fn) fn) ((void *) ctx, (void *) buf, len);
}

static ssize_t
gotls_call_write(uintptr_t fn, uintptr_t ctx, uintptr_t buf, size_t len)
{
	return ((gotls_write_fn) fn) ((void *) ctx, (const void *) buf, len);
}
*/
import "C"

import (
	"runtime"
	"syscall"
	"unsafe"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// callbackTransport is a pgtls.Transport over the caller's I/O callbacks.
// pgtls calls it only on the thread that called into the library, so the
// callbacks run where the C caller expects them.
//
// Pointers cross to C as integers. Passed as pointers, cgo checks each
// one on every call, whether it points into Go's memory (12 % of the
// library's time in a select-only run). The check guards against C keeping
// a Go pointer; here C only reads or writes the buffer during the call,
// and the buffer stays put: a heap object does not move, and the
// goroutine's stack is not moved while it is in C. runtime.KeepAlive
// keeps the buffer alive until the call returns.
type callbackTransport struct {
	read, write, ctx C.uintptr_t

	// early is a read the caller made itself, into the session's read
	// space (gotls_read_received); the next Read of that space returns it.
	// A value, not a pointer: it is set on most reads, and would otherwise
	// be an allocation each time.
	early earlyRead
}

type earlyRead struct {
	set   bool
	at    C.uintptr_t // where the bytes are
	n     C.ssize_t
	errno syscall.Errno
}

func newCallbackTransport(read C.gotls_read_fn, write C.gotls_write_fn, ctx unsafe.Pointer) *callbackTransport {
	return &callbackTransport{
		read:  C.uintptr_t(uintptr(unsafe.Pointer(read))),
		write: C.uintptr_t(uintptr(unsafe.Pointer(write))),
		ctx:   C.uintptr_t(uintptr(ctx)),
	}
}

func (t *callbackTransport) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	buf := C.uintptr_t(uintptr(unsafe.Pointer(&p[0])))
	for {
		n, errno := t.readOnce(buf, len(p))
		runtime.KeepAlive(p)
		if n >= 0 {
			return int(n), nil
		}
		if err := ioError(errno); err != nil {
			return 0, err
		}
	}
}

// readOnce is one read: the caller's early one if it is waiting, else the
// read callback's.
func (t *callbackTransport) readOnce(buf C.uintptr_t, n int) (C.ssize_t, error) {
	if e := t.early; e.set {
		t.early = earlyRead{}
		if e.at != buf || int(e.n) > n {
			// The caller read somewhere else than where the session
			// reads: its bytes are not where they belong.
			return -1, syscall.EFAULT
		}
		return e.n, e.errno
	}
	got, errno := C.gotls_call_read(t.read, t.ctx, buf, C.size_t(n))
	return got, errno
}

func (t *callbackTransport) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	buf := C.uintptr_t(uintptr(unsafe.Pointer(&p[0])))
	for {
		n, errno := C.gotls_call_write(t.write, t.ctx, buf, C.size_t(len(p)))
		runtime.KeepAlive(p)
		if n >= 0 {
			return int(n), nil
		}
		if err := ioError(errno); err != nil {
			return 0, err
		}
	}
}

// ioError maps a callback's errno: nil means "retry now" (EINTR).
func ioError(err error) error {
	errno, _ := err.(syscall.Errno)
	switch errno {
	case syscall.EINTR:
		return nil
	case syscall.EAGAIN:
		return pgtls.ErrWouldBlock
	case 0:
		// -1 without errno: treat as a failure rather than spin.
		return syscall.EIO
	}
	return errno
}
