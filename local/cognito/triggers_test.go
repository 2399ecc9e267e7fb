package cognito

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// lambdaStub is a Lambda Invoke endpoint whose functions are answer: the real Lambda client
// talks to it over HTTP. answer returns the reply body and the X-Amz-Function-Error value.
type lambdaStub struct {
	mu     sync.Mutex
	events map[string][]json.RawMessage // by function name
	answer func(name string, event []byte) (reply []byte, functionError string)
}

func (l *lambdaStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations")
	if _, after, ok := strings.Cut(name, ":function:"); ok {
		name = after
	}
	body, _ := io.ReadAll(r.Body)
	l.mu.Lock()
	l.events[name] = append(l.events[name], body)
	l.mu.Unlock()
	reply, fnErr := l.answer(name, body)
	if fnErr != "" {
		w.Header().Set("X-Amz-Function-Error", fnErr)
	}
	_, _ = w.Write(reply)
}

func (l *lambdaStub) got(name string) []json.RawMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.events[name]
}

func lambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

const (
	preSignUpARN = "arn:aws:lambda:us-east-1:000000000000:function:presignup"
	preTokenARN  = "arn:aws:lambda:us-east-1:000000000000:function:pretoken"
)

func triggerEnv(t *testing.T, answer func(name string, event []byte) ([]byte, string)) (*env, *lambdaStub) {
	stub := &lambdaStub{events: map[string][]json.RawMessage{}, answer: answer}
	ls := httptest.NewServer(stub)
	t.Cleanup(ls.Close)
	e := newEnv(t, func(o *Options, p *cip.CreateUserPoolInput, _ *cip.CreateUserPoolClientInput) {
		o.Lambda = lambdaClient(ls.URL)
		p.LambdaConfig = &types.LambdaConfigType{PreSignUp: aws.String(preSignUpARN),
			PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(preTokenARN),
				LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20}}
	})
	return e, stub
}

// echo answers a trigger event with the event itself, changed by f.
func echo[T any](event []byte, f func(*T)) []byte {
	var ev T
	_ = json.Unmarshal(event, &ev)
	f(&ev)
	out, _ := json.Marshal(ev)
	return out
}

// "Pre sign-up Lambda trigger": the event, autoConfirmUser; "Customizing user pool workflows
// with Lambda triggers" and API_SignUp's errors for a failing trigger.
func TestPreSignUpTrigger(t *testing.T) {
	mode := "confirm"
	e, stub := triggerEnv(t, func(name string, event []byte) ([]byte, string) {
		if name == "pretoken" {
			return event, ""
		}
		switch mode {
		case "reject":
			return []byte(`{"errorType":"Error","errorMessage":"not on the list"}`), "Unhandled"
		case "garbage":
			return []byte(`not json`), ""
		}
		return echo(event, func(ev *events.CognitoEventUserPoolsPreSignup) { ev.Response.AutoConfirmUser = true }), ""
	})
	out, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: e.client.ClientId, Username: aws.String("nina"), Password: aws.String(pw),
		SecretHash: e.secretHash("nina"), ClientMetadata: map[string]string{"k": "v"},
		UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Nina")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.UserConfirmed {
		t.Error("autoConfirmUser did not confirm")
	}
	var ev events.CognitoEventUserPoolsPreSignup
	if err := json.Unmarshal(stub.got("presignup")[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.TriggerSource != "PreSignUp_SignUp" || ev.UserPoolID != e.poolID || ev.UserName != "nina" || ev.Region != "us-east-1" ||
		ev.CallerContext.ClientID != *e.client.ClientId || ev.Request.UserAttributes["name"] != "Nina" || ev.Request.ClientMetadata["k"] != "v" {
		t.Errorf("event = %+v", ev)
	}
	if _, err := e.adminAuth("nina", pw); err != nil {
		t.Errorf("auto-confirmed user signs in: %v", err)
	}

	lambdaDown := newEnv(t, func(o *Options, p *cip.CreateUserPoolInput, _ *cip.CreateUserPoolClientInput) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		url := "http://" + ln.Addr().String()
		ln.Close()
		o.Lambda = lambdaClient(url)
		p.LambdaConfig = &types.LambdaConfigType{PreSignUp: aws.String(preSignUpARN)}
	})
	_, err = lambdaDown.signUp("olga", pw)
	wantErr(t, err, "UnexpectedLambdaException", "")

	for _, tt := range []struct{ mode, code, msg string }{
		{"reject", "UserLambdaValidationException", "PreSignUp failed with error not on the list."},
		{"garbage", "InvalidLambdaResponseException", "Unrecognizable lambda output"},
	} {
		mode = tt.mode
		_, err := e.signUp("oscar", pw)
		wantErr(t, err, tt.code, tt.msg)
		_, err = e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("oscar")})
		wantErr(t, err, "UserNotFoundException", "")
	}
}

