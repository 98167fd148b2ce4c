package app

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyward/app/webhook"
)

// axeSource is axe-core as npm installs it (package.json): the browser tests read it from
// node_modules; the product never serves it.
var axeSource = filepath.Join("..", "node_modules", "axe-core", "axe.min.js")

// pageWidths are the two screens every page is checked on: a laptop and a 390 CSS px phone at
// device scale 2.
var pageWidths = []struct {
	name          string
	width, height int64
	scale         float64
}{
	{"1280", 1280, 900, 1},
	{"390", 390, 844, 2},
}

// skippedLink tells the links the page walk does not follow: files (CSV, PDF), the JSON API and
// pages that only exist to be left (sign-out is a form, but be safe).
var skippedLink = regexp.MustCompile(`\.csv$|\.pdf$|/pdf$|/pdfs/|^/api/|^/assets/|^/logout|^/login`)

// everyLicense is the page of one license, which the walk visits for every license it finds:
// each status shows other actions, alerts and cards.
var everyLicense = regexp.MustCompile(`^/licenses/\d+$`)

// pageKind is a page's route shape: its path with ids as {id} and the names of its query
// parameters (with the value of a tab or a view), so the walk visits each kind of page once
// rather than every license or month.
func pageKind(u *url.URL) string {
	path := u.Path
	if !everyLicense.MatchString(path) || u.RawQuery != "" { // each license (its first tab) is a page of its own
		path = regexp.MustCompile(`/\d+`).ReplaceAllString(path, "/{id}")
	}
	keys := make([]string, 0, len(u.Query()))
	for k, v := range u.Query() {
		switch k {
		case "page":
		case "tab", "view": // each tab or view is a page of its own
			keys = append(keys, k+"="+strings.Join(v, ","))
		default:
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		path += "?" + strings.Join(keys, "&")
	}
	return path
}

// rawCodes are the machine codes a person must never read on a page: statuses, metric codes and
// other snake_case identifiers, audit and webhook event codes, command-line flags and HTTP routes.
func rawCodes() []*regexp.Regexp {
	codes := []string{}
	for code := range auditPhrases {
		if strings.ContainsAny(code, "._") {
			codes = append(codes, regexp.QuoteMeta(code))
		}
	}
	for _, name := range webhook.Names() {
		codes = append(codes, regexp.QuoteMeta(name))
	}
	return []*regexp.Regexp{
		regexp.MustCompile(`\b[a-z][a-z0-9]*_[a-z0-9_]+\b`),
		regexp.MustCompile(`(^|\s)(` + strings.Join(codes, "|") + `)\b`),
		regexp.MustCompile(`(^|\s)--[a-z]+(-[a-z]+)*\b`),
		regexp.MustCompile(`\b(GET|POST|PUT|PATCH|DELETE) /`),
	}
}

// pageReport is what one visit of a page found.
type pageReport struct {
	Path                       string
	Header                     int      // the height of the page's header, in CSS px
	HiddenTabs                 []string // tabs cut off or hidden
	RowsWithoutStatus          int      // rows of the licenses list whose status is not on screen
	Sideways                   int
	Violations                 []axeViolation
	Codes                      []string
	Load                       time.Duration
	ScrollersWithoutKeyOrLabel []string
}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// checkPage is run in the page once it has loaded: how far it reaches sideways, the words a
// person reads (the page's text and what its charts draw), table scrollers a keyboard cannot
// reach or a screen reader cannot name, then axe-core's serious and critical violations.
const checkPage = `(async () => {
	for (const c of document.querySelectorAll("canvas")) {
		for (let i = 0; i < 50 && (typeof Chart === "undefined" || !Chart.getChart(c)); i++) await new Promise((r) => setTimeout(r, 50));
	}
	const texts = [document.body.innerText];
	if (typeof Chart !== "undefined") document.querySelectorAll("canvas").forEach((c) => {
		const ch = Chart.getChart(c);
		if (!ch) return;
		Object.values(ch.scales).forEach((s) => { if (s.options.display !== false && s.options.title && s.options.title.display) texts.push(s.options.title.text); });
		(ch.legend && ch.legend.legendItems || []).forEach((item) => texts.push(item.text));
		const title = ch.options.plugins.title;
		if (title && title.display) texts.push([].concat(title.text).join(" "));
	});
	const scrollers = [];
	document.querySelectorAll("main *").forEach((el) => {
		const st = getComputedStyle(el);
		if (el.scrollWidth > el.clientWidth + 1 && /(auto|scroll)/.test(st.overflowX) && el.tagName !== "TEXTAREA" && el.tagName !== "SELECT") {
			if (el.tabIndex < 0 || !(el.getAttribute("aria-label") || el.getAttribute("aria-labelledby"))) scrollers.push(el.outerHTML.slice(0, 80));
		}
	});
	const res = await axe.run(document, {resultTypes: ["violations"]});
	const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth; };
	const header = document.querySelector("header.topbar");
	return {
		header: header ? Math.round(header.getBoundingClientRect().height) : 0,
		hiddenTabs: Array.from(document.querySelectorAll("nav.tabs a")).filter((a) => !shown(a)).map((a) => a.textContent.trim()),
		rowsWithoutStatus: document.querySelector("main table[data-list=licenses]") ? Array.from(document.querySelectorAll("main table[data-list=licenses] tbody tr")).filter((tr) => !Array.from(tr.querySelectorAll(".badge")).some(shown)).length : 0,
		sideways: document.documentElement.scrollWidth - window.innerWidth,
		texts: texts,
		scrollers: scrollers,
		violations: res.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
		})),
	};
})()`

// visitPage opens path in the browser and checks it as checkPage says.
func visitPage(t *testing.T, ctx context.Context, base, path, axe string, codes []*regexp.Regexp) pageReport {
	t.Helper()
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+path)); err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	load := time.Since(start)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](axe+";undefined"))
	got := run(t, ctx, chromedp.Evaluate[struct {
		Header            int
		HiddenTabs        []string
		RowsWithoutStatus int
		Sideways          int
		Texts             []string
		Scrollers         []string
		Violations        []axeViolation
	}](checkPage, chromedp.EvalAwaitPromise))
	r := pageReport{Path: path, Sideways: got.Sideways, Violations: got.Violations, Load: load, ScrollersWithoutKeyOrLabel: got.Scrollers,
		Header: got.Header, HiddenTabs: got.HiddenTabs, RowsWithoutStatus: got.RowsWithoutStatus}
	for _, text := range got.Texts {
		for _, re := range codes {
			for _, m := range re.FindAllString(text, -1) {
				if m = strings.TrimSpace(m); !slices.Contains(r.Codes, m) {
					r.Codes = append(r.Codes, m)
				}
			}
		}
	}
	return r
}

