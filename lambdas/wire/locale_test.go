package wire

import (
	"context"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

// TestDepsSpeakTheConfiguredLocale: the handlers get the Messages of ORDERBOT_LOCALE, and
// a locale orderbot does not speak fails the cold start.
func TestDepsSpeakTheConfiguredLocale(t *testing.T) {
	for k, v := range map[string]string{
		"TABLE_NAME": "t", "SECRET_ARN": "", "SLACK_SIGNING_SECRET": "s", "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "dummy", "AWS_LAMBDA_FUNCTION_NAME": "",
	} {
		t.Setenv(k, v)
	}
	for in, want := range map[string]string{"": "en", "ko": "ko"} {
		t.Setenv(api.EnvLocale, in)
		d, err := Deps(context.Background(), false)
		if err != nil || d.Messages.Locale() != want {
			t.Errorf("%s=%q: got messages in %q, error %v, want %q, nil", api.EnvLocale, in, d.Messages.Locale(), err, want)
		}
	}
	t.Setenv(api.EnvLocale, "fr")
	if _, err := Deps(context.Background(), false); err == nil || !strings.Contains(err.Error(), "supported are en, ko") {
		t.Fatalf("%s=fr: got error %v, want the cold start to fail naming the supported locales", api.EnvLocale, err)
	}
}
