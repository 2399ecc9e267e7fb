package secret_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/signin-api/signin/shared/secret"
)

// fakeSecrets answers GetSecretValue with a function set per case, and checks the input.
type fakeSecrets struct {
	t      *testing.T
	wantID string
	answer func() (*secretsmanager.GetSecretValueOutput, error)
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if aws.ToString(in.SecretId) != f.wantID {
		f.t.Errorf("SecretId %q, want %q", aws.ToString(in.SecretId), f.wantID)
	}
	return f.answer()
}

func TestLoad(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:signin-client-AbCdEf"
	const value = "the-client-secret-value-0123456789"
	tests := []struct {
		name    string
		answer  func() (*secretsmanager.GetSecretValueOutput, error)
		want    string
		wantErr bool
	}{
		{"found", func() (*secretsmanager.GetSecretValueOutput, error) {
			return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(value)}, nil
		}, value, false},
		{"empty", func() (*secretsmanager.GetSecretValueOutput, error) {
			return &secretsmanager.GetSecretValueOutput{}, nil
		}, "", true},
		{"denied", func() (*secretsmanager.GetSecretValueOutput, error) { return nil, errors.New("AccessDeniedException") }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secret.Load(context.Background(), &fakeSecrets{t: t, wantID: arn, answer: tt.answer}, arn)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("got %q, %v", got, err)
			}
			if err != nil && (!strings.Contains(err.Error(), arn) || strings.Contains(err.Error(), value)) {
				t.Errorf("error %q must name the secret and never hold its value", err)
			}
		})
	}
}
