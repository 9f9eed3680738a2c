package config

import (
	"context"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

// TestLoadLocale: ORDERBOT_LOCALE is "en" when unset, takes a supported locale, and an
// unsupported one fails the cold start naming the supported locales.
func TestLoadLocale(t *testing.T) {
	for k, v := range map[string]string{
		"TABLE_NAME": "t", "SECRET_ARN": "", "SLACK_SIGNING_SECRET": "s", "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "dummy",
	} {
		t.Setenv(k, v)
	}
	for in, want := range map[string]string{"": "en", "en": "en", "ko": "ko", "KO": "ko"} {
		t.Setenv(api.EnvLocale, in)
		c, err := Load(context.Background())
		if err != nil || c.Locale != want {
			t.Errorf("%s=%q: got locale %q, error %v, want %q, nil", api.EnvLocale, in, c.Locale, err, want)
		}
	}
	t.Setenv(api.EnvLocale, "jp")
	_, err := Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), api.EnvLocale) || !strings.Contains(err.Error(), "en, ko") {
		t.Fatalf("%s=jp: got error %v, want one naming the variable and the supported en, ko", api.EnvLocale, err)
	}
}
