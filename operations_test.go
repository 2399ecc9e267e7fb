package signin_test

// The operations half of the CloudFormation test: the WAF web ACL on the stage, the metric
// filters (matched against log lines that the real handlers write in this test, so a renamed
// log field fails here), the alarms and their topic.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/autoconfirm"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/me"
	"github.com/signin-api/signin/shared/session"
	"github.com/signin-api/signin/shared/signin"
)

// Logical ids and names of the operations resources in serverless.yml.
const (
	webACLID      = "WebAcl"
	alarmTopicID  = "AlarmTopic"
	wafRuleMetric = "session-routes-per-ip"
)

// loggedLine is one line a function wrote to its log, with what the invocation did.
type loggedLine struct {
	scenario string
	fn       string // the function, whose log group holds the line
	line     string
	// cognitoCalls is how many calls the fake pool received in the invocation.
	cognitoCalls int
	// body is the response body the client got (proxy responses only).
	body map[string]any
}

var (
	linesOnce sync.Once
	lines     []loggedLine
	linesErr  error
)

// functionLogLines runs each function's real handler through aws-lambda-go's own decoder, as
// Lambda does, with the logger functions/<fn>/main.go builds, and returns the one line each
// invocation logged. Lambda stores a line that is already JSON as the log event unchanged ("Lambda
// doesn't double-encode logs that are already JSON", Configuring JSON and plain text log
// formats), so these are the events the metric filters read.
func functionLogLines(t *testing.T) []loggedLine {
	t.Helper()
	linesOnce.Do(func() { lines, linesErr = captureLogLines() })
	if linesErr != nil {
		t.Fatal(linesErr)
	}
	return lines
}

const (
	logPassword = "Corr3ct-Horse!"
	logPoolID   = "us-east-1_LOGTEST"
	logClientID = "logtestclient0123456789"
	logSecret   = "log-test-client-secret-0123456789"
)

