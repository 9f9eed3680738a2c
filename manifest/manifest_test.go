package manifest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

const base = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"

func TestBuildFollowsRouteTable(t *testing.T) {
	b, err := Build(base)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest is not JSON: %v\n%s", err, b)
	}
	var want []SlashCommand
	for _, r := range api.Routes {
		if r.Command == "" {
			if got := m.Settings.EventSubscriptions.RequestURL; got != base+r.Path {
				t.Errorf("event request_url = %q, want %q", got, base+r.Path)
			}
			continue
		}
		want = append(want, SlashCommand{Command: r.Command, URL: base + r.Path, Description: r.Description, UsageHint: r.UsageHint})
	}
	if !slices.Equal(m.Features.SlashCommands, want) {
		t.Errorf("slash_commands = %+v\nwant %+v", m.Features.SlashCommands, want)
	}
	if len(want) == 0 {
		t.Error("route table has no slash command")
	}
	if !slices.Equal(m.OAuthConfig.Scopes.Bot, []string{"commands", "chat:write", "app_mentions:read"}) {
		t.Errorf("bot scopes = %v", m.OAuthConfig.Scopes.Bot)
	}
	if !slices.Equal(m.Settings.EventSubscriptions.BotEvents, []string{"app_mention"}) {
		t.Errorf("bot_events = %v", m.Settings.EventSubscriptions.BotEvents)
	}
	if m.DisplayInformation.Name != DefaultName || m.Features.BotUser.DisplayName != DefaultName {
		t.Errorf("names = %q, %q", m.DisplayInformation.Name, m.Features.BotUser.DisplayName)
	}
}

// Slack rejects a manifest with unknown keys or missing required ones, so the raw JSON is
// checked too, not just what decodes into our own struct.
func TestBuildRawKeys(t *testing.T) {
	b, err := Build(base+"/", Name("lunchbot"), Description("lunch"), Indent())
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	settings := raw["settings"].(map[string]any)
	for _, k := range []string{"org_deploy_enabled", "socket_mode_enabled"} {
		if v, ok := settings[k]; !ok || v != false {
			t.Errorf("settings.%s = %v, want false", k, v)
		}
	}
	di := raw["display_information"].(map[string]any)
	if di["name"] != "lunchbot" || di["description"] != "lunch" {
		t.Errorf("display_information = %v", di)
	}
	if !strings.Contains(string(b), "\n  ") {
		t.Error("Indent() did not indent")
	}
	if !strings.Contains(string(b), `"<item> | cancel | help"`) {
		t.Errorf("usage hint HTML-escaped:\n%s", b)
	}
	// A trailing slash on the base must not double up.
	if strings.Contains(string(b), "/prod//") {
		t.Errorf("double slash in URLs:\n%s", b)
	}
}

// The stack passes a base URL that holds CDK token markers; they must survive verbatim so
// that CloudFormation can substitute them.
func TestBuildKeepsTokens(t *testing.T) {
	tok := "https://${Token[TOKEN.42]}.execute-api.${Token[AWS.Region.7]}.${Token[AWS.URLSuffix.9]}/prod"
	b, err := Build(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), tok+"/order-update") {
		t.Errorf("token URL not kept:\n%s", b)
	}
}

func TestURL(t *testing.T) {
	for _, c := range []struct{ base, path, want string }{
		{base, "/", base + "/"},
		{base + "/", "/", base + "/"},
		{base, "/order-list", base + "/order-list"},
		{base + "/", "/order-list", base + "/order-list"},
	} {
		if got := URL(c.base, c.path); got != c.want {
			t.Errorf("URL(%q, %q) = %q, want %q", c.base, c.path, got, c.want)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	events := api.Route{Path: "/", Description: "events"}
	cmd := api.Route{Path: "/a", Command: "/a", Description: "a"}
	for name, c := range map[string]struct {
		base   string
		routes []api.Route
	}{
		"http":              {"http://example.com/prod", api.Routes},
		"empty":             {"", api.Routes},
		"no host":           {"https://", api.Routes},
		"query":             {base + "?x=1", api.Routes},
		"no events route":   {base, []api.Route{cmd}},
		"two event routes":  {base, []api.Route{events, events}},
		"duplicate command": {base, []api.Route{events, cmd, cmd}},
		"command w/o slash": {base, []api.Route{events, {Path: "/b", Command: "b", Description: "b"}}},
		"no description":    {base, []api.Route{events, {Path: "/c", Command: "/c"}}},
	} {
		if _, err := Build(c.base, Routes(c.routes)); err == nil {
			t.Errorf("%s: Build succeeded, want an error", name)
		}
	}
}
