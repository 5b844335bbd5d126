package acme

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/mholt/acmez/v3/acme"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/secrets"
)

// caClient is one configured CA: its ACME client and, once registered, its
// account. It is created on first use and kept for the Issuer's life.
type caClient struct {
	name   string
	cfg    CAConfig
	roots  *x509.CertPool
	client *acme.Client // nil for a Local CA

	mu      sync.Mutex // serializes registration
	account *acme.Account
}

func newCAClient(name string, cfg CAConfig, st settings, clk clock.Clock, log *slog.Logger) *caClient {
	c := &caClient{name: name, cfg: cfg, roots: st.roots[name]}
	if cfg.Local != nil {
		c.roots = x509.NewCertPool()
		c.roots.AppendCertsFromPEM(cfg.Local.RootPEM())
		return c
	}
	c.client = &acme.Client{
		Directory:    cfg.DirectoryURL,
		HTTPClient:   newHTTPClient(c.roots, st.RequestTimeout, clk),
		UserAgent:    st.UserAgent,
		PollInterval: st.PollInterval,
		PollTimeout:  st.PollTimeout,
		Logger:       log.With("component", "acmez", "ca", name),
	}
	return c
}

// ensureAccount returns the CA account, registering it on first use. The
// key is generated and stored (sealed) before the CA hears of it, and the
// URL stored after; a crash in between registers the same key again, which
// the CA answers with the same account.
func (c *caClient) ensureAccount(ctx context.Context, store AccountStore, box *secrets.Box, clk clock.Clock) (acme.Account, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.account != nil {
		return *c.account, nil
	}
	a, err := store.GetAccount(ctx, c.name, c.cfg.DirectoryURL)
	if errors.Is(err, ErrNotFound) {
		a, err = c.createAccount(ctx, store, box, clk)
	}
	if err != nil {
		return acme.Account{}, fmt.Errorf("loading the %s account: %w", c.name, err)
	}
	der, err := box.Open(a.KeyCiphertext, AccountKeyAAD(c.name, c.cfg.DirectoryURL))
	if err != nil {
		return acme.Account{}, fmt.Errorf("opening the %s account key: %w", c.name, err)
	}
	key, err := parseSigner(der)
	clear(der)
	if err != nil {
		return acme.Account{}, fmt.Errorf("the %s account key: %w", c.name, err)
	}
	acct := acme.Account{TermsOfServiceAgreed: true, PrivateKey: key, Location: a.URL}
	if c.cfg.Email != "" {
		acct.Contact = []string{"mailto:" + c.cfg.Email}
	}
	if acct.Location == "" {
		if c.cfg.EAB != nil {
			eab := acme.EAB{KeyID: c.cfg.EAB.KeyID, MACKey: c.cfg.EAB.MACKey}
			if err := acct.SetExternalAccountBinding(ctx, c.client, eab); err != nil {
				return acme.Account{}, fmt.Errorf("binding the %s account: %w", c.name, err)
			}
		}
		acct, err = c.client.NewAccount(ctx, acct)
		if err != nil {
			return acme.Account{}, fmt.Errorf("registering the %s account: %w", c.name, err)
		}
		if acct.Location == "" {
			return acme.Account{}, fmt.Errorf("registering the %s account: the CA returned no account URL", c.name)
		}
		if err := store.SetAccountURL(ctx, c.name, c.cfg.DirectoryURL, acct.Location); err != nil {
			return acme.Account{}, fmt.Errorf("saving the %s account URL: %w", c.name, err)
		}
	}
	c.account = &acct
	return acct, nil
}

func (c *caClient) createAccount(ctx context.Context, store AccountStore, box *secrets.Box, clk clock.Clock) (Account, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Account{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Account{}, err
	}
	sealed, err := box.Seal(der, AccountKeyAAD(c.name, c.cfg.DirectoryURL))
	clear(der)
	if err != nil {
		return Account{}, err
	}
	a := Account{CA: c.name, DirectoryURL: c.cfg.DirectoryURL, KeyCiphertext: sealed, Email: c.cfg.Email, CreatedAt: clk.Now()}
	err = store.CreateAccount(ctx, a)
	if errors.Is(err, ErrConflict) {
		return store.GetAccount(ctx, c.name, c.cfg.DirectoryURL) // another node won
	}
	return a, err
}

// forgetAccount drops the cached account and its stored URL, after the CA
// said it does not know it: the next step registers the same key again.
func (c *caClient) forgetAccount(ctx context.Context, store AccountStore) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.account = nil
	_ = store.SetAccountURL(ctx, c.name, c.cfg.DirectoryURL, "")
}

func parseSigner(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key of type %T cannot sign", k)
	}
	return s, nil
}
