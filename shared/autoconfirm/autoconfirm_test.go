package autoconfirm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/autoconfirm"
	"github.com/signin-api/signin/shared/logging"
)

func invoke(t *testing.T, payload []byte) ([]byte, error) {
	t.Helper()
	return lambda.NewHandler(&autoconfirm.Handler{Log: logging.New(io.Discard)}).Invoke(context.Background(), payload)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

// TestAutoConfirm: the sample PreSignUp event comes back confirmed and otherwise unchanged;
// the verify flags follow the attributes present.
func TestAutoConfirm(t *testing.T) {
	sample, err := os.ReadFile("../../events/autoconfirm-presignup.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                 string
		attrs                map[string]any
		trigger              string
		wantConfirm          bool
		wantEmail, wantPhone bool
	}{
		{name: "username only", trigger: "PreSignUp_SignUp", wantConfirm: true},
		{name: "with email", trigger: "PreSignUp_SignUp", attrs: map[string]any{"email": "a@example.com"}, wantConfirm: true, wantEmail: true},
		{name: "with phone", trigger: "PreSignUp_SignUp", attrs: map[string]any{"phone_number": "+15555550100"}, wantConfirm: true, wantPhone: true},
		{name: "admin-created user", trigger: "PreSignUp_AdminCreateUser"},
		{name: "federated user", trigger: "PreSignUp_ExternalProvider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decode(t, sample)
			in["triggerSource"] = tt.trigger
			if tt.attrs != nil {
				in["request"].(map[string]any)["userAttributes"] = tt.attrs
			}
			payload, _ := json.Marshal(in)
			out, err := invoke(t, payload)
			if err != nil {
				t.Fatal(err)
			}
			got := decode(t, out)
			want := decode(t, payload)
			want["response"] = map[string]any{"autoConfirmUser": tt.wantConfirm, "autoVerifyEmail": tt.wantEmail, "autoVerifyPhone": tt.wantPhone}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", out, mustJSON(want))
			}
		})
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// TestAutoConfirmRefusesGarbage: an event it cannot read is an error, so Cognito refuses the
// sign-up instead of leaving an unconfirmed user.
func TestAutoConfirmRefusesGarbage(t *testing.T) {
	for _, payload := range [][]byte{[]byte(`null`), []byte(`[1]`), []byte(`"x"`), []byte(`{"request":{"userAttributes":"nope"}}`)} {
		if out, err := invoke(t, payload); err == nil {
			t.Errorf("%s: answered %s, want an error", payload, out)
		}
	}
}

// TestAutoConfirmLogs: one log line per invocation says what happened (the trigger and the flags
// set), and not who signed up.
func TestAutoConfirmLogs(t *testing.T) {
	tests := []struct {
		trigger string
		want    map[string]any
	}{
		{"PreSignUp_SignUp", map[string]any{"level": "INFO", "message": "presignup", "trigger_source": "PreSignUp_SignUp",
			"auto_confirmed": true, "auto_verify_email": true, "auto_verify_phone": false}},
		{"PreSignUp_AdminCreateUser", map[string]any{"level": "INFO", "message": "presignup", "trigger_source": "PreSignUp_AdminCreateUser",
			"auto_confirmed": false}},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		h := &autoconfirm.Handler{Log: logging.New(&logs)}
		payload := []byte(`{"triggerSource":"` + tt.trigger + `","userName":"hank","request":{"userAttributes":{"email":"hank@example.com"}},"response":{}}`)
		if _, err := lambda.NewHandler(h).Invoke(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(logs.Bytes(), []byte("hank")) {
			t.Errorf("%s: log holds the user's name or e-mail: %s", tt.trigger, logs.String())
		}
		lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
		if len(lines) != 1 {
			t.Fatalf("%s: %d log lines, want 1: %q", tt.trigger, len(lines), logs.String())
		}
		got := decode(t, lines[0])
		delete(got, "timestamp")
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: log line %s, want %s", tt.trigger, lines[0], mustJSON(tt.want))
		}
	}
}
