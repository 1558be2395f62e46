// Command mkcerts writes a fresh set of test certificates into a directory
// (see package certs for the file names).
//
// usage: mkcerts DIR CLIENT-USER
package main

import (
	"fmt"
	"os"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkcerts DIR CLIENT-USER")
		os.Exit(2)
	}
	if _, err := certs.NewSet(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "mkcerts:", err)
		os.Exit(1)
	}
}
