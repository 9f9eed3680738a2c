package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Published Init Duration of hello-world functions: maxday/lambda-perf (a daily run of 10
// cold starts per runtime and memory size, github.com/maxday/lambda-perf), data/last.json
// of 2026-08-22 as quoted in issue #24, arm64. Mean Init Duration in milliseconds.
const calibrationSource = "maxday/lambda-perf `data/last.json` of 2026-08-22 (daily, 10 cold starts per configuration, arm64), as quoted in issue #24"

// Published is one runtime's published mean Init Duration by memory size.
type Published struct {
	Kind    string // the hello contender that stands for it here
	Runtime string
	InitMs  map[int]float64
}

// PublishedInit is the calibration data.
var PublishedInit = []Published{
	{KindHello, "Go (provided.al2023)", map[int]float64{128: 42.1, 256: 41.0, 512: 44.0, 1024: 44.0}},
	{KindPythonHello, "Python (python3.12)", map[int]float64{128: 72.8, 1024: 82.0}},
	{KindNodeHello, "Node (nodejs20.x)", map[int]float64{128: 122.9, 1024: 127.2}},
}

// CalibrationTolerance is how far each modelled ratio may be from the published one.
const CalibrationTolerance = 0.25

// Model is the calibrated init phase: Lambda's Init Duration of a function is
// Platform + Speed × the CPU its init used here (unthrottled) + the time its init waited
// here for something other than a CPU (round trips, not scaled). Platform is what Lambda counts in Init Duration that a
// local process start does not (the sandbox, the runtime's own start); Speed is this
// machine's core against the CPU Lambda's init gets. Both are fitted, least squares, to the
// published hello figures; the invocation that follows runs under the memory's CPU quota,
// measured as it is.
type Model struct {
	Platform time.Duration
	Speed    float64
	Points   int // published figures the fit used
}

// initParts are a contender's median init CPU and init wait (initWait).
func (c *LambdaContender) initParts() (cpu, wait time.Duration) {
	var cs, ws []time.Duration
	for _, s := range c.Samples {
		cs = append(cs, s.initCPU)
		ws = append(ws, s.initWait())
	}
	if len(cs) == 0 {
		return 0, 0
	}
	slices.Sort(cs)
	slices.Sort(ws)
	return median(cs), median(ws)
}

// fitModel fits Platform and Speed to the published figures of the hello contenders that
// ran, minimising the squared relative error (weights 1/published²): what the model must
// reproduce are ratios, and an error of 5 ms matters more on Go's 42 ms than on Node's
// 123. ok is false with fewer than two distinct points.
func (r LambdaReport) fitModel() (Model, bool) {
	var sw, sx, sy, sxx, sxy float64
	n := 0
	for _, p := range PublishedInit {
		for _, mb := range CalibrationSizes {
			c, ok := r.ok(p.Kind, mb)
			pub, has := p.InitMs[mb]
			if !ok || !has {
				continue
			}
			cpu, wait := c.initParts()
			x, y, w := float64(cpu)/1e6, pub-float64(wait)/1e6, 1/(pub*pub)
			sw, sx, sy, sxx, sxy = sw+w, sx+w*x, sy+w*y, sxx+w*x*x, sxy+w*x*y
			n++
		}
	}
	den := sw*sxx - sx*sx
	if n < 2 || math.Abs(den) < 1e-18 {
		return Model{}, false
	}
	k := (sw*sxy - sx*sy) / den
	p := (sy - k*sx) / sw
	return Model{Platform: time.Duration(p * 1e6), Speed: k, Points: n}, true
}

// modelledInit is the Init Duration the model gives a sample.
func (m Model) modelledInit(s lambdaSample) time.Duration {
	return m.Platform + time.Duration(m.Speed*float64(s.initCPU)) + s.initWait()
}

// initWait is the time the init waited for something other than a CPU: its wall clock
// less its CPU and less its run-queue delay (other work on this machine running instead).
func (s lambdaSample) initWait() time.Duration {
	return max(0, s.init-s.initCPU-s.initDelay)
}

// modelled is the sample's cold start as the model has Lambda run it: the modelled init,
// then the first invocation as measured under the quota.
func (m Model) modelled(s lambdaSample) time.Duration {
	return m.modelledInit(s) + s.handler
}

// calibrated reports whether a contender's cold start is modelled: those whose init ran
// unthrottled (not the whole-process shape or the steps).
func calibrated(kind string) bool {
	return kind != KindWholeHello && kind != KindWholeOrderbot && kind != KindStep
}

// applyModel fits the model and sets every calibrated sample's modelled cold start.
func (r *LambdaReport) applyModel() {
	m, ok := r.fitModel()
	if !ok {
		return
	}
	r.Model = &m
	for _, c := range r.Contenders {
		if !calibrated(c.Kind) {
			continue
		}
		for i := range c.Samples {
			c.Samples[i].model = m.modelled(c.Samples[i])
			c.Samples[i].modelInit = m.modelledInit(c.Samples[i])
		}
	}
}

// calibrationRow is one runtime at one size: published and modelled Init Duration.
type calibrationRow struct {
	Runtime             string
	MemoryMB            int
	Published, Modelled float64 // ms
	CPU, Wait           time.Duration
}

func (r LambdaReport) calibrationRows() []calibrationRow {
	var rows []calibrationRow
	for _, p := range PublishedInit {
		for _, mb := range CalibrationSizes {
			c, ok := r.ok(p.Kind, mb)
			if !ok || r.Model == nil {
				continue
			}
			var d []time.Duration
			for _, s := range c.Samples {
				d = append(d, s.modelInit)
			}
			slices.Sort(d)
			cpu, wait := c.initParts()
			rows = append(rows, calibrationRow{Runtime: p.Runtime, MemoryMB: mb, Published: p.InitMs[mb],
				Modelled: float64(median(d)) / 1e6, CPU: cpu, Wait: wait})
		}
	}
	return rows
}

// calibrationChecks are the ratios the model must reproduce: each runtime against Go at
// each size, and each runtime's 1,024 MB against its 128 MB (flatness).
type calibrationCheck struct {
	What                string
	Published, Modelled float64
}

func (c calibrationCheck) Within() bool {
	return c.Published > 0 && math.Abs(c.Modelled/c.Published-1) <= CalibrationTolerance
}

func (r LambdaReport) calibrationChecks() []calibrationCheck {
	rows := r.calibrationRows()
	find := func(rt string, mb int) (calibrationRow, bool) {
		for _, x := range rows {
			if x.Runtime == rt && x.MemoryMB == mb {
				return x, true
			}
		}
		return calibrationRow{}, false
	}
	var out []calibrationCheck
	goName := PublishedInit[0].Runtime
	for _, mb := range CalibrationSizes {
		g, ok := find(goName, mb)
		if !ok {
			continue
		}
		for _, p := range PublishedInit[1:] {
			if x, ok := find(p.Runtime, mb); ok {
				out = append(out, calibrationCheck{fmt.Sprintf("%s : Go at %d MB", p.Runtime, mb), x.Published / g.Published, x.Modelled / g.Modelled})
			}
		}
	}
	for _, p := range PublishedInit {
		a, ok1 := find(p.Runtime, CalibrationSizes[0])
		b, ok2 := find(p.Runtime, CalibrationSizes[len(CalibrationSizes)-1])
		if ok1 && ok2 {
			out = append(out, calibrationCheck{fmt.Sprintf("%s: %d MB : %d MB (flatness)", p.Runtime, b.MemoryMB, a.MemoryMB),
				b.Published / a.Published, b.Modelled / a.Modelled})
		}
	}
	return out
}

func (l LambdaReport) calibrationSection(w writer) {
	w("### Calibration against published Lambda figures\n\n")
	if l.Model == nil {
		w("Not calibrated: the hello functions did not run (`-lambda-calibrate`).\n\n")
		return
	}
	m := *l.Model
	w("Published: mean Init Duration of hello-world functions, %s. Lambda's init is nearly flat across memory sizes — "+
		"a Go function's is 42.1 ms at 128 MB and 44.0 ms at 1,024 MB, though 128 MB is 1/8 of 1,024 MB's CPU share — so the "+
		"init phase is not throttled by the memory's share. **The model:** the init phase runs here without a CPU quota; the "+
		"quota goes on when the function first asks for an invocation (Go: its first `GET /next`; Python and Node: the line "+
		"they print once initialised) and applies to every invocation after. Lambda's Init Duration is then modelled as "+
		"**%s + %.2f × the init's CPU here + the init's waiting here** (wall clock less CPU less run-queue delay, from "+
		"/proc/<pid>/task/*/schedstat: what it waited for besides a CPU, since this machine is shared), the two constants fitted (least squares of the relative error, %d published "+
		"figures) to the hello functions of Go, Python and Node at %d and %d MB: %s is what Lambda counts in Init Duration "+
		"that a local process start does not (sandbox, runtime start), %.2f is this machine's core against the CPU Lambda's "+
		"init gets. *Modelled cold* = modelled init + the first invocation as measured under the quota.\n\n",
		calibrationSource, ms(m.Platform), m.Speed, m.Points, CalibrationSizes[0], CalibrationSizes[len(CalibrationSizes)-1],
		ms(m.Platform), m.Speed)
	w("| runtime | memory | published Init Duration | init CPU here | init waiting here | modelled Init Duration |\n|---|---|---|---|---|---|\n")
	for _, x := range l.calibrationRows() {
		w("| %s | %d MB | %.1f ms | %s | %s | %.1f ms |\n", x.Runtime, x.MemoryMB, x.Published, ms(x.CPU), ms(x.Wait), x.Modelled)
	}
	w("\n| ratio | published | modelled | within ±%.0f %% |\n|---|---|---|---|\n", 100*CalibrationTolerance)
	for _, c := range l.calibrationChecks() {
		w("| %s | %.2f | %.2f | %s |\n", c.What, c.Published, c.Modelled, yes(c.Within()))
	}
	w("\n**What the model cannot know.** The published figures are means of 10 cold starts a day of hello-world functions; "+
		"how Lambda gives CPU during init (a burst, a full vCPU, something else) is not documented, only that the result is "+
		"flat — the model gives init this machine's whole core, shared with the other work on it. %s is fitted, not measured: "+
		"it stands for the sandbox and runtime start of *any* function, so it is the same for orderbot and every peer. The "+
		"speed factor is fitted on interpreters starting (Python, Node) as much as on Go, and a Graviton core's speed on "+
		"orderbot's own work may differ. Waiting (the secret's and DynamoDB's round trips in init) is kept as measured over the "+
		"injected RTT; a real Region's round trips, TLS session setup on Lambda's network, DynamoDB's and Secrets Manager's "+
		"own latency, and the invocation's throttling on a Graviton core are this machine's, not Lambda's.\n\n", ms(m.Platform))
}
