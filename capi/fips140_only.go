//go:build pggotls_fips140_only

// Built with FIPS140=only (see the Makefile): the //go:debug line records the
// mode in the build info, which SHOW ssl_library reads from the file; the
// Makefile's -X sets it for the runtime, since its own -X replaces the one
// the go command derives from this line.

//go:debug fips140=only

package main
