package acme

import (
	"context"
	"fmt"
	"strings"

	"github.com/mholt/acmez/v3/acme"
	"github.com/porticohq/portico/internal/authdns"
	"github.com/porticohq/portico/internal/core"
)

// fetchAuthzs runs StepOrdered: it reads each authorization from its stored
// URL and chooses the challenge to answer. Authorizations the CA already
// holds as valid need none.
func (is *Issuer) fetchAuthzs(ctx context.Context, ca *caClient, acct acme.Account, iss *Issuance) error {
	for i := range iss.Authzs {
		rec := &iss.Authzs[i]
		a, err := ca.client.GetAuthorization(ctx, acct, rec.URL)
		if err != nil {
			return fmt.Errorf("reading authorization %s: %w", rec.URL, err)
		}
		rec.Identifier = a.IdentifierValue()
		rec.Status = a.Status
		switch a.Status {
		case acme.StatusValid:
			rec.ChallengeType = ""
			continue
		case acme.StatusPending:
		default:
			return authzFailed(rec.Identifier, a)
		}
		want, err := challengeFor(iss, rec.Identifier)
		if err != nil {
			return err
		}
		ch, ok := pickChallenge(a.Challenges, want)
		if !ok {
			// The CA does not offer the preferred type: take the other one
			// when this hostname can answer it.
			alt := acme.ChallengeTypeDNS01
			if want == acme.ChallengeTypeDNS01 && !strings.HasPrefix(rec.Identifier, "*.") {
				alt = acme.ChallengeTypeHTTP01
			}
			if alt != want && (alt == acme.ChallengeTypeHTTP01 || iss.DCVLabel != "") {
				ch, ok = pickChallenge(a.Challenges, alt)
			}
		}
		if !ok {
			return validationError(fmt.Sprintf("%s: the certificate authority offered no challenge Portico can answer.", rec.Identifier), nil)
		}
		rec.ChallengeType = ch.Type
		rec.ChallengeURL = ch.URL
		rec.Token = ch.Token
		rec.KeyAuth = ch.KeyAuthorization
		rec.TXTValue = ""
		if ch.Type == acme.ChallengeTypeDNS01 {
			rec.TXTValue = ch.DNS01KeyAuthorization()
		}
	}
	iss.ValidationRecords = validationRecords(iss, is.cfg.DCVZone)
	iss.Step = StepAuthorized
	return nil
}

func pickChallenge(chs []acme.Challenge, typ string) (acme.Challenge, bool) {
	for _, ch := range chs {
		if ch.Type == typ {
			return ch, true
		}
	}
	return acme.Challenge{}, false
}

// validationRecords are what the API shows as ssl.validation_records: per
// authorization with a challenge, the HTTP URL and body or the TXT name and
// value with the delegation CNAME that carries it.
func validationRecords(iss *Issuance, dcvZone string) []core.ValidationRecord {
	var out []core.ValidationRecord
	for _, a := range iss.Authzs {
		base := strings.TrimPrefix(a.Identifier, "*.")
		switch a.ChallengeType {
		case acme.ChallengeTypeHTTP01:
			out = append(out, core.ValidationRecord{
				HTTPURL:  "http://" + base + "/.well-known/acme-challenge/" + a.Token,
				HTTPBody: a.KeyAuth,
				Status:   "pending",
			})
		case acme.ChallengeTypeDNS01:
			r := core.ValidationRecord{TXTName: authdns.DelegationName(a.Identifier), TXTValue: a.TXTValue, Status: "pending"}
			if dcvZone != "" && iss.DCVLabel != "" {
				r.CNAME = r.TXTName
				r.CNAMETarget = authdns.DelegationTarget(iss.DCVLabel, dcvZone)
			}
			out = append(out, r)
		}
	}
	return out
}

func setRecordStatus(iss *Issuance, status string) {
	for i := range iss.ValidationRecords {
		iss.ValidationRecords[i].Status = status
	}
}

// present runs StepAuthorized: it publishes every challenge response. No
// CA call; the publisher returns once every node answers.
func (is *Issuer) present(ctx context.Context, iss *Issuance) error {
	for _, a := range iss.Authzs {
		if a.Status != acme.StatusPending {
			continue
		}
		var err error
		switch a.ChallengeType {
		case acme.ChallengeTypeHTTP01:
			err = is.pub.PresentHTTP(ctx, a.Identifier, a.Token, a.KeyAuth)
		case acme.ChallengeTypeDNS01:
			err = is.pub.PresentDNS(ctx, iss.DCVLabel, a.TXTValue)
		}
		if err != nil {
			return fmt.Errorf("publishing the %s response for %s: %w", a.ChallengeType, a.Identifier, err)
		}
	}
	iss.Step = StepChallengeReady
	return nil
}

// submit runs StepChallengeReady: it tells the CA to validate each pending
// challenge. The authorization is read first, so that a challenge already
// submitted before a crash is not submitted again.
func (is *Issuer) submit(ctx context.Context, ca *caClient, acct acme.Account, iss *Issuance) error {
	for i := range iss.Authzs {
		rec := &iss.Authzs[i]
		if rec.Status != acme.StatusPending || rec.ChallengeType == "" {
			continue
		}
		a, err := ca.client.GetAuthorization(ctx, acct, rec.URL)
		if err != nil {
			return fmt.Errorf("reading authorization %s: %w", rec.URL, err)
		}
		switch a.Status {
		case acme.StatusValid:
			rec.Status = acme.StatusValid
			continue
		case acme.StatusPending:
		default:
			return authzFailed(rec.Identifier, a)
		}
		for _, ch := range a.Challenges {
			if ch.URL != rec.ChallengeURL || ch.Status != acme.StatusPending {
				continue
			}
			if _, err := ca.client.InitiateChallenge(ctx, acct, ch); err != nil {
				return fmt.Errorf("submitting the %s challenge for %s: %w", ch.Type, rec.Identifier, err)
			}
		}
	}
	iss.Step = StepChallengeSubmitted
	return nil
}

// authzFailed is the validation error of an authorization that is not
// pending or valid: the CA's reason when it gave one.
func authzFailed(identifier string, a acme.Authorization) error {
	for _, ch := range a.Challenges {
		if ch.Error != nil {
			return validationError(fmt.Sprintf("%s: %s validation failed: %s", identifier, strings.ToUpper(ch.Type), problemDetail(*ch.Error)), *ch.Error)
		}
	}
	return validationError(fmt.Sprintf("%s: the certificate authority marked the authorization %s.", identifier, a.Status), nil)
}

func problemDetail(p acme.Problem) string {
	if p.Detail != "" {
		return p.Detail
	}
	return strings.TrimPrefix(p.Type, acme.ProblemTypeNamespace)
}
