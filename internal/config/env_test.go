package config

import (
	"flag"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEnv(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		environ  []string
		want     string
		wantWarn []string
	}{
		{name: "default", want: "127.0.0.1:8080"},
		{name: "env sets flag", environ: []string{"PORTICO_API_LISTEN=127.0.0.1:9"}, want: "127.0.0.1:9"},
		{name: "flag wins over env", args: []string{"--api-listen", "127.0.0.1:1"}, environ: []string{"PORTICO_API_LISTEN=127.0.0.1:9"}, want: "127.0.0.1:1"},
		{name: "unknown env warned", environ: []string{"PORTICO_API_LISTN=x", "PORTICO_TEST_POSTGRES=y", "HOME=/"}, want: "127.0.0.1:8080",
			wantWarn: []string{"ignoring unknown environment variable PORTICO_API_LISTN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Serve
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			c.Register(fs)
			warn, err := Parse(fs, tt.args, tt.environ)
			if err != nil {
				t.Fatal(err)
			}
			if c.APIListen != tt.want {
				t.Errorf("APIListen = %q, want %q", c.APIListen, tt.want)
			}
			if diff := cmp.Diff(tt.wantWarn, warn); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEnvBadValue(t *testing.T) {
	var c Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Register(fs)
	if _, err := Parse(fs, nil, []string{"PORTICO_QUOTA=lots"}); err == nil {
		t.Fatal("want an error for PORTICO_QUOTA=lots")
	}
}

func TestServeValidate(t *testing.T) {
	base := func() Serve {
		return Serve{Store: Store{Database: "sqlite:x.db"}, APIListen: "127.0.0.1:0", LogLevel: "info", LogFormat: "text"}
	}
	tests := []struct {
		name   string
		mutate func(*Serve)
		ok     bool
	}{
		{"defaults", func(*Serve) {}, true},
		{"postgres", func(s *Serve) { s.Database = "postgres://u@h/db" }, true},
		{"bad database", func(s *Serve) { s.Database = "mysql://x" }, false},
		{"empty sqlite path", func(s *Serve) { s.Database = "sqlite:" }, false},
		{"bad listen", func(s *Serve) { s.APIListen = "nope" }, false},
		{"bad level", func(s *Serve) { s.LogLevel = "loud" }, false},
		{"negative quota", func(s *Serve) { s.Quota = -1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.mutate(&s)
			if err := s.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
