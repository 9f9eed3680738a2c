package slacksim

import (
	"encoding/json"
	"net/http"
)

// CallRecord is one Web API call as GET /_slack/calls shows it: the method, its arguments
// (each argument's first value; blocks and views as the JSON text they were sent as; never
// the token), whether Slack would have said ok, and its error code otherwise.
type CallRecord struct {
	Method string            `json:"method"`
	Args   map[string]string `json:"args"`
	OK     bool              `json:"ok"`
	Error  string            `json:"error,omitempty"`
}

// CallRecords is every call answered so far, in call order.
func (s *WebAPI) CallRecords() []CallRecord {
	calls := s.Calls()
	out := make([]CallRecord, 0, len(calls))
	for _, c := range calls {
		args := map[string]string{}
		for k, v := range c.Params {
			if len(v) > 0 {
				args[k] = v[0]
			}
		}
		out = append(out, CallRecord{Method: c.Method, Args: args, OK: c.Error == "", Error: c.Error})
	}
	return out
}

// CallsHandler serves CallRecords as a JSON array: `orderbot dev` mounts it at
// GET /_slack/calls, for tests and for the curious. ?method= keeps one method's calls.
func (s *WebAPI) CallsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		records := s.CallRecords()
		if m := r.URL.Query().Get("method"); m != "" {
			kept := []CallRecord{}
			for _, c := range records {
				if c.Method == m {
					kept = append(kept, c)
				}
			}
			records = kept
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(records)
	})
}
