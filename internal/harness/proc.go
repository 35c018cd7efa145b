package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a stopped process gets to exit on SIGTERM before it
// is sent SIGKILL. The RIE uses it to SIGKILL and reap its runtime, so a
// graceful stop leaves no orphan behind.
const stopGrace = 2 * time.Second

// process is one child started by the harness: the leader of its own process
// group, killed with its parent (Pdeathsig) and stopped by signalling the
// group, never by name.
type process struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // Wait's result; read only after done is closed
}

// spawnReq asks the spawner goroutine to start one command.
type spawnReq struct {
	cmd *exec.Cmd
	res chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

// spawn starts cmd on a goroutine that is locked to its OS thread forever.
// Linux delivers Pdeathsig when the *thread* that forked the child exits,
// not the process (golang/go#27505). The Go runtime can retire a thread, for
// example when a goroutine that locked it exits, so a child started from an
// arbitrary goroutine might be SIGKILLed mid-test. A thread that is never
// unlocked is never retired, so the signal fires only when the whole test
// binary dies, which is exactly when we want it.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: see above
			for r := range spawnCh {
				r.res <- r.cmd.Start()
			}
		}()
	})
	res := make(chan error, 1)
	spawnCh <- spawnReq{cmd: cmd, res: res}
	return <-res
}

// startProcess starts path with args and exactly env (nil means an empty
// environment), with stdout and stderr appended to logPath. Writing straight
// to a file, rather than through a pipe, means no copying goroutine can
// block Wait and the log survives a crash of the test binary.
func startProcess(path string, args, env []string, dir, logPath string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer logf.Close() // the child holds its own copy

	cmd := exec.Command(path, args...)
	cmd.Env = env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // so Stop can signal everything it started at once
		Pdeathsig: syscall.SIGKILL, // so a test binary killed by -timeout or a panic takes it along
	}
	if err := spawn(cmd); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace,
// and waits until the leader is reaped. It is safe to call more than once.
func (p *process) stop() error {
	if p.exited() {
		return nil
	}
	if err := syscall.Kill(-p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGTERM process group %d: %w", p.pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	if err := syscall.Kill(-p.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGKILL process group %d: %w", p.pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("process %d survived SIGKILL", p.pid)
	}
}

// freePort returns a loopback port that was free a moment ago. Another
// process can take it before our child binds it; callers therefore confirm
// with listensOn that *their* child owns the port and retry otherwise.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// procStat is the part of /proc/<pid>/stat the harness needs.
type procStat struct {
	pid   int
	state byte // 'Z' for a zombie
	ppid  int
	pgrp  int
	start uint64 // start time in clock ticks since boot: tells a reused PID apart
}

// readStat parses /proc/<pid>/stat. The command name is in parentheses and
// may itself contain spaces or parentheses, so fields are counted from the
// last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	s := procStat{pid: pid, state: f[0][0]}
	s.ppid, _ = strconv.Atoi(f[1])
	s.pgrp, _ = strconv.Atoi(f[2])
	s.start, _ = strconv.ParseUint(f[19], 10, 64)
	return s, nil
}

// childrenOf lists the live (non-zombie) children of ppid by scanning /proc,
// the same thing pgrep -P does.
func childrenOf(ppid int) []procStat {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []procStat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		s, err := readStat(pid)
		if err != nil || s.ppid != ppid || s.state == 'Z' {
			continue
		}
		out = append(out, s)
	}
	return out
}

// alive reports whether the process identified by s still runs: same PID,
// same start time, not a zombie. A zombie is dead for our purposes; once its
// parent exits it belongs to PID 1, which reaps it when it gets round to it.
func alive(s procStat) bool {
	cur, err := readStat(s.pid)
	return err == nil && cur.start == s.start && cur.state != 'Z'
}

// vmHWM returns the peak resident set size of pid in bytes.
func vmHWM(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmHWM %q: %w", rest, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// listensOn reports whether pid itself holds a TCP socket listening on
// 127.0.0.1:port. Dialling the port is not enough: with free ports picked
// in parallel by other test binaries, a connection can succeed against
// someone else's server while our child has just died of EADDRINUSE.
func listensOn(pid, port int) bool {
	inodes := socketInodes(pid)
	if len(inodes) == 0 {
		return false
	}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A is TCP_LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if !ok {
				continue
			}
			if p, err := strconv.ParseUint(hexPort, 16, 16); err != nil || int(p) != port {
				continue
			}
			if inodes[f[9]] {
				return true
			}
		}
	}
	return false
}

// socketInodes returns the inodes of the sockets pid has open.
func socketInodes(pid int) map[string]bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make(map[string]bool)
	for _, e := range ents {
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(target, "socket:["); ok {
			out[strings.TrimSuffix(ino, "]")] = true
		}
	}
	return out
}

// tail returns at most the last n bytes of b, for error messages.
func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}

// readLogTail reads the end of a log file for an error message.
func readLogTail(path string) string {
	b, _ := os.ReadFile(path)
	return string(tail(b, 2000))
}

// tempDirPrefix starts the name of every directory the harness creates in
// os.TempDir(). The creator's PID follows it, so a later process can tell
// the leftovers of a test binary that was killed before its cleanup ran.
const tempDirPrefix = "harness-"

var sweepOnce sync.Once

// makeTempDir creates a directory named harness-<pid>-<kind>-*, after
// removing, once per process, those left by harness processes that no
// longer exist. Killed test binaries (go test -timeout, SIGKILL) cannot
// clean up after themselves; this stops their logs and binaries piling up.
func makeTempDir(kind string) (string, error) {
	sweepOnce.Do(sweepTempDirs)
	return os.MkdirTemp("", tempDirPrefix+strconv.Itoa(os.Getpid())+"-"+kind+"-")
}

func sweepTempDirs() {
	ents, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), tempDirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidStr, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 {
			continue
		}
		// A PID in use, even by an unrelated process, keeps its directories:
		// removing a live run's log would be worse than keeping a stale one.
		if _, err := os.Stat("/proc/" + pidStr); err == nil {
			continue
		}
		os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
	}
}
