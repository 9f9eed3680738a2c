package bench

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Targets of the Lambda-like mode (issue #24).
const (
	TargetFloorRatio   = 1.25 // calibrated: orderbot cold ≤ 1.25× the floor of the work at every size
	TargetBolt         = 20.0 // calibrated: orderbot cold ≤ 1/20 of Bolt + AWS SDK at the same size
	TargetPython       = 10.0 // calibrated: orderbot cold ≤ 1/10 of Python + boto3 at the same size
	TargetWholeRatio   = 1.2  // whole process under the StepMemory quota: orderbot ≤ 1.2× Go hello
	TargetFullCPURatio = 2.0  // full CPU (section 1): orderbot ≤ 2× Go hello
	TargetWarmP99      = 10 * time.Millisecond
	powerChartFile     = "power-tuning.svg"
	balancedWeight     = 0.5 // AWS Lambda Power Tuning's "balanced" strategy weight
	platformWarmBytes  = 500 // Lambda's platform.start + platform.report records (JSON log format)
	platformColdBytes  = 400 // + platform.initStart and platform.initReport on a cold start
	gigabyte           = 1 << 30
	warmGapPeriods     = 2 // idle CPU periods before each warm invocation
	rttSourceShort     = "AWS whitepaper \"AWS Fault Isolation Boundaries\" (AZs within a Region: single-digit ms); EC2 pings 0.45 ms in an AZ, 1.3–2.1 ms across AZs (us-east-1); cloudping.co ≈1 ms within a Region"
	periodSourceShort  = "20 ms, as observed on Lambda (pwrdrvr/lambda-dispatch issue #246, pwrdrvr/lambda-throttling)"
	rootsSourceShort   = "golang/go issue #79018: the bundle, the 143 single-certificate files in /etc/ssl/certs, the bundle again"
	pricesSourceShort  = "aws.amazon.com pricing pages for Lambda, API Gateway, DynamoDB, Secrets Manager and CloudWatch, us-east-1, as stored by the search index and looked up 2026-11-25"
	lambdaSectionTitle = "## 7. Lambda-like cold start and power tuning"
)

// powerRow is one memory size of the power-tuning table.
type powerRow struct {
	MemoryMB             int
	Cold, ColdP95        time.Duration
	WarmP50, WarmP99     time.Duration
	BilledWarm           time.Duration // rounded up to 1 ms
	BilledCold           time.Duration
	WarmCost, ColdCost   costBreakdown
	Balanced             float64
	FloorCold, FloorWarm time.Duration
}

// costBreakdown is the cost of a million commands, by item, in dollars.
type costBreakdown struct {
	Lambda, APIGateway, DynamoDB, Secrets, Logs float64
}

func (c costBreakdown) Total() float64 {
	return c.Lambda + c.APIGateway + c.DynamoDB + c.Secrets + c.Logs
}

// dynamoUnits are the request units one /order-list spends, from the AWS calls the
// proxies counted in its cold start (GET / is the connection warm-up and costs nothing).
func dynamoUnits(calls proxyCounts) (rru, wru float64) {
	for op, n := range calls.Requests {
		switch strings.TrimPrefix(op, "DynamoDB_20120810.") {
		case "GetItem", "Query", "BatchGetItem", "Scan":
			rru += float64(n) // strongly consistent, item ≤ 4 KB: 1 RRU
		case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem":
			wru += float64(n) // item ≤ 1 KB: 1 WRU
		}
	}
	return rru, wru
}

// PowerTuning is the table: orderbot at every size, with its cost per million commands.
func (r LambdaReport) PowerTuning() []powerRow {
	var rows []powerRow
	for _, mb := range r.Config.Sizes {
		c, ok := r.ok(KindOrderbot, mb)
		if !ok {
			continue
		}
		cold, warm := c.ColdStats(), c.WarmStats()
		row := powerRow{MemoryMB: mb, Cold: cold.Median, ColdP95: cold.P95, WarmP50: warm.P50, WarmP99: warm.P99,
			BilledWarm: roundUpMs(warm.P50), BilledCold: roundUpMs(cold.Median)}
		if f, ok := r.ok(KindFloor, mb); ok {
			row.FloorCold, row.FloorWarm = f.ColdStats().Median, f.WarmStats().P50
		}
		calls := c.Calls()
		rru, wru := dynamoUnits(calls)
		secrets := float64(calls.Requests["secretsmanager.GetSecretValue"])
		logWarm := c.LogBytesPerWarm() + platformWarmBytes + float64(r.AccessLog)
		logCold := float64(medianLen(c)) + platformWarmBytes + platformColdBytes + float64(r.AccessLog)
		row.WarmCost = costOf(mb, row.BilledWarm, rru, wru, 0, logWarm)
		row.ColdCost = costOf(mb, row.BilledCold, rru, wru, secrets, logCold)
		rows = append(rows, row)
	}
	// Lambda Power Tuning's balanced strategy: cost and time, each divided by its largest
	// value, weighted. Cost here is Lambda's (the only item that depends on memory) and
	// time the cold median (commands are sparse: most are cold).
	var maxCost float64
	var maxTime time.Duration
	for _, row := range rows {
		maxCost, maxTime = math.Max(maxCost, row.ColdCost.Lambda), max(maxTime, row.Cold)
	}
	for i := range rows {
		rows[i].Balanced = balancedWeight*rows[i].ColdCost.Lambda/maxCost + (1-balancedWeight)*float64(rows[i].Cold)/float64(maxTime)
	}
	return rows
}

// Recommended is the memory size the balanced strategy picks (0 without data).
func (r LambdaReport) Recommended() (powerRow, bool) {
	rows := r.PowerTuning()
	if len(rows) == 0 {
		return powerRow{}, false
	}
	return slices.MinFunc(rows, func(a, b powerRow) int {
		switch {
		case a.Balanced < b.Balanced:
			return -1
		case a.Balanced > b.Balanced:
			return 1
		}
		return a.MemoryMB - b.MemoryMB
	}), true
}

func costOf(mb int, billed time.Duration, rru, wru, secrets, logBytes float64) costBreakdown {
	return costBreakdown{
		Lambda:     1e6*float64(mb)/1024*billed.Seconds()*priceGBs + priceReqPerM,
		APIGateway: priceRESTPerM,
		DynamoDB:   rru*priceRRUPerM + wru*priceWRUPerM,
		Secrets:    1e6 * secrets * priceSecretPer,
		Logs:       1e6 * logBytes / gigabyte * priceLogsPerGB,
	}
}

func roundUpMs(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(float64(d)/float64(time.Millisecond))) * time.Millisecond
}

