package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/porticohq/portico/internal/config"
)

// caInfo is one ACME CA serve would use, and what its directory said.
type caInfo struct {
	name      string // the ssl.certificate_authority name (config.Certs.DefaultCAName for the default)
	directory string
	isDefault bool
	// identities are the directory's meta.caaIdentities; nil when it did
	// not answer or names none (CAA is then not checked, as serve does).
	identities []string
	reached    bool
}

// configuredCAs lists the ACME CAs of the configuration, default first, as
// daemon.acmeConfig builds them; none with the internal CA.
func configuredCAs(c config.Certs) []caInfo {
	if c.EffectiveIssuer() != config.IssuerACME || c.ACMEDirectory == "" {
		return nil
	}
	out := []caInfo{{name: c.DefaultCAName(), directory: c.ACMEDirectory, isDefault: true}}
	extra, err := c.ExtraCAs()
	if err != nil {
		return out // the config check reports it
	}
	names := make([]string, 0, len(extra))
	for n := range extra {
		if n != out[0].name {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, caInfo{name: n, directory: extra[n]})
	}
	return out
}

// directory is the part of an ACME directory (RFC 8555 section 7.1.1)
// the checks read.
type directory struct {
	NewNonce   string `json:"newNonce"`
	NewAccount string `json:"newAccount"`
	NewOrder   string `json:"newOrder"`
	Meta       struct {
		TermsOfService          string                     `json:"termsOfService"`
		CAAIdentities           []string                   `json:"caaIdentities"`
		ExternalAccountRequired bool                       `json:"externalAccountRequired"`
		Profiles                map[string]json.RawMessage `json:"profiles"`
	} `json:"meta"`
}

// checkIssuer checks who signs certificates: the internal CA's files, or
// each ACME directory, fetched with the trust serve uses (the system roots
// plus --acme-root-ca).
func (r *run) checkIssuer(ctx context.Context) {
	c := r.cfg.Certs
	if c.EffectiveIssuer() == config.IssuerInternal {
		state := "created on first start"
		if _, err := os.Stat(r.internalCADir()); err == nil {
			state = "exists"
		}
		r.warn("acme_directory", "", fmt.Sprintf("none: the internal CA (%s, %s) signs certificates, which browsers do not trust; clients must trust its root (`portico ca root`)",
			r.internalCADir(), state),
			"for public hostnames set --acme-directory https://acme-v02.api.letsencrypt.org/directory (and --acme-email)")
		return
	}
	if len(r.cas) == 0 {
		return // --issuer acme without a directory: the config check failed
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if c.ACMERootCA != "" {
		pem, err := os.ReadFile(c.ACMERootCA)
		if err != nil {
			r.fail("acme_directory", "", "--acme-root-ca cannot be read: "+err.Error(), fixRunAs)
			return
		}
		if !roots.AppendCertsFromPEM(pem) {
			r.fail("acme_directory", "", "--acme-root-ca "+c.ACMERootCA+" holds no PEM certificate", "give it the CA's root certificate in PEM")
			return
		}
	}
	client := &http.Client{
		Timeout: r.opts.Timeout,
		Transport: &http.Transport{
			Proxy:           http.ProxyFromEnvironment,
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		},
	}
	defer client.CloseIdleConnections()
	for i := range r.cas {
		r.checkDirectory(ctx, client, &r.cas[i])
	}
}

func (r *run) checkDirectory(ctx context.Context, client *http.Client, ca *caInfo) {
	c := r.cfg.Certs
	subject := ca.name + " " + ca.directory
	dir, err := fetchDirectory(ctx, client, ca.directory)
	if err != nil {
		fix := "check the URL and that this machine reaches it over HTTPS (a proxy is taken from HTTPS_PROXY)"
		var unknown x509.UnknownAuthorityError
		if errors.As(err, &unknown) {
			fix = "give the root of the directory's TLS certificate with --acme-root-ca FILE (a private CA), or fix the URL"
		}
		r.fail("acme_directory", subject, err.Error(), fix)
		return
	}
	ca.reached = true
	ca.identities = dir.Meta.CAAIdentities
	if dir.Meta.ExternalAccountRequired && !hasEAB(c, ca) {
		fix := "set --acme-eab-kid and --acme-eab-hmac to the External Account Binding the CA gave you"
		if !ca.isDefault {
			fix = "add " + ca.name + "=KEYID:HMAC, the External Account Binding the CA gave you, to --acme-ca-eab"
		}
		r.fail("acme_directory", subject, "the CA requires External Account Binding, and none is configured for it", fix)
		return
	}
	if p := c.ACMEProfile; p != "" && len(dir.Meta.Profiles) > 0 {
		if _, ok := dir.Meta.Profiles[p]; !ok {
			r.fail("acme_directory", subject, fmt.Sprintf("the CA offers no profile %q (it offers %s)", p, strings.Join(sortedKeys(dir.Meta.Profiles), ", ")),
				"set --acme-profile to one of them, or leave it empty")
			return
		}
	}
	msg := "answers with an ACME directory"
	if len(ca.identities) > 0 {
		msg += "; CAA identities " + strings.Join(ca.identities, ", ")
	} else {
		msg += "; it names no CAA identities, so CAA is not checked for it"
	}
	if acct, ok := r.accounts[ca.name]; ok && acct.URL != "" {
		msg += "; account " + acct.URL
	}
	if u, err := url.Parse(ca.directory); err == nil && strings.Contains(u.Hostname(), "staging") {
		r.warn("acme_directory", subject, msg+"; this is a staging directory: its certificates are not trusted by browsers",
			"for production use https://acme-v02.api.letsencrypt.org/directory")
		return
	}
	r.ok("acme_directory", subject, msg)
}

// fetchDirectory GETs an ACME directory and checks that it is one.
func fetchDirectory(ctx context.Context, client *http.Client, dirURL string) (directory, error) {
	var d directory
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, dirURL, nil)
	if err != nil {
		return d, err
	}
	req.Header.Set("User-Agent", "portico-doctor")
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is in the subject already
		}
		return d, fmt.Errorf("does not answer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return d, fmt.Errorf("reading the directory: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("answers HTTP %d, not an ACME directory", resp.StatusCode)
	}
	if err := json.Unmarshal(body, &d); err != nil || d.NewNonce == "" || d.NewAccount == "" || d.NewOrder == "" {
		return d, errors.New("answers, but not with an ACME directory (no newNonce, newAccount and newOrder)")
	}
	return d, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hasEAB reports whether ca has an External Account Binding configured.
func hasEAB(c config.Certs, ca *caInfo) bool {
	if ca.isDefault {
		return c.ACMEEABKeyID != ""
	}
	eabs, err := c.ExtraEABs()
	if err != nil {
		return false // the config check reports it
	}
	_, ok := eabs[ca.name]
	return ok
}
