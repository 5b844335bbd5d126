package doctor_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/doctor"
	"github.com/porticohq/portico/internal/testkit/node"
)

// TestWithoutCapability runs the doctor binary as an unprivileged user
// (nobody, through setpriv) beside a Portico whose edge holds a port below
// 1024, as `portico-as doctor` does on a live node: the kernel refuses the
// bind with EACCES before it looks whether the port is taken, and doctor
// must still see that the running Portico holds it. A free privileged port
// fails with the fix. It needs root to set up, and skips otherwise.
func TestWithoutCapability(t *testing.T) {
	setpriv, err := exec.LookPath("setpriv")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and setpriv to run doctor as an unprivileged user")
	}
	held, free := privilegedPorts(t)
	n := node.Start(t, "sqlite", func(c *config.Serve) {
		c.Edge.HTTPSListen = fmt.Sprintf("127.0.0.1:%d", held)
		c.Edge.HTTPListen = "off"
	})
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "portico")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/portico").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(https int) doctor.Report {
		cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", bin, "doctor", "--json",
			"--database", "sqlite:"+filepath.Join(dir, "none", "portico.db"), "--api-listen", n.Daemon.APIAddr(),
			"--https-listen", fmt.Sprintf("127.0.0.1:%d", https), "--http-listen", "off", "--resolver", "127.0.0.1:1", "--timeout", "500ms")
		cmd.Dir = dir
		out, _ := cmd.Output() // exit 1: other checks fail as nobody
		var rep doctor.Report
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("doctor as nobody printed %q: %v", out, err)
		}
		return rep
	}
	expect(t, run(held), "listen", "--https-listen", doctor.OK, "in use, by the running Portico")
	r := expect(t, run(free), "listen", "--https-listen", doctor.Fail, "as uid 65534: ports below 1024 need root or the capability CAP_NET_BIND_SERVICE")
	if r.Fix == "" {
		t.Error("no fix")
	}
}

// privilegedPorts returns two loopback ports below 1024 that are free now.
func privilegedPorts(t *testing.T) (int, int) {
	t.Helper()
	var ports []int
	for p := 1000; p > 600 && len(ports) < 2; p-- {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		ports = append(ports, p)
	}
	if len(ports) < 2 {
		t.Skip("no free ports below 1024")
	}
	return ports[0], ports[1]
}
