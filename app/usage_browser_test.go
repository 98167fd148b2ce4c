package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyward/store"
)

// canvasColours counts the pixels of a chart's plot area (not its legend or axes) that are
// mostly blue and mostly red, as a person sees them, and those painted at all.
const canvasColours = `(() => {
	const c = document.querySelector(%q);
	const area = Chart.getChart(c).chartArea, k = window.devicePixelRatio || 1;
	const d = c.getContext("2d").getImageData(area.left * k, area.top * k, (area.right - area.left) * k, (area.bottom - area.top) * k).data;
	let blue = 0, red = 0, painted = 0;
	for (let i = 0; i < d.length; i += 4) {
		const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
		if (a < 200) continue;
		painted++;
		if (b > 150 && b > r + 60 && b > g + 30) blue++;
		if (r > 150 && r > g + 60 && r > b + 60) red++;
	}
	return [blue, red, painted];
})()`

// chartTexts are the words a person reads on every chart of the page: axis titles, legend items,
// chart titles and the ticks of each axis.
const chartTexts = `(() => {
	const out = [];
	document.querySelectorAll("canvas").forEach((c) => {
		const ch = Chart.getChart(c);
		if (!ch) return;
		Object.values(ch.scales).forEach((s) => {
			if (s.options.display !== false) {
				if (s.options.title && s.options.title.display) out.push(s.options.title.text);
				s.ticks.forEach((t, i) => out.push(String(s.getLabelForValue ? (s._tickLabels || [])[i] || "" : "")));
			}
		});
		(ch.legend.legendItems || []).forEach((item) => out.push(item.text));
		if (ch.options.plugins.title && ch.options.plugins.title.display) out.push(ch.options.plugins.title.text);
	});
	return out.filter((s) => s !== "");
})()`

// prepaidLine is where the daily-peak chart draws the prepaid cores, against its plot area.
const prepaidLine = `(() => {
	const ch = Chart.getChart(document.getElementById("chart-peaks"));
	const line = ch.getDatasetMeta(2).data, a = ch.chartArea;
	return {left: a.left, right: a.right, top: a.top, bottom: a.bottom, x0: line[0].x, x1: line[line.length - 1].x, y: line[0].y};
})()`

// redBars looks at each bar the chart marks as a day with extra cores, and at the days whose
// peak lies over the prepaid cores: how many of each, and how many of the first are red on screen.
const redBars = `(() => {
	const c = document.getElementById("chart-peaks"), ch = Chart.getChart(c), k = window.devicePixelRatio || 1;
	const g = c.getContext("2d");
	const over = ch.data.datasets[1].data, within = ch.data.datasets[0].data, prepaid = ch.data.datasets[2].data[0].y;
	let marked = 0, red = 0, above = 0, aboveMarked = 0;
	over.forEach((v, i) => {
		const peak = v === null ? within[i] : v;
		if (peak !== null && peak > prepaid) { above++; if (v !== null) aboveMarked++; }
		if (v === null) return;
		marked++;
		const bar = ch.getDatasetMeta(1).data[i];
		const [r, gr, b] = g.getImageData(bar.x * k, (bar.y + (bar.base - bar.y) / 2) * k, 1, 1).data;
		if (r > 150 && r > gr + 60 && r > b + 60) red++;
	});
	return [marked, red, above, aboveMarked];
})()`

// sideways is how far the page reaches beyond the window: 0 when nothing scrolls sideways.
const sideways = `document.documentElement.scrollWidth - window.innerWidth`

