package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the store's driver, for deferChecks

	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store/sqlite"
)

// The benchmark's tenant. Hostnames are .com names outside it, each under
// its own registrable domain, as real customers' names are.
const (
	zoneName    = "saas-bench.com"
	cnameTarget = "customers.saas-bench.com"
)

// hostName is the i-th hostname.
func hostName(i int) string { return fmt.Sprintf("shop.customer-%07d.com", i) }

// seededMarker holds N once a directory is completely seeded.
const seededMarker = "seeded"

// seed fills dir with n hostnames, unless it already holds exactly those.
// The database is written through Portico's own service (name parsing,
// certificate checks, key sealing, status transition) on its own SQLite
// store, so what the edge reads is what the API would have written.
func seed(ctx context.Context, dir string, n int) error {
	if b, err := os.ReadFile(filepath.Join(dir, seededMarker)); err == nil {
		if strings.TrimSpace(string(b)) == strconv.Itoa(n) {
			fmt.Fprintf(os.Stderr, "edgesetup: %s already holds %d hostnames\n", dir, n)
			return nil
		}
		return fmt.Errorf("%s holds another seed (%s hostnames): remove it first", dir, strings.TrimSpace(string(b)))
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o700); err != nil {
		return err
	}
	ca, err := newCA()
	if err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "portico.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := secrets.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		return err
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return err
	}
	svc := service.New(service.Config{}, st, box, clock.Real{}, nil)
	// The fallback origin is replaced by `edgesetup origin` on every run,
	// with the upstream's port of that run.
	z, err := svc.CreateZone(ctx, service.ZoneInput{Name: zoneName, CNAMETarget: cnameTarget, FallbackOrigin: "http://127.0.0.1:9"})
	if err != nil {
		return fmt.Errorf("creating the zone: %w", err)
	}
	names, err := os.Create(filepath.Join(dir, "names.txt"))
	if err != nil {
		return err
	}
	defer names.Close()
	nw := bufio.NewWriter(names)

	// Certificates are made by two workers ahead of the single database
	// writer (SQLite has one).
	type issued struct {
		name, certPEM, keyPEM string
		err                   error
	}
	// window bounds how far they run ahead, so memory does not grow with n.
	jobs := make(chan int)
	window := make(chan struct{}, 512)
	out := make([]chan issued, n)
	for i := range out {
		out[i] = make(chan issued, 1)
	}
	go func() {
		defer close(jobs)
		for i := range n {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			jobs <- i
		}
	}()
	for range 2 {
		go func() {
			for i := range jobs {
				name := hostName(i)
				c, k, err := ca.issue(name)
				out[i] <- issued{name, c, k, err}
			}
		}()
	}
	force := string(core.BundleForce) // serve the leaf alone, as nginx and HAProxy do
	start := time.Now()
	for i := range n {
		var is issued
		select {
		case is = <-out[i]:
			<-window
		case <-ctx.Done():
			return ctx.Err()
		}
		if is.err != nil {
			return is.err
		}
		if err := os.WriteFile(filepath.Join(dir, "certs", is.name+".pem"), []byte(is.certPEM+is.keyPEM), 0o600); err != nil {
			return err
		}
		h, err := svc.CreateHostname(ctx, z.ID, service.HostnameInput{Hostname: is.name, SSL: &service.SSLInput{
			BundleMethod:       &force,
			CustomCertificates: []service.CertKeyPair{{Certificate: is.certPEM, Key: is.keyPEM}},
		}})
		if err != nil {
			return fmt.Errorf("creating %s: %w", is.name, err)
		}
		if err := svc.SetHostnameStatus(ctx, z.ID, h.ID, core.HostnamePending, core.HostnameActive); err != nil {
			return fmt.Errorf("activating %s: %w", is.name, err)
		}
		fmt.Fprintln(nw, is.name)
		out[i] = nil
		if (i+1)%5000 == 0 {
			fmt.Fprintf(os.Stderr, "edgesetup: %d/%d hostnames (%.0f/s)\n", i+1, n, float64(i+1)/time.Since(start).Seconds())
		}
	}
	if err := nw.Flush(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.certPEM, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "edgesetup: seeded %d hostnames in %s\n", n, time.Since(start).Round(time.Millisecond))
	if err := deferChecks(ctx, dir); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, seededMarker), []byte(strconv.Itoa(n)+"\n"), 0o600)
}

// setOrigin points the benchmark zone's fallback origin at origin.
func setOrigin(ctx context.Context, dir, origin string) error {
	if origin == "" {
		return errors.New("-origin is required")
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "portico.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	svc := service.New(service.Config{}, st, nil, clock.Real{}, nil)
	zones, err := svc.ListZones(ctx)
	if err != nil {
		return err
	}
	for _, z := range zones {
		if z.Name == zoneName {
			if _, err := svc.SetFallbackOrigin(ctx, z.ID, origin); err != nil {
				return err
			}
			return deferChecks(ctx, dir)
		}
	}
	return fmt.Errorf("no zone %s in %s", zoneName, dir)
}

// ca is the benchmark's certificate authority. Clients do not verify
// (a verification costs the load generator, not the proxy), but the
// certificates are real ones a client could verify against ca.pem.
type ca struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newCA() (*ca, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Portico edge benchmark CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &ca{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// issue returns a one-year ECDSA P-256 certificate for name and its key, in
// PEM.
func (c *ca) issue(name string) (certPEM, keyPEM string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return "", "", err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})), nil
}

// deferChecks moves every hostname's next ownership check three hours
// ahead, as for hostnames verified a moment ago, so that the node's
// verification scheduler stays idle during a run instead of checking every
// seeded hostname at once (the benchmark measures the edge). The seeded
// hostnames were activated directly, so their schedule still says "due".
func deferChecks(ctx context.Context, dir string) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "portico.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	due := time.Now().Add(3 * time.Hour).UnixMicro()
	if _, err := db.ExecContext(ctx, "UPDATE hostname_checks SET next_check_at = ? WHERE next_check_at IS NOT NULL", due); err != nil {
		return fmt.Errorf("deferring ownership checks: %w", err)
	}
	return nil
}
