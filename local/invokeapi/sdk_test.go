package invokeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// presignupBootstrap is testdata/presignup built for this machine.
var presignupBootstrap string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "invokeapi-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	presignupBootstrap = filepath.Join(dir, "bootstrap")
	if out, err := lambdaruntime.BuildCommand(context.Background(), ".", "-o", presignupBootstrap, "./testdata/presignup").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build testdata/presignup: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// newLambdaClient serves h on 127.0.0.1 and returns an SDK client for it,
// signing with local credentials as the local Cognito does.
func newLambdaClient(t *testing.T, h http.Handler) *lambda.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

func TestSDKInvokesARealFunction(t *testing.T) {
	const name = "signin-api-dev-autoconfirm"
	pool, err := lambdaruntime.NewPool(lambdaruntime.Function{Name: name, Bootstrap: presignupBootstrap, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	h := &Handler{Functions: map[string]Invoker{name: pool}, Region: "us-east-1"}
	t.Cleanup(h.Wait)
	client := newLambdaClient(t, h)
	ctx := context.Background()

	event := func(user string) []byte {
		return []byte(`{"version":"1","triggerSource":"PreSignUp_SignUp","region":"local","userPoolId":"local_pool",` +
			`"userName":"` + user + `","callerContext":{"awsSdkVersion":"aws-sdk-js-2","clientId":"c"},` +
			`"request":{"userAttributes":{"sub":"s"}},"response":{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}}`)
	}

	t.Run("confirms", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: event("ana"), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		var reply struct {
			Response struct {
				AutoConfirmUser bool `json:"autoConfirmUser"`
			} `json:"response"`
		}
		if err := json.Unmarshal(out.Payload, &reply); err != nil || !reply.Response.AutoConfirmUser {
			t.Errorf("payload = %s, want response.autoConfirmUser true", out.Payload)
		}
		if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("status %d, function error %v, version %v; want 200, none, $LATEST", out.StatusCode, out.FunctionError, out.ExecutedVersion)
		}
		log, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if !strings.HasPrefix(string(log), "START RequestId: ") || !strings.Contains(string(log), "REPORT RequestId: ") {
			t.Errorf("log result = %q, want the invocation's START to REPORT", log)
		}
	})

	t.Run("function error", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: event("reject")})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != `{"errorMessage":"sign-up refused","errorType":"errorString"}` {
			t.Errorf("function error %v, payload %s; want Unhandled with the error", out.FunctionError, out.Payload)
		}
	})

	t.Run("by ARN, as an event", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName:   aws.String("arn:aws:lambda:us-east-1:000000000000:function:" + name),
			InvocationType: types.InvocationTypeEvent,
			Payload:        event("ana"),
		})
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if out.StatusCode != 202 {
			t.Errorf("status = %d, want 202", out.StatusCode)
		}
	})

	t.Run("unknown function", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope"), Payload: []byte(`{}`)})
		var notFound *types.ResourceNotFoundException
		if !errors.As(err, &notFound) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
		if want := "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"; notFound.ErrorMessage() != want {
			t.Errorf("message = %q, want %q", notFound.ErrorMessage(), want)
		}
	})
}
