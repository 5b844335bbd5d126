package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version, when set at build time (-ldflags "-X
// github.com/porticohq/portico/internal/cli.Version=v1.2.3"), wins over the
// module version in the build information. Release builds set it; `go
// install ...@v1.2.3` needs nothing, since the module version is recorded.
var Version = ""

// buildInfo is what `portico version` prints.
type buildInfo struct {
	Version   string `json:"version"`            // v1.2.3, or "devel" for a build from a checkout
	Revision  string `json:"revision,omitempty"` // VCS commit
	Time      string `json:"time,omitempty"`     // commit time, RFC 3339
	Modified  bool   `json:"modified"`           // built from a tree with uncommitted changes
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"` // GOOS/GOARCH
}

// readBuildInfo collects the version from -ldflags, else the module
// version, and the VCS stamp the go command records (absent with -buildvcs=false
// and in `go run` builds, which leaves "devel").
func readBuildInfo(bi *debug.BuildInfo, ok bool) buildInfo {
	out := buildInfo{Version: "devel", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok {
		out.GoVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			out.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				out.Revision = s.Value
			case "vcs.time":
				out.Time = s.Value
			case "vcs.modified":
				out.Modified = s.Value == "true"
			}
		}
	}
	if Version != "" {
		out.Version = Version
	}
	return out
}

// String is the one line `portico version` prints.
func (b buildInfo) String() string {
	s := "portico " + b.Version
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if b.Modified {
			rev += "+modified"
		}
		s += " (" + rev
		if b.Time != "" {
			s += ", " + b.Time
		}
		s += ")"
	}
	return s + " " + b.GoVersion + " " + b.Platform
}

func runVersion(_ context.Context, env Env, args []string) error {
	var asJSON bool
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	if err := parse(env, fs, args); err != nil {
		return err
	}
	info := readBuildInfo(debug.ReadBuildInfo())
	if asJSON {
		return printJSON(env.Stdout, info)
	}
	_, err := fmt.Fprintln(env.Stdout, info)
	return err
}
