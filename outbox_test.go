package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"keyward/app/smtptest"
	"keyward/store"
	"keyward/store/storetest"
)

// buildOnce builds the binary once, into binDir, for the tests that run it as a process.
var (
	binDir    string
	buildOnce = sync.OnceValues(func() (string, error) {
		var err error
		if binDir, err = os.MkdirTemp("", "keyward-bin-"); err != nil {
			return "", err
		}
		return buildInto(binDir)
	})
)

func buildInto(dir string) (string, error) {
	bin := filepath.Join(dir, "keyward")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// databases are the databases of the tests' data folders: a SQLite file in the folder, or a
// PostgreSQL database of its own when KEYWARD_TEST_DATABASE names a server.
var databases sync.Map

// databaseFor is the --database of a test's data folder (empty: SQLite in it) and its target
// for store.Open.
func databaseFor(t *testing.T, dir string) (flag, target string) {
	t.Helper()
	if v, ok := databases.Load(dir); ok {
		target = v.(string)
	} else {
		target = storetest.Target(t, dir)
		databases.Store(dir, target)
	}
	if storetest.Postgres() {
		return target, target
	}
	return "", target
}

// target is what store.Open takes for a test's data folder.
func target(t *testing.T, dir string) string {
	_, target := databaseFor(t, dir)
	return target
}

// process is the binary running as the shell would start it, its log (stderr) kept.
type process struct {
	t         *testing.T
	cmd       *exec.Cmd
	log       *terminal
	listening chan bool // true once it prints that it listens, false if it ends before
	exited    chan error
	url       string // where it listens, from its banner; set before listening is told
}

// startProcess runs the binary on data folder dir with the flags given.
func startProcess(t *testing.T, dir string, flags ...string) *process {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, log: &terminal{}, listening: make(chan bool, 2), exited: make(chan error, 1),
		cmd: exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--data", dir}, flags...)...)}
	p.cmd.Env = []string{"KEYWARD_ADMIN_PASSWORD=a-long-enough-password"}
	if database, _ := databaseFor(t, dir); database != "" {
		p.cmd.Env = append(p.cmd.Env, "KEYWARD_DATABASE="+database)
	}
	p.cmd.Stderr = p.log
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				p.url = m[1]
				p.listening <- true
				break
			}
		}
		io.Copy(io.Discard, stdout)
		p.listening <- false
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// waitListening returns once the process listens, and fails the test if it ends first.
func (p *process) waitListening() {
	p.t.Helper()
	if !<-p.listening {
		p.t.Fatalf("the binary did not start:\n%s", p.log)
	}
}

// kill ends the process as kill -9 does: no shutdown, no last write.
func (p *process) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	<-p.exited
}

// stop ends the process with SIGTERM and fails the test unless it exits cleanly.
func (p *process) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Errorf("exit after SIGTERM: %v\n%s", err, p.log)
		}
	case <-time.After(30 * time.Second):
		p.t.Fatal("still running 30 s after SIGTERM")
	}
}