// medianLen is the median number of bytes a contender logged up to its cold reply.
func medianLen(c *LambdaContender) int {
	n := make([]int, len(c.Samples))
	for i, s := range c.Samples {
		n[i] = len(s.stderr)
	}
	slices.Sort(n)
	if len(n) == 0 {
		return 0
	}
	return n[len(n)/2]
}

// ratio is b's cold median over a's (how many times slower b is).
func (r LambdaReport) ratio(aKind string, aMB int, bKind string, bMB int) (float64, bool) {
	a, ok1 := r.ok(aKind, aMB)
	b, ok2 := r.ok(bKind, bMB)
	if !ok1 || !ok2 || a.ColdStats().Median == 0 {
		return 0, false
	}
	return float64(b.ColdStats().Median) / float64(a.ColdStats().Median), true
}

func (r *Report) lambdaSection(w writer) {
	l := r.Lambda
	w("%s\n\n", lambdaSectionTitle)
	if len(l.Contenders) == 0 {
		w("Not run: `make bench` runs it (`-lambda`); this report was made without it.\n\n")
		return
	}
	l.lambdaSetup(w, r.Machine.NumCPU)
	r.lambdaCaveat(w)
	r.lambdaTargets(w)
	l.lambdaContenderTable(w)
	l.calibrationSection(w)
	l.powerSection(w)
	l.stepsSection(w)
	l.whereTimeGoes(w)
}

