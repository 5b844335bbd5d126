package columns

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/acme"
)

// authz is the stored form of acme.Authz.
type authz struct {
	URL           string `json:"url,omitempty"`
	Identifier    string `json:"identifier,omitempty"`
	Status        string `json:"status,omitempty"`
	ChallengeType string `json:"challenge_type,omitempty"`
	ChallengeURL  string `json:"challenge_url,omitempty"`
	Token         string `json:"token,omitempty"`
	KeyAuth       string `json:"key_auth,omitempty"`
	TXTValue      string `json:"txt_value,omitempty"`
}

// Authzs encodes an order's authorizations; nil when there are none.
func Authzs(as []acme.Authz) *string {
	if len(as) == 0 {
		return nil
	}
	v := make([]authz, len(as))
	for i, a := range as {
		v[i] = authz(a)
	}
	return marshal(v)
}

// ParseAuthzs decodes what Authzs encoded; nil when s is nil.
func ParseAuthzs(s *string) ([]acme.Authz, error) {
	if s == nil {
		return nil, nil
	}
	var v []authz
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return nil, fmt.Errorf("decoding authorizations: %w", err)
	}
	as := make([]acme.Authz, len(v))
	for i, a := range v {
		as[i] = acme.Authz(a)
	}
	return as, nil
}

// result is the stored form of acme.Result. Times keep nanoseconds (JSON
// RFC 3339): they come from the certificate, not from the store's clock.
// The chain and the sealed key are base64 in the JSON; a result is written
// a few times per certificate, so the third more bytes do not matter, and
// keeping it one value keeps Result's nil-ness exact.
type result struct {
	CertificateID     string    `json:"certificate_id,omitempty"`
	ChainPEM          []byte    `json:"chain_pem,omitempty"`
	KeyCiphertext     []byte    `json:"key_ciphertext,omitempty"`
	Issuer            string    `json:"issuer,omitempty"`
	SerialNumber      string    `json:"serial_number,omitempty"`
	Signature         string    `json:"signature,omitempty"`
	FingerprintSHA256 string    `json:"fingerprint_sha256,omitempty"`
	Hosts             []string  `json:"hosts,omitempty"`
	NotBefore         time.Time `json:"not_before"`
	NotAfter          time.Time `json:"not_after"`
	ARICertID         string    `json:"ari_cert_id,omitempty"`
	ARI               *window   `json:"ari,omitempty"`
}

type window struct {
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	ExplanationURL string    `json:"explanation_url,omitempty"`
	RetryAfter     time.Time `json:"retry_after"`
}

// Result encodes an Issuance's result; nil when r is nil.
func Result(r *acme.Result) *string {
	if r == nil {
		return nil
	}
	v := result{
		CertificateID: r.CertificateID, ChainPEM: r.ChainPEM, KeyCiphertext: r.KeyCiphertext,
		Issuer: r.Issuer, SerialNumber: r.SerialNumber, Signature: r.Signature,
		FingerprintSHA256: r.FingerprintSHA256, Hosts: r.Hosts,
		NotBefore: r.NotBefore, NotAfter: r.NotAfter, ARICertID: r.ARICertID,
	}
	if r.ARI != nil {
		w := window(*r.ARI)
		v.ARI = &w
	}
	return marshal(v)
}

// ParseResult decodes what Result encoded; nil when s is nil.
func ParseResult(s *string) (*acme.Result, error) {
	if s == nil {
		return nil, nil
	}
	var v result
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return nil, fmt.Errorf("decoding the issuance result: %w", err)
	}
	r := &acme.Result{
		CertificateID: v.CertificateID, ChainPEM: v.ChainPEM, KeyCiphertext: v.KeyCiphertext,
		Issuer: v.Issuer, SerialNumber: v.SerialNumber, Signature: v.Signature,
		FingerprintSHA256: v.FingerprintSHA256, Hosts: v.Hosts,
		NotBefore: v.NotBefore.UTC(), NotAfter: v.NotAfter.UTC(), ARICertID: v.ARICertID,
	}
	if v.ARI != nil {
		w := acme.Window(*v.ARI)
		w.Start, w.End, w.RetryAfter = w.Start.UTC(), w.End.UTC(), w.RetryAfter.UTC()
		r.ARI = &w
	}
	return r, nil
}
