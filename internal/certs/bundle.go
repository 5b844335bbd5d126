package certs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/core"
)

// bundle returns the chain the edge serves, leaf first, for a bundle method
// already known to be valid.
func bundle(leaf *x509.Certificate, others []*x509.Certificate, o Options, now time.Time) ([]*x509.Certificate, error) {
	if o.Bundle == core.BundleForce {
		return forceChain(leaf, others)
	}
	return verifiedChain(leaf, others, o, now)
}

// verifiedChain verifies the leaf against the trust store, with the uploaded
// certificates as candidate intermediates, and picks one verified path.
// Uploaded certificates that are on no chosen path are not served.
func verifiedChain(leaf *x509.Certificate, others []*x509.Certificate, o Options, now time.Time) ([]*x509.Certificate, error) {
	inter := x509.NewCertPool()
	for _, c := range others {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         o.Roots, // nil: the system roots
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, invalid(ReasonBundleFailed, "The certificate cannot be bundled with a trusted root: "+verifyReason(leaf, err), err)
	}
	best := chains[0]
	for _, c := range chains[1:] {
		if better(c, best, o.Bundle) {
			best = c
		}
	}
	if len(best) == 1 {
		return best, nil // the leaf itself is a trust anchor
	}
	return best[:len(best)-1], nil // clients hold the root; sending it wastes bytes
}

// better reports whether chain a beats chain b for the bundle method.
// Without per-platform trust data (which cfssl has and we do not) length is
// the signal: "optimal" wants the fewest bytes on the wire, so the shortest
// chain, then the one that stays valid longest; "ubiquitous" wants the most
// clients, so the longest chain, which reaches an older root through a
// cross-signature, then the one whose root is oldest.
func better(a, b []*x509.Certificate, m core.BundleMethod) bool {
	if m == core.BundleOptimal {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return chainExpiry(a).After(chainExpiry(b))
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a[len(a)-1].NotBefore.Before(b[len(b)-1].NotBefore)
}

func chainExpiry(chain []*x509.Certificate) time.Time {
	t := chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotAfter.Before(t) {
			t = c.NotAfter
		}
	}
	return t
}

// forceChain serves the upload as given, with no trust store check: the leaf
// first, then each certificate's issuer from the bundle, until a certificate
// whose issuer was not uploaded (normally the one a root signed) or a
// self-signed root. Following issuers rather than upload positions also
// accepts bundles uploaded root-first; every uploaded certificate must lie on
// that path, so a stray certificate is refused rather than served.
func forceChain(leaf *x509.Certificate, others []*x509.Certificate) ([]*x509.Certificate, error) {
	chain := []*x509.Certificate{leaf}
	rest := append([]*x509.Certificate(nil), others...)
	for cur := leaf; len(rest) > 0 && !selfSigned(cur); {
		i, err := findIssuer(cur, rest)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			break
		}
		cur = rest[i]
		chain = append(chain, cur)
		rest = append(rest[:i], rest[i+1:]...)
	}
	if len(rest) > 0 {
		return nil, invalid(ReasonBundleFailed,
			fmt.Sprintf("Certificate %s is not part of the chain from the leaf; remove it or fix the bundle order.", describe(rest[0])), nil)
	}
	return chain, nil
}

// findIssuer returns the index in certs of the certificate that signed
// child, -1 when no certificate there carries child's issuer name, or an
// error when some do but none of them signed it or may sign.
func findIssuer(child *x509.Certificate, certs []*x509.Certificate) (int, error) {
	var named *x509.Certificate
	for i, c := range certs {
		err := signedBy(child, c)
		if errors.Is(err, errNameMismatch) {
			continue
		}
		named = c
		if err == nil && mayIssue(c) {
			return i, nil
		}
	}
	if named == nil {
		return -1, nil
	}
	if !mayIssue(named) {
		return -1, invalid(ReasonBundleFailed,
			fmt.Sprintf("Certificate %s is in the issuer position of %s but is not a CA certificate.", describe(named), describe(child)), nil)
	}
	return -1, invalid(ReasonBundleFailed,
		fmt.Sprintf("The signature on %s does not verify with the key of %s, its issuer in the bundle.", describe(child), describe(named)), nil)
}

// mayIssue applies the CA check of CheckSignatureFrom (which we cannot call
// because it refuses SHA-1): v3 certificates must be marked as CAs.
func mayIssue(c *x509.Certificate) bool {
	if c.Version == 3 && !c.BasicConstraintsValid {
		return false
	}
	return !c.BasicConstraintsValid || c.IsCA
}

func selfSigned(c *x509.Certificate) bool { return signedBy(c, c) == nil }

// verifyReason turns an x509 verification error into a plain sentence.
func verifyReason(leaf *x509.Certificate, err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		invalidE x509.CertificateInvalidError
		insecure x509.InsecureAlgorithmError
		sysRoots x509.SystemRootsError
	)
	switch {
	case errors.As(err, &unknown) && leaf.SignatureAlgorithm == x509.SHA1WithRSA:
		// Go's verifier, like every current browser, refuses SHA-1
		// signatures; it reports them as an unknown authority.
		return "the certificate is signed with SHA-1, which current TLS clients refuse. Re-issue it with SHA-256, or use bundle_method \"force\"."
	case errors.As(err, &unknown) && unknown.Cert != nil && selfSigned(unknown.Cert):
		return fmt.Sprintf("the chain ends at %s, a self-signed certificate that is not trusted. Use bundle_method \"force\" to serve the chain as uploaded.", describe(unknown.Cert))
	case errors.As(err, &unknown):
		who := "the certificate"
		if unknown.Cert != nil {
			who = describe(unknown.Cert)
		}
		return fmt.Sprintf("no trusted issuer was found for %s. Upload the intermediate certificates with it, or use bundle_method \"force\" for a private CA.", who)
	case errors.As(err, &insecure):
		return fmt.Sprintf("a certificate in the chain is signed with %s, which current TLS clients refuse. Re-issue it, or use bundle_method \"force\".", x509.SignatureAlgorithm(insecure))
	case errors.As(err, &sysRoots):
		return "this server has no system trust store to verify against."
	case errors.As(err, &invalidE):
		return invalidReason(invalidE)
	}
	return plainX509(err) + "."
}

func invalidReason(e x509.CertificateInvalidError) string {
	who := "a certificate in the chain"
	if e.Cert != nil {
		who = "certificate " + describe(e.Cert)
	}
	switch e.Reason {
	case x509.Expired:
		return who + " has expired or is not yet valid."
	case x509.NotAuthorizedToSign:
		return who + " signed another certificate but is not a CA certificate."
	case x509.IncompatibleUsage:
		return "the chain is not valid for TLS server authentication (extended key usage)."
	case x509.CANotAuthorizedForThisName, x509.NameConstraintsWithoutSANs, x509.UnconstrainedName, x509.TooManyConstraints:
		return "an issuing certificate's name constraints do not allow the certificate's names."
	case x509.TooManyIntermediates:
		return "the chain is longer than an issuing certificate allows."
	case x509.CANotAuthorizedForExtKeyUsage:
		return "an issuing certificate may not issue certificates for TLS servers."
	}
	return plainX509(e) + "."
}
