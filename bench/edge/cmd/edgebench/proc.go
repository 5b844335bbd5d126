package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a process the benchmark started, pinned to a core. Only its own
// PID is ever signalled; a peer's workers (nginx) are stopped by their
// master.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// startPinned runs argv on cpu (taskset execs it, so the PID is the
// program's own), with its output in logPath.
func startPinned(name, cpu, logPath string, env []string, argv ...string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("taskset", append([]string{"-c", cpu}, argv...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: logf}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to 20 s, then SIGKILLs the PID.
func (p *proc) stop() {
	defer p.log.Close()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(20 * time.Second):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// tree is the PID and its children (nginx's workers).
func (p *proc) tree() []int {
	pids := []int{p.pid()}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.pid(), p.pid()))
	if err != nil {
		return pids
	}
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// cpuTicks is the user+system CPU time of the tree so far, in clock ticks
// (1/100 s on Linux). Workers that exited are not counted, so it is read
// while the peer runs.
func (p *proc) cpuTicks() int64 {
	var total int64
	for _, pid := range p.tree() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and
		// may hold spaces: state is field 3, utime 14, stime 15.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += u + s
	}
	return total
}

const ticksPerSecond = 100 // USER_HZ on Linux

// memory is the tree's peak resident set (VmHWM) and current one (VmRSS),
// summed over its processes, in bytes. Summing counts pages that nginx's
// master and worker share twice: an upper bound for nginx.
func (p *proc) memory() (peak, now int64, err error) {
	for _, pid := range p.tree() {
		b, e := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if e != nil {
			err = errors.Join(err, e)
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmHWM:":
				peak += kb << 10
			case "VmRSS:":
				now += kb << 10
			}
		}
	}
	return peak, now, err
}
