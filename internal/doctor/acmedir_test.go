package doctor_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/testkit/dnstest"
	"github.com/porticohq/portico/internal/testkit/pebbletest"
)

// TestACMEDirectory fetches the configured directories as serve would: TLS
// trust from --acme-root-ca, EAB where the CA requires it, the profile.
func TestACMEDirectory(t *testing.T) {
	pebble, roots := startPebble(t, dnstest.New(t), pebbletest.Options{})
	notACME := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/json" {
			_, _ = w.Write([]byte(`{"hello": "world"}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer notACME.Close()

	dir := t.TempDir()
	base := []string{"--database", "sqlite:" + filepath.Join(dir, "portico.db"), "--resolver", "127.0.0.1:1",
		"--api-listen", "127.0.0.1:0", "--https-listen", "off", "--http-listen", "off"}
	for _, tc := range []struct {
		name    string
		args    []string
		subject string
		status  doctor.Status
		message string
	}{
		{"pebble", []string{"--acme-directory", pebble.DirectoryURL, "--acme-root-ca", roots},
			"default", doctor.OK, "answers with an ACME directory; CAA identities pebble.letsencrypt.org"},
		{"TLS root not given", []string{"--acme-directory", pebble.DirectoryURL},
			"default", doctor.Fail, "certificate signed by unknown authority"},
		{"not found", []string{"--acme-directory", notACME.URL + "/directory"},
			"default", doctor.Fail, "answers HTTP 404"},
		{"not a directory", []string{"--acme-directory", notACME.URL + "/json"},
			"default", doctor.Fail, "not with an ACME directory"},
		{"nothing listens", []string{"--acme-directory", "https://127.0.0.1:1/directory"},
			"default", doctor.Fail, "does not answer"},
		{"unknown profile", []string{"--acme-directory", pebble.DirectoryURL, "--acme-root-ca", roots, "--acme-profile", "shortlived"},
			"default", doctor.Fail, `no profile "shortlived" (it offers default)`},
		{"extra CA", []string{"--acme-directory", pebble.DirectoryURL, "--acme-root-ca", roots, "--acme-ca", "google=" + notACME.URL + "/directory"},
			"google", doctor.Fail, "answers HTTP 404"},
		{"internal CA", nil, "", doctor.Warn, "the internal CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rep := runDoctor(t, nil, append(append([]string{}, base...), tc.args...)...)
			expect(t, rep, "acme_directory", tc.subject, tc.status, tc.message)
		})
	}
}

// TestACMEDirectoryEAB checks a CA that requires External Account Binding.
func TestACMEDirectoryEAB(t *testing.T) {
	pebble, roots := startPebble(t, dnstest.New(t), pebbletest.Options{EABKeys: map[string]string{"kid-1": "c2VjcmV0LW1hYy1rZXktb2YtdGhlLWNh"}})
	base := []string{"--database", "sqlite:" + filepath.Join(t.TempDir(), "portico.db"), "--resolver", "127.0.0.1:1",
		"--api-listen", "127.0.0.1:0", "--https-listen", "off", "--http-listen", "off",
		"--acme-directory", pebble.DirectoryURL, "--acme-root-ca", roots}
	_, rep := runDoctor(t, nil, base...)
	expect(t, rep, "acme_directory", "default", doctor.Fail, "requires External Account Binding")
	_, rep = runDoctor(t, nil, append(base, "--acme-eab-kid", "kid-1", "--acme-eab-hmac", "c2VjcmV0LW1hYy1rZXktb2YtdGhlLWNh")...)
	r := expect(t, rep, "acme_directory", "default", doctor.OK, "answers")
	if out := dump(rep); strings.Contains(out, "c2VjcmV0LW1hYy1rZXktb2YtdGhlLWNh") {
		t.Errorf("the report shows the EAB MAC key: %+v", r)
	}

	// A CA of --acme-ca gets its binding from --acme-ca-eab.
	withDefault := append(append([]string{}, base...), "--acme-eab-kid", "kid-1", "--acme-eab-hmac", "c2VjcmV0LW1hYy1rZXktb2YtdGhlLWNh",
		"--acme-ca", "google="+pebble.DirectoryURL)
	_, rep = runDoctor(t, nil, withDefault...)
	expect(t, rep, "acme_directory", "google", doctor.Fail, "requires External Account Binding")
	_, rep = runDoctor(t, nil, append(withDefault, "--acme-ca-eab", "google=kid-1:c2VjcmV0LW1hYy1rZXktb2YtdGhlLWNh")...)
	expect(t, rep, "acme_directory", "google", doctor.OK, "answers")
	if out := dump(rep); strings.Contains(out, "c2VjcmV0LW1hYy1rZXktb2YtdGhlLWNh") {
		t.Error("the report shows the EAB MAC key of --acme-ca-eab")
	}
}
