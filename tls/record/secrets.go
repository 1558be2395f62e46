package record

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
)

// Secrets is a tls.Config.KeyLogWriter that keeps the first application
// traffic secrets of one connection, the only way crypto/tls gives them
// out, and passes every line on to Next (a key log file) if set.
type Secrets struct {
	Client, Server []byte
	Next           io.Writer
}

// Write takes one key log line (NSS format), as crypto/tls writes them.
func (s *Secrets) Write(line []byte) (int, error) {
	fields := bytes.Fields(line)
	if len(fields) == 3 {
		var dst *[]byte
		switch string(fields[0]) {
		case "CLIENT_TRAFFIC_SECRET_0":
			dst = &s.Client
		case "SERVER_TRAFFIC_SECRET_0":
			dst = &s.Server
		}
		if dst != nil {
			secret := make([]byte, hex.DecodedLen(len(fields[2])))
			if _, err := hex.Decode(secret, fields[2]); err == nil {
				*dst = secret
			}
		}
	}
	if s.Next != nil {
		return s.Next.Write(line)
	}
	return len(line), nil
}

// Takeover starts a record layer for a TLS 1.3 connection whose handshake
// crypto/tls has just completed, neither side having sent or received a
// record under the application keys since: input is the ciphertext
// received after the handshake's last record; buf is the layer's input
// buffer, as for NewWithInput.
func Takeover(cs tls.ConnectionState, s *Secrets, isClient bool, input, buf []byte) (*Layer, error) {
	if cs.Version != tls.VersionTLS13 {
		return nil, fmt.Errorf("record: %s is not TLS 1.3", tls.VersionName(cs.Version))
	}
	if s.Client == nil || s.Server == nil {
		return nil, fmt.Errorf("record: the handshake logged no application traffic secrets")
	}
	st := State{Suite: cs.CipherSuite, Client: isClient, ReadSecret: s.Server, WriteSecret: s.Client, Input: input}
	if !isClient {
		st.ReadSecret, st.WriteSecret = s.Client, s.Server
	}
	return NewWithInput(st, buf)
}