func (l LambdaReport) lambdaSetup(w writer, cores int) {
	c := l.Config
	w("**What runs.** Every contender is started the way Lambda starts a function, with two things the fast mode (section 1) " +
		"leaves out. ")
	if l.QuotaVersion > 0 {
		w("(1) **CPU in proportion to memory:** each process runs in a fresh Linux cgroup (%s) whose CPU quota is memory / 1,769 MB "+
			"of one CPU per period (1,769 MB = one vCPU, AWS Lambda documentation), with a period of %s; ", l.Quota, periodSourceShort)
		w("the machine's %d cores stay visible, as Lambda shows a function two vCPUs up to 3,008 MB. The quota goes on at the end "+
			"of the init phase, as the published figures say Lambda's share applies (see the calibration); the whole-process shape "+
			"and the cold-path steps are throttled from the start, with a %s period. ", cores, WholePeriod)
	} else {
		w("(1) **%s** — every process ran on the full, shared CPU, so this section's numbers are *not* throttled; ", l.Quota)
	}
	w("(2) **the network:** Secrets Manager (a stub) and DynamoDB (dynalite) are reached over **TLS 1.3** through a proxy that "+
		"adds a round-trip time of **%s** (%s): a one-way delay of RTT/2 on every chunk in each direction, the first client "+
		"bytes of a connection held until 1.5 RTT after accept (TCP's handshake), so a TLS handshake costs 2 RTT and each "+
		"request 1 RTT more. The proxy's certificate chain is shaped like an AWS endpoint's (RSA 2048 root → intermediate → "+
		"leaf); the function trusts its root through `AWS_CA_BUNDLE`, which `lambdas/config` adds to the roots it loads anyway. "+
		"Delays are slept with nanosleep(2) and were late by %s at the median (p95 %s).\n\n",
		c.RTT, rttSourceShort, us(float64(l.LateP50)), us(float64(l.LateP95)))
	if l.QuotaVersion > 0 {
		w("| memory | CPU share | quota per %s |\n|---|---|---|\n", c.Period)
		for _, mb := range slices.Sorted(maps.Keys(l.Quotas)) {
			w("| %d MB | %.1f %% | %s |\n", mb, 100*float64(mb)/fullCPUMemoryMB, us(float64(l.Quotas[mb])))
		}
		w("\n")
	}
	w("**Definitions.** *Cold*: spawn → the reply to one signed `/order-list`, as in section 1 (the function's own Runtime API; "+
		"Bolt, Python and Node read proxy events on stdin); *modelled cold*: the same with the init phase mapped onto Lambda's "+
		"(see the calibration below). *Warm*: %d more invocations of the same process after each cold start, "+
		"each after %d idle CPU periods (sparse traffic: the invocation starts with its quota), timed from the event handed "+
		"out to the reply — Lambda's Duration, without API Gateway. *CPU*: the process's on-CPU time up to its cold reply "+
		"(/proc/<pid>/task/*/schedstat). orderbot runs the production configuration: `SECRET_ARN` (GetSecretValue at init), "+
		"GetItem on the table, `LOG_LEVEL` INFO. The floor of the work, Python + boto3 and Bolt + AWS SDK do the same I/O through the "+
		"same proxies (GetSecretValue at init, one GetItem per command); the hello functions only reply. Contenders are interleaved round by round after one untimed round, the order rotated each round; "+
		"%d runs each.\n\n", c.Warm, warmGapPeriods, c.Runs)
}

// lambdaCaveat says how far this machine's numbers are from Lambda's.
func (r *Report) lambdaCaveat(w writer) {
	w("**How close to Lambda.** The ratios between contenders are what this section is for. Cold starts are *modelled*: " +
		"the init phase runs unthrottled and is mapped onto Lambda's Init Duration by the model fitted below to published " +
		"figures, then the first invocation runs under the quota as measured (\"Calibration against published Lambda figures\" " +
		"says how and what the model cannot know); the local spawn → reply is in the table beside it. Warm invocations are " +
		"measured as they are.\n\n")
}

