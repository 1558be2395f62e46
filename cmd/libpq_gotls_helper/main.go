// Command libpq_gotls_helper carries one TLS connection for a libpq that
// cannot run Go in its own process. libpq starts it (fe-gotls-helper.c)
// from beside libpq_gotls.so; it is not meant to be run by hand. See
// package helper.
package main

import (
	"fmt"
	"os"

	"github.com/pg-gotls/pg-gotls/helper"
	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "-V" || os.Args[1] == "--version") {
		fmt.Printf("libpq_gotls_helper (pg-gotls) %s\n", pgtls.LibraryVersion())
		return
	}
	// No core file with the key or the session's secrets in it.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	helper.Run()
}
