package bench

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Targets of the Lambda-like mode (issue #14), at StepMemory unless said.
const (
	TargetFloorRatio   = 1.5  // orderbot cold ≤ 1.5× the Go floor at the same size
	TargetBolt1024     = 20.0 // orderbot cold ≤ 1/20 of Bolt at 1,024 MB
	TargetPython256    = 5.0  // orderbot cold ≤ 1/5 of the Python handler at 256 MB
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
	l.lambdaTargets(w)
	l.lambdaContenderTable(w)
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
		w("the machine's %d cores stay visible, as Lambda shows a function two vCPUs up to 3,008 MB. ", cores)
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
		"Bolt and Python read proxy events on stdin). *Warm*: %d more invocations of the same process after each cold start, "+
		"each after %d idle CPU periods (sparse traffic: the invocation starts with its quota), timed from the event handed "+
		"out to the reply — Lambda's Duration, without API Gateway. *CPU*: the process's on-CPU time up to its cold reply "+
		"(/proc/<pid>/task/*/schedstat). orderbot runs the production configuration: `SECRET_ARN` (GetSecretValue at init), "+
		"GetItem on the table, `LOG_LEVEL` INFO. Bolt and Python take the signing secret from the environment and call nothing: "+
		"that favours them. Contenders are interleaved round by round after one untimed round, the order rotated each round; "+
		"%d runs each.\n\n", c.Warm, warmGapPeriods, c.Runs)
}

// lambdaCaveat says how far this machine's throttled numbers are from Lambda's.
func (r *Report) lambdaCaveat(w writer) {
	f, ok := r.Lambda.ok(KindFloor, 128)
	if !ok {
		return
	}
	w("**How close to Lambda.** The ratios between contenders are what this section is for; absolute times are this machine's. "+
		"It is shared and slower than a Graviton core, and whether Lambda throttles the init phase as strictly as it does "+
		"invocations is not documented: the published mean Init Duration of a minimal Go function at 128 MB is %s (%s), "+
		"while the Go floor here takes %s to its reply at 128 MB", ms(pubInitGo), pubSource, ms(f.ColdStats().Median))
	if h := r.Cold.Variant(VariantHello); h != nil && len(h.Samples) > 0 {
		w(" and %s on the idle CPU (section 1)", ms(h.Stats().Median))
	}
	w(". Where a real function's init gets more CPU than its share, every cold start below is shorter and the larger sizes " +
		"gain less; what a change saves in CPU, it saves there too.\n\n")
}

func (l LambdaReport) lambdaTargets(w writer) {
	w("**Targets** (ratios of cold medians in this run; %d MB unless said):\n\n| target | measured | |\n|---|---|---|\n", StepMemory)
	if x, ok := l.ratio(KindFloor, StepMemory, KindOrderbot, StepMemory); ok {
		w("| orderbot cold ≤ %.1f× the Go floor at %d MB | %.2f× | %s |\n", TargetFloorRatio, StepMemory, x, yes(x <= TargetFloorRatio))
	}
	if x, ok := l.ratio(KindOrderbot, StepMemory, KindBolt, 1024); ok {
		w("| orderbot cold ≤ 1/%.0f of Bolt for JavaScript at 1,024 MB | 1/%.1f | %s |\n", TargetBolt1024, x, yes(x >= TargetBolt1024))
	} else {
		w("| orderbot cold ≤ 1/%.0f of Bolt for JavaScript at 1,024 MB | not measured | |\n", TargetBolt1024)
	}
	if x, ok := l.ratio(KindOrderbot, StepMemory, KindPython, StepMemory); ok {
		w("| orderbot cold ≤ 1/%.0f of the Python handler at %d MB | 1/%.1f | %s |\n", TargetPython256, StepMemory, x, yes(x >= TargetPython256))
	} else {
		w("| orderbot cold ≤ 1/%.0f of the Python handler at %d MB | not measured | |\n", TargetPython256, StepMemory)
	}
	if c, ok := l.ok(KindOrderbot, StepMemory); ok {
		p := c.WarmStats()
		w("| orderbot warm p99 ≤ %s with the injected RTT | %s (p50 %s, %d invocations) | %s |\n", ms(TargetWarmP99), ms(p.P99), ms(p.P50), p.N, yes(p.P99 <= TargetWarmP99))
	}
	w("\nWhere a target is missed, \"Where the cold start's time goes\" below says what the time is spent on.")
	if c, ok := l.ok(KindOrderbot, StepMemory); ok {
		p, q := c.WarmStats(), l.Quotas[StepMemory]
		w(" A warm invocation used %s of CPU (median), against a quota of %s per period: the warm p50 of %s is the GetItem's "+
			"round trip through the proxy (RTT %s) plus dynalite, and the p99 is the tail of this shared machine and of the "+
			"quota (an invocation that overdraws waits for the next period).", us(float64(c.WarmCPU())), us(float64(q)), ms(p.P50), l.Config.RTT)
	}
	w("\n\n")
}

func (l LambdaReport) lambdaContenderTable(w writer) {
	w("| contender | memory | cold median | cold p95 | init (Go) | CPU to reply | warm p50 | warm p99 | CPU per warm | runs | TLS connections, AWS calls |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range l.Contenders {
		if c.Kind == KindStep {
			continue
		}
		if len(c.Samples) == 0 {
			w("| %s | %d MB | – | – | – | – | – | – | – | 0 | skipped: %s |\n", c.Name, c.MemoryMB, oneLine(c.Err))
			continue
		}
		s, warm := c.ColdStats(), c.WarmStats()
		init := "–"
		if c.Kind == KindOrderbot || c.Kind == KindFloor {
			init = ms(c.InitStats().Median)
		}
		w("| %s | %d MB | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", c.Name, c.MemoryMB, ms(s.Median), ms(s.P95), init,
			ms(c.CPUStats().Median), ms(warm.P50), ms(warm.P99), us(float64(c.WarmCPU())), s.N, callsText(c.Calls()))
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
