package doctor_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/database"
	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/ident"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
)

const acmeDir = "https://127.0.0.1:1/directory" // refused at once: nothing leaves loopback

// seed writes, through the store, what serve writes sealed with the master
// key in keyPath (created if absent): a hostname with a certificate, and an
// ACME account of the default CA of --acme-directory acmeDir.
func seed(t *testing.T, db, keyPath string) {
	t.Helper()
	ctx := context.Background()
	key, err := secrets.LoadOrCreateMasterKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	var z struct{ ID string }
	if err := json.Unmarshal([]byte(cliRun(t, "zone", "create", "--name", zoneName, "--cname-target", target,
		"--database", db, "--master-key-file", keyPath)), &z); err != nil {
		t.Fatal(err)
	}
	st, err := database.Open(ctx, config.Store{Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	h := core.Hostname{
		ID: ident.UUID(), ZoneID: z.ID, Name: "shop.example-customer.com", Status: core.HostnameActive,
		OwnershipToken: ident.Secret128(),
		SSL:            core.SSL{ID: ident.UUID(), Type: "dv", Method: core.DCVHTTP, Status: core.SSLActive},
		CreatedAt:      now, UpdatedAt: now, Version: 1,
	}
	if err := st.CreateHostname(ctx, h); err != nil {
		t.Fatal(err)
	}
	c := core.Certificate{ID: ident.UUID(), HostnameID: h.ID, Source: core.SourceCustom,
		ChainPEM: []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
		Hosts:    []string{h.Name}, BundleMethod: core.BundleForce, IssuedOn: now, ExpiresOn: now.Add(time.Hour), UploadedOn: now}
	if c.KeyCiphertext, err = box.Seal([]byte("a private key"), acme.CertificateKeyAAD(c.ID, h.ID)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCertificate(ctx, z.ID, c); err != nil {
		t.Fatal(err)
	}
	a := acme.Account{CA: "default", DirectoryURL: acmeDir, URL: "https://127.0.0.1:1/acct/7", CreatedAt: now}
	if a.KeyCiphertext, err = box.Seal([]byte("an account key"), acme.AccountKeyAAD(a.CA, a.DirectoryURL)); err != nil {
		t.Fatal(err)
	}
	if err := st.(store.Issuances).CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
}

func newKey(t *testing.T) string {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// TestMasterKey checks the master key where serve looks for it, and that it
// opens what the data directory and the database hold sealed.
func TestMasterKey(t *testing.T) {
	quiet := []string{"--api-listen", "127.0.0.1:0", "--https-listen", "off", "--http-listen", "off", "--resolver", "127.0.0.1:1"}
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, dir string) (environ []string, args []string)
		key     doctor.Status
		keyMsg  string
		seal    doctor.Status // "" = no sealed_keys result
		sealMsg string
	}{
		{name: "first start", key: doctor.OK, keyMsg: "does not exist yet", seal: doctor.OK, sealMsg: "no sealed keys stored yet",
			setup: func(t *testing.T, dir string) ([]string, []string) { return nil, nil }},
		{name: "stored keys open", key: doctor.OK, keyMsg: "readable, mode 0600", seal: doctor.OK,
			sealMsg: "the certificate key of shop.example-customer.com, the ACME account key for default",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				seed(t, "sqlite:"+filepath.Join(dir, "portico.db"), filepath.Join(dir, "master.key"))
				return nil, []string{"--acme-directory", acmeDir}
			}},
		{name: "another key in the environment", key: doctor.OK, keyMsg: "from PORTICO_MASTER_KEY", seal: doctor.Fail,
			sealMsg: "the certificate key of shop.example-customer.com does not open with this master key: secrets: record was sealed with a different master key",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				seed(t, "sqlite:"+filepath.Join(dir, "portico.db"), filepath.Join(dir, "master.key"))
				return []string{"PORTICO_MASTER_KEY=" + newKey(t)}, nil
			}},
		{name: "key file lost", key: doctor.OK, keyMsg: "does not exist yet", seal: doctor.Fail, sealMsg: "there is none usable at",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				seed(t, "sqlite:"+filepath.Join(dir, "portico.db"), filepath.Join(dir, "master.key"))
				if err := os.Remove(filepath.Join(dir, "master.key")); err != nil {
					t.Fatal(err)
				}
				return nil, nil
			}},
		{name: "internal CA sealed with another key", key: doctor.OK, keyMsg: "from PORTICO_MASTER_KEY", seal: doctor.Fail,
			sealMsg: "the internal CA does not load",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				cliRun(t, "ca", "root", "--database", "sqlite:"+filepath.Join(dir, "portico.db"))
				return []string{"PORTICO_MASTER_KEY=" + newKey(t)}, nil
			}},
		{name: "internal CA opens", key: doctor.OK, keyMsg: "readable", seal: doctor.OK, sealMsg: "the internal CA key",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				cliRun(t, "ca", "root", "--database", "sqlite:"+filepath.Join(dir, "portico.db"))
				return nil, nil
			}},
		{name: "key file readable by others", key: doctor.Fail, keyMsg: "other users may read it",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte(newKey(t)+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return nil, nil
			}},
		{name: "key file is not a key", key: doctor.Fail, keyMsg: "is not a usable master key",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte("hunter2\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return nil, nil
			}},
		{name: "environment key is not a key", key: doctor.Fail, keyMsg: "is not usable",
			setup: func(t *testing.T, dir string) ([]string, []string) {
				return []string{"PORTICO_MASTER_KEY=hunter2-is-my-master-key"}, nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			environ, args := tc.setup(t, dir)
			args = append(append([]string{"--database", "sqlite:" + filepath.Join(dir, "portico.db")}, quiet...), args...)
			_, rep := runDoctor(t, environ, args...)
			expect(t, rep, "master_key", "", tc.key, tc.keyMsg)
			if tc.seal != "" {
				expect(t, rep, "sealed_keys", "", tc.seal, tc.sealMsg)
			} else if rs := results(rep, "sealed_keys", ""); len(rs) != 0 {
				t.Errorf("sealed_keys reported after a failed key check: %+v", rs)
			}
			out, _ := json.Marshal(rep)
			if strings.Contains(string(out), "hunter2") {
				t.Errorf("the report repeats a secret:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(dir, "master.key")); tc.keyMsg == "does not exist yet" && err == nil {
				t.Error("doctor created the master key")
			}
		})
	}
}
