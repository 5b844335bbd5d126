package acme

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mholt/acmez/v3/acme"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
)

// LocalSigner signs certificates in-process, for --issuer internal; package
// internalca's CA implements it. Issue returns the PEM chain (leaf first)
// for names, valid for lifetime from now; RootPEM the root the chain
// verifies against. It MUST be safe for concurrent use.
type LocalSigner interface {
	Issue(names []string, pub crypto.PublicKey, lifetime time.Duration) ([]byte, error)
	RootPEM() []byte
}

// challengeFor returns the challenge type name will be validated with:
// DNS-01 for a wildcard (through the delegation); HTTP-01 for other names
// when the method is http or the hostname already points at Portico,
// unless HTTP-01 failed before and a delegation exists; DNS-01 otherwise,
// when delegated.
func challengeFor(iss *Issuance, name string) (string, error) {
	if iss.Method != "" && iss.Method != core.DCVHTTP && iss.Method != core.DCVTXT {
		return "", fatalError(fmt.Sprintf("The validation method %q is not supported; use http or txt.", iss.Method), nil)
	}
	if strings.HasPrefix(name, "*.") {
		if iss.DCVLabel == "" {
			return "", fatalError("A wildcard certificate needs DNS validation: set ssl.method to txt and add the _acme-challenge CNAME.", nil)
		}
		return acme.ChallengeTypeDNS01, nil
	}
	useHTTP := iss.Method != core.DCVTXT || iss.HTTPReady
	if iss.HTTPFailed && iss.DCVLabel != "" {
		useHTTP = false
	}
	if useHTTP || iss.DCVLabel == "" {
		return acme.ChallengeTypeHTTP01, nil
	}
	return acme.ChallengeTypeDNS01, nil
}

// order runs StepNew: the CAA preflight, pacing, the certificate key, and
// newOrder. It is the only place an order is placed.
func (is *Issuer) order(ctx context.Context, ca *caClient, iss *Issuance) error {
	if len(iss.Identifiers) == 0 {
		return fatalError("The certificate has no hostname.", nil)
	}
	methods := make(map[string]string, len(iss.Identifiers))
	for _, name := range iss.Identifiers {
		m, err := challengeFor(iss, name)
		if err != nil {
			return err
		}
		methods[name] = m
	}
	acct, err := ca.ensureAccount(ctx, is.accounts, is.box, is.clk)
	if err != nil {
		return err
	}
	if err := is.preflightCAA(ctx, ca, acct, iss.Identifiers, methods); err != nil {
		return err
	}
	now := is.clk.Now()
	if wait := is.pace.reserve(now, is.paceKeys(acct, iss)...); wait > 0 {
		return &stepError{kind: kindWait, retryAt: now.Add(wait), err: fmt.Errorf("order pacing: next order slot in %v", wait.Round(time.Second))}
	}

	_, sealed, err := newCertKey(is.cfg.KeyType, is.box, IssuanceKeyAAD(iss.ID))
	if err != nil {
		return err
	}
	req := acme.Order{Profile: ca.cfg.Profile, Replaces: iss.Replaces}
	for _, name := range iss.Identifiers {
		req.Identifiers = append(req.Identifiers, acme.Identifier{Type: "dns", Value: name})
	}
	o, err := ca.client.NewOrder(ctx, acct, req)
	var p acme.Problem
	if err != nil && iss.Replaces != "" && errors.As(err, &p) && p.Type == acme.ProblemTypeAlreadyReplaced {
		// Another order replaces that certificate already (a lost earlier
		// attempt): order without the claim.
		req.Replaces = ""
		o, err = ca.client.NewOrder(ctx, acct, req)
	}
	if err != nil {
		return fmt.Errorf("placing the order: %w", err)
	}
	if o.Location == "" || o.Finalize == "" || len(o.Authorizations) == 0 {
		return fmt.Errorf("placing the order: the CA's answer lacks the order, finalize or authorization URLs")
	}
	iss.Step = StepOrdered
	iss.AccountURL = acct.Location
	iss.OrderURL = o.Location
	iss.FinalizeURL = o.Finalize
	iss.CertURL = ""
	iss.KeyCiphertext = sealed
	iss.Result = nil
	iss.Authzs = make([]Authz, len(o.Authorizations))
	for i, u := range o.Authorizations {
		iss.Authzs[i] = Authz{URL: u}
	}
	return nil
}

