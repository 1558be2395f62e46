package main

/*
#include <errno.h>
#include "../libpq_tls.h"

static ssize_t
gotls_call_read(gotls_read_fn fn, void *ctx, void *buf, size_t len)
{
	return fn(ctx, buf, len);
}

static ssize_t
gotls_call_write(gotls_write_fn fn, void *ctx, const void *buf, size_t len)
{
	return fn(ctx, buf, len);
}
*/
import "C"

import (
	"syscall"
	"unsafe"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// callbackTransport is a pgtls.Transport over the caller's I/O callbacks.
// pgtls calls it only on the thread that called into the library, so the
// callbacks run where the C caller expects them.
type callbackTransport struct {
	read  C.gotls_read_fn
	write C.gotls_write_fn
	ctx   unsafe.Pointer
}

func (t *callbackTransport) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, errno := C.gotls_call_read(t.read, t.ctx, unsafe.Pointer(&p[0]), C.size_t(len(p)))
		if n >= 0 {
			return int(n), nil
		}
		if err := ioError(errno); err != nil {
			return 0, err
		}
	}
}

func (t *callbackTransport) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, errno := C.gotls_call_write(t.write, t.ctx, unsafe.Pointer(&p[0]), C.size_t(len(p)))
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
