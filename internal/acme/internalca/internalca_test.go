package internalca_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme/internalca"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/secrets"
)

func newBox(t *testing.T) *secrets.Box {
	t.Helper()
	b, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateAndReload(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)
	for _, sealed := range []bool{false, true} {
		name := "plain"
		var box *secrets.Box
		if sealed {
			name, box = "sealed", newBox(t)
		}
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			ca, err := internalca.LoadOrCreate(dir, box, clk)
			if err != nil {
				t.Fatal(err)
			}
			root := ca.Root()
			if !strings.HasPrefix(root.Subject.CommonName, "Portico Internal CA ") || len(root.Subject.CommonName) != len("Portico Internal CA ")+8 {
				t.Errorf("root name %q", root.Subject.CommonName)
			}
			if !root.IsCA || root.NotAfter.Sub(now) < 3649*24*time.Hour {
				t.Errorf("root: CA %v, valid until %v", root.IsCA, root.NotAfter)
			}
			if _, ok := root.PublicKey.(*ecdsa.PublicKey); !ok {
				t.Errorf("root key is %T", root.PublicKey)
			}
			st, err := os.Stat(filepath.Join(dir, internalca.KeyFile))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v, mode %v", err, st.Mode().Perm())
			}
			keyFile, _ := os.ReadFile(filepath.Join(dir, internalca.KeyFile))
			if sealed == bytes.Contains(keyFile, []byte("BEGIN PRIVATE KEY")) {
				t.Errorf("sealed=%v but the key file is %q...", sealed, keyFile[:30])
			}

			again, err := internalca.LoadOrCreate(dir, box, clk)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.RootPEM(), ca.RootPEM()) {
				t.Error("reloading made a new root")
			}
			if sealed {
				if _, err := internalca.LoadOrCreate(dir, nil, clk); err == nil || !strings.Contains(err.Error(), "master key") {
					t.Errorf("loading a sealed key without the master key: %v", err)
				}
			}
		})
	}
}

func TestIssue(t *testing.T) {
	clk := clock.NewFake(time.Now())
	ca, err := internalca.LoadOrCreate(t.TempDir(), nil, clk)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.RootPEM())
	for _, tc := range []struct {
		name  string
		names []string
		pub   any
		life  time.Duration
	}{
		{"ecdsa", []string{"shop.example.com"}, ecKey.Public(), 90 * 24 * time.Hour},
		{"rsa wildcard", []string{"*.example.com", "example.com"}, rsaKey.Public(), 24 * time.Hour},
		{"longer than the root", []string{"x.example.com"}, ecKey.Public(), 20 * 365 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ca.Issue(tc.names, tc.pub, tc.life)
			if err != nil {
				t.Fatal(err)
			}
			block, rest := pem.Decode(out)
			if block == nil || len(bytes.TrimSpace(rest)) != 0 {
				t.Fatalf("want exactly one certificate, got %q", out)
			}
			leaf, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.names {
				host := strings.Replace(n, "*", "any", 1)
				if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, CurrentTime: clk.Now()}); err != nil {
					t.Errorf("%s: %v", host, err)
				}
			}
			if leaf.NotAfter.After(ca.Root().NotAfter) {
				t.Errorf("leaf outlives the root")
			}
			if leaf.IsCA || !slicesHas(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
				t.Errorf("leaf: CA %v, EKU %v", leaf.IsCA, leaf.ExtKeyUsage)
			}
		})
	}
	if _, err := ca.Issue(nil, ecKey.Public(), time.Hour); err == nil {
		t.Error("issued for no names")
	}
}

func slicesHas(list []x509.ExtKeyUsage, v x509.ExtKeyUsage) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Several processes starting at once on an empty directory agree on one CA.
func TestConcurrentCreate(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewFake(time.Now())
	var wg sync.WaitGroup
	roots := make([][]byte, 6)
	errs := make([]error, 6)
	for i := range roots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ca, err := internalca.LoadOrCreate(dir, nil, clk)
			errs[i] = err
			if err == nil {
				roots[i] = ca.RootPEM()
			}
		}()
	}
	wg.Wait()
	for i := range roots {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		if !bytes.Equal(roots[i], roots[0]) {
			t.Fatalf("process %d loaded another root", i)
		}
	}
}

// A key whose certificate was never written gets one; a key readable by
// others is refused.
func TestRecovery(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewFake(time.Now())
	ca, err := internalca.LoadOrCreate(dir, nil, clk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, internalca.CertFile)); err != nil {
		t.Fatal(err)
	}
	again, err := internalca.LoadOrCreate(dir, nil, clk)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Root().PublicKey.(*ecdsa.PublicKey).Equal(ca.Root().PublicKey) {
		t.Error("the recovered root has another key")
	}
	if err := os.Chmod(filepath.Join(dir, internalca.KeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := internalca.LoadOrCreate(dir, nil, clk); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("world-readable key: %v", err)
	}
}
