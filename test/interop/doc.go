// Package interop tests the --with-ssl=go libpq end to end: real psql and
// a small C client linked to it, against a real postgres server (the
// OpenSSL build) started on loopback with certificates minted for the run.
//
// It needs the two installations that `make` builds and is run by
// `make check` (build tag interop); see the Makefile for the environment.
package interop
