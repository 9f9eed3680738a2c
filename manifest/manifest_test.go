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
		t.Fatalf("Build(%q): got error %v, want nil", base, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding the manifest: got error %v, want nil (valid JSON)\n%s", err, b)
	}
	var want []SlashCommand
	for _, r := range api.Routes {
		switch r.Kind {
		case api.KindEvents:
			if got := m.Settings.EventSubscriptions.RequestURL; got != base+r.Path {
				t.Errorf("event request_url: got %q, want %q", got, base+r.Path)
			}
		case api.KindInteractive:
			if got := m.Settings.Interactivity; got == nil || !got.IsEnabled || got.RequestURL != base+r.Path {
				t.Errorf("interactivity: got %+v, want enabled with request_url %q", got, base+r.Path)
			}
		case api.KindCommand:
			want = append(want, SlashCommand{Command: r.Command, URL: base + r.Path, Description: r.Description, UsageHint: r.UsageHint})
		}
	}
	if !slices.Equal(m.Features.SlashCommands, want) {
		t.Errorf("slash_commands:\ngot  %+v\nwant %+v", m.Features.SlashCommands, want)
	}
	if len(want) == 0 {
		t.Error("slash commands in the route table: got none, want at least one")
	}
	if want := []string{"commands", "chat:write", "chat:write.public", "app_mentions:read"}; !slices.Equal(m.OAuthConfig.Scopes.Bot, want) {
		t.Errorf("bot scopes: got %v, want %v", m.OAuthConfig.Scopes.Bot, want)
	}
	if want := []string{"app_mention", "app_home_opened"}; !slices.Equal(m.Settings.EventSubscriptions.BotEvents, want) {
		t.Errorf("bot_events: got %v, want %v", m.Settings.EventSubscriptions.BotEvents, want)
	}
	if want := (AppHome{HomeTabEnabled: true}); m.Features.AppHome != want {
		t.Errorf("features.app_home: got %+v, want %+v", m.Features.AppHome, want)
	}
	if m.DisplayInformation.Name != DefaultName || m.Features.BotUser.DisplayName != DefaultName {
		t.Errorf("display name, bot name: got %q, %q; want %q for both", m.DisplayInformation.Name, m.Features.BotUser.DisplayName, DefaultName)
	}
}

// Slack rejects a manifest with unknown keys or missing required ones, so the raw JSON is
// checked too, not just what decodes into our own struct.
func TestBuildRawKeys(t *testing.T) {
	b, err := Build(base+"/", Name("lunchbot"), Description("lunch"), Indent())
	if err != nil {
		t.Fatalf("Build(%q, lunchbot): got error %v, want nil", base+"/", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("decoding the manifest: got error %v, want nil (valid JSON)\n%s", err, b)
	}
	settings := raw["settings"].(map[string]any)
	for _, k := range []string{"org_deploy_enabled", "socket_mode_enabled"} {
		if v, ok := settings[k]; !ok || v != false {
			t.Errorf("settings.%s: got %v (present: %v), want false", k, v, ok)
		}
	}
	home, _ := raw["features"].(map[string]any)["app_home"].(map[string]any)
	if home["home_tab_enabled"] != true || home["messages_tab_enabled"] != false {
		t.Errorf("features.app_home: got %v, want home_tab_enabled true, messages_tab_enabled false", home)
	}
	di := raw["display_information"].(map[string]any)
	if di["name"] != "lunchbot" || di["description"] != "lunch" {
		t.Errorf("display_information: got %v, want name lunchbot, description lunch", di)
	}
	if !strings.Contains(string(b), "\n  ") {
		t.Errorf("Indent(): got no two-space indentation, want it:\n%s", b)
	}
	if !strings.Contains(string(b), `"<item> | cancel | help"`) {
		t.Errorf("usage hint: got it HTML-escaped, want %q verbatim:\n%s", "<item> | cancel | help", b)
	}
	// A trailing slash on the base must not double up.
	if strings.Contains(string(b), "/prod//") {
		t.Errorf("URLs: got a double slash (/prod//), want none:\n%s", b)
	}
}

// The stack passes a base URL that holds CDK token markers; they must survive verbatim so
// that CloudFormation can substitute them.
func TestBuildKeepsTokens(t *testing.T) {
	tok := "https://${Token[TOKEN.42]}.execute-api.${Token[AWS.Region.7]}.${Token[AWS.URLSuffix.9]}/prod"
	b, err := Build(tok)
	if err != nil {
		t.Fatalf("Build(%q): got error %v, want nil", tok, err)
	}
	if want := tok + "/order-update"; !strings.Contains(string(b), want) {
		t.Errorf("manifest: got no %q, want the token URL kept verbatim:\n%s", want, b)
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
			t.Errorf("URL(%q, %q): got %q, want %q", c.base, c.path, got, c.want)
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
			t.Errorf("%s: Build: got nil error, want one", name)
		}
	}
}