func captureLogLines() ([]loggedLine, error) {
	apiError := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "injected " + code} }
	failAuthAfter := func(n int, err error) func(*cognitotest.Pool) {
		return func(p *cognitotest.Pool) {
			calls := 0
			p.AuthHook = func(context.Context, *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
				if calls++; calls > n {
					return nil, err
				}
				return nil, nil
			}
		}
	}
	scenarios := []struct {
		name     string
		body     string
		existing bool
		setup    func(*cognitotest.Pool)
	}{
		{name: "returning user", body: creds("alice", logPassword), existing: true},
		{name: "new user", body: creds("bob", logPassword)},
		{name: "wrong password", body: creds("alice", "Wr0ng-password"), existing: true},
		{name: "invalid request", body: `{"username":"","password":""}`},
		{name: "payload too large", body: creds("alice", strings.Repeat("x", 5000))},
		{name: "cognito throttles", body: creds("alice", logPassword), existing: true, setup: failAuthAfter(0, apiError("TooManyRequestsException"))},
		{name: "cognito fails", body: creds("alice", logPassword), existing: true, setup: failAuthAfter(0, apiError("InternalErrorException"))},
		{name: "account created, sign-in after it fails", body: creds("carol", logPassword), setup: failAuthAfter(1, apiError("InternalErrorException"))},
		{name: "misconfigured", body: creds("alice", logPassword), existing: true, setup: failAuthAfter(0, errors.New("no such client"))},
		// Cognito's lockout has no code of its own: NotAuthorizedException with this message.
		{name: "locked out", body: creds("alice", logPassword), existing: true, setup: failAuthAfter(0, &smithy.GenericAPIError{Code: "NotAuthorizedException", Message: "Password attempts exceeded"})},
		{name: "challenge", body: creds("alice", logPassword), existing: true, setup: func(p *cognitotest.Pool) {
			p.AuthHook = func(context.Context, *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
				return &cip.AdminInitiateAuthOutput{ChallengeName: types.ChallengeNameTypeNewPasswordRequired}, nil
			}
		}},
	}

	sample, err := os.ReadFile(filepath.Join("events", "signin-apigw-v1.json"))
	if err != nil {
		return nil, err
	}
	var out []loggedLine
	for _, sc := range scenarios {
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(sample, &ev); err != nil {
			return nil, err
		}
		ev.Body = sc.body
		payload, _ := json.Marshal(ev)

		pool := cognitotest.New(logPoolID, logClientID, logSecret)
		if sc.existing {
			pool.AddUser("alice", logPassword)
		}
		if sc.setup != nil {
			sc.setup(pool)
		}
		var logs bytes.Buffer
		h := &signin.Handler{
			Service: &signin.Service{Cognito: pool, UserPoolID: logPoolID, ClientID: logClientID, ClientSecret: logSecret},
			CORS:    apigw.ParseCORS("*"),
			Log:     logging.New(&logs),
		}
		resp, err := invoke(lambda.NewHandler(h), payload)
		if err != nil {
			return nil, fmt.Errorf("signin, %s: %w", sc.name, err)
		}
		line, err := oneLine(logs.String())
		if err != nil {
			return nil, fmt.Errorf("signin, %s: %w", sc.name, err)
		}
		auth, signUp := pool.Calls()
		var r events.APIGatewayProxyResponse
		var body map[string]any
		if err := json.Unmarshal(resp, &r); err != nil || json.Unmarshal([]byte(r.Body), &body) != nil {
			return nil, fmt.Errorf("signin, %s: not a proxy response with a JSON body: %s", sc.name, resp)
		}
		out = append(out, loggedLine{scenario: sc.name, fn: "signin", line: line, cognitoCalls: auth + signUp, body: body})
	}

	// The session routes, with alice signed in with the sample events' tokens (shared/session's).
	const sampleRefresh = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.ZXhhbXBsZS1lbmNyeXB0ZWQta2V5.ZXhhbXBsZS1pdg.ZXhhbXBsZS1jaXBoZXJ0ZXh0.ZXhhbXBsZS10YWc"
	const sampleAccess = "eyJraWQiOiJleGFtcGxlIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiI4ZjRlMmIxYS0zYzVkLTRlNmYtOWEwYi0xYzJkM2U0ZjVhNmIiLCJpc3MiOiJodHRwczovL2NvZ25pdG8taWRwLnVzLWVhc3QtMS5hbWF6b25hd3MuY29tL3VzLWVhc3QtMV9FWEFNUExFMSIsImNsaWVudF9pZCI6IjFleGFtcGxlMjM0NTY3ODkiLCJvcmlnaW5fanRpIjoiMWEyYjNjNGQtNWU2Zi00YTdiLThjOWQtMGUxZjJhM2I0YzVkIiwiZXZlbnRfaWQiOiI2YjlkNGUwYS0yZjFjLTRjM2ItOWE4ZS03ZDZmNWU0YzNiMmEiLCJ0b2tlbl91c2UiOiJhY2Nlc3MiLCJzY29wZSI6ImF3cy5jb2duaXRvLnNpZ25pbi51c2VyLmFkbWluIiwiYXV0aF90aW1lIjoxNzk1Mjk0NjgwLCJleHAiOjE3OTUyOTgyODAsImlhdCI6MTc5NTI5NDY4MCwianRpIjoiMmIzYzRkNWUtNmY3YS00YjhjLTlkMGUtMWYyYTNiNGM1ZDZlIiwidXNlcm5hbWUiOiJhbGljZSJ9.c2lnbmF0dXJl"
	const sampleClientID = "1example23456789" // the client_id in sampleAccess
	refresh := func(s *session.Service, b *bytes.Buffer) lambda.Handler {
		return &session.RefreshHandler{Service: s, CORS: apigw.ParseCORS("*"), Log: logging.New(b)}
	}
	signOut := func(s *session.Service, b *bytes.Buffer) lambda.Handler {
		return &session.SignOutHandler{Service: s, CORS: apigw.ParseCORS("*"), Log: logging.New(b)}
	}
	deleteMe := func(s *session.Service, b *bytes.Buffer) lambda.Handler {
		return &session.DeleteMeHandler{Service: s, CORS: apigw.ParseCORS("*"), Log: logging.New(b)}
	}
	for _, sc := range []struct {
		name, fn, event, body string
		signedIn              bool
		handler               func(*session.Service, *bytes.Buffer) lambda.Handler
	}{
		{"refresh", "refresh", "refresh.json", "", true, refresh},
		{"refresh, unknown token", "refresh", "refresh.json", "", false, refresh},
		{"sign-out", "signout", "signout.json", "", true, signOut},
		{"sign-out, bad request", "signout", "", `{"everywhere":"yes"}`, true, signOut},
		{"delete account", "deleteme", "me-delete.json", "", true, deleteMe},
		{"delete account, unknown token", "deleteme", "me-delete.json", "", false, deleteMe},
	} {
		payload := []byte(sc.body)
		if sc.event != "" {
			var err error
			if payload, err = os.ReadFile(filepath.Join("events", sc.event)); err != nil {
				return nil, err
			}
		}
		pool := cognitotest.New(logPoolID, sampleClientID, logSecret)
		pool.AddUser("alice", logPassword)
		if sc.signedIn {
			pool.AddSession("alice", sampleRefresh, sampleAccess)
		}
		var logs bytes.Buffer
		if _, err := invoke(sc.handler(&session.Service{Cognito: pool, ClientID: sampleClientID, ClientSecret: logSecret}, &logs), payload); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.name, err)
		}
		line, err := oneLine(logs.String())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.name, err)
		}
		out = append(out, loggedLine{scenario: sc.name, fn: sc.fn, line: line, cognitoCalls: pool.TokenCalls()})
	}

	for _, other := range []struct {
		fn, event string
		handler   func(*bytes.Buffer) lambda.Handler
	}{
		{"me", "me.json", func(b *bytes.Buffer) lambda.Handler {
			return lambda.NewHandler((&me.Handler{CORS: apigw.ParseCORS("*"), Log: logging.New(b)}).Handle)
		}},
		{"autoconfirm", "autoconfirm-presignup.json", func(b *bytes.Buffer) lambda.Handler {
			return lambda.NewHandler(&autoconfirm.Handler{Log: logging.New(b)})
		}},
	} {
		payload, err := os.ReadFile(filepath.Join("events", other.event))
		if err != nil {
			return nil, err
		}
		var logs bytes.Buffer
		if _, err := invoke(other.handler(&logs), payload); err != nil {
			return nil, fmt.Errorf("%s: %w", other.fn, err)
		}
		line, err := oneLine(logs.String())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", other.fn, err)
		}
		out = append(out, loggedLine{scenario: other.fn + " " + other.event, fn: other.fn, line: line})
	}
	return out, nil
}