func (r *Report) lambdaTargets(w writer) {
	l := r.Lambda
	w("**Targets** (ratios of cold medians in this run, modelled cold unless said):\n\n| target | measured | |\n|---|---|---|\n")
	h, o := r.Cold.Variant(VariantHello), r.Cold.Variant(VariantEnv)
	if h != nil && o != nil && len(h.Samples) > 0 && len(o.Samples) > 0 {
		x := float64(o.Stats().Median) / float64(h.Stats().Median)
		w("| full CPU (section 1): orderbot ≤ %.0f× Go hello | %.2f× (%s vs %s) | %s |\n", TargetFullCPURatio, x, ms(o.Stats().Median), ms(h.Stats().Median), yes(x <= TargetFullCPURatio))
	}
	if x, ok := l.ratio(KindWholeHello, StepMemory, KindWholeOrderbot, StepMemory); ok {
		w("| whole process under the %d MB quota (%.1f %%): orderbot ≤ %.1f× Go hello | %.2f× | %s |\n", StepMemory,
			100*float64(StepMemory)/fullCPUMemoryMB, TargetWholeRatio, x, yes(x <= TargetWholeRatio))
	}
	for _, mb := range l.Config.Sizes {
		if x, ok := l.ratio(KindFloor, mb, KindOrderbot, mb); ok {
			w("| %d MB: orderbot ≤ %.2f× the floor of the work | %.2f× | %s |\n", mb, TargetFloorRatio, x, yes(x <= TargetFloorRatio))
		}
	}
	for _, t := range []struct {
		kind, name string
		target     float64
	}{{KindPython, "Python + boto3", TargetPython}, {KindBolt, "Bolt + AWS SDK", TargetBolt}} {
		for _, mb := range l.Config.Sizes {
			if x, ok := l.ratio(KindOrderbot, mb, t.kind, mb); ok {
				w("| %d MB: orderbot ≤ 1/%.0f of %s | 1/%.1f | %s |\n", mb, t.target, t.name, x, yes(x >= t.target))
			}
		}
	}
	for _, mb := range l.Config.Sizes {
		if c, ok := l.ok(KindOrderbot, mb); ok {
			p := c.WarmStats()
			w("| %d MB: orderbot warm p99 ≤ %s with the injected RTT | %s (p50 %s, %d invocations; CPU p99 %s, quota %s per %s) | %s |\n", mb, ms(TargetWarmP99),
				ms(p.P99), ms(p.P50), p.N, ms(c.WarmCPUStats().P99), ms(l.Quotas[mb]), l.Config.Period, yes(p.P99 <= TargetWarmP99))
		}
	}
	ok := 0
	checks := l.calibrationChecks()
	for _, c := range checks {
		if c.Within() {
			ok++
		}
	}
	if len(checks) > 0 {
		w("| calibration: every published ratio reproduced within ±%.0f %% | %d of %d | %s |\n", 100*CalibrationTolerance, ok, len(checks), yes(ok == len(checks)))
	}
	w("\nWhere a target is missed, \"Where the cold start's time goes\" below says what the time is spent on.")
	if c, ok := l.ok(KindOrderbot, StepMemory); ok {
		p, q := c.WarmStats(), l.Quotas[StepMemory]
		w(" A warm invocation used %s of CPU (median), against a quota of %s per period at %d MB: the warm p50 of %s is the GetItem's "+
			"round trip through the proxy (RTT %s) plus dynalite, and the p99 is the tail of this shared machine and of the "+
			"quota (an invocation that overdraws waits for the next period).", us(float64(c.WarmCPU())), us(float64(q)), StepMemory, ms(p.P50), l.Config.RTT)
	}
	w("\n\n")
}

func (l LambdaReport) lambdaContenderTable(w writer) {
	w("| contender | memory | modelled cold median | cold p95 | spawn → reply here | init here (CPU) | CPU to reply | warm p50 | warm p99 | CPU per warm | runs | TLS connections, AWS calls |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range l.Contenders {
		if c.Kind == KindStep {
			continue
		}
		if len(c.Samples) == 0 {
			w("| %s | %d MB | – | – | – | – | – | – | – | – | 0 | skipped: %s |\n", c.Name, c.MemoryMB, oneLine(c.Err))
			continue
		}
		s, warm := c.ColdStats(), c.WarmStats()
		cpu, _ := c.initParts()
		modelled, p95, warmP50, warmP99, warmCPU := "–", "–", "–", "–", "–"
		if calibrated(c.Kind) {
			modelled, p95 = ms(s.Median), ms(s.P95)
		}
		if warm.N > 0 {
			warmP50, warmP99, warmCPU = ms(warm.P50), ms(warm.P99), us(float64(c.WarmCPU()))
		}
		w("| %s | %d MB | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %d | %s |\n", c.Name, c.MemoryMB, modelled, p95,
			ms(c.LocalColdStats().Median), ms(c.InitStats().Median), ms(cpu), ms(c.CPUStats().Median), warmP50, warmP99, warmCPU, s.N, callsText(c.Calls()))
	}
	w("\n![Lambda-like power tuning: orderbot's cold and warm latency and cost per million commands by memory size](%s)\n\n", powerChartFile)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func callsText(c proxyCounts) string {
	if c.Conns == 0 && len(c.Requests) == 0 {
		return "none"
	}
	var ops []string
	for _, op := range slices.Sorted(maps.Keys(c.Requests)) {
		ops = append(ops, fmt.Sprintf("%s ×%d", strings.TrimPrefix(strings.TrimPrefix(op, "DynamoDB_20120810."), "secretsmanager."), c.Requests[op]))
	}
	return fmt.Sprintf("%d; %s", c.Conns, strings.Join(ops, ", "))
}
