package helper

import (
	"bytes"
	"crypto/tls"
	"errors"
	"reflect"
	"testing"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"github.com/pg-gotls/pg-gotls/tls/record"
)

// optionsMessage builds an options message as fe-gotls-helper.c does.
func optionsMessage(sni uint32, fields ...*string) []byte {
	e := &encoder{}
	e.u32(optionsMagic)
	e.u32(sni)
	for _, f := range fields {
		if f == nil {
			e.u32(noString)
		} else {
			e.str([]byte(*f))
		}
	}
	return e.b
}

func ptr(s string) *string { return &s }

func TestDecodeOptions(t *testing.T) {
	fields := []*string{ptr("db.example"), ptr("verify-full"), ptr("/r.crt"), nil, nil, ptr("sécret"),
		nil, nil, ptr("allow"), ptr("TLSv1.2"), nil, nil, ptr("/home/u")}
	o, err := decodeOptions(optionsMessage(1, fields...))
	if err != nil {
		t.Fatal(err)
	}
	want := pgtls.ClientOptions{Host: "db.example", SSLMode: "verify-full", SSLRootCert: "/r.crt", SSLPassword: "sécret",
		SSLCertMode: "allow", MinProtocol: "TLSv1.2", HomeDir: "/home/u", SSLSNI: true}
	if o != want {
		t.Errorf("decoded %+v, want %+v", o, want)
	}

	good := optionsMessage(0, fields...)
	for name, b := range map[string][]byte{
		"empty":          nil,
		"wrong magic":    append([]byte{1, 2, 3, 4}, good[4:]...),
		"a field short":  optionsMessage(0, fields[:12]...),
		"trailing bytes": append(append([]byte{}, good...), 0),
		"truncated":      good[:len(good)-1],
		"length past end": func() []byte {
			b := append([]byte{}, good[:8]...)
			return byteOrder.AppendUint32(b, 1000)
		}(),
	} {
		if _, err := decodeOptions(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestEncodeEndAndOutcomeFailure(t *testing.T) {
	err := &pgtls.Error{Kind: pgtls.KindTLS, Message: "certificate verify failed", VersionMismatch: true}
	c := encodeEnd(err)
	if byteOrder.Uint32(c) != endMagic || int32(byteOrder.Uint32(c[4:])) != pgtls.CodeTLSVersion {
		t.Errorf("end message %x", c)
	}
	out, oerr := encodeOutcome(nil, errors.New("plain error"))
	if oerr != nil || byteOrder.Uint32(out) != outcomeMagic || int(byteOrder.Uint32(out[4:])) != len(out)-8 {
		t.Fatalf("outcome %x, %v", out, oerr)
	}
	if code := int32(byteOrder.Uint32(out[8:])); code != int32(pgtls.KindTLS) {
		t.Errorf("a plain error's code %d, want KindTLS", code)
	}
}

// TestDecodeState: the state message is the magic and record.State's
// encoding, and the largest state a layer can hold fits the helper's
// receive buffer.
func TestDecodeState(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 48)
	largest := record.State{Suite: tls.TLS_AES_256_GCM_SHA384, Client: true, ReadSecret: secret, WriteSecret: secret,
		ReadSeq: 9, WriteSeq: 11, Useless: 3, Plaintext: make([]byte, 100), Input: make([]byte, record.InputSize-100),
		Handshake: make([]byte, 65536+4)}
	enc, err := largest.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	msg := byteOrder.AppendUint32(nil, stateMagic)
	msg = append(msg, enc...)
	if len(msg) > maxFirst {
		t.Fatalf("the largest state message is %d bytes, more than the helper's %d", len(msg), maxFirst)
	}
	if !isState(msg) || isState(optionsMessage(0)) {
		t.Fatal("isState does not tell a state from options")
	}
	st, err := decodeState(msg)
	if err != nil || !reflect.DeepEqual(st, largest) {
		t.Fatalf("decoded %+v, %v", st, err)
	}
	if _, err := decodeState(msg[:len(msg)-1]); err == nil {
		t.Error("a truncated state decoded")
	}
}