func creds(username, password string) string {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return string(b)
}

func invoke(h lambda.Handler, payload []byte) ([]byte, error) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "3f2a1c9e-ops-test"})
	return h.Invoke(ctx, payload)
}

func oneLine(logs string) (string, error) {
	got := strings.Split(strings.TrimSuffix(logs, "\n"), "\n")
	if len(got) != 1 || got[0] == "" {
		return "", fmt.Errorf("want exactly one log line, got %q", logs)
	}
	return got[0], nil
}

// evalCondition evaluates a CloudFormation condition made of literals, which is what the
// template holds once the Serverless parameters are resolved; anything else is an error.
func evalCondition(v any, conditions map[string]any) (bool, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("not a condition function: %v", v)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals takes two values: %v", arg)
			}
			for _, a := range args {
				switch a.(type) {
				case string, bool, float64:
				default:
					return false, fmt.Errorf("Fn::Equals of a non-literal %v", a)
				}
			}
			// CloudFormation compares the values as strings: true equals "true".
			return fmt.Sprint(args[0]) == fmt.Sprint(args[1]), nil
		case "Fn::Not":
			if len(args) != 1 {
				return false, fmt.Errorf("Fn::Not takes one condition: %v", arg)
			}
			b, err := evalCondition(args[0], conditions)
			return !b, err
		case "Fn::And", "Fn::Or":
			all, anyTrue := true, false
			for _, a := range args {
				b, err := evalCondition(a, conditions)
				if err != nil {
					return false, err
				}
				all, anyTrue = all && b, anyTrue || b
			}
			if fn == "Fn::And" {
				return all, nil
			}
			return anyTrue, nil
		case "Condition":
			name, _ := arg.(string)
			c, ok := conditions[name]
			if !ok {
				return false, fmt.Errorf("no condition %q", name)
			}
			return evalCondition(c, conditions)
		}
		return false, fmt.Errorf("unsupported condition function %s", fn)
	}
	return false, fmt.Errorf("empty condition")
}

// condition evaluates one of the template's named conditions.
func (tpl template) condition(t *testing.T, name string) bool {
	t.Helper()
	b, err := evalCondition(map[string]any{"Condition": name}, tpl.Conditions)
	if err != nil {
		t.Fatalf("condition %s: %v", name, err)
	}
	return b
}

