package harness

// PID is moto_server's process id, so callers can prove it was stopped.
func (m *Moto) PID() int {
	if m.proc == nil {
		return 0
	}
	return m.proc.pid
}

// PIDs returns the process ids of the RIE and of its live children (the
// bootstrap) right now, so callers can prove later that all were stopped.
func (l *Lambda) PIDs() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.proc == nil {
		return nil
	}
	pids := []int{l.proc.pid}
	for _, k := range childrenOf(l.proc.pid) {
		pids = append(pids, k.pid)
	}
	return pids
}

// Alive reports whether a process id is a live, unreaped process.
func Alive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && alive(st)
}
