package acme

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mholt/acmez/v3/acme"
)

// finalize runs StepChallengeSubmitted: it waits for every authorization to
// be valid, withdraws the challenge responses, and finalizes the order with
// a CSR from the stored key. The order is read first: an order finalized
// before a crash is processing or valid, and is not finalized again.
func (is *Issuer) finalize(ctx context.Context, ca *caClient, acct acme.Account, iss *Issuance) error {
	for i := range iss.Authzs {
		rec := &iss.Authzs[i]
		if rec.Status == acme.StatusValid {
			continue
		}
		a, err := ca.client.PollAuthorization(ctx, acct, acme.Authorization{Location: rec.URL})
		if a.Status == acme.StatusInvalid || a.Status == acme.StatusDeactivated ||
			a.Status == acme.StatusExpired || a.Status == acme.StatusRevoked {
			return authzFailed(rec.Identifier, a)
		}
		if err != nil {
			return fmt.Errorf("waiting for authorization %s: %w", rec.URL, err)
		}
		rec.Status = acme.StatusValid
	}
	setRecordStatus(iss, "valid")
	is.cleanup(ctx, iss.Authzs, iss.DCVLabel)

	o, err := ca.client.GetOrder(ctx, acct, acme.Order{Location: iss.OrderURL})
	if err != nil {
		return fmt.Errorf("reading the order: %w", err)
	}
	switch o.Status {
	case acme.StatusReady:
		key, err := openCertKey(is.box, iss.KeyCiphertext, IssuanceKeyAAD(iss.ID))
		if err != nil {
			return fatalError("The certificate key could not be read.", err)
		}
		csr, err := csrDER(key, iss.Identifiers)
		if err != nil {
			return err
		}
		o, err = ca.client.FinalizeOrder(ctx, acct, o, csr)
		if o.Status == acme.StatusInvalid {
			return orderFailed(o)
		}
		if err != nil {
			return fmt.Errorf("finalizing the order: %w", err)
		}
	case acme.StatusProcessing, acme.StatusValid:
		// finalized before: go on
	case acme.StatusInvalid:
		return orderFailed(o)
	default:
		return fmt.Errorf("the order is %q although its authorizations are valid", o.Status)
	}
	iss.CertURL = o.Certificate
	iss.Step = StepFinalizing
	return nil
}

func orderFailed(o acme.Order) error {
	if o.Error != nil {
		return validationError("The certificate authority refused to issue: "+problemDetail(*o.Error), *o.Error)
	}
	return validationError("The certificate authority refused to issue.", nil)
}

// download runs StepFinalizing: it waits for the order to be valid,
// downloads the certificate, verifies it against the CA's roots and the
// stored key, and keeps the first chain that verifies (the CA's preferred
// one, else an alternate).
func (is *Issuer) download(ctx context.Context, ca *caClient, acct acme.Account, iss *Issuance) error {
	if iss.CertURL == "" {
		u, err := is.waitOrder(ctx, ca, acct, iss.OrderURL)
		if err != nil {
			return err
		}
		iss.CertURL = u
	}
	chains, err := ca.client.GetCertificateChain(ctx, acct, iss.CertURL)
	if err != nil {
		return fmt.Errorf("downloading the certificate: %w", err)
	}
	key, err := openCertKey(is.box, iss.KeyCiphertext, IssuanceKeyAAD(iss.ID))
	if err != nil {
		return fatalError("The certificate key could not be read.", err)
	}
	var errs []error
	for _, ch := range chains {
		res, err := is.result(ca, iss, ch.ChainPEM, key, ch.RenewalInfo)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		iss.Result = res
		iss.Step = StepDownloaded
		return nil
	}
	if len(errs) == 0 {
		return errors.New("downloading the certificate: the CA returned no chain")
	}
	return errs[0]
}

// waitOrder polls the order until it is valid and returns its certificate
// URL, honouring Retry-After, for at most PollTimeout.
func (is *Issuer) waitOrder(ctx context.Context, ca *caClient, acct acme.Account, orderURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, is.cfg.PollTimeout)
	defer cancel()
	pause := is.cfg.PollInterval / 4
	for {
		o, err := ca.client.GetOrder(ctx, acct, acme.Order{Location: orderURL})
		if err != nil {
			return "", fmt.Errorf("reading the order: %w", err)
		}
		switch o.Status {
		case acme.StatusValid:
			if o.Certificate == "" {
				return "", errors.New("the order is valid but has no certificate URL")
			}
			return o.Certificate, nil
		case acme.StatusInvalid:
			return "", orderFailed(o)
		case acme.StatusProcessing:
		default:
			return "", fmt.Errorf("the order is %q after finalization", o.Status)
		}
		wait := pause
		pause = min(2*pause, is.cfg.PollInterval)
		if n, ok := ctx.Value(retryNoteKey{}).(*retryNote); ok {
			wait = max(wait, n.pollAfter().Sub(is.clk.Now())) // honour the CA's Retry-After (threat model B8)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("waiting for the order: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// commit runs StepDownloaded: the Result is final. There is no network
// call; the store commits the certificate with this save (see OrderStore).
// The issuance's copy of the key is dropped: Result holds the one to use.
func (is *Issuer) commit(iss *Issuance) error {
	if iss.Result == nil {
		return fatalError("The certificate was lost before it was stored.", errors.New("StepDownloaded without a Result"))
	}
	iss.KeyCiphertext = nil
	iss.ValidationErrors = nil
	iss.Attempts = 0
	setRecordStatus(iss, "valid")
	iss.Step = StepDone
	return nil
}