// prop walks nested properties by key; numbers index lists.
func prop(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestConditionalResourcesReferencedUnderTheirCondition(t *testing.T) {
	// CloudFormation refuses a template in which a resource or output that may exist refers to
	// one that may not: everything that refers to a WAF resource must carry its condition.
	for _, args := range [][]string{nil, prodArgs} {
		tpl := mustPackage(t, args...)
		for id, r := range tpl.Resources {
			deps := map[string]bool{}
			references(r.Properties, deps)
			for _, d := range stringList(r.DependsOn) {
				deps[d] = true
			}
			for d := range deps {
				if dep, ok := tpl.Resources[d]; ok && dep.Condition != "" && dep.Condition != r.Condition {
					t.Errorf("%v: %s (condition %q) refers to %s (condition %q)", args, id, r.Condition, d, dep.Condition)
				}
			}
		}
		for name, o := range tpl.Outputs {
			deps := map[string]bool{}
			references(o.Value, deps)
			for d := range deps {
				if dep, ok := tpl.Resources[d]; ok && dep.Condition != "" && dep.Condition != o.Condition {
					t.Errorf("%v: output %s (condition %q) refers to %s (condition %q)", args, name, o.Condition, d, dep.Condition)
				}
			}
		}
	}
}

func TestWebACL(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		stage         string
		wantEnabled   bool
		limit, window float64
	}{
		{"dev: off by default", nil, "dev", false, 100, 300},
		{"prod: on by default", prodArgs, "prod", true, 100, 300},
		{"parameters", []string{"--param", "wafEnabled=true", "--param", "wafRateLimit=500", "--param", "wafRateWindow=60"}, "dev", true, 500, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := mustPackage(t, tt.args...)
			if got := tpl.condition(t, "WafEnabled"); got != tt.wantEnabled {
				t.Errorf("condition WafEnabled: got %v, want %v", got, tt.wantEnabled)
			}
			aclID, acl := tpl.only(t, "AWS::WAFv2::WebACL")
			assocID, assoc := tpl.only(t, "AWS::WAFv2::WebACLAssociation")
			for id, r := range map[string]resource{aclID: acl, assocID: assoc} {
				if r.Condition != "WafEnabled" {
					t.Errorf("%s: condition %q, want WafEnabled", id, r.Condition)
				}
			}
			// WAF's metrics name the web ACL and the rule by their metric names; with the same
			// names the alarm's dimensions hold either way.
			if name, metric := acl.Properties["Name"], prop(acl.Properties, "VisibilityConfig", "MetricName"); name != metric || name != "signin-api-"+tt.stage {
				t.Errorf("web ACL name %v, metric name %v: want both signin-api-%s", name, metric, tt.stage)
			}
			if acl.Properties["Scope"] != "REGIONAL" || !reflect.DeepEqual(acl.Properties["DefaultAction"], map[string]any{"Allow": map[string]any{}}) {
				t.Errorf("web ACL: scope %v, default action %v; want REGIONAL and Allow", acl.Properties["Scope"], acl.Properties["DefaultAction"])
			}

			// Associated with this stack's one REST API stage; the Ref makes it wait for the stage.
			stageID, _ := tpl.only(t, "AWS::ApiGateway::Stage")
			if got, want := assoc.Properties["WebACLArn"], getAtt(aclID, "Arn"); !reflect.DeepEqual(got, want) {
				t.Errorf("association WebACLArn: got %v, want %v", got, want)
			}
			wantARN := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${" + restAPIID + "}/stages/${" + stageID + "}"}
			if got := assoc.Properties["ResourceArn"]; !reflect.DeepEqual(got, wantARN) {
				t.Errorf("association ResourceArn: got %v, want %v", got, wantARN)
			}

			rules, _ := acl.Properties["Rules"].([]any)
			if len(rules) != 1 {
				t.Fatalf("web ACL rules: got %d, want 1", len(rules))
			}
			rule := rules[0]
			rate, _ := prop(rule, "Statement", "RateBasedStatement").(map[string]any)
			if rate["AggregateKeyType"] != "IP" {
				t.Errorf("rate rule aggregates by %v, want IP (per client)", rate["AggregateKeyType"])
			}
			limit, _ := number(rate["Limit"])
			window, _ := number(rate["EvaluationWindowSec"])
			if limit != tt.limit || window != tt.window {
				t.Errorf("rate rule: limit %v per %v s, want %v per %v s", rate["Limit"], rate["EvaluationWindowSec"], tt.limit, tt.window)
			}
			// AWS WAF's bounds (RateBasedStatement: Limit 10 to 2,000,000,000; windows 60-600 s).
			if limit < 10 || !slices.Contains([]float64{60, 120, 300, 600}, window) {
				t.Errorf("rate rule limit %v / window %v outside what AWS WAF accepts", limit, window)
			}
			checkRateRuleScope(t, tpl, tt.stage, prop(rate, "ScopeDownStatement"))
			checkTooManyRequests(t, tpl, acl, rule, window)

			for _, vc := range []any{acl.Properties["VisibilityConfig"], prop(rule, "VisibilityConfig")} {
				if prop(vc, "CloudWatchMetricsEnabled") != true {
					t.Errorf("visibility config %v: want CloudWatch metrics (the WAF alarm reads them)", vc)
				}
			}
		})
	}

	t.Run("a wafEnabled that is not a boolean is refused", func(t *testing.T) {
		_, out, err := slsPackage(t, "--param", "wafEnabled=yes")
		if err == nil || !strings.Contains(out, "strToBool") {
			t.Errorf("sls package --param wafEnabled=yes: err %v, want a strToBool error\n%s", err, out)
		}
	})
}

