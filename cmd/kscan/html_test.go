package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kscan-io/kscan/internal/repotest"
	"github.com/kscan-io/kscan/internal/testenv"
)

// chromium finds Debian's Chromium (installed by hack/report-tools.sh).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	repotest.Missing(t, "chromium missing (run hack/report-tools.sh)")
	return ""
}

// TestHTMLReportInBrowser opens the demo's HTML report in headless Chromium:
// no console error, no network request, the attack path drawn (screenshot
// in the test's temp dir, and in KSCAN_SCREENSHOT_DIR when set), filters
// that change the visible rows, and axe-core's WCAG 2 A/AA checks with no
// serious or critical violation.
func TestHTMLReportInBrowser(t *testing.T) {
	exe := chromium(t)
	axe := filepath.Join(testenv.BinDir(), "node", "node_modules", "axe-core", "axe.min.js")
	axeJS, err := os.ReadFile(axe)
	if err != nil {
		repotest.Missing(t, "axe-core missing (run hack/report-tools.sh): %v", err)
	}
	demo, _ := filepath.Abs("../../testdata/demo")
	out := t.TempDir()
	page := filepath.Join(out, "kscan-report.html")
	if code, _, errOut := kscan(t, demo, "", "scan", "--fail-on", "none", "--output-format", "html="+page, "."); code != 0 {
		t.Fatalf("scan exit %d: %s", code, errOut)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	// Open the tab first, so the listener sees every event of the page.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests, consoleErrors []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if !strings.HasPrefix(e.Request.URL, "file://") && !strings.HasPrefix(e.Request.URL, "data:") {
				requests = append(requests, e.Request.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				consoleErrors = append(consoleErrors, fmt.Sprintf("console.%s %v", e.Type, e.Args))
			}
		case *runtime.EventExceptionThrown:
			consoleErrors = append(consoleErrors, e.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	eval := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return n
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+page),
		chromedp.WaitVisible(chromedp.CSS("#filters")),
	); err != nil {
		t.Fatal(err)
	}
	total := eval(`document.querySelectorAll("#findings .severity article.finding").length`)
	paths := eval(`Array.from(document.querySelectorAll("svg.path")).filter(s => s.getBoundingClientRect().width > 100).length`)
	if total == 0 || paths == 0 {
		t.Fatalf("%d findings and %d drawn paths on the page; want both", total, paths)
	}
	// The demo's attack path: the internet-facing Ingress and what it reaches.
	pathLabel, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("svg.path")).map(s => s.getAttribute("aria-label")).join("\n")`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pathLabel, "Ingress shop/Ingress/storefront") {
		t.Errorf("the demo's Ingress path is not drawn:\n%s", pathLabel)
	}
	diagram, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("figure.diagram"), chromedp.NodeVisible))
	if err != nil {
		t.Fatal(err)
	}
	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	// The first screen as PNG: the one docs/images keeps (small enough to
	// commit; the full page is only written to the temp dir).
	first, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "html-report.jpg"), full, 0o644); err != nil {
		t.Fatal(err)
	}
	shots := []string{out}
	if d := os.Getenv("KSCAN_SCREENSHOT_DIR"); d != "" {
		shots = append(shots, d)
	}
	for _, d := range shots {
		if err := os.WriteFile(filepath.Join(d, "html-report-path.png"), diagram, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "html-report.png"), first, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", strings.Join(shots, ", "))

	// Filters: one severity leaves exactly its rows visible; the search
	// narrows; clearing both shows everything again.
	visible := `Array.from(document.querySelectorAll("#findings .severity article.finding")).filter(a => a.offsetParent !== null).length`
	sev, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#f-severity option:nth-child(2)").value`))
	if err != nil {
		t.Fatal(err)
	}
	set := func(id, value, event string) {
		t.Helper()
		eval(fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event(%q)); return 0 })()`, id, value, event))
	}
	set("f-severity", sev, "change")
	shownSev := eval(visible)
	nSev := eval(fmt.Sprintf(`document.querySelectorAll('#findings section.severity[data-sev-group=%q] article.finding').length`, sev))
	set("f-severity", "", "change")
	set("f-search", "serviceaccount", "input")
	shownSearch := eval(visible)
	set("f-search", "", "input")
	shownAll := eval(visible)
	if shownSev != nSev || shownSev == 0 || shownSev >= total {
		t.Errorf("severity %s: %d rows visible, want %d of %d", sev, shownSev, nSev, total)
	}
	if shownSearch == 0 || shownSearch >= total {
		t.Errorf("search: %d of %d rows visible", shownSearch, total)
	}
	if shownAll != total {
		t.Errorf("after clearing the filters %d of %d rows visible", shownAll, total)
	}

	// Accessibility: axe-core, WCAG 2 A and AA (labels, contrast, ...).
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](string(axeJS)+"; 0")); err != nil {
		t.Fatal(err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}}).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		msg := fmt.Sprintf("axe %s (%s): %s, %d nodes %v", v.ID, v.Impact, v.Help, len(v.Nodes), v.Nodes)
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
	t.Logf("axe-core: %d violations", len(violations))
	mu.Lock()
	defer mu.Unlock()
	if len(requests) > 0 {
		t.Errorf("the report made network requests: %v", requests)
	}
	if len(consoleErrors) > 0 {
		t.Errorf("console errors: %v", consoleErrors)
	}
}

// TestHTMLReportRenderTime measures a large report in headless Chromium:
// KSCAN_HTML_BENCH names the page (e.g. a scan of hack/synth -n 29400,
// about 10,000 findings); without it the test does not run. It logs the
// size, the time to the load event and the time the filters take, for
// docs/benchmarks.md.
func TestHTMLReportRenderTime(t *testing.T) {
	page := os.Getenv("KSCAN_HTML_BENCH")
	if page == "" {
		t.Skip("set KSCAN_HTML_BENCH to a report to measure")
	}
	exe := chromium(t)
	fi, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#filters"))); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	load, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].loadEventEnd`))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#findings .severity article.finding").length`))
	if err != nil {
		t.Fatal(err)
	}
	filter, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const e = document.getElementById("f-search"); const t0 = performance.now(); e.value = "privileged"; e.dispatchEvent(new Event("input")); document.body.offsetHeight; return performance.now() - t0 })()`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %.1f MB, %d findings; load event %.0f ms, filters shown after %v, one search %.0f ms", page, float64(fi.Size())/1e6, rows, load, wall.Round(time.Millisecond), filter)
}
