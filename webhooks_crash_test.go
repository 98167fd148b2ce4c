package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"keyward/store"
)

// TestWebhookSurvivesKill9 kills the process with SIGKILL while an endpoint holds its answer to a
// delivery (committed, sent, not yet recorded), starts it again on the same data folder, and checks
// that the event is delivered again under the same id and recorded as delivered: never lost.
func TestWebhookSurvivesKill9(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	held, release := make(chan struct{}), make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, body)
		first := len(got) == 1
		mu.Unlock()
		if first {
			held <- struct{}{}
			<-release
		}
	}))
	defer recv.Close()

	dir := t.TempDir()
	p := startProcess(t, dir, "--webhook-allow-private")
	p.waitListening()
	tokenCmd, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	database, _ := databaseFor(t, dir)
	out, err := exec.Command(tokenCmd, "token", "--data", dir, "--database", database, "--email", "admin@localhost").Output()
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(out))
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, p.url+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, m)
		}
		return m
	}
	call(http.MethodPost, "/api/v1/webhooks", map[string]any{"url": recv.URL + "/hook", "events": []string{"license.created"}})
	dist := call(http.MethodPost, "/api/v1/organizations", map[string]any{"name": "Northwind", "kind": "distributor"})
	call(http.MethodPost, "/api/v1/products", map[string]any{"code": "suite", "name": "Suite", "features": []map[string]any{{"code": "core", "name": "Core"}}})
	call(http.MethodPost, "/api/v1/licenses", map[string]any{"distributor_id": dist["id"], "product": "suite", "features": []string{"core"},
		"currency": "EUR", "term_years": 1, "payment_period": "annual"})

	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatalf("the delivery never came\n%s", p.log)
	}
	p.kill()
	close(release)

	p = startProcess(t, dir, "--webhook-allow-private")
	p.waitListening()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event was not delivered again after the restart\n%s", p.log)
		}
	}
	p.stop()

	mu.Lock()
	defer mu.Unlock()
	var first, second struct {
		ID    string `json:"id"`
		Event string `json:"event"`
	}
	json.Unmarshal(got[0], &first)
	json.Unmarshal(got[1], &second)
	if len(got) != 2 || first.ID == "" || first.ID != second.ID || !bytes.Equal(got[0], got[1]) || first.Event != "license.created" {
		t.Errorf("deliveries %d: %s then %s; want the same license.created event twice (at least once, never lost)", len(got), got[0], got[1])
	}
	db, err := store.Open(context.Background(), target(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds, err := db.WebhookDeliveries(context.Background(), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].State() != store.DeliveryDelivered || ds[0].Attempts != 1 || ds[0].EventID != first.ID {
		t.Errorf("recorded deliveries %+v, want the one event delivered at its first recorded attempt", ds)
	}
}