// checkRateRuleScope: the rule counts every request to an unauthenticated route of the API
// (today POST /signin; issue 8's /refresh and /signout are in the pattern before they exist),
// with or without the stage in the path, and not the CORS preflights.
func checkRateRuleScope(t *testing.T, tpl template, stage string, scope any) {
	t.Helper()
	stmts, _ := prop(scope, "AndStatement", "Statements").([]any)
	if len(stmts) != 2 {
		t.Fatalf("scope-down: got %v, want an AndStatement of the path regex and not-OPTIONS", scope)
	}
	re := prop(stmts[0], "RegexMatchStatement")
	if !reflect.DeepEqual(prop(re, "FieldToMatch"), map[string]any{"UriPath": map[string]any{}}) {
		t.Errorf("regex inspects %v, want the URI path", prop(re, "FieldToMatch"))
	}
	var transforms []string
	for _, tr := range prop(re, "TextTransformations").([]any) {
		transforms = append(transforms, fmt.Sprint(prop(tr, "Type")))
	}
	if !slices.Contains(transforms, "URL_DECODE") || !slices.Contains(transforms, "NORMALIZE_PATH") {
		t.Errorf("path transformations %v: want URL_DECODE and NORMALIZE_PATH (no escaping around the limit)", transforms)
	}
	// The pattern is plain enough to mean the same in Go's RE2 as in AWS WAF's PCRE.
	pattern, err := regexp.Compile(fmt.Sprint(prop(re, "RegexString")))
	if err != nil {
		t.Fatalf("regex: %v", err)
	}
	var open []string
	for _, id := range tpl.ofType("AWS::ApiGateway::Method") {
		m := tpl.Resources[id].Properties
		if m["HttpMethod"] != "OPTIONS" && m["AuthorizationType"] == "NONE" {
			open = append(open, tpl.resourcePath(t, m["ResourceId"]))
		}
	}
	if len(open) == 0 {
		t.Fatal("no unauthenticated route found")
	}
	for _, path := range append(open, "/signin", "/refresh", "/signout", "/signin/") {
		for _, p := range []string{path, "/" + stage + path, "/base/" + stage + path} {
			if !pattern.MatchString(p) {
				t.Errorf("path %s is not rate limited by %s", p, pattern)
			}
		}
	}
	for _, p := range []string{"/" + stage + "/me", "/" + stage + "/session", "/" + stage + "/signing", "/" + stage + "/xsignin", "/" + stage + "/signin/other"} {
		if pattern.MatchString(p) {
			t.Errorf("path %s is rate limited by %s, want only the session routes", p, pattern)
		}
	}

	notOptions := prop(stmts[1], "NotStatement", "Statement", "ByteMatchStatement")
	if !reflect.DeepEqual(prop(notOptions, "FieldToMatch"), map[string]any{"Method": map[string]any{}}) ||
		prop(notOptions, "SearchString") != "OPTIONS" || prop(notOptions, "PositionalConstraint") != "EXACTLY" {
		t.Errorf("second scope-down statement %v: want NOT method = OPTIONS", stmts[1])
	}
}

// checkTooManyRequests: the rule blocks with a 429 in the signin contract's shape, the same
// fields as the function's own 429, with Retry-After and CORS headers.
func checkTooManyRequests(t *testing.T, tpl template, acl resource, rule any, window float64) {
	t.Helper()
	resp := prop(rule, "Action", "Block", "CustomResponse")
	if code, _ := number(prop(resp, "ResponseCode")); code != 429 {
		t.Errorf("block response code %v, want 429", prop(resp, "ResponseCode"))
	}
	key := fmt.Sprint(prop(resp, "CustomResponseBodyKey"))
	body := prop(acl.Properties, "CustomResponseBodies", key)
	if prop(body, "ContentType") != "APPLICATION_JSON" {
		t.Errorf("body %s: content type %v, want APPLICATION_JSON", key, prop(body, "ContentType"))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(fmt.Sprint(prop(body, "Content"))), &got); err != nil {
		t.Fatalf("body %s is not JSON: %v: %v", key, err, prop(body, "Content"))
	}
	if got["status"] != "fail" || got["error"] != "too_many_requests" || got["msg"] == "" || got["retry_after"] != window {
		t.Errorf("429 body %v: want status fail, error too_many_requests, a msg and retry_after %v", got, window)
	}
	var function map[string]any
	for _, l := range functionLogLines(t) {
		if l.scenario == "cognito throttles" {
			function = l.body
		}
	}
	if a, b := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(function)); !reflect.DeepEqual(a, b) {
		t.Errorf("WAF's 429 has fields %v, the function's 429 %v: want the same shape", a, b)
	}

	headers := map[string]string{}
	for _, h := range prop(resp, "ResponseHeaders").([]any) {
		headers[strings.ToLower(fmt.Sprint(prop(h, "Name")))] = fmt.Sprint(prop(h, "Value"))
	}
	want := map[string]string{
		"retry-after":                   fmt.Sprint(window),
		"access-control-allow-origin":   "*",
		"access-control-expose-headers": "Retry-After",
		"cache-control":                 "no-store",
	}
	if !reflect.DeepEqual(headers, want) {
		t.Errorf("429 headers: got %v, want %v", headers, want)
	}
}

// metricPoint is what one metric filter publishes for one log event.
type metricPoint struct {
	key   string // "Namespace/Name" or "Namespace/Name{Key=value}"
	value float64
}

// publish is what a metric filter publishes for event, if its pattern matches.
func publish(t *testing.T, id string, f resource, event string) []metricPoint {
	t.Helper()
	pattern, err := parseFilterPattern(fmt.Sprint(f.Properties["FilterPattern"]))
	if err != nil {
		t.Fatalf("metric filter %s: %v", id, err)
	}
	if !pattern.Matches(event) {
		return nil
	}
	var points []metricPoint
	for _, tr := range f.Properties["MetricTransformations"].([]any) {
		key := fmt.Sprintf("%v/%v", prop(tr, "MetricNamespace"), prop(tr, "MetricName"))
		var dims []string
		for _, d := range anyList(prop(tr, "Dimensions")) {
			v, ok := fieldValue(event, fmt.Sprint(prop(d, "Value")))
			if !ok {
				t.Errorf("metric filter %s: dimension %v not in %s", id, d, event)
				continue
			}
			dims = append(dims, fmt.Sprintf("%v=%v", prop(d, "Key"), v))
		}
		if len(dims) > 0 {
			key += "{" + strings.Join(dims, ",") + "}"
		}
		valueRef := fmt.Sprint(prop(tr, "MetricValue"))
		value, ok := number(valueRef)
		if !ok {
			v, found := fieldValue(event, valueRef)
			if value, ok = v.(float64); !found || !ok {
				t.Errorf("metric filter %s: value %s is not a number in %s", id, valueRef, event)
				continue
			}
		}
		points = append(points, metricPoint{key, value})
	}
	return points
}