// pageLinks are the links of the page the walk may follow, as paths with their queries.
func pageLinks(t *testing.T, ctx context.Context, base string) []string {
	hrefs := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a[href]:not([download])")).map((a) => a.href)`))
	var out []string
	for _, h := range hrefs {
		u, err := url.Parse(h)
		if err != nil || !strings.HasPrefix(h, base) || skippedLink.MatchString(u.Path) {
			continue
		}
		p := u.Path
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		out = append(out, p)
	}
	return out
}

// signInAs signs a demo user in, accepting the terms when they ask for it.
func signInAs(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	// Each step waits for what only the next page shows, so the walk's first navigation
	// interrupts no redirect still on its way: the terms to accept, then the home page.
	const home = `//h1[starts-with(normalize-space(.), "Welcome")]`
	do(t, ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), DemoPassword+"\n"),
		chromedp.WaitVisible(`//button[contains(., "ccept")] | `+home),
	)
	if run(t, ctx, chromedp.Evaluate[bool](`!!Array.from(document.querySelectorAll("button")).find((b) => /accept/i.test(b.textContent))`)) {
		do(t, ctx, chromedp.Click(`//button[contains(., "ccept")]`), chromedp.WaitVisible(home))
	}
}

// TestBrowserEveryPage walks every page a client owner, a distributor owner and staff reach from
// their home page, at 1280 px and on a 390 px phone, and fails on what a person should not meet:
// a page wider than the screen, serious or critical axe-core violations, machine codes in the
// words on the page or in its charts, table scrollers a keyboard cannot reach.
func TestBrowserEveryPage(t *testing.T) {
	axe, err := os.ReadFile(axeSource)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is not installed (make assets runs npm ci): %v", err)
		}
		t.Skipf("axe-core is not installed (npm ci): %v", err)
	}
	a := newTestApp(t)
	if err := a.srv.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	codes := rawCodes()
	roles := []struct {
		name, email string
		must        []string
	}{
		{"client owner", "carla@contoso.example", []string{"/", "/licenses", "/licenses/{id}", "/licenses/{id}/usage", "/licenses/{id}/cost", "/orgs/{id}", "/invoices", "/profile"}},
		{"distributor owner", "dora@northwind.example", []string{"/", "/licenses", "/licenses/{id}", "/licenses/{id}/usage", "/licenses/{id}/cost", "/orgs", "/orgs/{id}", "/invoices", "/webhooks"}},
		{"staff", "sam@keyward.example", []string{"/", "/licenses", "/licenses/{id}", "/licenses/{id}/usage", "/licenses/{id}/cost", "/orgs", "/orgs/{id}", "/admin/users", "/audit", "/products"}},
	}
	type slow struct {
		path string
		load time.Duration
	}
	var slowest slow
	total := map[string]int{}
	for _, role := range roles {
		t.Run(role.name, func(t *testing.T) {
			ctx := newChromeFor(t, 6*time.Minute)
			signInAs(t, ctx, a.url, role.email)
			var visited []string
			for _, w := range pageWidths {
				do(t, ctx, chromedp.EmulateViewport(w.width, w.height, chromedp.EmulateScale(w.scale)))
				queue, seen := []string{"/"}, map[string]bool{}
				if w.name != pageWidths[0].name {
					queue = visited
				}
				for len(queue) > 0 && len(seen) < 80 {
					path := queue[0]
					queue = queue[1:]
					u, _ := url.Parse(path)
					if seen[pageKind(u)] {
						continue
					}
					seen[pageKind(u)] = true
					r := visitPage(t, ctx, a.url, path, string(axe), codes)
					if w.name == pageWidths[0].name {
						visited = append(visited, path)
						queue = append(queue, pageLinks(t, ctx, a.url)...)
					}
					screenshot(t, ctx, strings.ReplaceAll(role.name, " ", "-")+"-"+w.name+strings.NewReplacer("/", "-", "?", "-", "=", "-", "&", "-").Replace(path))
					if r.Load > slowest.load {
						slowest = slow{fmt.Sprintf("%s as %s at %s px", path, role.name, w.name), r.Load}
					}
					if w.name == "390" && r.Header > 100 {
						t.Errorf("%s at 390 px: the header takes %d px of the screen, want it folded", path, r.Header)
					}
					if len(r.HiddenTabs) > 0 {
						t.Errorf("%s at %s px: tabs cut off: %q", path, w.name, r.HiddenTabs)
					}
					if r.RowsWithoutStatus > 0 {
						t.Errorf("%s at %s px: %d licenses without their status on screen", path, w.name, r.RowsWithoutStatus)
					}
					if r.Sideways > 0 {
						t.Errorf("%s at %s px is %d px wider than the screen", path, w.name, r.Sideways)
					}
					for _, v := range r.Violations {
						total[v.ID]++
						t.Errorf("%s at %s px: axe %s (%s): %s at %s", path, w.name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
					}
					if len(r.Codes) > 0 {
						t.Errorf("%s at %s px shows codes to people: %q", path, w.name, r.Codes)
					}
					for _, s := range r.ScrollersWithoutKeyOrLabel {
						t.Errorf("%s at %s px: a scrolling box a keyboard cannot reach or that has no label: %s", path, w.name, s)
					}
				}
			}
			kinds := map[string]bool{}
			for _, p := range visited {
				u, _ := url.Parse(p)
				kinds[regexp.MustCompile(`/\d+`).ReplaceAllString(u.Path, "/{id}")] = true
			}
			for _, m := range role.must {
				if !kinds[m] {
					t.Errorf("the walk did not reach %s", m)
				}
			}
			t.Logf("%s: %d pages at each width: %s", role.name, len(visited), strings.Join(visited, " "))
		})
	}
	t.Logf("serious or critical axe violations (page × width): %v; slowest page: %s, %v", total, slowest.path, slowest.load)
}
