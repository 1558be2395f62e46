package main

/*
#include <stdlib.h>
#include "../libpq_tls.h"
*/
import "C"

import "unsafe"

// copyOut copies s into the caller's buffer buf of size n, truncated and
// NUL-terminated as libpq_tls.h promises, and returns len(s).
func copyOut(s string, buf *C.char, n C.size_t) int {
	if buf != nil && n > 0 {
		dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
		m := copy(dst[:len(dst)-1], s)
		dst[m] = 0
	}
	return len(s)
}

// copyBytes copies b into buf without a terminator and returns len(b).
func copyBytes(b []byte, buf *C.char, n C.size_t) int {
	if buf != nil && n > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)), b)
	}
	return len(b)
}

// goString reads an optional C string: NULL is "".
func goString(p *C.gotls_cchar) string {
	if p == nil {
		return ""
	}
	return C.GoString((*C.char)(unsafe.Pointer(p)))
}

var godebugName = C.CString("GODEBUG")

// godebugNow is GODEBUG as the C library sees it now, which is not always
// what Go saw at start (pgtls.FIPSEnvironmentProblem).
func godebugNow() string {
	return goString(C.getenv(godebugName))
}
