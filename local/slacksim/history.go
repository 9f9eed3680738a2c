package slacksim

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// conversations.history's limit argument: "default 100 … Maximum of 999"
// (docs.slack.dev/reference/methods/conversations.history).
const (
	historyDefaultLimit = 100
	historyMaxLimit     = 999
)

// conversationsHistory is conversations.history: the channel's messages, newest first,
// ephemeral ones never (they are not in a channel's history), between oldest and latest
// (exclusive unless inclusive), at most limit of them with a next_cursor for the rest. The
// bot reads only channels it is in: not_in_channel in a public one it has not joined,
// channel_not_found in a private one (the method page's errors).
func (s *WebAPI) conversationsHistory(p url.Values, _ *Call) ([]byte, *apiError) {
	channel := p.Get("channel")
	if perr := s.channelProblem(channel); perr != nil {
		return nil, perr
	}
	limit := historyDefaultLimit
	if v := p.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errCode("invalid_limit")
		}
		limit = min(n, historyMaxLimit)
	}
	oldest, latest := p.Get("oldest"), p.Get("latest")
	inclusive := p.Get("inclusive") == "true" || p.Get("inclusive") == "1"
	if c := p.Get("cursor"); c != "" {
		b, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			return nil, errCode("invalid_cursor")
		}
		latest, inclusive = string(b), true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	msgs := s.messages[channel]
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Ephemeral || !inRange(m.TS, oldest, latest, inclusive) {
			continue
		}
		if len(out) == limit {
			next := base64.StdEncoding.EncodeToString([]byte(m.TS))
			return okBody(map[string]any{"messages": out, "has_more": true,
				"response_metadata": map[string]any{"next_cursor": next}}), nil
		}
		out = append(out, messageJSON(m.Msg))
	}
	return okBody(map[string]any{"messages": append([]map[string]any{}, out...), "has_more": false}), nil
}

// inRange says whether ts lies between oldest and latest ("" is open).
func inRange(ts, oldest, latest string, inclusive bool) bool {
	if oldest != "" {
		if c := compareTS(ts, oldest); c < 0 || (c == 0 && !inclusive) {
			return false
		}
	}
	if latest != "" {
		if c := compareTS(ts, latest); c > 0 || (c == 0 && !inclusive) {
			return false
		}
	}
	return true
}

// compareTS orders two message timestamps ("<seconds>.<microseconds>") as numbers, which
// a float64 cannot hold exactly (16 digits).
func compareTS(a, b string) int {
	as, af := splitTS(a)
	bs, bf := splitTS(b)
	switch {
	case as != bs:
		return cmp.Compare(as, bs)
	default:
		return cmp.Compare(af, bf)
	}
}

func splitTS(ts string) (sec, micro int64) {
	s, f, _ := strings.Cut(ts, ".")
	sec, _ = strconv.ParseInt(s, 10, 64)
	f = (f + "000000")[:6]
	micro, _ = strconv.ParseInt(f, 10, 64)
	return sec, micro
}
