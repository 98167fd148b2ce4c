package main

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keyward/store/storetest"
)

// TestInstancesShareOneSecret: on PostgreSQL a second instance with its own instance.key refuses
// to start, naming the instance secret; given the first one's secret through KEYWARD_INSTANCE_KEY
// it starts and serves the same data.
func TestInstancesShareOneSecret(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("several instances share a PostgreSQL database: set " + storetest.EnvVar + " (make test and CI do)")
	}
	database := storetest.Target(t, t.TempDir())
	first, second := t.TempDir(), t.TempDir()
	vars := map[string]string{"KEYWARD_DATABASE": database, "KEYWARD_ADMIN_PASSWORD": "two-instances-1"}
	url, _, stop := startRun(t, []string{"serve", "--addr", "127.0.0.1:0", "--data", first}, vars)
	if status, _ := get(t, url+"/healthz"); status != 200 {
		t.Fatalf("first instance: /healthz %d", status)
	}
	defer stop()

	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", second}, env(vars), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "instance secret") || !strings.Contains(err.Error(), "instance.key") {
		t.Fatalf("a second instance with another secret: %v; want a refusal naming the instance secret", err)
	}

	key, err := os.ReadFile(filepath.Join(first, "instance.key"))
	if err != nil {
		t.Fatal(err)
	}
	vars["KEYWARD_INSTANCE_KEY"] = base64.StdEncoding.EncodeToString(key)
	url2, _, stop2 := startRun(t, []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, vars)
	defer stop2()
	if status, body := get(t, url2+"/login"); status != 200 || !strings.Contains(body, "Sign in") {
		t.Errorf("second instance with the first's secret: /login %d", status)
	}
	if err := run(context.Background(), []string{"backup", "--database", database, filepath.Join(t.TempDir(), "copy.db")},
		env(nil), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("keyward backup on PostgreSQL: %v, want a message naming pg_dump", err)
	}
}
