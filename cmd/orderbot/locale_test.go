package main

import (
	"context"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

// TestDevLocale: orderbot dev refuses a locale it does not know at start, naming those
// it does, before it synthesizes or starts anything (the Korean answers themselves are
// TestScenarios' and local/devstack's TestSettingOverrides').
func TestDevLocale(t *testing.T) {
	t.Setenv(api.EnvLocale, "xx")
	err := dev(context.Background(), []string{"--cdk-out", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "supported are en, ko") {
		t.Fatalf("%s=xx: got error %v, want one naming the supported locales", api.EnvLocale, err)
	}
	if err := checkOverrides(map[string]string{api.EnvLocale: "ko"}); err != nil {
		t.Errorf("%s=ko: got error %v, want nil", api.EnvLocale, err)
	}
}
