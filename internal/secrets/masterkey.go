package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrInsecureKeyFile is returned (wrapped) by LoadOrCreateMasterKey when the
// key file is readable or writable by users other than its owner.
var ErrInsecureKeyFile = errors.New("secrets: master key file is accessible to other users")

// maxKeyFileSize bounds what we read: a key file is 45 bytes.
const maxKeyFileSize = 4096

// LoadOrCreateMasterKey returns the master key stored at path. When the file
// does not exist it creates one with a new random key: base64 (standard
// alphabet) of 32 bytes and a newline, mode 0600, in a directory created with
// mode 0700 if missing. Creation is atomic and exclusive: the complete file
// appears under its name in one step, and when several processes race, one
// key wins and every process returns it.
//
// An existing file must not be accessible to group or others (mode & 0o077
// must be 0); it may hold any form DecodeMasterKey accepts.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := loadMasterKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err = createMasterKey(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and our create.
		return loadMasterKey(path)
	}
	return key, err
}

func loadMasterKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: opening master key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secrets: master key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets: master key file %s is not a regular file", path)
	}
	// Windows has no Unix permission bits to check.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrInsecureKeyFile, path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("secrets: reading master key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("secrets: master key file %s is larger than %d bytes", path, maxKeyFileSize)
	}
	key, err := DecodeMasterKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secrets: master key file %s: %w", path, err)
	}
	return key, nil
}

// createMasterKey writes a new key to a temporary file and hard-links it to
// path. link(2) fails when path exists, which gives O_EXCL semantics, and the
// file is complete and synced before it gets its name, so no reader can see a
// partial key (O_EXCL alone would expose a half-written file; rename would
// silently replace a key another process just created).
func createMasterKey(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("secrets: creating master key directory: %w", err)
	}
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // never fails since Go 1.24
	// CreateTemp makes the file with mode 0600.
	tmp, err := os.CreateTemp(dir, ".master-key-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("secrets: creating master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: writing master key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("secrets: creating master key file: %w", err)
	}
	syncDir(dir)
	return key, nil
}

// syncDir makes the new directory entry durable. Failure is not fatal: the
// key is already readable, and some filesystems refuse to sync directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// DecodeMasterKey decodes a 32-byte master key given as text, e.g. in
// PORTICO_MASTER_KEY: 64 hexadecimal characters, or base64 in the standard or
// URL alphabet, padded or not. Surrounding white space is ignored. The error
// describes the input's shape, never its content.
func DecodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secrets: master key is empty")
	}
	if len(s) == 2*KeySize {
		// 64 characters cannot be base64 of 32 bytes (that is 43 or 44).
		key, err := hex.DecodeString(s)
		if err != nil {
			return nil, errors.New("secrets: master key of 64 characters must be hexadecimal")
		}
		return key, nil
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if key, err := enc.Strict().DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("secrets: master key must be %d bytes as base64 or %d hex characters; got %d characters that are neither",
		KeySize, 2*KeySize, len(s))
}
