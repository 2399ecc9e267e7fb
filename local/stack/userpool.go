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

// localCredentials stand in for real ones: the local stack ignores SigV4.
var localCredentials = credentials.NewStaticCredentialsProvider("local", "local", "")

// newCognitoClient returns a Cognito client for the local Cognito at endpoint.
func newCognitoClient(endpoint, region string) *cip.Client {
	return cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: localCredentials})
}

// newLambdaClient is the real Lambda client the local pool runs its triggers with, at the
// stack's Invoke endpoint, without retries (a trigger that cannot run fails the call at once,
// as UnexpectedLambdaException).
func newLambdaClient(endpoint, region string) *lambda.Client {
	return lambda.New(lambda.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: localCredentials, RetryMaxAttempts: 1})
}

// Pool is the local user pool with its app clients.
type Pool struct {
	ID string
	// Clients are by logical id.
	Clients map[string]Client
	// Stale reports that the pool was made from other settings than serverless.yml's now.
	Stale bool
}

// Client is an app client of the local pool; Secret is its generated secret, or "".
type Client struct{ ID, Secret string }

// poolRecord is pool.json: ids only, the secret is read back from the pool.
type poolRecord struct {
	UserPoolID string            `json:"userPoolId"`
	Clients    map[string]string `json:"clients"`
	SpecHash   string            `json:"specHash"`
}

func poolFile(stateDir string) string    { return filepath.Join(stateDir, "pool.json") }
func cognitoFile(stateDir string) string { return filepath.Join(stateDir, "cognito.json") }

// lambdaConfig maps the pool's triggers to CreateUserPool's LambdaConfig, each naming its
// function by the ARN the local Invoke endpoint answers to.
func lambdaConfig(cfg *slsconfig.Config, up slsconfig.UserPool) (*types.LambdaConfigType, error) {
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
// (with its resource servers) and records them. A recorded pool or client the local Cognito no
// longer has (its state was deleted) is created again.
func ensurePool(ctx context.Context, api *cip.Client, stateFile string, up slsconfig.UserPool, lc *types.LambdaConfigType) (Pool, error) {
	var rec poolRecord
	if data, err := os.ReadFile(stateFile); err == nil {
		if err := json.Unmarshal(data, &rec); err != nil {
			return Pool{}, fmt.Errorf("%s: %w (delete it to start over)", stateFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return Pool{}, err
	}
	pool := Pool{ID: rec.UserPoolID, Clients: map[string]Client{}, Stale: rec.SpecHash != up.Hash()}
	changed := false
	if pool.ID != "" {
		if _, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool.ID)}); isNotFound(err) {
			pool.ID = ""
		} else if err != nil {
			return Pool{}, fmt.Errorf("describe user pool %s: %w", pool.ID, err)
		}
	}
	if pool.ID == "" {
		in := up.Input
		in.LambdaConfig = lc
		out, err := api.CreateUserPool(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create user pool: %w", err)
		}
		pool.ID, pool.Stale, changed = aws.ToString(out.UserPool.Id), false, true
		rec = poolRecord{UserPoolID: pool.ID, SpecHash: up.Hash()}
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
			out, err := api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(pool.ID), ClientId: aws.String(clientID)})
			if err == nil {
				pool.Clients[id] = Client{clientID, aws.ToString(out.UserPoolClient.ClientSecret)}
				continue
			} else if !isNotFound(err) {
				return Pool{}, fmt.Errorf("describe app client %s: %w", id, err)
			}
		}
		in := up.Clients[id]
		in.UserPoolId = aws.String(pool.ID)
		out, err := api.CreateUserPoolClient(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create app client %s: %w", id, err)
		}
		pool.Clients[id] = Client{aws.ToString(out.UserPoolClient.ClientId), aws.ToString(out.UserPoolClient.ClientSecret)}
		rec.Clients[id], changed = pool.Clients[id].ID, true
	}
	if !changed {
		return pool, nil
	}
	data, _ := json.MarshalIndent(rec, "", "  ")
	tmp := stateFile + ".tmp"
	if err := os.MkdirAll(filepath.Dir(stateFile), 0o755); err != nil {
		return Pool{}, err
	} else if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return Pool{}, err
	}
	return pool, os.Rename(tmp, stateFile)
}

// isNotFound reports Cognito's ResourceNotFoundException.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ResourceNotFoundException"
}
