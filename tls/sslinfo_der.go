// The small DER readers and formatters the sslinfo printers share. They
// read as OpenSSL's d2i functions read (trailing bytes ignored, OIDs and
// INTEGERs of any size) and format as its i2s/i2a helpers do, so that
// sslinfo's values are the same with a Go-TLS server.

package pgtls

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// v3Parse reads one element, with or without trailing bytes: OpenSSL's
// d2i stops at the end of the element and so does not see them.
func v3Parse(der []byte) (asn1.RawValue, error) {
	var v asn1.RawValue
	_, err := asn1.Unmarshal(der, &v)
	return v, err
}

// v3Elems splits the contents of a constructed element into its elements.
func v3Elems(content []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(content) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(content, &v)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		content = rest
	}
	return out, nil
}

// v3Seq parses a SEQUENCE and returns its elements.
func v3Seq(der []byte) ([]asn1.RawValue, error) {
	v, err := v3Parse(der)
	if err != nil {
		return nil, err
	}
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagSequence || !v.IsCompound {
		return nil, fmt.Errorf("expected universal tag %d, got class %d tag %d", asn1.TagSequence, v.Class, v.Tag)
	}
	return v3Elems(v.Bytes)
}

func v3IsUniversal(v asn1.RawValue, tag int) bool {
	return v.Class == asn1.ClassUniversal && v.Tag == tag
}

func v3IsContext(v asn1.RawValue, tag int) bool {
	return v.Class == asn1.ClassContextSpecific && v.Tag == tag
}

// v3OID is OBJ_obj2txt(..., 1) of an OID's content octets; unlike
// asn1.ObjectIdentifier it takes arcs of any size.
func v3OID(content []byte) (string, error) {
	if len(content) == 0 || content[len(content)-1]&0x80 != 0 {
		return "", errors.New("bad OBJECT IDENTIFIER")
	}
	var arcs []string
	n := new(big.Int)
	for _, b := range content {
		n.Lsh(n, 7).Or(n, big.NewInt(int64(b&0x7f)))
		if b&0x80 != 0 {
			continue
		}
		if len(arcs) == 0 {
			first := int64(2)
			if n.Cmp(big.NewInt(80)) < 0 {
				first = n.Int64() / 40
			}
			arcs = append(arcs, strconv.FormatInt(first, 10))
			n.Sub(n, big.NewInt(40*first))
		}
		arcs = append(arcs, n.String())
		n.SetInt64(0)
	}
	return strings.Join(arcs, "."), nil
}

// v3BigInt decodes an INTEGER's content octets (two's complement).
func v3BigInt(content []byte) (*big.Int, error) {
	if len(content) == 0 {
		return nil, errors.New("empty INTEGER")
	}
	n := new(big.Int).SetBytes(content)
	if content[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(content))))
	}
	return n, nil
}

// v3IntString is i2s_ASN1_INTEGER: decimal below 128 bits, else 0x and
// BN_bn2hex's upper-case whole bytes.
func v3IntString(content []byte) (string, error) {
	n, err := v3BigInt(content)
	if err != nil {
		return "", err
	}
	if n.BitLen() < 128 {
		return n.String(), nil
	}
	sign := ""
	if n.Sign() < 0 {
		sign = "-"
	}
	return sign + fmt.Sprintf("0x%X", new(big.Int).Abs(n).Bytes()), nil
}

// v3HexColon is OPENSSL_buf2hexstr: "AB:CD:EF".
func v3HexColon(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02X", c)
	}
	return strings.Join(parts, ":")
}

// v3Bits reads a BIT STRING's content as OpenSSL keeps it: the unused
// bits of the last byte cleared.
func v3Bits(v asn1.RawValue) ([]byte, error) {
	if v.Tag != asn1.TagBitString || v.IsCompound || len(v.Bytes) == 0 || v.Bytes[0] > 7 {
		return nil, errors.New("bad BIT STRING")
	}
	bits := append([]byte(nil), v.Bytes[1:]...)
	if len(bits) > 0 {
		bits[len(bits)-1] &= 0xff << v.Bytes[0]
	}
	return bits, nil
}

// v3BitSet is ASN1_BIT_STRING_get_bit.
func v3BitSet(bits []byte, n int) bool {
	return n/8 < len(bits) && bits[n/8]&(0x80>>(n%8)) != 0
}

// v3CString is a C string made of ASN.1 content: %s and %.*s stop at NUL.
func v3CString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
