package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/acme/internalca"
	"github.com/porticohq/portico/internal/clock"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/store"
)

// fixRunAs is the fix for files the doctor cannot read.
const fixRunAs = "run doctor as the user serve runs as, with its environment (docs/production.md shows how)"

// checkMasterKey finds the master key the way serve does (daemon.LoadSecrets:
// PORTICO_MASTER_KEY / --master-key, else --master-key-file, else master.key
// in the data directory) but never creates it.
func (r *run) checkMasterKey() {
	s := r.cfg.Secrets
	if s.MasterKey != "" {
		key, err := secrets.DecodeMasterKey(s.MasterKey) // its errors describe the shape, never the key
		if err == nil {
			r.box, err = secrets.NewBox(key)
			clear(key)
		}
		if err != nil {
			r.fail("master_key", "PORTICO_MASTER_KEY", "the master key from PORTICO_MASTER_KEY or --master-key is not usable: "+err.Error(),
				"set it to 32 random bytes in base64 (openssl rand -base64 32), the same on every node; never change it while the database holds keys")
			return
		}
		msg := "from PORTICO_MASTER_KEY or --master-key, key id " + r.box.KeyID()
		if s.MasterKeyFile != "" {
			msg += "; --master-key-file is ignored"
		}
		r.ok("master_key", "PORTICO_MASTER_KEY", msg)
		return
	}
	path := s.MasterKeyFile
	if path == "" {
		path = filepath.Join(r.dataDir(), "master.key")
	}
	r.keyPath = path
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		r.keyMissing = true
		r.ok("master_key", path, "does not exist yet: serve creates it (mode 0600) on first start; back it up then, apart from the database")
		return
	} else if err != nil {
		r.fail("master_key", path, "cannot be read: "+err.Error(), fixRunAs)
		return
	}
	// The file exists, so this only loads it.
	key, err := secrets.LoadOrCreateMasterKey(path)
	if err == nil {
		r.box, err = secrets.NewBox(key)
		clear(key)
	}
	switch {
	case errors.Is(err, secrets.ErrInsecureKeyFile):
		r.fail("master_key", path, "other users may read it, so serve refuses it: "+err.Error(),
			fmt.Sprintf("chmod 600 %s (and make it owned by the user serve runs as)", path))
	case errors.Is(err, fs.ErrPermission):
		r.fail("master_key", path, fmt.Sprintf("cannot be read as uid %d: %v", os.Getuid(), err), fixRunAs)
	case err != nil:
		r.fail("master_key", path, "is not a usable master key: "+err.Error(),
			"restore the key file from your backup; a new key cannot read the private keys sealed with the old one")
	default:
		r.ok("master_key", path, "readable, mode 0600, key id "+r.box.KeyID())
	}
}

// sealed is one stored secret to open with the master key.
type sealed struct {
	what       string // for messages: "the internal CA key", "the certificate key of shop.example.com"
	ciphertext []byte
	aad        string
}

// checkSealedKeys opens a sample of what the master key sealed: the
// internal CA's key, one certificate key per zone (at most three) and each
// configured CA's ACME account key. That is the proof that this is the key
// the database was written with.
func (r *run) checkSealedKeys(ctx context.Context) {
	if r.box == nil && !r.keyMissing {
		return // the master key check failed and said why
	}
	var opened []string
	var samples []sealed

	// The internal CA: loaded only when both files exist, since loading
	// creates what is missing.
	caDir := r.internalCADir()
	_, kerr := os.Stat(filepath.Join(caDir, internalca.KeyFile))
	_, cerr := os.Stat(filepath.Join(caDir, internalca.CertFile))
	if kerr == nil && cerr == nil && r.box != nil {
		if _, err := internalca.LoadOrCreate(caDir, r.box, clock.Real{}); err != nil {
			r.fail("sealed_keys", "", "the internal CA does not load: "+err.Error(), fixSealed(r))
			return
		}
		opened = append(opened, "the internal CA key")
	} else if kerr == nil && r.keyMissing {
		samples = append(samples, sealed{what: "the internal CA key"}) // cannot be opened without a key
	}

	if r.store != nil {
		s, err := r.storedSecrets(ctx)
		if err != nil {
			r.warn("sealed_keys", "", "could not read stored keys: "+err.Error(), "")
			return
		}
		samples = append(samples, s...)
	}
	if len(samples) > 0 && r.box == nil {
		where := "PORTICO_MASTER_KEY"
		if r.keyPath != "" {
			where = r.keyPath
		}
		r.fail("sealed_keys", "", fmt.Sprintf("%s is stored sealed with a master key, but there is none usable at %s: serve would make a new key that cannot read it",
			samples[0].what, where), fixSealed(r))
		return
	}
	for _, s := range samples {
		plain, err := r.box.Open(s.ciphertext, s.aad)
		clear(plain)
		if err != nil {
			r.fail("sealed_keys", "", fmt.Sprintf("%s does not open with this master key: %v", s.what, err), fixSealed(r))
			return
		}
		opened = append(opened, s.what)
	}
	switch {
	case len(opened) > 0:
		r.ok("sealed_keys", "", "opened with this master key: "+strings.Join(opened, ", "))
	case r.dbState == dbPending:
		r.ok("sealed_keys", "", "nothing sealed outside the database; the keys in it are checked once its migrations are applied")
	case r.dbState == dbBroken:
		r.ok("sealed_keys", "", "nothing sealed outside the database, which could not be read")
	default:
		r.ok("sealed_keys", "", "no sealed keys stored yet")
	}
}

func fixSealed(r *run) string {
	return "use the master key this data was written with (restore it from your backup; on a fleet every node needs the same key). " +
		"Without it the stored private keys and ACME account keys are lost: delete them and let Portico issue new certificates"
}

// storedSecrets samples the sealed keys in the database.
func (r *run) storedSecrets(ctx context.Context) ([]sealed, error) {
	var out []sealed
	if edges, ok := r.store.(store.EdgeSource); ok {
		for _, z := range r.zones {
			if len(out) >= 3 {
				break
			}
			page, err := r.store.ListHostnames(ctx, z.ID, store.HostnameQuery{Limit: 50})
			if err != nil {
				return nil, err
			}
			for _, h := range page.Hostnames {
				if len(h.SSL.Certificates) == 0 {
					continue
				}
				certs, err := edges.EdgeCertificates(ctx, h.ID)
				if err != nil {
					return nil, err
				}
				if len(certs) > 0 && len(certs[0].KeyCiphertext) > 0 {
					c := certs[0]
					out = append(out, sealed{what: "the certificate key of " + h.Name, ciphertext: c.KeyCiphertext,
						aad: acme.CertificateKeyAAD(c.ID, h.ID)})
					break
				}
			}
		}
	}
	for _, a := range r.accounts {
		out = append(out, sealed{what: "the ACME account key for " + a.CA, ciphertext: a.KeyCiphertext,
			aad: acme.AccountKeyAAD(a.CA, a.DirectoryURL)})
	}
	return out, nil
}
