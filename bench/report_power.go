package bench

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

func (l LambdaReport) powerSection(w writer) {
	rows := l.PowerTuning()
	if len(rows) == 0 {
		return
	}
	w("### Power tuning: latency and cost per million commands by memory size\n\n")
	w("orderbot's `/order-list` at each size, as AWS Lambda Power Tuning tabulates a function. Cost per million commands, "+
		"us-east-1, prices %s: Lambda arm64 $%.10f per GB-second and $%.2f per million requests, billed duration rounded up to "+
		"1 ms with the init phase billed on a cold start; API Gateway REST $%.2f per million; DynamoDB on demand $%.3f per million "+
		"read and $%.3f per million write request units (`/order-list` is one strongly consistent GetItem of an item ≤ 4 KB: 1 RRU, "+
		"as the proxy counted); Secrets Manager $0.05 per 10,000 calls, one GetSecretValue per cold start (counted); CloudWatch "+
		"Logs ingestion $%.2f per GB: the function's own log lines at INFO (measured: %.0f bytes per warm invocation), Lambda's "+
		"platform records (≈%d bytes, ≈%d more on a cold start; estimated for the JSON log format) and API Gateway's access-log "+
		"line (%d bytes, rendered by the local gateway in the stage's format). Billed durations are the modelled cold medians "+
		"(init and first invocation: Lambda bills the init phase) and the measured warm medians; the secret's $0.40 a month and "+
		"storage do not depend on commands.\n\n",
		pricesSourceShort, priceGBs, priceReqPerM, priceRESTPerM, priceRRUPerM, priceWRUPerM, priceLogsPerGB,
		l.warmLogBytes(), platformWarmBytes, platformColdBytes, l.AccessLog)
	w("| memory | cold median | cold p95 | warm p50 | warm p99 | floor of the work cold | billed cold / warm | Lambda $/M cold | **$/M all cold** | **$/M all warm** | balanced score |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|\n")
	rec, _ := l.Recommended()
	for _, r := range rows {
		mark := ""
		if r.MemoryMB == rec.MemoryMB {
			mark = " ◀"
		}
		w("| %d MB%s | %s | %s | %s | %s | %s | %s / %s | $%.3f | **$%.2f** | **$%.2f** | %.3f |\n", r.MemoryMB, mark, ms(r.Cold), ms(r.ColdP95),
			ms(r.WarmP50), ms(r.WarmP99), ms(r.FloorCold), ms(r.BilledCold), ms(r.BilledWarm), r.ColdCost.Lambda, r.ColdCost.Total(), r.WarmCost.Total(), r.Balanced)
	}
	w("\nItems at %d MB, per million commands:\n\n| item | all warm | all cold |\n|---|---|---|\n", rec.MemoryMB)
	for _, it := range []struct {
		name       string
		warm, cold float64
	}{
		{"API Gateway REST requests", rec.WarmCost.APIGateway, rec.ColdCost.APIGateway},
		{"Lambda (requests + GB-seconds)", rec.WarmCost.Lambda, rec.ColdCost.Lambda},
		{"DynamoDB on demand", rec.WarmCost.DynamoDB, rec.ColdCost.DynamoDB},
		{"Secrets Manager GetSecretValue", rec.WarmCost.Secrets, rec.ColdCost.Secrets},
		{"CloudWatch Logs ingestion", rec.WarmCost.Logs, rec.ColdCost.Logs},
	} {
		w("| %s | $%.3f | $%.3f |\n", it.name, it.warm, it.cold)
	}
	w("| **total** | **$%.2f** | **$%.2f** |\n\n", rec.WarmCost.Total(), rec.ColdCost.Total())
	w("**Balanced pick in this run: %d MB.** The rule is AWS Lambda Power Tuning's *balanced* strategy with weight %.1f: for each size, Lambda's "+
		"cost of a million cold commands divided by the largest such cost, and the cold median divided by the largest cold "+
		"median, averaged; the smallest score wins. Only Lambda's cost depends on the memory size — API Gateway, DynamoDB, "+
		"Secrets Manager and the logs cost the same at every size — and commands are sparse, so nearly every one is a cold "+
		"start: cold latency is what a person waits for. With the init phase calibrated (not throttled by the memory's share), "+
		"the cold start barely moves between sizes while Lambda's cost grows with memory. The stack's default, `infra.MemoryMB`, "+
		"is %d MB: the README's \"Cost per million commands\" says why.\n\n", rec.MemoryMB, balancedWeight, memoryMB)
}

