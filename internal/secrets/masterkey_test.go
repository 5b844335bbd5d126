package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateCreatesAndReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "master.key")
	key, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(key) != KeySize {
		t.Fatalf("len(key) = %d", len(key))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Errorf("key dir mode = %04o, want 0700", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(key) + "\n"; string(data) != want {
		t.Errorf("file content is not base64 of the key plus a newline")
	}
	again, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Error("reload returned a different key")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadRefusesInsecureFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if _, err := LoadOrCreateMasterKey(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreateMasterKey(path)
		if !errors.Is(err, ErrInsecureKeyFile) {
			t.Errorf("mode %04o: error = %v, want ErrInsecureKeyFile", mode, err)
			continue
		}
		if !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: error %q does not say how to fix it", mode, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateMasterKey(path); err != nil {
		t.Errorf("mode 0400: %v", err)
	}
}

func TestLoadRefusesBadContent(t *testing.T) {
	secretish := strings.Repeat("Zm9v", 8) // 24 bytes of base64: wrong size
	for name, content := range map[string]string{
		"empty":      "",
		"short":      secretish + "\n",
		"not base64": "this is not a key at all, not even close!!\n",
		"too large":  strings.Repeat("A", maxKeyFileSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateMasterKey(path)
			if err == nil {
				t.Fatal("want error")
			}
			if content != "" && strings.Contains(err.Error(), strings.TrimSpace(content)[:8]) {
				t.Errorf("error %q contains file content", err)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		if _, err := LoadOrCreateMasterKey(t.TempDir()); err == nil {
			t.Fatal("want error for a directory")
		}
	})
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			keys[i], errs[i] = LoadOrCreateMasterKey(path)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got a different key: two keys were created", i)
		}
	}
	onDisk, err := LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(onDisk, keys[0]) {
		t.Fatalf("key on disk differs from the one returned (err %v)", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1 (temporary files left behind)", len(entries))
	}
}

func TestDecodeMasterKey(t *testing.T) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i*7 + 0xf0) // covers '+', '/', '-', '_' in the encodings
	}
	good := map[string]string{
		"std":          base64.StdEncoding.EncodeToString(key),
		"raw std":      base64.RawStdEncoding.EncodeToString(key),
		"url":          base64.URLEncoding.EncodeToString(key),
		"raw url":      base64.RawURLEncoding.EncodeToString(key),
		"hex":          hex.EncodeToString(key),
		"upper hex":    strings.ToUpper(hex.EncodeToString(key)),
		"with newline": base64.StdEncoding.EncodeToString(key) + "\n",
		"with spaces":  "  " + hex.EncodeToString(key) + " ",
	}
	for name, s := range good {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeMasterKey(s)
			if err != nil {
				t.Fatalf("DecodeMasterKey: %v", err)
			}
			if !bytes.Equal(got, key) {
				t.Fatal("decoded a different key")
			}
		})
	}
	bad := map[string]string{
		"empty":       "",
		"blank":       " \n",
		"16 bytes":    base64.StdEncoding.EncodeToString(key[:16]),
		"33 bytes":    base64.StdEncoding.EncodeToString(append(key, 1)),
		"63 hex":      hex.EncodeToString(key)[:63],
		"64 non-hex":  strings.Repeat("g", 64),
		"passphrase":  "correct horse battery staple",
		"hex 31 byte": hex.EncodeToString(key[:31]),
	}
	for name, s := range bad {
		t.Run("bad "+name, func(t *testing.T) {
			_, err := DecodeMasterKey(s)
			if err == nil {
				t.Fatal("want error")
			}
			if len(s) > 8 && strings.Contains(err.Error(), strings.TrimSpace(s)[:8]) {
				t.Errorf("error %q echoes the input", err)
			}
		})
	}
}