// anyList returns v as a list, or nil when it is not one.
func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestMetricFilters(t *testing.T) {
	tpl := mustPackage(t, prodArgs...)
	const ns = "signin-api/prod"
	filters := tpl.ofType("AWS::Logs::MetricFilter")
	if len(filters) == 0 {
		t.Fatal("no metric filters")
	}
	for _, id := range filters {
		for _, tr := range anyList(tpl.Resources[id].Properties["MetricTransformations"]) {
			if got := prop(tr, "MetricNamespace"); got != ns {
				t.Errorf("%s: namespace %v, want %s (the service and stage)", id, got, ns)
			}
			if _, ok := prop(tr, "DefaultValue").(float64); ok {
				t.Errorf("%s: a DefaultValue publishes zeros for every other line", id)
			}
		}
	}

	// What each real log line makes the filters on its function's log group publish.
	want := map[string]func(l loggedLine) map[string]float64{
		"returning user": func(l loggedLine) map[string]float64 { return metrics("SignIns", 1, "CognitoCalls", l.cognitoCalls) },
		"new user": func(l loggedLine) map[string]float64 {
			return metrics("SignIns", 1, "SignUps", 1, "CognitoCalls", l.cognitoCalls)
		},
		"wrong password":    failure("invalid_credentials"),
		"invalid request":   failure("invalid_request"),
		"payload too large": failure("payload_too_large"),
		"cognito throttles": failure("too_many_requests"),
		"cognito fails":     failure("service_unavailable"),
		"account created, sign-in after it fails": func(l loggedLine) map[string]float64 {
			return metrics("SignUps", 1, "Failures{Code=service_unavailable}", 1, "CognitoCalls", l.cognitoCalls)
		},
		"misconfigured":                          failure("internal_error"),
		"challenge":                              failure("challenge_required"),
		"locked out":                             failure("too_many_attempts"),
		"refresh":                                calls,
		"refresh, unknown token":                 failure("invalid_token"),
		"sign-out":                               calls,
		"sign-out, bad request":                  failure("invalid_request"),
		"delete account":                         calls,
		"delete account, unknown token":          failure("invalid_token"),
		"me me.json":                             func(loggedLine) map[string]float64 { return map[string]float64{} },
		"autoconfirm autoconfirm-presignup.json": func(loggedLine) map[string]float64 { return map[string]float64{} },
	}
	for _, l := range functionLogLines(t) {
		t.Run(l.scenario, func(t *testing.T) {
			wantFn, ok := want[l.scenario]
			if !ok {
				t.Fatalf("no expectation for %s", l.scenario)
			}
			got := map[string]float64{}
			for _, id := range filters {
				f := tpl.Resources[id]
				if !reflect.DeepEqual(f.Properties["LogGroupName"], ref(logGroupID(l.fn))) {
					continue
				}
				for _, p := range publish(t, id, f, l.line) {
					got[strings.TrimPrefix(p.key, ns+"/")] += p.value
				}
			}
			if w := wantFn(l); !reflect.DeepEqual(got, w) {
				t.Errorf("published %v, want %v\nfrom the line %s", got, w, l.line)
			}
		})
	}

	// Every filter is exercised: some real line makes it publish. A filter added for a new
	// function needs that function's lines in captureLogLines.
	for _, id := range filters {
		f := tpl.Resources[id]
		exercised := false
		for _, l := range functionLogLines(t) {
			if reflect.DeepEqual(f.Properties["LogGroupName"], ref(logGroupID(l.fn))) && len(publish(t, id, f, l.line)) > 0 {
				exercised = true
			}
		}
		if !exercised {
			t.Errorf("metric filter %s publishes for none of the functions' log lines", id)
		}
	}

	// Each pattern is its own function's: a line matches no filter of another function's log
	// group, so moving or sharing a filter cannot count another route's lines.
	for _, l := range functionLogLines(t) {
		for _, id := range filters {
			f := tpl.Resources[id]
			if !reflect.DeepEqual(f.Properties["LogGroupName"], ref(logGroupID(l.fn))) && len(publish(t, id, f, l.line)) > 0 {
				t.Errorf("%s line %s matches %s, a filter on %v", l.fn, l.line, id, f.Properties["LogGroupName"])
			}
		}
	}
}

// metrics builds a metric map from name, value pairs.
func metrics(kv ...any) map[string]float64 {
	out := map[string]float64{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case int:
			out[kv[i].(string)] = float64(v)
		case float64:
			out[kv[i].(string)] = v
		}
	}
	return out
}

