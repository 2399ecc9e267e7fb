package apigw_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/shared/apigw"
)

func TestDecodeShapes(t *testing.T) {
	tests := []struct {
		file        string
		wantShape   apigw.Shape
		wantType    string
		wantOrigin  string
		wantBodyHas string
	}{
		{"signin.json", apigw.Bare, "application/json", "", `"username"`},
		{"signin-apigw-v1.json", apigw.RESTProxy, "application/json", "http://localhost:5173", `"username"`},
		{"signin-apigw-v1-form.json", apigw.RESTProxy, "application/x-www-form-urlencoded", "http://localhost:5173", "username=alice"},
		{"signin-apigw-v1-base64.json", apigw.RESTProxy, "application/json", "http://localhost:5173", `"username"`},
		{"signin-apigw-console.json", apigw.RESTProxy, "", "", `"username"`},
		{"signin-http-v2.json", apigw.HTTPv2, "application/json", "http://localhost:5173", `"username"`},
		{"signin-lambda-integration.json", apigw.LambdaIntegration, "application/json", "", `"username"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("..", "..", "events", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := apigw.Decode(payload)
			if err != nil {
				t.Fatal(err)
			}
			if got.Shape != tt.wantShape || got.ContentType != tt.wantType || got.Origin != tt.wantOrigin {
				t.Errorf("got shape %v type %q origin %q, want %v %q %q", got.Shape, got.ContentType, got.Origin, tt.wantShape, tt.wantType, tt.wantOrigin)
			}
			if !json.Valid(got.Body) && tt.wantShape != apigw.RESTProxy {
				t.Errorf("body is not JSON: %s", got.Body)
			}
			if !strings.Contains(string(got.Body), tt.wantBodyHas) {
				t.Errorf("body %q lacks %q", got.Body, tt.wantBodyHas)
			}
		})
	}
}

// TestDecodeAnything: whatever arrives, Decode names a shape and does not fail, except a body
// marked base64 that is not.
func TestDecodeAnything(t *testing.T) {
	tests := []struct {
		payload string
		want    apigw.Shape
		wantErr bool
	}{
		{`not json`, apigw.Bare, false},
		{`[1,2]`, apigw.Bare, false},
		{`null`, apigw.Bare, false},
		{`{"httpMethod":"POST","body":"!!","isBase64Encoded":true}`, apigw.RESTProxy, true},
		{`{"httpMethod":"POST","headers":{"content-TYPE":"text/plain"}}`, apigw.RESTProxy, false},
		{`{"httpMethod":7}`, apigw.RESTProxy, false},
		{`{"version":"2.0","routeKey":"POST /signin","body":"e30=","isBase64Encoded":true}`, apigw.HTTPv2, false},
		{`{"method":"POST","body":{"username":"a"}}`, apigw.LambdaIntegration, false},
		{`{"username":"a","password":"b"}`, apigw.Bare, false},
	}
	for _, tt := range tests {
		got, err := apigw.Decode([]byte(tt.payload))
		if got.Shape != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Decode(%s) = shape %v err %v, want %v err %v", tt.payload, got.Shape, err, tt.want, tt.wantErr)
		}
	}
}

func TestEncode(t *testing.T) {
	r := apigw.Response{Status: 401, Headers: apigw.JSONHeaders(), Body: []byte(`{"status":"fail"}`)}
	for _, shape := range []apigw.Shape{apigw.RESTProxy, apigw.HTTPv2} {
		out, err := apigw.Encode(shape, r)
		if err != nil {
			t.Fatal(err)
		}
		var got events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &got); err != nil || got.StatusCode != 401 || got.Body != `{"status":"fail"}` || got.Headers["Cache-Control"] != "no-store" {
			t.Errorf("%v: %s", shape, out)
		}
	}
	for _, shape := range []apigw.Shape{apigw.Bare, apigw.LambdaIntegration} {
		out, _ := apigw.Encode(shape, r)
		if string(out) != `{"status":"fail"}` {
			t.Errorf("%v: %s, want the bare body", shape, out)
		}
	}
}

func TestCORS(t *testing.T) {
	tests := []struct {
		config, origin, want, wantVary string
	}{
		{"*", "https://evil.example", "*", ""},
		{"https://app.example.com, https://admin.example.com/", "https://admin.example.com", "https://admin.example.com", "Origin"},
		{"https://app.example.com", "https://evil.example", "", "Origin"},
		{"https://app.example.com", "", "", "Origin"},
		{"", "https://app.example.com", "", ""},
	}
	for _, tt := range tests {
		h := map[string]string{}
		apigw.ParseCORS(tt.config).AddHeaders(h, tt.origin)
		wantExpose := ""
		if tt.want != "" {
			wantExpose = "Retry-After"
		}
		if h["Access-Control-Allow-Origin"] != tt.want || h["Vary"] != tt.wantVary || h["Access-Control-Expose-Headers"] != wantExpose {
			t.Errorf("CORS %q from %q: %v, want origin %q vary %q", tt.config, tt.origin, h, tt.want, tt.wantVary)
		}
	}
}

// TestDecodeAuthorization: the Authorization header of a proxy event, whatever its spelling;
// the shapes without headers have none.
func TestDecodeAuthorization(t *testing.T) {
	tests := []struct {
		payload, want string
	}{
		{`{"httpMethod":"DELETE","headers":{"authorization":"tok"}}`, "tok"},
		{`{"httpMethod":"DELETE","multiValueHeaders":{"Authorization":["Bearer tok"]}}`, "Bearer tok"},
		{`{"version":"2.0","routeKey":"DELETE /me","headers":{"authorization":"tok"}}`, "tok"},
		{`{"httpMethod":"DELETE"}`, ""},
		{`{"Authorization":"tok"}`, ""},
	}
	for _, tt := range tests {
		got, err := apigw.Decode([]byte(tt.payload))
		if err != nil || got.Authorization != tt.want {
			t.Errorf("Decode(%s).Authorization = %q, %v; want %q", tt.payload, got.Authorization, err, tt.want)
		}
	}
}
