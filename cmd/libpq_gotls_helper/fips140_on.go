//go:build pggotls_fips140_on

// Built with FIPS140=on (see the Makefile): the helper starts in this FIPS
// 140-3 mode when GODEBUG does not say otherwise.

//go:debug fips140=on

package main
