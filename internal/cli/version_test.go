package cli

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/porticohq/portico", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-23T11:55:32Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	checkout := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}
	for _, tc := range []struct {
		name     string
		bi       *debug.BuildInfo
		ldflags  string
		want     buildInfo
		wantLine string
	}{
		{name: "go install at a version", bi: stamped,
			want: buildInfo{Version: "v1.2.3", Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-11-23T11:55:32Z",
				Modified: true, GoVersion: "go1.26.0"},
			wantLine: "portico v1.2.3 (0123456789ab+modified, 2026-11-23T11:55:32Z) go1.26.0 "},
		{name: "ldflags win", bi: stamped, ldflags: "v9.9.9",
			want: buildInfo{Version: "v9.9.9", Revision: "0123456789abcdef0123456789abcdef01234567", Time: "2026-11-23T11:55:32Z",
				Modified: true, GoVersion: "go1.26.0"}},
		{name: "a checkout without VCS stamp", bi: checkout,
			want: buildInfo{Version: "devel", GoVersion: "go1.26.0"}, wantLine: "portico devel go1.26.0 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := Version
			Version = tc.ldflags
			t.Cleanup(func() { Version = old })
			got := readBuildInfo(tc.bi, true)
			tc.want.Platform = got.Platform
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("readBuildInfo (-want +got):\n%s", d)
			}
			if line := got.String(); tc.wantLine != "" && line != tc.wantLine+got.Platform {
				t.Errorf("String() = %q, want %q", line, tc.wantLine+got.Platform)
			}
		})
	}
	if got := readBuildInfo(nil, false); got.Version != "devel" || got.GoVersion == "" {
		t.Errorf("without build info: %+v", got)
	}
}
