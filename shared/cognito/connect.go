package cognito

import (
	"context"
	"fmt"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/signin-api/signin/shared/secret"
)

// Connect is the part of a cold start that every function holding the app client secret
// shares: the AWS configuration from Lambda's environment (LoadConfig), the Cognito client with
// the retry policy, and, when secretARN names one, the client secret read from Secrets Manager
// (empty otherwise: the secret was given directly, or the client has none). Its errors say
// which step failed and never hold the secret.
func Connect(ctx context.Context, secretARN string) (client *cip.Client, clientSecret string, err error) {
	awsCfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, "", err
	}
	if secretARN != "" {
		if clientSecret, err = secret.Load(ctx, secretsmanager.NewFromConfig(awsCfg), secretARN); err != nil {
			return nil, "", fmt.Errorf("client secret: %w", err)
		}
	}
	return cip.NewFromConfig(awsCfg), clientSecret, nil
}
