package signin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/signin"
)

// faultRig is the signin handler with the real SDK client, built as functions/signin/main.go
// builds it (cognito.LoadConfig, endpoint from AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER),
// talking HTTP to a Cognito stand-in that misbehaves on command. Its retryer is the policy's own
// (cognito.NewRetryer: the attempts, what is retried) with no wait between attempts:
// shared/cognito's TestLoadConfigRetryPolicy checks the waits LoadConfig really uses.
type faultRig struct {
	srv  *cognitotest.Server
	h    *signin.Handler
	logs *bytes.Buffer
}

// noWait is a backoff of zero: retries at once.
var noWait = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

// newFaultRig builds the rig; each of change edits LoadConfig's configuration before the
// client is made from it.
func newFaultRig(t *testing.T, change ...func(*aws.Config)) *faultRig {
	t.Helper()
	pool := cognitotest.New(testPoolID, testClientID, testSecret)
	srv := cognitotest.NewServer(pool)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	awsCfg, err := cognito.LoadConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	awsCfg.Retryer = func() aws.Retryer { return cognito.NewRetryer(noWait) }
	for _, fn := range change {
		fn(&awsCfg)
	}
	logs := &bytes.Buffer{}
	rig := &faultRig{srv: srv, logs: logs, h: &signin.Handler{
		Service: &signin.Service{Cognito: cip.NewFromConfig(awsCfg), UserPoolID: testPoolID, ClientID: testClientID, ClientSecret: testSecret},
		CORS:    apigw.ParseCORS("*"),
		Log:     logging.New(logs),
	}}
	t.Cleanup(func() {
		for _, leak := range cognitotest.Leaks(logs.String(), append(pool.Secrets(), "Corr3ct-Horse!")) {
			t.Errorf("log leaks a secret: %s", leak)
		}
	})
	return rig
}

// signIn invokes the handler with a REST proxy event and a Lambda deadline of timeout.
func (r *faultRig) signIn(t *testing.T, timeout time.Duration) (events.APIGatewayProxyResponse, map[string]any, time.Time) {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "fault-test"})
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	out, err := lambda.NewHandler(r.h).Invoke(ctx, withBody(t, apigw.RESTProxy, "application/json", creds("ivy", "Corr3ct-Horse!"), false))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &body)
	if body["status"] == "fail" {
		checkNoInternalDetail(t, resp.Body)
	}
	return resp, body, deadline
}

func cognitoError(code string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		cognitotest.WriteError(w, &smithy.GenericAPIError{Code: code, Message: "injected " + code})
	}
}

func httpStatus(status int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html>gateway error</html>"))
	}
}

// TestFaultsThroughTheSDK: what the client is told when Cognito throttles, fails, drops the
// connection or hangs; the SDK's bounded retries run first.
func TestFaultsThroughTheSDK(t *testing.T) {
	existing := "existing"
	tests := []struct {
		name         string
		user         string                      // existing: the user is in the pool already
		fail         func(w http.ResponseWriter) // answers every faulted attempt
		op           string                      // the operation that misbehaves
		failAttempts int                         // how many attempts of op misbehave; 0 = all
		wantStatus   int
		wantCode     string
		wantAttempts int // HTTP attempts of op
	}{
		{name: "throttled on every attempt", user: existing, op: "AdminInitiateAuth", fail: cognitoError("TooManyRequestsException"), wantStatus: 429, wantCode: "too_many_requests", wantAttempts: cognito.MaxAttempts},
		{name: "throttling clears after one attempt", user: existing, op: "AdminInitiateAuth", fail: cognitoError("TooManyRequestsException"), failAttempts: 1, wantStatus: 200, wantAttempts: 2},
		{name: "HTTP 500", user: existing, op: "AdminInitiateAuth", fail: httpStatus(500), wantStatus: 503, wantCode: "service_unavailable", wantAttempts: cognito.MaxAttempts},
		{name: "HTTP 503", user: existing, op: "AdminInitiateAuth", fail: httpStatus(503), wantStatus: 503, wantCode: "service_unavailable", wantAttempts: cognito.MaxAttempts},
		{name: "HTTP 503 once", user: existing, op: "AdminInitiateAuth", fail: httpStatus(503), failAttempts: 1, wantStatus: 200, wantAttempts: 2},
		{name: "dropped connection", user: existing, op: "AdminInitiateAuth", fail: cognitotest.Drop, wantStatus: 503, wantCode: "service_unavailable", wantAttempts: cognito.MaxAttempts},
		{name: "Cognito internal error", user: existing, op: "AdminInitiateAuth", fail: cognitoError("InternalErrorException"), wantStatus: 503, wantCode: "service_unavailable", wantAttempts: cognito.MaxAttempts},
		{name: "sign-up throttled", op: "SignUp", fail: cognitoError("TooManyRequestsException"), wantStatus: 429, wantCode: "too_many_requests", wantAttempts: cognito.MaxAttempts},
		{name: "trigger unreachable", op: "SignUp", fail: cognitoError("UnexpectedLambdaException"), wantStatus: 503, wantCode: "service_unavailable", wantAttempts: 1},
		{name: "trigger refused", op: "SignUp", fail: cognitoError("UserLambdaValidationException"), wantStatus: 403, wantCode: "signup_rejected", wantAttempts: 1},
		{name: "trigger answered nonsense", op: "SignUp", fail: cognitoError("InvalidLambdaResponseException"), wantStatus: 503, wantCode: "service_unavailable", wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newFaultRig(t)
			if tt.user == existing {
				rig.srv.Pool.AddUser("ivy", "Corr3ct-Horse!")
			}
			rig.srv.Fault = func(w http.ResponseWriter, r *http.Request, op string, attempt int) bool {
				if op != tt.op || (tt.failAttempts > 0 && attempt > tt.failAttempts) {
					return false
				}
				tt.fail(w)
				return true
			}
			resp, body, _ := rig.signIn(t, 10*time.Second)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantCode != "" && body["error"] != tt.wantCode {
				t.Errorf("error %v, want %s", body["error"], tt.wantCode)
			}
			if tt.wantCode == "too_many_requests" && resp.Headers["Retry-After"] == "" {
				t.Error("429 without Retry-After")
			}
			if got := rig.srv.Attempts(tt.op); got != tt.wantAttempts {
				t.Errorf("%s attempts %d, want %d", tt.op, got, tt.wantAttempts)
			}
			if tt.wantCode != "" && tt.op == "SignUp" && rig.srv.Pool.Users() != 0 {
				t.Errorf("a failed sign-up left %d users behind", rig.srv.Pool.Users())
			}
		})
	}
}

