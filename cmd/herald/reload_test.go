package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"herald/mail/smtptest"
	"herald/store"
)

// reloadFarm serves /one and /two: each poll of a feed brings one new
// story, so polls are counted and every period has something to mail.
type reloadFarm struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newReloadFarm(t *testing.T) *reloadFarm {
	f := &reloadFarm{hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.URL.Path]++
		n := f.hits[r.URL.Path]
		f.mu.Unlock()
		name := strings.TrimPrefix(r.URL.Path, "/")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>%[1]s wire</title><link>https://%[1]s.example/</link>
<item><title>Story %[2]d from the %[1]s desk about harbour number %[2]d</title><link>https://%[1]s.example/%[2]d</link><guid>%[1]s-%[2]d</guid>
<pubDate>%[3]s</pubDate><description>Dispatch %[2]d of the %[1]s wire.</description></item></channel></rss>`,
			name, n, time.Now().UTC().Format(time.RFC1123Z))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *reloadFarm) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// TestReloadOnSIGHUP runs the daemon, rewrites its config and sends
// SIGHUP: a new topic with its feed and a subscriber take effect without a
// restart; a broken config is refused with the key and the fix while the
// old one keeps running; a restart-only key is kept and named; a removed
// topic stops being polled and served.
func TestReloadOnSIGHUP(t *testing.T) {
	farm := newReloadFarm(t)
	mail := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	trust := certEnv(t, mail)
	addr := freeAddr(t)
	db := filepath.Join(dir, "herald.db")
	head := fmt.Sprintf("storage: %s\nlog: {format: json}\nhttp: {listen: %q}\npoll: {allow_networks: [127.0.0.0/8]}\n"+
		"smtp: {host: 127.0.0.1, port: %d, username: %s, password: %q, from: \"Herald <news@herald.example>\"}\n",
		db, addr, mail.Port, smtptest.Username, smtptest.Password)
	one := "  - name: one\n    schedule: \"@every 1h\"\n    feeds: [{url: \"" + farm.srv.URL + "/one\"}]\n"
	two := "  - name: two\n    schedule: \"@every 1s\"\n    feeds: [{url: \"" + farm.srv.URL + "/two\"}]\n"
	subs := "subscribers:\n  - {email: ada@example.org, topics: [two], schedule: \"@every 2s\"}\n"
	cfg := filepath.Join(dir, "config.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(head + "topics:\n" + one)

	in := startInstance(t, buildHerald(t), cfg, "", 0, trust)
	logHas := func(s string) func() bool {
		return func() bool { b, _ := os.ReadFile(in.log); return strings.Contains(string(b), s) }
	}
	waitFor(t, 30*time.Second, "the daemon to poll /one", func() bool { return farm.count("/one") > 0 })
	waitFor(t, 10*time.Second, "the web server", func() bool { return get(addr, "/readyz") == http.StatusOK })
	if code := get(addr, "/topics/two.rss"); code != http.StatusNotFound {
		t.Fatalf("/topics/two.rss before the reload: %d, want 404", code)
	}
	hup := func() {
		t.Helper()
		if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	// 1. A topic, its feed and a subscriber are added.
	write(head + "topics:\n" + one + two + subs)
	hup()
	waitFor(t, 20*time.Second, "the new topic's feed to be polled", func() bool { return farm.count("/two") >= 3 })
	waitFor(t, 10*time.Second, "the new topic's feed to be served", func() bool { return get(addr, "/topics/two.rss") == http.StatusOK })
	waitFor(t, 30*time.Second, "a digest to the new subscriber", func() bool { return len(mail.Messages()) > 0 })

	// 2. A broken config is refused; the running one goes on.
	write(head + "topics:\n" + one + strings.Replace(two, "@every 1s", "every second", 1) + subs)
	hup()
	waitFor(t, 10*time.Second, "the reload error in the log", logHas("config reload failed"))
	log, _ := os.ReadFile(in.log)
	if !strings.Contains(string(log), "topics[1].schedule") || !strings.Contains(string(log), "is not a cron schedule") {
		t.Fatalf("the reload error does not name the key and the fix:\n%s", tail(in.log))
	}
	before := farm.count("/two")
	waitFor(t, 10*time.Second, "polls to go on with the old config", func() bool { return farm.count("/two") > before+1 })
	if code := get(addr, "/topics/two.rss"); code != http.StatusOK {
		t.Fatalf("/topics/two.rss after a refused reload: %d", code)
	}

	// 3. The topic is removed, and a restart-only key is changed.
	write(strings.Replace(head, addr, freeAddr(t), 1) + "topics:\n" + one)
	hup()
	waitFor(t, 10*time.Second, "the restart-only key to be named", logHas(`"key":"http.listen"`))
	waitFor(t, 10*time.Second, "the removed topic to go", func() bool { return get(addr, "/topics/two.rss") == http.StatusNotFound })
	time.Sleep(1500 * time.Millisecond) // a pass started before the reload may still finish
	before = farm.count("/two")
	time.Sleep(3 * time.Second)
	if n := farm.count("/two"); n != before {
		t.Fatalf("the removed topic's feed was polled %d more times after the reload", n-before)
	}
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Wait(); err != nil {
		t.Fatalf("daemon stopped with %v; log:\n%s", err, tail(in.log))
	}
	checkReloadStored(t, db, farm)
	checkDigestsOnce(t, openStore(t, db), mail, 1)
}

// checkReloadStored: every story served was stored once.
func checkReloadStored(t *testing.T, db string, farm *reloadFarm) {
	t.Helper()
	n, err := openStore(t, db).CountItems(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if served := farm.count("/one") + farm.count("/two"); n != served {
		t.Fatalf("%d items stored, %d stories served", n, served)
	}
}

func openStore(t testing.TB, db string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(addr, path string) int {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
