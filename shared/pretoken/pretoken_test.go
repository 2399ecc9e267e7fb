package pretoken_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/pretoken"
)

const (
	clientID = "1example23456789" // the app client of the sample events
	scope    = "signin-api/session.read"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// with returns the event with top-level or callerContext fields changed.
func with(t *testing.T, event []byte, source, client string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	if source != "" {
		ev["triggerSource"] = source
	}
	if client != "" {
		ev["callerContext"].(map[string]any)["clientId"] = client
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return m
}

func TestInvoke(t *testing.T) {
	signin, refresh := sample(t, "pretoken-signin.json"), sample(t, "pretoken-refresh.json")
	granted := func() []byte {
		m := decode(t, signin)
		m["request"].(map[string]any)["scopes"] = []any{"aws.cognito.signin.user.admin", scope}
		b, _ := json.Marshal(m)
		return b
	}()
	tests := []struct {
		name      string
		event     []byte
		wantScope bool
	}{
		{"sign-in through the API (sample)", signin, true},
		{"refresh (sample)", refresh, true},
		{"sign-in through managed login", with(t, signin, pretoken.SourceHostedAuth, ""), true},
		{"after a new password challenge", with(t, signin, pretoken.SourceNewPasswordChallenge, ""), true},
		{"after device authentication", with(t, signin, pretoken.SourceAuthenticateDevice, ""), true},
		{"sign-in of another app client", with(t, signin, "", "other-client"), false},
		{"refresh of another app client", with(t, refresh, "", "other-client"), false},
		{"client credentials (V3_0 only)", with(t, signin, "TokenGeneration_ClientCredentials", ""), false},
		{"a source this trigger does not know", with(t, signin, "TokenGeneration_Something", ""), false},
		{"scope already granted", granted, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &pretoken.Handler{ClientID: clientID, Scope: scope, Log: logging.New(&logs)}
			out, err := lambda.NewHandler(h).Invoke(context.Background(), tt.event)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			got, in := decode(t, out), decode(t, tt.event)
			// Everything but the response comes back as Cognito sent it.
			gotResponse := got["response"]
			delete(got, "response")
			inResponse := in["response"]
			delete(in, "response")
			if !reflect.DeepEqual(got, in) {
				t.Errorf("event changed outside the response:\n got %v\nwant %v", got, in)
			}
			if !tt.wantScope {
				if !reflect.DeepEqual(gotResponse, inResponse) {
					t.Errorf("response = %v, want it untouched: %v", gotResponse, inResponse)
				}
				return
			}
			// Only scopesToAdd: no claim, group or other scope is overridden or suppressed.
			want := map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
				"accessTokenGeneration": map[string]any{"scopesToAdd": []any{scope}},
			}}
			if !reflect.DeepEqual(gotResponse, want) {
				t.Errorf("response = %v, want %v", gotResponse, want)
			}
			// Cognito reads it as the V2_0 response aws-lambda-go describes.
			var ev events.CognitoEventUserPoolsPreTokenGenV2_0
			if err := json.Unmarshal(out, &ev); err != nil {
				t.Fatal(err)
			}
			if got := ev.Response.ClaimsAndScopeOverrideDetails.AccessTokenGeneration.ScopesToAdd; !reflect.DeepEqual(got, []string{scope}) {
				t.Errorf("scopesToAdd = %v", got)
			}
			if !strings.Contains(logs.String(), `"scope_added":true`) {
				t.Errorf("log = %s", logs.String())
			}
		})
	}
}

// An event that is not a Pre Token Generation event is an error: Cognito then issues no
// tokens, rather than tokens without the scope.
func TestInvokeRefusesMalformedEvents(t *testing.T) {
	h := &pretoken.Handler{ClientID: clientID, Scope: scope, Log: slog.New(slog.DiscardHandler)}
	for _, payload := range []string{`null`, `[]`, `"x"`, `{"triggerSource": 5}`, `{"request": {"scopes": "one"}}`} {
		if _, err := lambda.NewHandler(h).Invoke(context.Background(), []byte(payload)); err == nil {
			t.Errorf("Invoke(%s): no error", payload)
		}
	}
}
