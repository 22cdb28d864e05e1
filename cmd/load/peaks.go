package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// peaks are the service's peak resident memory and goroutines during one
// measurement: the kernel's high-water mark (reset before it) and the most
// goroutines its /metrics reported, sampled every 100 ms.
type peaks struct {
	rssKB, goroutines int
}

func (p *peaks) watch(c *child) (stop func()) {
	pid := c.cmd.Process.Pid
	// "5" resets the high-water mark of the resident set (Linux).
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			p.goroutines = max(p.goroutines, goroutines(c.url))
			select {
			case <-done:
				p.rssKB = highWater(pid)
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// highWater is a process's peak resident set in kB (VmHWM), 0 if unknown.
func highWater(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// goroutines is the service's go_goroutines from its /metrics, 0 if unknown.
func goroutines(base string) int { return metrics(base)["go_goroutines"] }

var (
	codeField    = regexp.MustCompile(`"code":"([A-Z_]+)"`)
	messageField = regexp.MustCompile(`"message":"((?:[^"\\]|\\.){0,60})`) // escaped quotes included
)

// errorCode names an answer's first error: its code and the start of its
// message, so that a run says what went wrong, not only how often.
func errorCode(body []byte) string {
	code := "no code"
	if m := codeField.FindSubmatch(body); m != nil {
		code = string(m[1])
	}
	if m := messageField.FindSubmatch(body); m != nil {
		code += " (" + string(m[1]) + ")"
	}
	return code
}
