package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
)

// SlackSecretProps configures the Slack credentials.
type SlackSecretProps struct {
	// Name imports the existing secret of that name (context secretName); empty creates one.
	Name string
}

// SlackSecret is the Secrets Manager secret holding the JSON object with
// api.SecretKeySigningSecret and api.SecretKeyBotToken.
type SlackSecret struct {
	Secret awssecretsmanager.ISecret
	// ARN is what the handlers get (api.EnvSecretARN); PolicyARN is the ARN as IAM must
	// match it: an imported secret's name-only ARN needs its random suffix matched.
	ARN, PolicyARN *string
	// Created is false for an imported secret.
	Created bool
}

// NewSlackSecret creates or imports the secret as scope's child "Secret" (see stack.go on
// construct ids).
func NewSlackSecret(scope constructs.Construct, p SlackSecretProps) *SlackSecret {
	if p.Name != "" {
		s := awssecretsmanager.Secret_FromSecretNameV2(scope, jsii.String("Secret"), jsii.String(p.Name))
		// A name-only import does not know the 6-character suffix Secrets Manager appends;
		// "-??????" matches exactly that suffix and no other secret's name.
		return &SlackSecret{Secret: s, ARN: s.SecretArn(), PolicyARN: jsii.String(*s.SecretArn() + "-??????")}
	}
	s := awssecretsmanager.NewSecret(scope, jsii.String("Secret"), &awssecretsmanager.SecretProps{
		Description: jsii.String(fmt.Sprintf("orderbot Slack credentials. Fill in from your Slack app's settings: "+
			`aws secretsmanager put-secret-value --secret-id <this secret> --secret-string '{"%s":"<Basic Information > Signing Secret>","%s":"<OAuth & Permissions > Bot User OAuth Token, xoxb-...>"}'`,
			api.SecretKeySigningSecret, api.SecretKeyBotToken)),
		// Until it is filled in, the signing secret is random, so every request fails
		// verification (401) instead of being accepted with an empty key.
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(fmt.Sprintf(`{"%s":""}`, api.SecretKeyBotToken)),
			GenerateStringKey:    jsii.String(api.SecretKeySigningSecret),
			ExcludePunctuation:   jsii.Bool(true),
			PasswordLength:       jsii.Number(32),
		},
	})
	return &SlackSecret{Secret: s, ARN: s.SecretArn(), PolicyARN: s.SecretArn(), Created: true}
}
