package config

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

func TestLoadHistoryDays(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"", 0, ""},
		{"30", 30 * 24 * time.Hour, ""},
		{"0", 0, api.EnvHistoryDays},
		{"ninety", 0, api.EnvHistoryDays},
	} {
		t.Setenv(api.EnvTableName, "orderbot")
		t.Setenv(api.EnvSecretARN, "")
		t.Setenv("SLACK_SIGNING_SECRET", "s")
		t.Setenv("AWS_REGION", "us-east-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv(api.EnvHistoryDays, tc.value)
		c, err := Load(context.Background())
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s=%q: got error %v, want one naming %s", api.EnvHistoryDays, tc.value, err, tc.err)
		case tc.err == "" && (err != nil || c.HistoryTTL != tc.want):
			t.Errorf("%s=%q: got %v, %v; want %v, nil", api.EnvHistoryDays, tc.value, c.HistoryTTL, err, tc.want)
		}
	}
}
