// Package apigw tells apart the shapes in which an HTTP request reaches a Lambda function (a
// bare JSON object, an API Gateway REST proxy event, an HTTP API v2.0 event, or the
// Serverless Framework's `integration: lambda` template) and writes the answer back in the
// shape the caller expects.
package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Shape is the form an event arrived in, which is also the form the answer must take.
type Shape int

// The shapes a function can be invoked with.
const (
	// Bare is the request document itself: the Lambda console, `sls invoke local`, or an API
	// Gateway non-proxy integration with pass-through. The answer is the bare body.
	Bare Shape = iota
	// RESTProxy is an API Gateway REST API Lambda proxy event (payload format 1.0).
	RESTProxy
	// HTTPv2 is an API Gateway HTTP API event, payload format 2.0.
	HTTPv2
	// LambdaIntegration is the Serverless Framework's default `integration: lambda` request
	// template: the body arrives already parsed into an object. The answer is the bare body.
	LambdaIntegration
)

func (s Shape) String() string {
	switch s {
	case RESTProxy:
		return "rest_proxy"
	case HTTPv2:
		return "http_v2"
	case LambdaIntegration:
		return "lambda_integration"
	}
	return "bare"
}

// Proxied reports whether the answer must be a proxy response (status, headers, body).
func (s Shape) Proxied() bool { return s == RESTProxy || s == HTTPv2 }

// Request is the part of an HTTP request that a function reads, whatever its shape.
type Request struct {
	Shape Shape
	// Body is the request body, base64-decoded. For Bare and LambdaIntegration it is a JSON
	// document.
	Body []byte
	// ContentType is the Content-Type header; "" when none was sent.
	ContentType string
	// Origin is the Origin header, for CORS; "" when none was sent.
	Origin string
	// Authorization is the Authorization header (a token: never log it); "" when none was sent.
	Authorization string
}

// ErrBodyEncoding means a body marked isBase64Encoded is not valid base64.
var ErrBodyEncoding = errors.New("the request body is marked base64 but is not valid base64")

// probe holds the members that tell the shapes apart, raw, so that a member of the wrong type
// still tells the shape (and the answer keeps the shape the caller expects).
type probe struct {
	Version    json.RawMessage `json:"version"`
	RouteKey   json.RawMessage `json:"routeKey"`
	HTTPMethod json.RawMessage `json:"httpMethod"`
	Method     json.RawMessage `json:"method"`
	Body       json.RawMessage `json:"body"`
}

// Decode detects the shape of payload and reads the request out of it. A payload that is not a
// JSON object is taken as a Bare request, whose body the caller then finds invalid. The error
// is ErrBodyEncoding or nil; the returned Request always carries the shape to answer in.
func Decode(payload []byte) (Request, error) {
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		return Request{Shape: Bare, Body: payload}, nil
	}
	switch {
	case string(p.Version) == `"2.0"` && p.RouteKey != nil:
		var e events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return Request{Shape: HTTPv2}, nil
		}
		return proxied(HTTPv2, e.Body, e.IsBase64Encoded, e.Headers, nil)
	case p.HTTPMethod != nil:
		var e events.APIGatewayProxyRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return Request{Shape: RESTProxy}, nil
		}
		return proxied(RESTProxy, e.Body, e.IsBase64Encoded, e.Headers, e.MultiValueHeaders)
	case p.Method != nil && p.Body != nil:
		return Request{Shape: LambdaIntegration, Body: p.Body, ContentType: "application/json"}, nil
	}
	return Request{Shape: Bare, Body: payload, ContentType: "application/json"}, nil
}

func proxied(shape Shape, body string, isBase64 bool, headers map[string]string, multi map[string][]string) (Request, error) {
	r := Request{
		Shape:       shape,
		Body:        []byte(body),
		ContentType: Header(headers, multi, "Content-Type"),
		Origin:      Header(headers, multi, "Origin"),
		// Authorization is read only from proxy events: the other shapes carry no headers.
		Authorization: Header(headers, multi, "Authorization"),
	}
	if isBase64 {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			r.Body = nil
			return r, ErrBodyEncoding
		}
		r.Body = b
	}
	return r, nil
}

// Header looks a header up case-insensitively, as HTTP names are; API Gateway passes them as
// the client spelled them, in either map.
func Header(single map[string]string, multi map[string][]string, name string) string {
	for k, v := range single {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range multi {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// Response is an answer before it is put in its shape.
type Response struct {
	Status  int
	Headers map[string]string
	// Body is a JSON document.
	Body []byte
}

// Encode writes r in the given shape: a proxy response for RESTProxy and HTTPv2 (the headers
// go with it), the bare body for the others.
func Encode(shape Shape, r Response) ([]byte, error) {
	switch shape {
	case RESTProxy:
		return json.Marshal(events.APIGatewayProxyResponse{StatusCode: r.Status, Headers: r.Headers, Body: string(r.Body)})
	case HTTPv2:
		return json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: r.Headers, Body: string(r.Body)})
	}
	return bytes.Clone(r.Body), nil
}

// JSONHeaders are the headers of every JSON answer: never cached (it may hold tokens), never
// sniffed as another type.
func JSONHeaders() map[string]string {
	return map[string]string{
		"Content-Type":           "application/json",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
	}
}
