package cognito

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// LoadConfig builds the AWS configuration of a function on Lambda from the environment Lambda
// gives it (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
// the region from AWS_REGION (else AWS_DEFAULT_REGION) and the execution role's credentials
// from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, with the retry policy
// above. It honours the SDK's standard endpoint variables, AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_<SERVICE> and AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), which is how
// a local Cognito is reached, and AWS_CA_BUNDLE
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-gen-config.html), which like the SDK
// replaces the system roots with the bundle's certificates.
//
// It does not read shared config files or profiles, nor reach SSO, STS, IMDS or a container
// endpoint for credentials: Lambda uses none of them, and config.LoadDefaultConfig, which
// links their clients in, costs every cold start their package initialization (see the README's
// Performance section). It reads nothing over the network, so it takes no deadline from ctx;
// the parameter keeps the signature every setup already calls.
func LoadConfig(ctx context.Context) (aws.Config, error) {
	var errs []error
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		errs = append(errs, errors.New("AWS_REGION is not set"))
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		errs = append(errs, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set (Lambda sets them from the execution role)"))
	}
	client := awshttp.NewBuildableClient().WithTimeout(AttemptTimeout)
	if path := os.Getenv("AWS_CA_BUNDLE"); path != "" {
		roots, err := loadCABundle(path)
		if err != nil {
			errs = append(errs, err)
		}
		client = client.WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{}
			}
			tr.TLSClientConfig.RootCAs = roots
		})
	}
	if err := errors.Join(errs...); err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	src := envEndpoints{}
	cfg := aws.Config{
		Region:        region,
		Credentials:   credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN")),
		HTTPClient:    client,
		Retryer:       func() aws.Retryer { return NewRetryer(jitteredBackoff) },
		ConfigSources: []any{src},
	}
	if global := os.Getenv("AWS_ENDPOINT_URL"); global != "" && !src.ignored() {
		cfg.BaseEndpoint = aws.String(global)
	}
	return cfg, nil
}

// NewRetryer returns the retry policy of every Cognito call: the SDK's standard retryer (what
// it retries: throttling, 5xx, dropped connections and timed-out attempts; its retry quota)
// making at most MaxAttempts attempts, waiting backoff's delay before each retry. LoadConfig
// passes jitteredBackoff; a test passes a retry.BackoffDelayerFunc that returns 0, to run the
// same policy without waiting.
func NewRetryer(backoff retry.BackoffDelayer) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = MaxBackoff
		o.Backoff = backoff
	})
}

// jitteredBackoff is the wait before a retry: uniform in [0, MaxBackoff), the SDK's exponential
// backoff (1 s × 2^attempt) capped before the jitter is drawn, as the SDK's AWS_NEW_RETRIES_2026
// mode does for throttling. The SDK's default mode caps after the jitter, and for any cap under
// 1 s returns the cap itself: every retry of every function would wait exactly MaxBackoff, in step.
var jitteredBackoff retry.BackoffDelayer = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
	return rand.N(MaxBackoff), nil
})

// loadCABundle reads the PEM certificates of path into a pool of their own.
func loadCABundle(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: no PEM certificate in %s", path)
	}
	return roots, nil
}

// envEndpoints is the configuration source each service client asks for its own endpoint
// (AWS_ENDPOINT_URL_<SERVICE>: the client's SDK ID in capitals, spaces as underscores, such as
// AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER). The client itself applies the precedence: its
// own variable over AWS_ENDPOINT_URL, both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is
// true.
type envEndpoints struct{}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for the client whose SDK ID is sdkID.
func (envEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := os.Getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (e envEndpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return e.ignored(), true, nil
}

func (envEndpoints) ignored() bool {
	return strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
}