// calls is what a successful session route publishes: the Cognito calls it made.
func calls(l loggedLine) map[string]float64 { return metrics("CognitoCalls", l.cognitoCalls) }

// failure is what a failed sign-in publishes: one Failures{Code} and the Cognito calls made.
func failure(code string) func(loggedLine) map[string]float64 {
	return func(l loggedLine) map[string]float64 {
		return metrics("Failures{Code="+code+"}", 1, "CognitoCalls", l.cognitoCalls)
	}
}

// alarmMetric is an alarm's metric as "Namespace/Name" plus sorted dimensions.
func alarmMetric(a resource) string {
	key := fmt.Sprintf("%v/%v", a.Properties["Namespace"], a.Properties["MetricName"])
	var dims []string
	for _, d := range anyList(a.Properties["Dimensions"]) {
		v := prop(d, "Value")
		if s, ok := v.(string); ok {
			dims = append(dims, fmt.Sprintf("%v=%s", prop(d, "Name"), s))
		} else {
			b, _ := json.Marshal(v)
			dims = append(dims, fmt.Sprintf("%v=%s", prop(d, "Name"), b))
		}
	}
	slices.Sort(dims)
	if len(dims) > 0 {
		key += "{" + strings.Join(dims, ",") + "}"
	}
	return key
}

func TestAlarms(t *testing.T) {
	custom := []string{
		"--stage", "prod",
		"--param", "corsAllowOrigin=https://app.example.com",
		"--param", "alarmSignUpsPer5Min=900",
		"--param", "alarmUnavailablePer5Min=9",
		"--param", "alarmCognitoThrottledPer5Min=8",
		"--param", "alarmLockoutsPer5Min=40",
		"--param", "alarmFunctionErrorsPer5Min=7",
		"--param", "alarmFunctionThrottlesPer5Min=6",
		"--param", "alarmWafBlockedPer5Min=50",
		"--param", "alarmEmail=ops@example.com",
	}
	tests := []struct {
		name      string
		args      []string
		stage     string
		threshold map[string]float64 // by alarm kind
		email     string
	}{
		{"defaults", prodArgs, "prod", map[string]float64{"signups": 100, "unavailable": 5, "throttled": 1, "lockouts": 20, "errors": 1, "throttles": 1, "waf": 1}, ""},
		{"parameters", custom, "prod", map[string]float64{"signups": 900, "unavailable": 9, "throttled": 8, "lockouts": 40, "errors": 7, "throttles": 6, "waf": 50}, "ops@example.com"},
		{"dev", nil, "dev", map[string]float64{"signups": 100, "unavailable": 5, "throttled": 1, "lockouts": 20, "errors": 1, "throttles": 1, "waf": 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := mustPackage(t, tt.args...)
			ns := "signin-api/" + tt.stage

			// Every metric the filters publish for the real log lines, to check that the
			// custom-metric alarms watch metrics that exist.
			published := map[string]bool{}
			for _, l := range functionLogLines(t) {
				for _, id := range tpl.ofType("AWS::Logs::MetricFilter") {
					f := tpl.Resources[id]
					if reflect.DeepEqual(f.Properties["LogGroupName"], ref(logGroupID(l.fn))) {
						for _, p := range publish(t, id, f, l.line) {
							published[p.key] = true
						}
					}
				}
			}

			type wantAlarm struct {
				kind, metric, comparison, condition string
			}
			want := map[string]wantAlarm{
				"SignUpsAlarm":            {"signups", ns + "/SignUps", "GreaterThanThreshold", ""},
				"ServiceUnavailableAlarm": {"unavailable", ns + "/Failures{Code=service_unavailable}", "GreaterThanOrEqualToThreshold", ""},
				"CognitoThrottledAlarm":   {"throttled", ns + "/Failures{Code=too_many_requests}", "GreaterThanOrEqualToThreshold", ""},
				"LockoutsAlarm":           {"lockouts", ns + "/Failures{Code=too_many_attempts}", "GreaterThanOrEqualToThreshold", ""},
				"WafBlockedAlarm": {"waf", fmt.Sprintf(`AWS/WAFV2/BlockedRequests{Region={"Ref":"AWS::Region"},Rule=%s,WebACL=%v}`,
					wafRuleMetric, prop(tpl.Resources[webACLID].Properties, "VisibilityConfig", "MetricName")), "GreaterThanOrEqualToThreshold", "WafEnabled"},
			}
			// Every function, today's and any added later, has its errors and throttles watched.
			for _, id := range tpl.ofType("AWS::Lambda::Function") {
				name := strings.TrimSuffix(id, "LambdaFunction")
				fn := fmt.Sprintf(`{FunctionName={"Ref":"%s"}}`, id)
				want[name+"ErrorsAlarm"] = wantAlarm{"errors", "AWS/Lambda/Errors" + fn, "GreaterThanOrEqualToThreshold", ""}
				want[name+"ThrottlesAlarm"] = wantAlarm{"throttles", "AWS/Lambda/Throttles" + fn, "GreaterThanOrEqualToThreshold", ""}
			}
			if got := tpl.ofType("AWS::CloudWatch::Alarm"); !reflect.DeepEqual(got, slices.Sorted(maps.Keys(want))) {
				t.Errorf("alarms: got %v, want %v", got, slices.Sorted(maps.Keys(want)))
			}
			// The WAF rule's metric is the one the alarm reads.
			rule := prop(tpl.Resources[webACLID].Properties, "Rules", 0, "VisibilityConfig", "MetricName")
			if rule != wafRuleMetric {
				t.Errorf("WAF rule metric name %v, want %s", rule, wafRuleMetric)
			}

			for id, w := range want {
				a, ok := tpl.Resources[id]
				if !ok || a.Type != "AWS::CloudWatch::Alarm" {
					continue
				}
				if got := alarmMetric(a); got != w.metric {
					t.Errorf("%s watches %s, want %s", id, got, w.metric)
				}
				if strings.HasPrefix(w.metric, ns+"/") && !published[w.metric] {
					t.Errorf("%s watches %s, which no metric filter publishes for the functions' log lines", id, w.metric)
				}
				if a.Condition != w.condition {
					t.Errorf("%s: condition %q, want %q", id, a.Condition, w.condition)
				}
				p := a.Properties
				threshold, _ := number(p["Threshold"])
				period, _ := number(p["Period"])
				evals, _ := number(p["EvaluationPeriods"])
				if threshold != tt.threshold[w.kind] || p["ComparisonOperator"] != w.comparison || p["Statistic"] != "Sum" || period != 300 || evals != 1 {
					t.Errorf("%s: %v %v %v over %v s x %v, want Sum %s %v over 300 s x 1",
						id, p["Statistic"], p["ComparisonOperator"], p["Threshold"], p["Period"], p["EvaluationPeriods"], w.comparison, tt.threshold[w.kind])
				}
				if p["TreatMissingData"] != "notBreaching" {
					t.Errorf("%s: TreatMissingData %v, want notBreaching (no data: nothing happened)", id, p["TreatMissingData"])
				}
				for _, actions := range []string{"AlarmActions", "OKActions"} {
					if got := p[actions]; !reflect.DeepEqual(got, []any{ref(alarmTopicID)}) {
						t.Errorf("%s %s: got %v, want the alarm topic", id, actions, got)
					}
				}
			}

			tpl.resource(t, alarmTopicID, "AWS::SNS::Topic")
			subID, sub := tpl.only(t, "AWS::SNS::Subscription")
			if got := tpl.condition(t, sub.Condition); got != (tt.email != "") {
				t.Errorf("%s: condition %s is %v with alarmEmail %q", subID, sub.Condition, got, tt.email)
			}
			if tt.email != "" {
				for k, v := range map[string]any{"TopicArn": ref(alarmTopicID), "Protocol": "email", "Endpoint": tt.email} {
					if got := sub.Properties[k]; !reflect.DeepEqual(got, v) {
						t.Errorf("%s %s: got %v, want %v", subID, k, got, v)
					}
				}
			}
			if o, ok := tpl.Outputs["AlarmTopicArn"]; !ok || !reflect.DeepEqual(o.Value, ref(alarmTopicID)) {
				t.Errorf("output AlarmTopicArn: got %v, want the topic", o.Value)
			}
		})
	}
}