func (l LambdaReport) warmLogBytes() float64 {
	if c, ok := l.ok(KindOrderbot, StepMemory); ok {
		return c.LogBytesPerWarm()
	}
	return 0
}

func (l LambdaReport) stepsSection(w writer) {
	if len(l.Steps) == 0 {
		return
	}
	w("### Cold-path changes, before and after in this run\n\n")
	w("Each state is the current bootstrap with the later changes reverted (their commits' diffs to `%s`, reverse-applied, "+
		"through `go build -overlay`), so only these changes differ between the rows — or, where later work rewrote a change's "+
		"own lines, the state built from `%s` as it was committed (the changes landed as consecutive commits, so neighbouring "+
		"rows still differ by one change); the last row is the bootstrap as built now. They change package initialisation, which the calibrated model runs unthrottled, so they are measured where every "+
		"millisecond of init counts: the independent harness's shape, the whole process under the %d MB quota (%.1f %% of a "+
		"CPU), the signing secret from the environment and dynalite on loopback; interleaved with every other contender.\n\n",
		stepModule, stepModule, StepMemory, 100*float64(StepMemory)/fullCPUMemoryMB)
	l.stepsTable(w, StepMemory)
	for _, st := range l.Steps {
		if st.Commit != "" {
			w("- **%s** (`%.9s`): %s\n", st.Name, st.Commit, st.Detail)
		} else {
			w("- **%s**: %s\n", st.Name, st.Detail)
		}
	}
	last := ColdPathChanges[len(ColdPathChanges)-1]
	w("- **+ %s** (`%.9s`): %s\n\n", last.Name, last.Commit, last.Detail)
}

// stepsTable is the before/after table of the steps at memory size mb, whole process
// throttled.
func (l LambdaReport) stepsTable(w writer, mb int) {
	w("| state | package init: allocations, bytes | package init clock, idle CPU | cold median | Δ cold vs previous | cold p95 | init | first request | CPU to reply |\n")
	w("|---|---|---|---|---|---|---|---|---|\n")
	var prev time.Duration
	initText := func(p PackageInit) (string, string) {
		if p.Runs == 0 {
			return "–", "–"
		}
		return fmt.Sprintf("%d, %d KB", p.Allocs, p.Bytes/1024), us(float64(p.Clock))
	}
	row := func(name string, p PackageInit, c *LambdaContender, ok bool) {
		allocs, clock := initText(p)
		if !ok {
			why := ""
			if c != nil {
				why = c.Err
			}
			w("| %s | %s | %s | – | – | – | – | – | skipped: %s |\n", name, allocs, clock, oneLine(why))
			prev = 0
			return
		}
		s := c.ColdStats()
		delta := "–"
		if prev > 0 {
			delta = fmt.Sprintf("%+.1f ms (%+.0f %%)", float64(s.Median-prev)/1e6, 100*(float64(s.Median)/float64(prev)-1))
		}
		w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, allocs, clock, ms(s.Median), delta, ms(s.P95), ms(c.InitStats().Median),
			ms(c.HandlerStats().Median), ms(c.CPUStats().Median))
		prev = s.Median
	}
	for i, st := range l.Steps {
		c, ok := l.stepContender(i, mb)
		row(st.Name, st.Init, c, ok)
	}
	c, ok := l.ok(KindWholeOrderbot, mb)
	row("+ "+ColdPathChanges[len(ColdPathChanges)-1].Name+" (current)", l.CurrentInit, c, ok)
	if h, ok := l.ok(KindWholeHello, mb); ok {
		allocs, clock := initText(l.HelloInit)
		w("| *Go hello, for scale* | %s | %s | %s | | %s | %s | %s | %s |\n", allocs, clock, ms(h.ColdStats().Median), ms(h.ColdStats().P95),
			ms(h.InitStats().Median), ms(h.HandlerStats().Median), ms(h.CPUStats().Median))
	}
	w("\nThe allocations and bytes of package initialisation are the same on every run (`GODEBUG=inittrace=1`, %d runs of each "+
		"binary exiting before main, on the idle CPU; the clock is their median): they show each change exactly where the "+
		"throttled wall clock, on this shared machine, is noise of a few milliseconds.\n\n", initRuns)
}