// queueEmails writes emails into the outbox of a data folder, as the commits that cause them do.
func queueEmails(t *testing.T, dir string, emails ...store.Email) {
	t.Helper()
	db, err := store.Open(context.Background(), target(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.EnqueueEmails(context.Background(), emails...); err != nil {
		t.Fatal(err)
	}
}

func testEmail(i int, to string) store.Email {
	return store.Email{MessageID: fmt.Sprintf("<crash-%03d@keyward.test>", i), To: to, Template: "test",
		Subject: fmt.Sprintf("Email %03d", i), Text: "Hello,\n\nOpen http://localhost:8080/licenses to see it.\n", HTML: "<p>Hello</p>"}
}

// TestOutboxSurvivesKill9 kills the process with SIGKILL in the middle of SMTP transactions, while
// the mail server holds its answer to a message, restarts it, and counts what the mailboxes got:
// every email but the refused one exactly once, save at most one duplicate per kill (the message
// in flight), none lost.
func TestOutboxSurvivesKill9(t *testing.T) {
	mail, err := smtptest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer mail.Stop()
	const total, refused, deferred = 120, "refused@example.test", "deferred@example.test"
	mail.Answer(refused, 550, 0)
	mail.Answer(deferred, 451, 1)
	var emails []store.Email
	for i := range total {
		to := fmt.Sprintf("user%03d@example.test", i)
		switch i {
		case 3:
			to = deferred
		case 7:
			to = refused
		}
		emails = append(emails, testEmail(i, to))
	}
	dir := t.TempDir()
	queueEmails(t, dir, emails...)

	// The server holds its answer to the message with these numbers (counting every message it
	// received, duplicates too) until the process is dead.
	kills := []int{25, 60, 95}
	held, release := make(chan int), make(chan struct{})
	mail.OnMessage(func(smtptest.Message) {
		n := len(mail.Messages())
		for _, k := range kills {
			if n == k {
				held <- n
				<-release
			}
		}
	})
	for _, k := range kills {
		p := startProcess(t, dir, "--smtp-url", mail.URL())
		select {
		case <-held:
		case err := <-p.exited:
			t.Fatalf("the binary ended (%v) before message %d\n%s", err, k, p.log)
		case <-time.After(60 * time.Second):
			t.Fatalf("delivery never reached message %d; %d received\n%s", k, len(mail.Messages()), p.log)
		}
		p.kill()
		release <- struct{}{}
	}

	p := startProcess(t, dir, "--smtp-url", mail.URL())
	p.waitListening()
	received := map[string]int{} // per Message-ID
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		clear(received)
		for _, m := range mail.Messages() {
			received[m.MessageID]++
		}
		if len(received) >= total-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d kills, %d of %d emails arrived\n%s", len(kills), len(received), total-1, p.log)
		}
	}
	p.stop()

	lost, duplicates := 0, 0
	for _, e := range emails {
		switch n := received[e.MessageID]; {
		case e.To == refused && n != 0:
			t.Errorf("the refused email arrived %d times", n)
		case e.To != refused && n == 0:
			lost++
		case n > 1:
			duplicates += n - 1
		}
	}
	t.Logf("%d emails, %d kills -9 mid-delivery: %d lost, %d duplicated", total, len(kills), lost, duplicates)
	if lost > 0 || duplicates > len(kills) {
		t.Errorf("%d lost, %d duplicated; want none lost and at most one duplicate per kill (%d)", lost, duplicates, len(kills))
	}
	if got := mail.Rcpts(refused); got != 1 {
		t.Errorf("the refused recipient was asked %d times across restarts, want once", got)
	}
	if got := mail.Rcpts(deferred); got != 2 {
		t.Errorf("the deferred recipient was asked %d times, want twice (451, then accepted)", got)
	}

	db, err := store.Open(context.Background(), target(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for state, want := range map[string]int{store.EmailSent: total - 1, store.EmailFailed: 1, store.EmailPending: 0} {
		es, n, err := db.ListEmails(context.Background(), state, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%d emails %s, want %d", n, state, want)
		}
		if state == store.EmailFailed && n == 1 && (es[0].To != refused || !strings.Contains(es[0].LastError, "550")) {
			t.Errorf("failed: %s with %q, want %s with its 550", es[0].To, es[0].LastError, refused)
		}
	}
}

// TestLogModeWritesEachEmailOnOneLine runs without --smtp-url: each email goes to the log as one
// line that a person reads at a glance, with the links they would follow, not the escaped body.
func TestLogModeWritesEachEmailOnOneLine(t *testing.T) {
	dir := t.TempDir()
	queueEmails(t, dir, testEmail(1, "one@example.test"), testEmail(2, "two@example.test"))
	p := startProcess(t, dir)
	p.waitListening()
	logged := func() bool {
		return strings.Contains(p.log.String(), "one@") && strings.Contains(p.log.String(), "two@")
	}
	for deadline := time.Now().Add(15 * time.Second); !logged(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the emails were not logged:\n%s", p.log)
		}
	}
	p.stop()
	for _, to := range []string{"one@example.test", "two@example.test"} {
		var lines []string
		for _, line := range strings.Split(p.log.String(), "\n") {
			if strings.Contains(line, to) {
				lines = append(lines, line)
			}
		}
		if len(lines) != 1 {
			t.Errorf("%d log lines name %s, want 1:\n%s", len(lines), to, p.log)
			continue
		}
		for _, want := range []string{"Email 0", "http://localhost:8080/licenses"} {
			if !strings.Contains(lines[0], want) {
				t.Errorf("the log line of %s lacks %q: %s", to, want, lines[0])
			}
		}
		if strings.Contains(lines[0], `\n`) {
			t.Errorf("the log line of %s holds the escaped body: %s", to, lines[0])
		}
	}
}
