package infra

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
)

// functionEnvironments is every function of f's template by its ORDERBOT_FUNCTION, with
// its Environment.Variables rendered (intrinsics as <id>, as a local stand-in would
// name them).
func (f *fixture) functionEnvironments(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, id := range f.ofType("AWS::Lambda::Function") {
		vars, _ := get(f.res[id].Properties, "Environment", "Variables").(map[string]any)
		env := map[string]string{}
		for k, v := range vars {
			env[k] = render(v)
		}
		fn := env[api.EnvFunction]
		if _, ok := api.RouteFor(fn); !ok {
			t.Fatalf("function %s: %s=%q names no route", id, api.EnvFunction, fn)
		}
		out[fn] = env
	}
	if len(out) != len(api.Routes) {
		t.Fatalf("got functions %v, want one per route (%d)", slices.Sorted(maps.Keys(out)), len(api.Routes))
	}
	return out
}

// checkEnvironment holds every function's Environment in f's template to what
// config.Parse reads: exactly the variables api.SettingsFor names (none the functions
// ignore, none they read left unset) and parsed into the stack's context values.
func checkEnvironment(t *testing.T, f *fixture, cfg Config) {
	t.Helper()
	for fn, env := range f.functionEnvironments(t) {
		got := slices.Sorted(maps.Keys(env))
		want := slices.Sorted(slices.Values(api.SettingsFor(fn)))
		if !slices.Equal(got, want) {
			t.Errorf("%s: environment has %v, want the variables config.Load reads that the stack sets: %v", fn, got, want)
		}
		c, err := config.Parse(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s: config.Parse of the template's environment: %v", fn, err)
			continue
		}
		for _, x := range []struct {
			name      string
			got, want any
		}{
			{"function", c.Function, fn},
			{"locale", c.Locale, cfg.Locale},
			{"zone", c.Zone.String(), cfg.TimeZone},
			{"reminder", c.Reminder, time.Duration(cfg.ReminderMinutes) * time.Minute},
			{"history", c.HistoryTTL, time.Duration(cfg.HistoryDays) * 24 * time.Hour},
			{"log level", c.LogLevel.String(), cfg.LogLevel},
			{"schedules", c.Schedule.Group != "", fn == api.ScheduleFunction},
		} {
			if x.got != x.want {
				t.Errorf("%s: %s: got %v, want %v", fn, x.name, x.got, x.want)
			}
		}
		if c.TableName == "" || c.SecretARN == "" {
			t.Errorf("%s: table %q, secret %q: want both set", fn, c.TableName, c.SecretARN)
		}
	}
}

func TestFunctionEnvironment(t *testing.T) {
	checkEnvironment(t, def, Config{Locale: "en", TimeZone: api.DefaultTimeZone, ReminderMinutes: api.DefaultReminderMinutes,
		HistoryDays: 90, LogLevel: "INFO"})
}

// TestTimeZoneReachesEveryFunction: `synth -c timezone=Europe/Berlin` configures every
// function in Berlin's zone — a click on a round (interactive) shows its deadline in CET,
// not only the function that sets deadlines.
func TestTimeZoneReachesEveryFunction(t *testing.T) {
	v := variant(t)
	checkEnvironment(t, v, Config{Locale: "ko", TimeZone: "Europe/Berlin", ReminderMinutes: 0, HistoryDays: 30, LogLevel: "INFO"})
	for fn, env := range v.functionEnvironments(t) {
		c, err := config.Parse(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		winter := time.Date(2026, 1, 15, 11, 30, 0, 0, time.UTC).In(c.Zone).Format("15:04 MST")
		summer := time.Date(2026, 7, 15, 11, 30, 0, 0, time.UTC).In(c.Zone).Format("15:04 MST")
		if winter != "12:30 CET" || summer != "13:30 CEST" {
			t.Errorf("%s: 11:30 UTC shows as %s and %s, want 12:30 CET and 13:30 CEST", fn, winter, summer)
		}
	}
}
