// Command capi is built with -buildmode=c-shared into libpq_gotls.so: the
// C functions declared in libpq_tls.h, each a thin wrapper around package
// pgtls. Nothing here makes a TLS decision.
package main

/*
#include "../libpq_tls.h"
*/
import "C"

func main() {}