// "Pre token generation Lambda trigger" (V2_0): claims and scopes added to and suppressed from
// the ID and access tokens, on sign-in (TokenGeneration_Authentication) and on refresh
// (TokenGeneration_RefreshTokens); restricted claims stay as Cognito writes them.
func TestPreTokenGenerationV2(t *testing.T) {
	e, stub := triggerEnv(t, func(name string, event []byte) ([]byte, string) {
		if name == "presignup" {
			return event, ""
		}
		return echo(event, func(ev *events.CognitoEventUserPoolsPreTokenGenV2_0) {
			d := &ev.Response.ClaimsAndScopeOverrideDetails
			d.IDTokenGeneration.ClaimsToAddOrOverride = map[string]any{"plan": "pro", "sub": "forged"}
			d.IDTokenGeneration.ClaimsToSuppress = []string{"name"}
			d.AccessTokenGeneration.ClaimsToAddOrOverride = map[string]any{"tenant": 7.0}
			d.AccessTokenGeneration.ScopesToAdd = []string{"signin-api/session.read"}
		}), ""
	})
	if _, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: e.client.ClientId, Username: aws.String("quinn"), Password: aws.String(pw),
		SecretHash: e.secretHash("quinn"), UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: aws.String("Q")}}}); err != nil {
		t.Fatal(err)
	}
	_, _ = e.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(e.poolID), Username: aws.String("quinn")})
	s, err := e.adminAuth("quinn", pw)
	if err != nil {
		t.Fatal(err)
	}
	check := func(a *types.AuthenticationResultType, source string) {
		t.Helper()
		id, access := e.verify(t, *a.IdToken), e.verify(t, *a.AccessToken)
		if _, hasName := id["name"]; hasName || id["plan"] != "pro" || id["sub"] == "forged" || access["tenant"] != 7.0 {
			t.Errorf("%s: id %v, access %v", source, id, access)
		}
		scopes := strings.Fields(access["scope"].(string))
		if !slices.Contains(scopes, "signin-api/session.read") || !slices.Contains(scopes, scopeAdmin) {
			t.Errorf("%s: scope %v", source, scopes)
		}
		evs := stub.got("pretoken")
		var ev events.CognitoEventUserPoolsPreTokenGenV2_0
		if err := json.Unmarshal(evs[len(evs)-1], &ev); err != nil {
			t.Fatal(err)
		}
		if ev.TriggerSource != source || ev.Version != "2" || ev.UserName != "quinn" || !slices.Contains(ev.Request.Scopes, scopeAdmin) ||
			ev.Request.UserAttributes["sub"] == "" {
			t.Errorf("%s: event %+v", source, ev)
		}
	}
	check(s.AuthenticationResult, "TokenGeneration_Authentication")
	g, err := e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: s.AuthenticationResult.RefreshToken, ClientSecret: e.client.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	check(g.AuthenticationResult, "TokenGeneration_RefreshTokens")
}

// Scopes suppressed by the trigger leave the access token; without aws.cognito.signin.user.admin
// GetUser refuses it (API_GetUser: the access token needs that scope).
func TestPreTokenGenerationSuppressesScope(t *testing.T) {
	e, _ := triggerEnv(t, func(name string, event []byte) ([]byte, string) {
		return echo(event, func(ev *events.CognitoEventUserPoolsPreTokenGenV2_0) {
			ev.Response.ClaimsAndScopeOverrideDetails.AccessTokenGeneration.ScopesToSuppress = []string{scopeAdmin}
		}), ""
	})
	e.confirmedUser(t, "rae", pw)
	s, err := e.adminAuth("rae", pw)
	if err != nil {
		t.Fatal(err)
	}
	if scope := e.verify(t, *s.AuthenticationResult.AccessToken)["scope"]; scope != "" {
		t.Errorf("scope = %q, want none", scope)
	}
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: s.AuthenticationResult.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token does not have required scopes")
}
