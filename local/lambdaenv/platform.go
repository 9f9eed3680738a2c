package lambdaenv

import (
	"encoding/json"
	"fmt"
	"time"
)

// platform writes one of Lambda's platform log lines (START), as text or, with
// LoggingConfig's LogFormat JSON, as Lambda's JSON platform events
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html).
func (p *Pool) platform(kind, id string, record map[string]any) {
	if !p.fn.JSONLogs {
		p.logLine(fmt.Sprintf("START RequestId: %s Version: $LATEST", id))
		return
	}
	if record == nil {
		record = map[string]any{}
	}
	record["requestId"], record["version"] = id, "$LATEST"
	p.logJSON("platform."+kind, record)
}

// report writes the END and REPORT lines of an invocation.
func (p *Pool) report(id string, d, initDur time.Duration, fn Function) {
	ms := float64(d.Microseconds()) / 1000
	if !p.fn.JSONLogs {
		line := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB", id, ms, d.Milliseconds()+1, fn.MemoryMB)
		if initDur > 0 {
			line += fmt.Sprintf("\tInit Duration: %.2f ms", float64(initDur.Microseconds())/1000)
		}
		p.logLine(fmt.Sprintf("END RequestId: %s", id))
		p.logLine(line)
		return
	}
	metrics := map[string]any{"durationMs": ms, "billedDurationMs": d.Milliseconds() + 1, "memorySizeMB": fn.MemoryMB}
	if initDur > 0 {
		metrics["initDurationMs"] = float64(initDur.Microseconds()) / 1000
	}
	p.logJSON("platform.report", map[string]any{"requestId": id, "metrics": metrics, "status": "success"})
}

func (p *Pool) logJSON(typ string, record map[string]any) {
	b, _ := json.Marshal(map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "type": typ, "record": record})
	p.logLine(string(b))
}
