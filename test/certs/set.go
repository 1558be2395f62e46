package certs

import (
	"net"
	"path/filepath"
)

// Set is a directory of freshly minted test credentials:
//
//	root.crt      the root CA (what clients and the server trust)
//	server.crt    localhost / 127.0.0.1 / ::1, with its intermediate CA
//	server.key
//	client.crt    CN=<ClientUser>, with its intermediate CA
//	client.key
type Set struct {
	Dir        string
	ClientUser string

	Root, ServerCA, ClientCA *Cert
	Server, Client           *Cert
}

// Path returns the path of a file of the set.
func (s *Set) Path(name string) string { return filepath.Join(s.Dir, name) }

// NewSet mints a standard set into dir.
func NewSet(dir, clientUser string) (*Set, error) {
	s := &Set{Dir: dir, ClientUser: clientUser}
	var err error
	if s.Root, err = New(Template{CommonName: "pg-gotls test root CA", IsCA: true}, nil); err != nil {
		return nil, err
	}
	if s.ServerCA, err = New(Template{CommonName: "pg-gotls test server CA", IsCA: true}, s.Root); err != nil {
		return nil, err
	}
	if s.ClientCA, err = New(Template{CommonName: "pg-gotls test client CA", IsCA: true}, s.Root); err != nil {
		return nil, err
	}
	if s.Server, err = New(Template{
		CommonName: "localhost",
		DNSNames:   []string{"localhost"},
		IPs:        []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}, s.ServerCA); err != nil {
		return nil, err
	}
	if s.Client, err = New(Template{CommonName: clientUser, Client: true}, s.ClientCA); err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{"root.crt", s.Root.CertPEM()},
		{"server.crt", s.Server.ChainPEM()},
		{"server.key", s.Server.KeyPEM()},
		{"client.crt", s.Client.ChainPEM()},
		{"client.key", s.Client.KeyPEM()},
	}
	for _, f := range files {
		if err := WriteFile(dir, f.name, f.data, 0o600); err != nil {
			return nil, err
		}
	}
	return s, nil
}
