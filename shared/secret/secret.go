// Package secret reads the app client's secret from AWS Secrets Manager, once, at cold start.
package secret

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// API is the part of the Secrets Manager client this package calls.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Load returns the SecretString of the secret arn. Its errors name the secret, never its value.
func Load(ctx context.Context, client API, arn string) (string, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", arn, err)
	}
	if aws.ToString(out.SecretString) == "" {
		return "", errors.New("read secret " + arn + ": it has no SecretString")
	}
	return aws.ToString(out.SecretString), nil
}