// TestUnauthenticatedRoutesThrottled: the stage throttle is the global backstop behind WAF's
// per-client limit, so every route anyone can call without a token has one, below Cognito's
// UserCreation quota.
func TestUnauthenticatedRoutesThrottled(t *testing.T) {
	tpl := devTemplate(t)
	_, stage := tpl.only(t, "AWS::ApiGateway::Stage")
	throttled := map[string]bool{}
	for _, s := range anyList(stage.Properties["MethodSettings"]) {
		rate, rateOK := number(prop(s, "ThrottlingRateLimit"))
		burst, burstOK := number(prop(s, "ThrottlingBurstLimit"))
		if rateOK && burstOK && rate > 0 && rate < cognitoUserCreationRPS && burst > 0 && burst < cognitoUserCreationRPS {
			throttled[fmt.Sprintf("%v %v", prop(s, "HttpMethod"), prop(s, "ResourcePath"))] = true
		}
	}
	for _, id := range tpl.ofType("AWS::ApiGateway::Method") {
		p := tpl.Resources[id].Properties
		if p["HttpMethod"] == "OPTIONS" || p["AuthorizationType"] != "NONE" {
			continue
		}
		path := tpl.resourcePath(t, p["ResourceId"])
		// MethodSettings name a path as / then the path with its slashes escaped: /~1signin.
		key := fmt.Sprintf("%v /%s", p["HttpMethod"], strings.ReplaceAll(path, "/", "~1"))
		if !throttled[key] {
			t.Errorf("%v %s has no stage throttle below %d rps in MethodSettings (%v)", p["HttpMethod"], path, cognitoUserCreationRPS, slices.Sorted(maps.Keys(throttled)))
		}
	}
}