// modelBreakdown splits the modelled cold start of orderbot and of the floor of the work
// (medians of each part) into what the model adds, init CPU, init waiting and the first
// invocation under the quota.
func (l LambdaReport) modelBreakdown(w writer) {
	if l.Model == nil {
		return
	}
	m := *l.Model
	w("The modelled cold start, part by part (medians; orderbot / floor of the work): the platform constant %s, the init's "+
		"CPU here × %.2f, the init's waiting here (the secret's read beside DynamoDB's connection: TLS handshakes and round trips "+
		"over RTT %s, and the backends), and the first invocation under the quota (verify, GetItem, reply).\n\n", ms(m.Platform), m.Speed, l.Config.RTT)
	w("| memory | init CPU × %.2f | init waiting | first invocation | CPU to reply | modelled cold | orderbot − floor |\n|---|---|---|---|---|---|---|\n", m.Speed)
	for _, mb := range l.Config.Sizes {
		c, ok1 := l.ok(KindOrderbot, mb)
		f, ok2 := l.ok(KindFloor, mb)
		if !ok1 || !ok2 {
			continue
		}
		ccpu, cwait := c.initParts()
		fcpu, fwait := f.initParts()
		w("| %d MB | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %+.1f ms |\n", mb,
			ms(time.Duration(m.Speed*float64(ccpu))), ms(time.Duration(m.Speed*float64(fcpu))), ms(cwait), ms(fwait),
			ms(c.HandlerStats().Median), ms(f.HandlerStats().Median), ms(c.CPUStats().Median), ms(f.CPUStats().Median),
			ms(c.ColdStats().Median), ms(f.ColdStats().Median), float64(c.ColdStats().Median-f.ColdStats().Median)/1e6)
	}
	w("\n")
}

func (l LambdaReport) whereTimeGoes(w writer) {
	w("### Where the cold start's time goes\n\n")
	l.modelBreakdown(w)
	if len(l.Throttle) > 0 {
		w("CPU quota counters over the whole suite (cgroup `cpu.stat`, summed over the processes of each size):\n\n")
		w("| memory | periods with work | periods throttled | time throttled |\n|---|---|---|---|\n")
		for _, mb := range slices.Sorted(maps.Keys(l.Throttle)) {
			t := l.Throttle[mb]
			w("| %d MB | %d | %d | %s |\n", mb, t.Periods, t.Throttled, ms(t.ThrottledTime))
		}
		w("\n")
	}
	l.profileTables(w)
}

func (l LambdaReport) profileTables(w writer) {
	p := l.Profile
	if p.Runs > 0 && p.Total > 0 {
		w("**CPU profile** of orderbot's cold start from `main` to the reply, %d cold starts at %d MB merged "+
			"(bench/fixtures/profiled: the bootstrap with `pprof` at 100 Hz; %s of samples, %s per cold start). Flat CPU by package:\n\n",
			p.Runs, StepMemory, ms(p.Total), ms(p.Total/time.Duration(p.Runs)))
		w("| package | CPU per cold start | share |\n|---|---|---|\n")
		for _, s := range p.Packages[:min(15, len(p.Packages))] {
			w("| %s | %s | %.1f %% |\n", s.Package, us(float64(s.Flat)/float64(p.Runs)), 100*float64(s.Flat)/float64(p.Total))
		}
		w("\n<details><summary><code>go tool pprof -top -cum</code> of the same profiles</summary>\n\n```\n%s\n```\n</details>\n\n", p.Top)
	}
	if len(l.InitTrace) > 0 {
		w("**Package initialisation** before `main` (`GODEBUG=inittrace=1`, %d cold starts at %d MB, median wall clock per "+
			"package — under the quota a package's init waits for CPU too): %s in total; the ten slowest:\n\n", l.Config.InitTrace, StepMemory, ms(l.InitTotal))
		w("| package | init clock | allocated |\n|---|---|---|\n")
		for _, x := range l.InitTrace[:min(10, len(l.InitTrace))] {
			w("| %s | %.2f ms | %s |\n", x.Package, float64(x.Clock)/float64(time.Millisecond), kb(x.Bytes))
		}
		w("\n")
	}
}

