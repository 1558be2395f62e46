//go:build pggotls_fips140_only

// Built with FIPS140=only (see the Makefile): the helper starts in this FIPS
// 140-3 mode when GODEBUG does not say otherwise.

//go:debug fips140=only

package main
