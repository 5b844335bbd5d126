package certs

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// RSA key sizes we accept. Below 2048 bits is refused by Cloudflare and by
// browsers; above 8192 bits every TLS handshake costs the edge tens of
// milliseconds of CPU, which one tenant could use against all others.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// parseKey decodes the uploaded private key: PKCS#8, PKCS#1 (RSA) or SEC1
// (EC), RSA or ECDSA only, as Cloudflare accepts. Public messages are fixed
// sentences; no part of the key is ever quoted.
func parseKey(keyPEM string) (crypto.Signer, error) {
	if strings.TrimSpace(keyPEM) == "" {
		return nil, invalid(ReasonKeyUnparseable, "No private key was provided.", nil)
	}
	if len(keyPEM) > maxKeyInput {
		return nil, invalid(ReasonKeyUnparseable,
			"The private key is larger than "+sizeText(maxKeyInput)+".", nil)
	}
	// A few blocks are enough: "EC PARAMETERS" may precede an EC key.
	blocks, err := splitPEM([]byte(keyPEM), 4)
	if err != nil {
		return nil, invalid(ReasonKeyUnparseable, "The private key is not valid PEM: "+err.Error()+".", err)
	}
	var keyBlock *pem.Block
	for _, b := range blocks {
		switch {
		case b.Type == "EC PARAMETERS":
			continue // openssl ecparam -genkey writes it; the key repeats the curve
		case b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED"):
			return nil, invalid(ReasonKeyUnparseable,
				"The private key is encrypted with a passphrase; upload it unencrypted.", nil)
		case b.Type == "OPENSSH PRIVATE KEY":
			return nil, invalid(ReasonKeyUnparseable,
				"The private key is in OpenSSH format; convert it to PKCS#8 PEM (BEGIN PRIVATE KEY).", nil)
		case b.Type == "CERTIFICATE":
			return nil, invalid(ReasonKeyUnparseable,
				"The key field holds a certificate, not a private key.", nil)
		case !isKeyBlock(b.Type):
			return nil, invalid(ReasonKeyUnparseable,
				fmt.Sprintf("The key field holds a %s PEM block, not a private key.", blockName(b.Type)), nil)
		case keyBlock != nil:
			return nil, invalid(ReasonKeyUnparseable, "The key field holds more than one private key.", nil)
		}
		keyBlock = b
	}
	if keyBlock == nil {
		return nil, invalid(ReasonKeyUnparseable, "No private key was found in the key field.", nil)
	}
	key, err := parseKeyDER(keyBlock.Bytes)
	if err != nil {
		return nil, invalid(ReasonKeyUnparseable,
			"The private key cannot be parsed; use an unencrypted PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM key.", err)
	}
	return checkKeyType(key)
}

// parseKeyDER tries every encoding whatever the PEM label says, since tools
// often mislabel keys (PKCS#8 under "RSA PRIVATE KEY" and the like).
func parseKeyDER(der []byte) (any, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not a PKCS#8, PKCS#1 or SEC1 private key")
}

// checkKeyType keeps RSA and ECDSA keys of sizes TLS clients accept.
func checkKeyType(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, invalid(ReasonKeyUnparseable,
				fmt.Sprintf("The RSA key has %d bits; use %d to %d bits.", bits, minRSABits, maxRSABits), nil)
		}
		return k, nil
	case *ecdsa.PrivateKey:
		// P-521 is left out on purpose: BoringSSL, and so Chrome, does not
		// verify P-521 signatures by default, so such a certificate would
		// fail in most browsers.
		switch k.Curve {
		case elliptic.P256(), elliptic.P384():
			return k, nil
		}
		return nil, invalid(ReasonKeyUnparseable,
			fmt.Sprintf("The ECDSA key uses curve %s; use P-256 or P-384.", k.Curve.Params().Name), nil)
	case ed25519.PrivateKey:
		return nil, invalid(ReasonKeyUnparseable,
			"Ed25519 keys are not supported; use an RSA or ECDSA key.", nil)
	case *ecdh.PrivateKey:
		return nil, invalid(ReasonKeyUnparseable,
			"X25519/X448 keys cannot sign; use an RSA or ECDSA key.", nil)
	}
	return nil, invalid(ReasonKeyUnparseable,
		fmt.Sprintf("Keys of type %T are not supported; use an RSA or ECDSA key.", key), nil)
}
