package secretscan

import "bytes"

// Key algorithm OIDs (DER content octets) that mark a PKCS#8 PrivateKeyInfo.
var keyOIDs = []struct {
	name string
	oid  []byte
}{
	{"rsaEncryption", []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}},
	{"RSASSA-PSS", []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a}},
	{"id-ecPublicKey", []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}},
	{"DSA", []byte{0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01}},
	{"X25519", []byte{0x2b, 0x65, 0x6e}},
	{"X448", []byte{0x2b, 0x65, 0x6f}},
	{"Ed25519", []byte{0x2b, 0x65, 0x70}},
	{"Ed448", []byte{0x2b, 0x65, 0x71}},
}

// findDER reports private key structures in raw DER. base is added to
// offsets and via names the encoding the bytes were found in.
//
// Each detector starts at the "version" INTEGER that opens every private key
// structure and checks what must follow it, so that a certificate (whose
// public key and signature use the same OIDs, but never after such an
// INTEGER and never followed by an OCTET STRING) does not match.
func findDER(data []byte, base int, via string) []finding {
	var fs []finding
	add := func(i int, what string) { fs = append(fs, finding{base + i, what + via}) }
	// PKCS#8: SEQUENCE { INTEGER 0|1, SEQUENCE { OID key-algorithm, ... }, OCTET STRING }
	for _, version := range []byte{0, 1} {
		forEach(data, []byte{0x02, 0x01, version, 0x30}, func(i int) {
			if name := pkcs8At(data, i); name != "" {
				add(i, "DER PKCS#8 private key ("+name+")")
			}
		})
	}
	// SEC1: SEQUENCE { INTEGER 1, OCTET STRING key, [0] params?, [1] public key? }
	forEach(data, []byte{0x02, 0x01, 0x01, 0x04}, func(i int) {
		if sec1At(data, i) {
			add(i, "DER SEC1 EC private key")
		}
	})
	// PKCS#1: SEQUENCE { INTEGER 0, INTEGER n, INTEGER e, INTEGER d, ... }
	forEach(data, []byte{0x02, 0x01, 0x00, 0x02}, func(i int) {
		if pkcs1At(data, i) {
			add(i, "DER PKCS#1 RSA private key")
		}
	})
	return fs
}

func forEach(data, anchor []byte, f func(int)) {
	for off := 0; ; {
		j := bytes.Index(data[off:], anchor)
		if j < 0 {
			return
		}
		f(off + j)
		off += j + 1
	}
}

// pkcs8At checks a PrivateKeyInfo whose version INTEGER starts at i and
// returns the key algorithm's name, or "".
func pkcs8At(data []byte, i int) string {
	if !afterSequenceHeader(data, i) {
		return ""
	}
	algLen, p := int(at(data, i+4)), i+5 // AlgorithmIdentifier, short form
	if algLen < 5 || algLen >= 0x80 || at(data, p) != 0x06 {
		return ""
	}
	oidLen := int(at(data, p+1))
	if oidLen+2 > algLen || p+2+oidLen > len(data) {
		return ""
	}
	oid := data[p+2 : p+2+oidLen]
	if at(data, p+algLen) != 0x04 { // privateKey OCTET STRING follows the AlgorithmIdentifier
		return ""
	}
	for _, k := range keyOIDs {
		if bytes.Equal(oid, k.oid) {
			return k.name
		}
	}
	return ""
}

// sec1At checks an ECPrivateKey whose version INTEGER starts at i: a scalar
// of a curve's size, then the [0] parameters or [1] public key.
func sec1At(data []byte, i int) bool {
	n := int(at(data, i+4))
	if n < 24 || n > 66 || !afterSequenceHeader(data, i) {
		return false
	}
	next := at(data, i+5+n)
	return next == 0xa0 || next == 0xa1
}

// pkcs1At checks an RSAPrivateKey whose version INTEGER starts at i: a
// modulus of at least 1024 bits, then a short public exponent, then a long
// private exponent.
func pkcs1At(data []byte, i int) bool {
	if !afterSequenceHeader(data, i) {
		return false
	}
	n, p, ok := derLen(data, i+4)
	if !ok || n < 128 {
		return false
	}
	p += n // public exponent
	if at(data, p) != 0x02 {
		return false
	}
	e, q, ok := derLen(data, p+1)
	if !ok || e < 1 || e > 8 {
		return false
	}
	q += e // private exponent
	d, _, ok := derLen(data, q+1)
	return at(data, q) == 0x02 && ok && d >= 64
}

// afterSequenceHeader reports whether a SEQUENCE header ends at i.
func afterSequenceHeader(data []byte, i int) bool {
	switch {
	case i >= 2 && data[i-2] == 0x30 && data[i-1] < 0x80:
		return true
	case i >= 3 && data[i-3] == 0x30 && data[i-2] == 0x81:
		return true
	case i >= 4 && data[i-4] == 0x30 && data[i-3] == 0x82:
		return true
	case i >= 5 && data[i-5] == 0x30 && data[i-4] == 0x83:
		return true
	}
	return false
}

// derLen decodes the DER length at i; it returns the length and the index of
// the content.
func derLen(data []byte, i int) (n, content int, ok bool) {
	b := at(data, i)
	if i >= len(data) {
		return 0, 0, false
	}
	if b < 0x80 {
		return int(b), i + 1, true
	}
	size := int(b & 0x7f)
	if size == 0 || size > 3 || i+1+size > len(data) {
		return 0, 0, false
	}
	for _, c := range data[i+1 : i+1+size] {
		n = n<<8 | int(c)
	}
	return n, i + 1 + size, true
}

// at returns data[i], or 0 past the end, so detectors can read ahead freely.
func at(data []byte, i int) byte {
	if i < 0 || i >= len(data) {
		return 0
	}
	return data[i]
}
