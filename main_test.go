package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	_ "modernc.org/sqlite"

	"keyward/app"
	"keyward/store"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

var listening = regexp.MustCompile(`listening on (http://\S+);`)

// terminal is what a person sees of both streams, in the order they were written.
type terminal struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.Write(p)
}

func (t *terminal) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// startRun runs the program as the shell would and returns its URL once it listens; screen
// gathers its output and its logs as a terminal would show them.
func startRun(t *testing.T, args []string, vars map[string]string) (url string, screen *terminal, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	screen = &terminal{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, env(vars), io.MultiWriter(screen, pw), screen)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("the server did not start: %v\n%s", <-done, screen)
	}
	go io.Copy(io.Discard, pr)
	return url, screen, func() error { cancel(); return <-done }
}

func get(t *testing.T, url string) (status int, body string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeFromTempDir(t *testing.T) {
	dir := t.TempDir()
	url, screen, stop := startRun(t, []string{"--addr", "127.0.0.1:0", "--demo"}, map[string]string{
		"KEYWARD_DATA": dir, "KEYWARD_ADMIN_EMAIL": "ops@keyward.test", "KEYWARD_ADMIN_PASSWORD": "a-long-enough-password",
	})
	for _, want := range []string{"Created the staff owner ops@keyward.test", "carla@contoso.example", "keyward-demo"} {
		if !strings.Contains(screen.String(), want) {
			t.Errorf("start-up output lacks %q:\n%s", want, screen)
		}
	}
	// The demo's emails go to the log at start-up; the sign-ins must come after them, not scroll away.
	startup := screen.String()
	banner := strings.Index(startup, "Created the staff owner")
	if last := strings.LastIndex(startup, "level="); last < 0 || banner < last {
		t.Errorf("the sign-ins are not the last thing printed at start-up (want the logs, then the sign-ins):\n%s", startup)
	}

	_, login := get(t, url+"/login")
	css := regexp.MustCompile(`href="(/assets/css/[^"]+)"`).FindStringSubmatch(login)
	if css == nil {
		t.Fatalf("GET /login has no stylesheet link:\n%s", login)
	}
	for path, status := range map[string]int{"/healthz": 200, "/login": 200, "/": 200, "/nowhere": 404, css[1]: 200} {
		if got, _ := get(t, url+path); got != status {
			t.Errorf("GET %s: %d, want %d", path, got, status)
		}
	}
	info, err := os.Stat(filepath.Join(dir, "instance.key"))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("instance secret mode %o, want 600", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// Health checks and assets succeed by the million under load: not at Info, where pages are.
	logs := screen.String()[len(startup):]
	if !strings.Contains(logs, "path=/nowhere") {
		t.Errorf("GET /nowhere is not in the log:\n%s", logs)
	}
	for _, quiet := range []string{"path=/healthz", "path=/assets/"} {
		if strings.Contains(logs, quiet) {
			t.Errorf("the log at Info holds %s:\n%s", quiet, logs)
		}
	}

	// A restart that loads nothing prints neither the demo sign-ins nor a new staff owner.
	_, screen, stop = startRun(t, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo"}, map[string]string{})
	stop()
	for _, unwanted := range []string{"Created the staff owner", "Demo sign-ins", "keyward-demo"} {
		if strings.Contains(screen.String(), unwanted) {
			t.Errorf("restart output holds %q:\n%s", unwanted, screen)
		}
	}
	if !strings.Contains(screen.String(), "--demo loads nothing") {
		t.Errorf("restart output does not say the demo was not loaded again:\n%s", screen)
	}
}

// TestPasswordShownWhenListenFails: a generated password is shown only once, so a start that
// fails after creating it (here: the port is taken) must still print it.
func TestPasswordShownWhenListenFails(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var out strings.Builder
	err = run(context.Background(), []string{"--addr", taken.Addr().String(), "--data", t.TempDir()}, env(nil), &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error %v, want the port's", err)
	}
	if !regexp.MustCompile(`Created the staff owner admin@localhost with the password \S+`).MatchString(out.String()) {
		t.Errorf("output %q lacks the generated password", out.String())
	}
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	var out, errs strings.Builder
	for _, tc := range []struct {
		name    string
		args    []string
		vars    map[string]string
		wantErr string
		wantOut string
	}{
		{"help", []string{"--help"}, nil, "", "keyward backup [--data DIR] FILE"},
		{"version", []string{"version"}, nil, "", "keyward "},
		{"unknown command", []string{"frobnicate"}, nil, `keyward: unknown command "frobnicate" (keyward --help lists the commands)`, ""},
		{"unknown flag", []string{"--colour"}, nil, "keyward: flag provided but not defined: -colour (keyward --help lists the flags)", ""},
		{"flag after argument", []string{"backup", "my copy.db", "--data", dir}, nil,
			"keyward backup: flags go before the file: keyward backup --data " + dir + " 'my copy.db'", ""},
		{"no file", []string{"backup", "--data", dir}, nil, "keyward backup: missing FILE: keyward backup [--data DIR] FILE", ""},
		{"two files", []string{"backup", "a.db", "b.db"}, nil, `keyward backup: unexpected argument "b.db": keyward backup [--data DIR] FILE`, ""},
		{"argument to migrate", []string{"migrate", "now"}, nil, `keyward migrate: unexpected argument "now": keyward migrate [--data DIR]`, ""},
		{"bad env", []string{"serve"}, map[string]string{"KEYWARD_DEVICE_RATE": "lots"}, "KEYWARD_DEVICE_RATE", ""},
		{"bad base url", []string{"serve", "--base-url", "localhost"}, nil, "--base-url", ""},
		{"bad retention", []string{"serve", "--raw-retention", "forever"}, nil, "--raw-retention", ""},
		{"bad smtp url", []string{"serve", "--smtp-url", "mail.example.com"}, nil, "--smtp-url", ""},
		{"bad metrics address", []string{"serve", "--metrics-addr", "9090"}, nil, "--metrics-addr", ""},
		{"metrics on the main port", []string{"serve", "--addr", "127.0.0.1:9191", "--metrics-addr", "127.0.0.1:9191"}, nil,
			"--metrics-addr \"127.0.0.1:9191\": choose another address than --addr", ""},
		{"bad webhook env", []string{"serve"}, map[string]string{"KEYWARD_WEBHOOK_ALLOW_PRIVATE": "perhaps"}, "KEYWARD_WEBHOOK_ALLOW_PRIVATE", ""},
		{"migrate a new folder", []string{"migrate", "--data", dir}, nil, "", "Created the database " + filepath.Join(dir, "keyward.db")},
		{"migrate again", []string{"migrate", "--data", dir}, nil, "", "is already up to date"},
		{"token for nobody", []string{"token", "--data", dir, "--email", "nobody@keyward.test"}, nil, "keyward token: no user has the email", ""},
		{"token without email", []string{"token", "--data", dir}, nil, "keyward token: --email is required", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out.Reset()
			errs.Reset()
			err := run(context.Background(), tc.args, env(tc.vars), &out, &errs)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if tc.wantErr != "" && (strings.Contains(err.Error(), "\n") || errs.Len() > 0) {
				t.Errorf("a mistake takes one line, not %q and %d bytes more", err, errs.Len())
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("output %q, want it to contain %q", out.String(), tc.wantOut)
			}
		})
	}
}

// TestMakefileAddresses: make run serves the demo, whose passwords are public, on loopback only,
// and make bench starts its server where BENCH_ADDR says.
func TestMakefileAddresses(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "--addr 127.0.0.1:8080"},
		{[]string{"bench"}, "addr=127.0.0.1:18081;"},
		{[]string{"bench", "BENCH_ADDR=127.0.0.1:18099"}, "addr=127.0.0.1:18099;"},
	} {
		out, err := exec.Command("make", append([]string{"-n"}, tc.args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %v: %v\n%s", tc.args, err, out)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("make -n %v lacks %q:\n%s", tc.args, tc.want, out)
		}
	}
}

func TestBaseURLFollowsThePort(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"default", nil, nil, "http://localhost:8080"},
		{"another port", []string{"--addr", "127.0.0.1:9090"}, nil, "http://localhost:9090"},
		{"flag wins", []string{"--addr", ":9090", "--base-url", "https://licenses.example.com"}, nil, "https://licenses.example.com"},
		{"environment wins", []string{"--addr", ":9090"}, map[string]string{"KEYWARD_BASE_URL": "https://k.example.com"}, "https://k.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg := app.Config{}
			fs.StringVar(&cfg.Addr, "addr", ":8080", "")
			fs.StringVar(&cfg.BaseURL, "base-url", "http://localhost:8080", "")
			if err := parseFlags(fs, tc.args, env(tc.vars), "serve"); err != nil {
				t.Fatal(err)
			}
			if got := baseURLFor(fs, env(tc.vars), cfg); got != tc.want {
				t.Errorf("base URL %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	url, _, stop := startRun(t, []string{"--addr", "127.0.0.1:0", "--data", dir}, map[string]string{
		"KEYWARD_ADMIN_EMAIL": "ops@keyward.test", "KEYWARD_ADMIN_PASSWORD": "a-long-enough-password",
	})
	defer stop()
	var out strings.Builder
	if err := run(context.Background(), []string{"token", "--data", dir, "--email", "ops@keyward.test"}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the printed token %q: status %d, want 200", token, resp.StatusCode)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "keyward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateVendor(ctx, &store.Org{Name: "V"}, &store.User{Email: "v@keyward.test", Name: "V", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	writing, stopWriting := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	written := 0
	busy := make(chan struct{}) // closed once 200 rows are in, so the backup runs amid writes
	go func() {
		defer wg.Done()
		for writing.Err() == nil {
			if err := db.Audit(ctx, store.AuditEntry{Action: "test.write", Details: strings.Repeat("x", 500)}); err != nil {
				t.Error(err)
				return
			}
			if written++; written == 200 {
				close(busy)
			}
		}
	}()
	<-busy
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	var out strings.Builder
	err = run(ctx, []string{"backup", "--data", dir, copyPath}, env(nil), &out, io.Discard)
	stopWriting()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}

	backup, err := sql.Open("sqlite", copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer backup.Close()
	var check string
	if err := backup.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	var rows int
	backup.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'test.write'`).Scan(&rows)
	if rows < 200 || rows > written {
		t.Errorf("the copy holds %d of the %d rows written; want at least the 200 written before it", rows, written)
	}
	if err := run(ctx, []string{"backup", "--data", dir, copyPath}, env(nil), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a backup over an existing file: %v, want a refusal", err)
	}
}

// TestBinaryAlone builds the binary, copies it alone into an empty folder, starts it there,
// and stops it with SIGTERM: everything it serves must come from inside it.
func TestBinaryAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "keyward")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = []string{"KEYWARD_ADMIN_PASSWORD=a-long-enough-password"}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var url string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if url == "" {
		t.Fatal("the binary did not start")
	}
	resp, err := http.Get(url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	css := regexp.MustCompile(`href="(/assets/css/[^"]+)"`).FindSubmatch(page)
	if resp.StatusCode != 200 || css == nil {
		t.Fatalf("GET /login: %d, no stylesheet link:\n%s", resp.StatusCode, page)
	}
	if resp, err := http.Get(url + string(css[1])); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET %s: %v %v", css[1], resp.StatusCode, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "keyward.db")); err != nil {
		t.Errorf("no database in ./data of the working folder: %v", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want a clean exit", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("still running 30 s after SIGTERM")
	}
}

// TestDocsStayInTheRepository: the Markdown of the repository names no document outside it, and
// every relative link it holds leads to a file of the repository and, with #fragment, to a heading.
func TestDocsStayInTheRepository(t *testing.T) {
	var files []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Not the repository's own: npm packages, the licences make assets copies beside them, data.
		if d.IsDir() && (path == "node_modules" || path == filepath.Join("assets", "vendor") || path == "data" ||
			strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("found only %v", files)
	}
	outside := regexp.MustCompile(`DESIGN|STYLE\.md|\.\./shared|/work/`)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if m := outside.Find(text); m != nil {
			t.Errorf("%s names %q, a document outside the repository", file, m)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target, fragment, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || strings.HasPrefix(m[1], "mailto:") {
				continue
			}
			path := file
			if target != "" {
				path = filepath.Join(filepath.Dir(file), target)
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s links to %s, which does not exist", file, m[1])
				continue
			}
			if fragment != "" && !slices.Contains(headingSlugs(string(body)), fragment) {
				t.Errorf("%s links to %s, but %s has no such heading", file, m[1], path)
			}
		}
	}
}

// headingSlugs are the anchors GitHub gives a Markdown file's headings.
func headingSlugs(markdown string) []string {
	var slugs []string
	for _, line := range strings.Split(markdown, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		slug := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				return r
			}
			return -1
		}, title)
		slugs = append(slugs, slug)
	}
	return slugs
}
