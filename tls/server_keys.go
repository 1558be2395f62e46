package pgtls

import (
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// ErrPassphraseRequired is wrapped by the error NewServerConfig returns
// when the key file is encrypted and ServerOptions.Passphrase is empty, so
// that the caller can word it for its situation (the backend says "cannot
// be reloaded because it requires a passphrase" on reload).
var ErrPassphraseRequired = errors.New("private key file requires a passphrase")

// loadServerKey checks and reads ssl_key_file, as be_tls_init does with
// check_ssl_key_file_permissions and SSL_CTX_use_PrivateKey_file.
func loadServerKey(name, passphrase string) (crypto.Signer, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, configError(fmt.Sprintf("could not access private key file \"%s\"", name), unwrapPathError(err))
	}
	var owner uint32
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		owner = st.Uid
	}
	if e := keyFileProblem(name, fi.Mode(), owner, uint32(os.Geteuid())); e != nil {
		return nil, e
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, configError(fmt.Sprintf("could not load private key file \"%s\"", name), unwrapPathError(err))
	}
	key, err := parsePrivateKey(data, []byte(passphrase))
	if err != nil {
		// parsePrivateKey fails with "bad decrypt" for an empty password
		// only when the key is encrypted.
		if passphrase == "" && errors.Is(err, errBadDecrypt) {
			return nil, &Error{
				Kind:    KindConfig,
				Message: fmt.Sprintf("private key file \"%s\" requires a passphrase", name),
				Err:     ErrPassphraseRequired,
			}
		}
		return nil, configError(fmt.Sprintf("could not load private key file \"%s\"", name), err)
	}
	return key, nil
}

// keyFileProblem applies the backend's rule (check_ssl_key_file_permissions
// in be-secure-common.c): a regular file, owned by the database user or
// root; if ours, no group or world access; if root's, group read at most.
// Note that when the server runs as root, a root-owned key must be 0600.
func keyFileProblem(name string, mode fs.FileMode, owner, euid uint32) *Error {
	if !mode.IsRegular() {
		return &Error{Kind: KindConfig, Message: fmt.Sprintf("private key file \"%s\" is not a regular file", name)}
	}
	if owner != euid && owner != 0 {
		return &Error{Kind: KindConfig, Message: fmt.Sprintf("private key file \"%s\" must be owned by the database user or root", name)}
	}
	// Owned by us (root included, when we are root): 0600 at most; owned
	// by root: 0640 at most.
	if keyModeTooOpen(mode, owner != euid) {
		return &Error{
			Kind:    KindConfig,
			Message: fmt.Sprintf("private key file \"%s\" has group or world access", name),
			Detail:  "File must have permissions u=rw (0600) or less if owned by the database user, or permissions u=rw,g=r (0640) or less if owned by root.",
		}
	}
	return nil
}
