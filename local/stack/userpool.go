package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/slsconfig"
)

// cognitoHost is the address the local user pool listens on.
const cognitoHost = "127.0.0.1"

// poolAPI is the part of the Cognito client the pool set-up calls.
type poolAPI interface {
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	DescribeUserPoolClient(ctx context.Context, in *cip.DescribeUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error)
	CreateUserPool(ctx context.Context, in *cip.CreateUserPoolInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolOutput, error)
	CreateUserPoolClient(ctx context.Context, in *cip.CreateUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error)
	CreateResourceServer(ctx context.Context, in *cip.CreateResourceServerInput, optFns ...func(*cip.Options)) (*cip.CreateResourceServerOutput, error)
}

var _ poolAPI = (*cip.Client)(nil)

// newCognitoClient returns a Cognito client for the local user pool at endpoint. It ignores
// SigV4, so the credentials are placeholders.
func newCognitoClient(endpoint, region string) *cip.Client {
	return cip.New(cip.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// newLambdaClient is the Lambda client the local pool invokes its triggers with: the real
// one, pointed at the stack's Invoke endpoint, without retries (a trigger that cannot be run
// fails the call at once, as UnexpectedLambdaException).
func newLambdaClient(endpoint, region string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           region,
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		RetryMaxAttempts: 1,
	})
}

// Pool is the local user pool with its app clients.
type Pool struct {
	ID string
	// Clients are by logical id.
	Clients map[string]Client
	// Stale reports that the pool was made from other settings than serverless.yml's now; the
	// caller can tell the user to delete the state folder to recreate it.
	Stale bool
}

// Client is an app client of the local pool.
type Client struct {
	ID string
	// Secret is the generated client secret, or "".
	Secret string
}

// poolRecord is pool.json: ids only, the secret is read back from the pool.
type poolRecord struct {
	UserPoolID string            `json:"userPoolId"`
	Clients    map[string]string `json:"clients"`
	SpecHash   string            `json:"specHash"`
}

func poolFile(stateDir string) string    { return filepath.Join(stateDir, "pool.json") }
func cognitoFile(stateDir string) string { return filepath.Join(stateDir, "cognito.json") }

// lambdaConfig maps the pool's triggers to the LambdaConfig of CreateUserPool, each naming its
// function by the ARN the local Invoke endpoint answers to.
func lambdaConfig(cfg *slsconfig.Config, up slsconfig.UserPool) (*types.LambdaConfigType, error) {
	if len(up.Triggers) == 0 {
		return nil, nil
	}
	lc := &types.LambdaConfigType{}
	for _, t := range up.Triggers {
		fn, _ := cfg.Function(t.Function)
		arn := aws.String(awsid.FunctionARN(cfg.Region, fn.Name))
		switch {
		case t.Name == "PreSignUp":
			lc.PreSignUp = arn
		case t.Name == "PreTokenGeneration" && t.LambdaVersion == string(types.PreTokenGenerationLambdaVersionTypeV20):
			lc.PreTokenGenerationConfig = &types.PreTokenGenerationVersionConfigType{LambdaArn: arn, LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20}
		default:
			return nil, fmt.Errorf("function %s: the Cognito trigger %s (version %q) is not supported locally: only PreSignUp and PreTokenGeneration V2_0 are",
				t.Function, t.Name, t.LambdaVersion)
		}
	}
	return lc, nil
}

// ensurePool finds the pool and clients recorded in stateFile, or creates them as up says
// (with its resource servers) and records them. A recorded pool the local Cognito no longer
// has (its state was deleted) is created again.
func ensurePool(ctx context.Context, api poolAPI, stateFile string, up slsconfig.UserPool, lc *types.LambdaConfigType) (Pool, error) {
	var rec poolRecord
	data, err := os.ReadFile(stateFile)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &rec); err != nil {
			return Pool{}, fmt.Errorf("%s: %w (delete it to start over)", stateFile, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return Pool{}, err
	}
	pool := Pool{Clients: map[string]Client{}}
	created := false // whether rec changed, so that pool.json needs writing
	if rec.UserPoolID != "" {
		_, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(rec.UserPoolID)})
		switch {
		case err == nil:
			pool.ID = rec.UserPoolID
			pool.Stale = rec.SpecHash != up.Hash()
		case isNotFound(err):
			rec = poolRecord{}
		default:
			return Pool{}, fmt.Errorf("describe user pool %s: %w", rec.UserPoolID, err)
		}
	}
	if pool.ID == "" {
		in := up.Input
		in.LambdaConfig = lc
		out, err := api.CreateUserPool(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create user pool: %w", err)
		}
		pool.ID = aws.ToString(out.UserPool.Id)
		rec = poolRecord{UserPoolID: pool.ID, SpecHash: up.Hash()}
		created = true
		for _, id := range slices.Sorted(maps.Keys(up.ResourceServers)) {
			in := up.ResourceServers[id]
			in.UserPoolId = aws.String(pool.ID)
			if _, err := api.CreateResourceServer(ctx, &in); err != nil {
				return Pool{}, fmt.Errorf("create resource server %s: %w", id, err)
			}
		}
	}
	if rec.Clients == nil {
		rec.Clients = map[string]string{}
	}
	for _, id := range slices.Sorted(maps.Keys(up.Clients)) {
		if clientID := rec.Clients[id]; clientID != "" {
			out, err := api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{
				UserPoolId: aws.String(pool.ID), ClientId: aws.String(clientID),
			})
			if err == nil {
				pool.Clients[id] = Client{ID: clientID, Secret: aws.ToString(out.UserPoolClient.ClientSecret)}
				continue
			}
			if !isNotFound(err) {
				return Pool{}, fmt.Errorf("describe app client %s: %w", id, err)
			}
		}
		in := up.Clients[id]
		in.UserPoolId = aws.String(pool.ID)
		out, err := api.CreateUserPoolClient(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create app client %s: %w", id, err)
		}
		c := Client{ID: aws.ToString(out.UserPoolClient.ClientId), Secret: aws.ToString(out.UserPoolClient.ClientSecret)}
		pool.Clients[id] = c
		rec.Clients[id] = c.ID
		created = true
	}
	if !created {
		return pool, nil
	}
	// A running stack's state folder exists (lockState made it); a caller's own path may not.
	if err := os.MkdirAll(filepath.Dir(stateFile), 0o755); err != nil {
		return Pool{}, err
	}
	return pool, writeJSONFile(stateFile, rec)
}

// isNotFound reports Cognito's ResourceNotFoundException.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ResourceNotFoundException"
}
