// Package manifest builds the Slack app manifest from the route table, so that the slash
// commands, their Request URLs and the Events API URL Slack is given are exactly the routes
// the stack deploys. It imports no CDK code: the stack emits the manifest as an output, and a
// CLI can print it for any base URL.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/orderbot/orderbot/lambdas/api"
)

// Defaults for what the route table does not say.
const (
	DefaultName            = "orderbot"
	DefaultDescription     = "Team order rounds: who wants what from the café or the lunch place."
	DefaultBackgroundColor = "#4a154b"
)

// BotScopes are the bot token scopes the handlers need: slash commands, posting shared and
// closed rounds, and receiving mentions. chat:write.public lets a deadline's tally reach a
// public channel the bot was never added to (slash commands work there; chat.postMessage
// without it answers not_in_channel — https://api.slack.com/scopes/chat:write.public).
// A private channel still needs `/invite @orderbot` (issue #21).
var BotScopes = []string{"commands", "chat:write", "chat:write.public", "app_mentions:read"}

// BotEvents are the Events API events the events route handles. app_home_opened needs no
// scope, only the bot user, and is delivered when a user opens the app's Home tab (its
// "tab" field says which tab: https://docs.slack.dev/reference/events/app_home_opened).
var BotEvents = []string{"app_mention", "app_home_opened"}

// Manifest is the part of Slack's app manifest schema orderbot fills in.
type Manifest struct {
	DisplayInformation DisplayInformation `json:"display_information"`
	Features           Features           `json:"features"`
	OAuthConfig        OAuthConfig        `json:"oauth_config"`
	Settings           Settings           `json:"settings"`
}

type DisplayInformation struct {
	Name            string `json:"name"`
	Description     string `json:"description,omitempty"`
	BackgroundColor string `json:"background_color,omitempty"`
}

type Features struct {
	AppHome       AppHome        `json:"app_home"`
	BotUser       BotUser        `json:"bot_user"`
	SlashCommands []SlashCommand `json:"slash_commands"`
}

// AppHome is the manifest's features.app_home (home_tab_enabled, messages_tab_enabled, as
// in @slack/web-api's Manifest type, request/manifest.d.ts, and the App Home guide,
// https://docs.slack.dev/surfaces/app-home): the Home tab shows what views.publish
// published for the user; the Messages tab stays off, the bot answers in channels.
type AppHome struct {
	HomeTabEnabled     bool `json:"home_tab_enabled"`
	MessagesTabEnabled bool `json:"messages_tab_enabled"`
}

type BotUser struct {
	DisplayName  string `json:"display_name"`
	AlwaysOnline bool   `json:"always_online"`
}

type SlashCommand struct {
	Command     string `json:"command"`
	URL         string `json:"url"`
	Description string `json:"description"`
	UsageHint   string `json:"usage_hint,omitempty"`
	// ShouldEscape stays false: item text is free text and must reach the handler as typed,
	// not with mentions and links rewritten to Slack's escaped forms.
	ShouldEscape bool `json:"should_escape"`
}

type OAuthConfig struct {
	Scopes Scopes `json:"scopes"`
}

type Scopes struct {
	Bot []string `json:"bot"`
}

type Settings struct {
	EventSubscriptions EventSubscriptions `json:"event_subscriptions"`
	// Interactivity is set when the route table has an interactivity route (buttons,
	// modals); Slack's manifest omits it otherwise.
	Interactivity        *Interactivity `json:"interactivity,omitempty"`
	OrgDeployEnabled     bool           `json:"org_deploy_enabled"`
	SocketModeEnabled    bool           `json:"socket_mode_enabled"`
	TokenRotationEnabled bool           `json:"token_rotation_enabled"`
}

// Interactivity is where Slack posts button clicks and modal submissions.
type Interactivity struct {
	IsEnabled  bool   `json:"is_enabled"`
	RequestURL string `json:"request_url"`
}

type EventSubscriptions struct {
	RequestURL string   `json:"request_url"`
	BotEvents  []string `json:"bot_events"`
}

type config struct {
	name, description, color string
	routes                   []api.Route
	indent                   bool
}

// Option changes what Build produces.
type Option func(*config)