func TestBrowserUsageAndCostPages(t *testing.T) {
	a := newTestApp(t)
	ctx := newChrome(t)
	if err := a.srv.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	ls, _, err := a.db.Licenses(context.Background(), store.LicenseFilter{All: true, Query: "BER-MITTE"})
	if err != nil || len(ls) != 1 {
		t.Fatalf("the demo license BER-MITTE: %v, %v", ls, err)
	}
	id := ls[0].ID

	// Carla, the client's owner, signs in and accepts the demo terms first.
	do(t, ctx,
		chromedp.Navigate(a.url+fmt.Sprintf("/licenses/%d/cost?month=2026-10", id)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "carla@contoso.example"),
		chromedp.SendKeys(chromedp.ID("password"), DemoPassword+"\n"),
		chromedp.WaitVisible(`//button[contains(., "accept")] | //button[contains(., "Accept")]`),
		chromedp.Click(`//button[contains(., "accept")] | //button[contains(., "Accept")]`),
		chromedp.WaitVisible(chromedp.ID("chart-cost")),
	)
	run(t, ctx, chromedp.Poll[bool](`typeof Chart !== "undefined" && Chart.getChart(document.getElementById("chart-cost")) !== undefined`))
	screenshot(t, ctx, "cost")
	colours := run(t, ctx, chromedp.Evaluate[[]int](fmt.Sprintf(canvasColours, "#chart-cost")))
	if colours[0] < 500 || colours[1] < 50 {
		t.Errorf("cost chart of October: %d blue and %d red pixels, want prepaid cores in blue and the extra cores of the rush days in red", colours[0], colours[1])
	}
	page := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"October 2026", "Prepaid (4 cores)", "Right-sizing", "Cheapest", "EUR", "November 2026 ›"} {
		if !strings.Contains(page, want) {
			t.Errorf("cost page does not show %q", want)
		}
	}
	// This month pages back, never into months to come.
	do(t, ctx, chromedp.Click(`a[rel="next"]`), chromedp.WaitVisible(`//strong[. = "November 2026"]`))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[rel="next"]').length`)); n != 0 {
		t.Errorf("November 2026, this month, links to a next month")
	}

	// Without parameters the usage page shows at least the last 28 days, by day.
	do(t, ctx,
		chromedp.Navigate(a.url+fmt.Sprintf("/licenses/%d/usage", id)),
		chromedp.WaitVisible(chromedp.ID("chart-setups")),
	)
	run(t, ctx, chromedp.Poll[bool](`typeof Chart !== "undefined" && Chart.getChart(document.getElementById("chart-peaks")) !== undefined`))
	screenshot(t, ctx, "usage")
	if days := run(t, ctx, chromedp.Evaluate[int](`Chart.getChart(document.getElementById("chart-peaks")).data.labels.length`)); days < 28 {
		t.Errorf("the usage page opens on %d days, want at least 28", days)
	}
	if from, to := run(t, ctx, chromedp.Value(chromedp.ID("from"))), run(t, ctx, chromedp.Value(chromedp.ID("to"))); from != "2026-10-04" || to != "2026-11-02" {
		t.Errorf("period %s to %s, want the last 30 days, 2026-10-04 to 2026-11-02", from, to)
	}
	// Each chart shows its data in the colour of its first series (blue), not only axes and grid.
	for _, canvas := range []string{"chart-setups", "chart-services", "chart-peaks"} {
		blue := run(t, ctx, chromedp.Evaluate[[]int](fmt.Sprintf(canvasColours, "#"+canvas)))[0]
		legend := run(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`Chart.getChart(document.getElementById(%q)).legend.legendItems.length`, canvas)))
		if blue < 300 || legend == 0 {
			t.Errorf("%s: %d blue pixels and %d legend items, want the drawn data with a legend", canvas, blue, legend)
		}
	}
	// The prepaid cores: a line from the plot's left edge to its right edge, below its top.
	line := run(t, ctx, chromedp.Evaluate[struct{ Left, Right, Top, Bottom, X0, X1, Y float64 }](prepaidLine))
	if line.X0 > line.Left+1 || line.X1 < line.Right-1 || line.Y < line.Top+10 || line.Y > line.Bottom {
		t.Errorf("prepaid line from x %.0f to %.0f at y %.0f, want from %.0f to %.0f, below %.0f", line.X0, line.X1, line.Y, line.Left, line.Right, line.Top)
	}
	// Days over the prepaid cores are red bars; BER-MITTE's rush days are some of them.
	bars := run(t, ctx, chromedp.Evaluate[[]int](redBars))
	if bars[0] < 3 || bars[1] != bars[0] || bars[3] != bars[2] {
		t.Errorf("%d bars marked as days with extra cores, %d of them red; %d days over the prepaid cores, %d of them marked: want every one red",
			bars[0], bars[1], bars[2], bars[3])
	}
	// People read names, never metric codes; services not billed say so.
	texts := run(t, ctx, chromedp.Evaluate[[]string](chartTexts))
	joined := strings.Join(texts, " | ")
	for _, text := range texts {
		if strings.Contains(text, "_") || text == "cores" || regexp.MustCompile(`\d{4}-\d\d-\d\d`).MatchString(text) {
			t.Errorf("a chart shows %q, a code or an ISO date: %s", text, joined)
		}
	}
	for _, want := range []string{"Memory (MB)", "Cores", "elasticsearch (not billed)", "kibana (not billed)", "Prepaid cores (4)", "Days with extra cores"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the charts do not show %q: %s", want, joined)
		}
	}
	// A service has one colour in every legend, the one its series is drawn with.
	if same := run(t, ctx, chromedp.Evaluate[bool](`(() => {
		const colour = (id, name) => {
			const ch = Chart.getChart(typeof id === "string" ? document.getElementById(id) : id);
			const item = ch.legend.legendItems.find((i) => i.text === name);
			return item && ch.data.datasets[item.datasetIndex].borderColor === item.strokeStyle ? item.strokeStyle : "mismatch";
		};
		const memory = document.querySelector('canvas[data-metric="memory_mb"]');
		return ["api", "db", "worker"].every((s) => colour("chart-services", s) !== "mismatch" && colour("chart-services", s) === colour(memory, s));
	})()`)); !same {
		t.Errorf("services change colour between the cores and the memory chart")
	}

	// The last 7 days go by hour, with times for people, few ticks and none turned on their side.
	do(t, ctx, chromedp.Click(`//a[. = "Last 7 days"]`), chromedp.WaitVisible(chromedp.ID("chart-setups")))
	run(t, ctx, chromedp.Poll[bool](`typeof Chart !== "undefined" && Chart.getChart(document.getElementById("chart-setups")) !== undefined`))
	screenshot(t, ctx, "usage-hours")
	axis := run(t, ctx, chromedp.Evaluate[struct {
		Points, Rotation int
		Ticks            []string
	}](`(() => {
		const x = Chart.getChart(document.getElementById("chart-setups")).scales.x;
		return {points: x.getLabels().length, rotation: x.labelRotation, ticks: x.ticks.map((t) => x.options.ticks.callback.call(x, t.value))};
	})()`))
	if axis.Points < 6*24 || axis.Points > 7*24 || axis.Rotation != 0 || len(axis.Ticks) < 4 || len(axis.Ticks) > 20 || !slices.Contains(axis.Ticks, "1 Nov") || !slices.Contains(axis.Ticks, "12:00") {
		t.Errorf("hourly axis: %d points, ticks %q turned %d°, want the hours of 7 days up to now, a few ticks such as 1 Nov and 12:00, level", axis.Points, axis.Ticks, axis.Rotation)
	}

	// On a phone neither page scrolls sideways.
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	for _, path := range []string{fmt.Sprintf("/licenses/%d/usage", id), fmt.Sprintf("/licenses/%d/cost?month=2026-10", id)} {
		do(t, ctx, chromedp.Navigate(a.url+path), chromedp.WaitVisible(chromedp.CSS("canvas")))
		run(t, ctx, chromedp.Poll[bool](`typeof Chart !== "undefined" && Chart.getChart(document.querySelector("canvas")) !== undefined`))
		screenshot(t, ctx, "phone"+strings.ReplaceAll(path, "/", "-"))
		if over := run(t, ctx, chromedp.Evaluate[int](sideways)); over > 0 {
			t.Errorf("%s at 390 px is %d px wider than the screen", path, over)
		}
	}
}

// screenshot saves the page as a PNG in $KEYWARD_SCREENSHOTS, when it is set, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("KEYWARD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}