// preflightCAA checks every identifier's CAA records before an order is
// placed, so that a forbidding record costs no order and no failed
// authorization at the CA (threat model B11). The CA's identities come
// from the configuration or its directory; with neither, there is nothing
// to check against.
func (is *Issuer) preflightCAA(ctx context.Context, ca *caClient, acct acme.Account, names []string, methods map[string]string) error {
	if is.cfg.CAA == nil {
		return nil
	}
	ids := ca.cfg.CAAIdentities
	if len(ids) == 0 {
		dir, err := ca.client.GetDirectory(ctx)
		if err != nil {
			return fmt.Errorf("reading the directory: %w", err)
		}
		if dir.Meta != nil {
			ids = dir.Meta.CAAIdentities
		}
	}
	if len(ids) == 0 {
		return nil
	}
	for _, name := range names {
		if err := checkCAA(ctx, is.cfg.CAA, name, ids, acct.Location, methods[name]); err != nil {
			return err
		}
	}
	return nil
}

// CheckCAA reports whether the CAA records of names allow the named CA
// ("" = the default) to issue, for the start-up lint of the zone's CNAME
// target (threat model A14). The error's text starts with "caa_forbids"
// when they do not; other errors mean the check could not be done.
func (is *Issuer) CheckCAA(ctx context.Context, caName string, names []string) error {
	ca, err := is.ca(caName)
	if err != nil {
		return err
	}
	if ca.client == nil {
		return nil
	}
	acct, err := ca.ensureAccount(ctx, is.accounts, is.box, is.clk)
	if err != nil {
		return err
	}
	methods := make(map[string]string, len(names))
	for _, n := range names {
		methods[n] = acme.ChallengeTypeDNS01
		if !strings.HasPrefix(n, "*.") {
			methods[n] = acme.ChallengeTypeHTTP01
		}
	}
	return is.preflightCAA(ctx, ca, acct, names, methods)
}

// paceKeys are the limits an order counts against: the account, and each
// registered domain unless the order renews with ARI (exempt at LE).
func (is *Issuer) paceKeys(acct acme.Account, iss *Issuance) []paceKey {
	keys := []paceKey{{key: "account:" + acct.Location, rate: is.cfg.Pacing.PerAccount}}
	if iss.Replaces != "" {
		return keys
	}
	var domains []string
	for _, name := range iss.Identifiers {
		d, err := dnsname.RegistrableDomain(name)
		if err != nil {
			d = strings.TrimPrefix(name, "*.")
		}
		if !slices.Contains(domains, d) {
			domains = append(domains, d)
			keys = append(keys, paceKey{key: "domain:" + d, rate: is.cfg.Pacing.PerDomain})
		}
	}
	return keys
}

// issueLocal runs StepNew for an internal CA: the certificate is signed
// in-process and the Issuance goes straight to StepDownloaded.
func (is *Issuer) issueLocal(_ context.Context, ca *caClient, iss *Issuance) error {
	if len(iss.Identifiers) == 0 {
		return fatalError("The certificate has no hostname.", nil)
	}
	key, sealed, err := newCertKey(is.cfg.KeyType, is.box, IssuanceKeyAAD(iss.ID))
	if err != nil {
		return err
	}
	lifetime := ca.cfg.LocalLifetime
	if lifetime <= 0 {
		lifetime = 90 * 24 * time.Hour
	}
	chain, err := ca.cfg.Local.Issue(iss.Identifiers, key.Public(), lifetime)
	if err != nil {
		return fmt.Errorf("signing with the internal CA: %w", err)
	}
	res, err := is.result(ca, iss, chain, key, nil)
	if err != nil {
		return err
	}
	iss.KeyCiphertext = sealed
	iss.Result = res
	iss.Step = StepDownloaded
	return nil
}