// PowerSVG draws the power-tuning chart: orderbot's cold median and warm p99, and the Go
// floor's cold median, by memory size (left axis, ms), and the cost of a million cold
// commands (right axis, dollars), as AWS Lambda Power Tuning plots a function.
func (r *Report) PowerSVG() string {
	rows := r.Lambda.PowerTuning()
	const width, height, left, right, top, bottom = 900, 420, 80, 90, 60, 70
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">`+"\n", width, height, width, height)
	s.WriteString(`<rect width="100%" height="100%" fill="#fff"/>` + "\n")
	fmt.Fprintf(&s, `<text x="10" y="24" font-size="15" font-weight="bold">Lambda-like power tuning: /order-list by memory size (RTT %s, %s)</text>`+"\n", r.Lambda.Config.RTT, xmlEscape(r.Lambda.Quota))
	if len(rows) == 0 {
		s.WriteString(`<text x="10" y="60">not run</text></svg>` + "\n")
		return s.String()
	}
	maxMs, maxCost := 1.0, 0.0
	for _, row := range rows {
		maxMs = math.Max(maxMs, float64(max(row.Cold, row.WarmP99, row.FloorCold))/1e6)
		maxCost = math.Max(maxCost, row.ColdCost.Total())
	}
	maxMs, maxCost = niceCeil(maxMs), niceCeil(maxCost)
	plotW, plotH := float64(width-left-right), float64(height-top-bottom)
	x := func(i int) float64 { return left + plotW*(float64(i)+0.5)/float64(len(rows)) }
	yMs := func(v float64) float64 { return top + plotH*(1-v/maxMs) }
	yCost := func(v float64) float64 { return top + plotH*(1-v/maxCost) }
	axes(&s, rows, left, top, width-right, height-bottom, maxMs, maxCost, x)
	for i, row := range rows {
		// The whole cost of a million cold commands, and below it Lambda's part, the only
		// one that depends on the memory size.
		bw := plotW / float64(len(rows)) * 0.35
		total, lambda := row.ColdCost.Total(), row.ColdCost.Lambda
		fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f2c14e" opacity="0.6"/>`+"\n", x(i)-bw/2, yCost(total), bw, top+plotH-yCost(total))
		fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#c98a00" opacity="0.8"/>`+"\n", x(i)-bw/2, yCost(lambda), bw, top+plotH-yCost(lambda))
		fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#8a6d1f">$%.2f (Lambda $%.2f)</text>`+"\n", x(i), yCost(total)-4, total, lambda)
	}
	series := []struct {
		name, color, dash string
		v                 func(powerRow) time.Duration
	}{
		{"orderbot cold median", "#2ca02c", "", func(p powerRow) time.Duration { return p.Cold }},
		{"floor of the work, cold median", "#4c78a8", "6 4", func(p powerRow) time.Duration { return p.FloorCold }},
		{"orderbot warm p99", "#d62728", "2 3", func(p powerRow) time.Duration { return p.WarmP99 }},
	}
	for k, se := range series {
		var pts []string
		for i, row := range rows {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), yMs(float64(se.v(row))/1e6)))
		}
		fmt.Fprintf(&s, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-dasharray="%s"/>`+"\n", strings.Join(pts, " "), se.color, se.dash)
		for i, row := range rows {
			fmt.Fprintf(&s, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", x(i), yMs(float64(se.v(row))/1e6), se.color)
			if k == 0 {
				fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" fill="%s">%.0f ms</text>`+"\n", x(i)+6, yMs(float64(se.v(row))/1e6)-6, se.color, float64(se.v(row))/1e6)
			}
		}
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2.5" stroke-dasharray="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			left+10+k*230, left+40+k*230, height-18, height-18, se.color, se.dash, left+46+k*230, height-14, se.name)
	}
	fmt.Fprintf(&s, `<rect x="%d" y="%d" width="20" height="10" fill="#f2c14e" opacity="0.6"/><text x="%d" y="%d">$ per million commands, all cold (right axis)</text>`+"\n", left+10, height-44, left+36, height-35)
	fmt.Fprintf(&s, `<rect x="%d" y="%d" width="20" height="10" fill="#c98a00" opacity="0.8"/><text x="%d" y="%d">of which Lambda</text>`+"\n", left+350, height-44, left+376, height-35)
	s.WriteString("</svg>\n")
	return s.String()
}

func axes(s *strings.Builder, rows []powerRow, x0, y0, x1, y1 int, maxMs, maxCost float64, x func(int) float64) {
	fmt.Fprintf(s, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#999"/>`+"\n", x0, x1, y1, y1)
	fmt.Fprintf(s, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#999"/><line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#999"/>`+"\n", x0, x0, y0, y1, x1, x1, y0, y1)
	for t := 0; t <= 4; t++ {
		y := float64(y1) - float64(y1-y0)*float64(t)/4
		fmt.Fprintf(s, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>`+"\n", x0, x1, y, y)
		fmt.Fprintf(s, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%.0f ms</text>`+"\n", x0-6, y+4, maxMs*float64(t)/4)
		fmt.Fprintf(s, `<text x="%d" y="%.1f" fill="#8a6d1f">$%.2f</text>`+"\n", x1+6, y+4, maxCost*float64(t)/4)
	}
	for i, row := range rows {
		fmt.Fprintf(s, `<text x="%.1f" y="%d" text-anchor="middle">%d MB</text>`+"\n", x(i), y1+18, row.MemoryMB)
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