// Name sets the app's and the bot user's display name.
func Name(name string) Option { return func(c *config) { c.name = name } }

// Description sets the app's description.
func Description(d string) Option { return func(c *config) { c.description = d } }

// Routes replaces api.Routes (tests use it to check the table's rules).
func Routes(routes []api.Route) Option { return func(c *config) { c.routes = routes } }

// Indent makes the JSON readable for people; the stack output keeps it compact because a
// CloudFormation output value is limited in size.
func Indent() Option { return func(c *config) { c.indent = true } }

// URL is the Request URL of path under baseURL. baseURL may carry CDK tokens, so it is only
// concatenated, never parsed; a trailing slash on it is dropped so that "/" maps to
// "<base>/".
func URL(baseURL, path string) string {
	return strings.TrimSuffix(baseURL, "/") + "/" + strings.TrimPrefix(path, "/")
}

// Build returns the Slack app manifest JSON for the API at baseURL (the stage URL, e.g.
// https://abc.execute-api.eu-west-1.amazonaws.com/prod).
func Build(baseURL string, opts ...Option) ([]byte, error) {
	c := config{name: DefaultName, description: DefaultDescription, color: DefaultBackgroundColor, routes: api.Routes}
	for _, o := range opts {
		o(&c)
	}
	m, err := build(baseURL, c)
	if err != nil {
		return nil, err
	}
	// Slack shows usage hints like "<item>" as typed; HTML escaping would only make the
	// manifest harder to read.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if c.indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func build(baseURL string, c config) (*Manifest, error) {
	// Slack accepts only https Request URLs; catching it here beats a rejected manifest.
	rest, ok := strings.CutPrefix(baseURL, "https://")
	if !ok || rest == "" || strings.ContainsAny(baseURL, "?# \t\n") {
		return nil, fmt.Errorf("manifest: base URL %q: want https://host[/stage]", baseURL)
	}
	if c.name == "" {
		return nil, errors.New("manifest: empty app name")
	}
	m := &Manifest{
		DisplayInformation: DisplayInformation{Name: c.name, Description: c.description, BackgroundColor: c.color},
		Features: Features{
			AppHome:       AppHome{HomeTabEnabled: true},
			BotUser:       BotUser{DisplayName: c.name},
			SlashCommands: []SlashCommand{},
		},
		OAuthConfig: OAuthConfig{Scopes: Scopes{Bot: BotScopes}},
		Settings: Settings{
			EventSubscriptions: EventSubscriptions{BotEvents: BotEvents},
		},
	}
	seen := map[string]bool{}
	for _, r := range c.routes {
		url := URL(baseURL, r.Path)
		switch r.Kind {
		case api.KindEvents:
			if m.Settings.EventSubscriptions.RequestURL != "" {
				return nil, fmt.Errorf("manifest: routes %s and another both serve the Events API", r.Path)
			}
			m.Settings.EventSubscriptions.RequestURL = url
			continue
		case api.KindInteractive:
			if m.Settings.Interactivity != nil {
				return nil, fmt.Errorf("manifest: routes %s and another both serve interactivity", r.Path)
			}
			m.Settings.Interactivity = &Interactivity{IsEnabled: true, RequestURL: url}
			continue
		case api.KindCommand:
		default:
			return nil, fmt.Errorf("manifest: route %s: unknown kind %q", r.Path, r.Kind)
		}
		if !strings.HasPrefix(r.Command, "/") || seen[r.Command] {
			return nil, fmt.Errorf("manifest: route %s: command %q must start with / and be unique", r.Path, r.Command)
		}
		if r.Description == "" {
			return nil, fmt.Errorf("manifest: command %s has no description, which Slack requires", r.Command)
		}
		seen[r.Command] = true
		m.Features.SlashCommands = append(m.Features.SlashCommands, SlashCommand{
			Command: r.Command, URL: url, Description: r.Description, UsageHint: r.UsageHint,
		})
	}
	if m.Settings.EventSubscriptions.RequestURL == "" {
		return nil, errors.New("manifest: no Events API route (a route of kind " + string(api.KindEvents) + ")")
	}
	return m, nil
}