// TestFaultCognitoNeverAnswers: a Cognito that hangs costs attempts cut at the per-attempt
// timeout, each retried, then a 503; when the invocation's deadline comes first, the function
// still answers 503 before it instead of timing out.
func TestFaultCognitoNeverAnswers(t *testing.T) {
	hang := func(rig *faultRig) {
		rig.srv.Pool.AddUser("ivy", "Corr3ct-Horse!")
		rig.srv.Fault = func(w http.ResponseWriter, r *http.Request, op string, attempt int) bool {
			rig.srv.Hang(r)
			return true
		}
	}
	t.Run("every attempt times out", func(t *testing.T) {
		// LoadConfig's own HTTP client with a shorter cut than cognito.AttemptTimeout (2 s), so as
		// not to wait three of them; TestLoadConfigRetryPolicy checks the real one.
		rig := newFaultRig(t, func(c *aws.Config) {
			c.HTTPClient = c.HTTPClient.(*awshttp.BuildableClient).WithTimeout(100 * time.Millisecond)
		})
		hang(rig)
		resp, body, deadline := rig.signIn(t, 10*time.Second)
		if resp.StatusCode != 503 || body["error"] != "service_unavailable" {
			t.Fatalf("got %d %s, want 503 service_unavailable", resp.StatusCode, resp.Body)
		}
		if got := rig.srv.Attempts("AdminInitiateAuth"); got != cognito.MaxAttempts {
			t.Errorf("AdminInitiateAuth attempts %d, want %d: each cut by the per-attempt timeout and retried", got, cognito.MaxAttempts)
		}
		if !time.Now().Before(deadline) {
			t.Errorf("answered after the invocation's deadline: Lambda would have timed out")
		}
	})
	t.Run("the invocation's deadline comes first", func(t *testing.T) {
		rig := newFaultRig(t)
		hang(rig)
		// Less time than one cognito.AttemptTimeout is left once signin.DeadlineMargin is kept back.
		resp, body, deadline := rig.signIn(t, signin.DeadlineMargin+200*time.Millisecond)
		if resp.StatusCode != 503 || body["error"] != "service_unavailable" {
			t.Fatalf("got %d %s, want 503 service_unavailable", resp.StatusCode, resp.Body)
		}
		if got := rig.srv.Attempts("AdminInitiateAuth"); got != 1 {
			t.Errorf("AdminInitiateAuth attempts %d, want 1, cut by the deadline", got)
		}
		if !time.Now().Before(deadline) {
			t.Errorf("answered after the invocation's deadline: Lambda would have timed out")
		}
	})
}

// TestFaultSignInAfterSignUpFails: the account was created but the sign-in after it failed; the
// client is told so, and its retry signs in to the same account.
func TestFaultSignInAfterSignUpFails(t *testing.T) {
	rig := newFaultRig(t)
	rig.srv.Fault = func(w http.ResponseWriter, r *http.Request, op string, attempt int) bool {
		if op == "AdminInitiateAuth" && attempt > 1 { // the first auth says "no such user"
			httpStatus(503)(w)
			return true
		}
		return false
	}
	resp, body, _ := rig.signIn(t, 10*time.Second)
	if resp.StatusCode != 503 || body["account_created"] != true {
		t.Fatalf("got %d %s, want 503 with account_created", resp.StatusCode, resp.Body)
	}
	rig.srv.Fault = nil
	resp, body, _ = rig.signIn(t, 10*time.Second)
	if resp.StatusCode != 200 || body["is_new"] != false || body["user_id"] != rig.srv.Pool.Sub("ivy") {
		t.Fatalf("retry: %d %s, want success for the created account", resp.StatusCode, resp.Body)
	}
}

// TestFaultTriggerNotWired: without the PreSignUp trigger the new account is unconfirmed.
func TestFaultTriggerNotWired(t *testing.T) {
	rig := newFaultRig(t)
	rig.srv.Fault = func(w http.ResponseWriter, r *http.Request, op string, attempt int) bool {
		if op == "AdminInitiateAuth" && attempt > 1 {
			cognitoError("UserNotConfirmedException")(w)
			return true
		}
		return false
	}
	resp, body, _ := rig.signIn(t, 10*time.Second)
	if resp.StatusCode != 403 || body["error"] != "user_not_confirmed" {
		t.Fatalf("got %d %s, want 403 user_not_confirmed", resp.StatusCode, resp.Body)
	}
}
