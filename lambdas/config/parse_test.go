package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

// TestParseReadsExactlySettings: Parse reads every variable of api.Settings once and no
// other, so that api.Settings (which the stack's test holds the template to) is the
// whole of what a function's environment can configure.
func TestParseReadsExactlySettings(t *testing.T) {
	var read []string
	if _, err := Parse(func(name string) string { read = append(read, name); return "" }); err != nil {
		t.Fatalf("Parse of an empty environment: %v", err)
	}
	var want []string
	for _, s := range api.Settings {
		want = append(want, s.Name)
	}
	slices.Sort(read)
	slices.Sort(want)
	if !slices.Equal(read, want) {
		t.Errorf("Parse read %v, want api.Settings %v", read, want)
	}
}

func TestParseValues(t *testing.T) {
	env := map[string]string{
		api.EnvFunction: "interactive", api.EnvTableName: "t", api.EnvSecretARN: "arn:s",
		api.EnvLogLevel: "debug", api.EnvReplyBudget: "700", api.EnvLocale: "ko", api.EnvHistoryDays: "30",
		api.EnvTimeZone: "Europe/Berlin", api.EnvReminderMinutes: "0",
		api.EnvScheduleGroup: "g", api.EnvScheduleRoleARN: "arn:r", api.EnvScheduleTargetARN: "arn:f", api.EnvScheduleDLQARN: "arn:q",
		api.EnvLambdaFunctionName: "Orderbot-interactive",
	}
	c, err := Parse(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Function, c.Self, c.TableName, c.SecretARN, c.LogLevel.String(), c.ReplyBudget, c.Locale,
		c.HistoryTTL, c.Zone.String(), c.Reminder, c.Schedule}
	want := []any{"interactive", "Orderbot-interactive", "t", "arn:s", "DEBUG", 700 * time.Millisecond, "ko",
		30 * 24 * time.Hour, "Europe/Berlin", time.Duration(0), Schedule{"g", "arn:r", "arn:f", "arn:q"}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d: got %v, want %v", i, got[i], want[i])
		}
	}
	d, err := Parse(func(string) string { return "" })
	if err != nil || d.Zone.String() != api.DefaultTimeZone || d.Reminder != api.DefaultReminderMinutes*time.Minute || d.Locale != "en" {
		t.Errorf("defaults: got zone %v, reminder %v, locale %q, error %v; want %s, %d m, en", d.Zone, d.Reminder, d.Locale, err, api.DefaultTimeZone, api.DefaultReminderMinutes)
	}
}

// TestParseRejects: a value the function cannot use fails the cold start, naming the
// variable, instead of falling back to a default nobody chose.
func TestParseRejects(t *testing.T) {
	for name, bad := range map[string]string{
		api.EnvTimeZone: "Mars/Olympus", api.EnvReminderMinutes: "-1", api.EnvHistoryDays: "0",
		api.EnvReplyBudget: "fast", api.EnvLocale: "fr",
	} {
		_, err := Parse(func(k string) string {
			if k == name {
				return bad
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: got error %v, want one naming %s", name, bad, err, name)
		}
	}
}
