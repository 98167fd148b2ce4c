package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	for _, want := range []string{"October 2026", "Prepaid (4 cores)", "Right-sizing", "cheapest", "EUR"} {
		if !strings.Contains(page, want) {
			t.Errorf("cost page does not show %q", want)
		}
	}

	do(t, ctx,
		chromedp.Navigate(a.url+fmt.Sprintf("/licenses/%d/usage?from=2026-10-01&to=2026-11-02&resolution=day", id)),
		chromedp.WaitVisible(chromedp.ID("chart-setups")),
	)
	run(t, ctx, chromedp.Poll[bool](`typeof Chart !== "undefined" && Chart.getChart(document.getElementById("chart-peaks")) !== undefined`))
	screenshot(t, ctx, "usage")
	// Each chart shows its data in the colour of its first series (blue), not only axes and grid.
	for _, canvas := range []string{"chart-setups", "chart-services", "chart-peaks"} {
		blue := run(t, ctx, chromedp.Evaluate[[]int](fmt.Sprintf(canvasColours, "#"+canvas)))[0]
		legend := run(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`Chart.getChart(document.getElementById(%q)).legend.legendItems.length`, canvas)))
		if blue < 300 || legend == 0 {
			t.Errorf("%s: %d blue pixels and %d legend items, want the drawn data with a legend", canvas, blue, legend)
		}
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("canvas.chart-metric").length`)); n != 1 {
		t.Errorf("%d charts of other metrics, want 1 (memory_mb)", n)
	}
	table := run(t, ctx, chromedp.Text(chromedp.CSS("table")))
	if !strings.Contains(table, "2026-10") || !strings.Contains(table, "2026-11") {
		t.Errorf("monthly table %q, want October and November", table)
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
