package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
)

// proxyResponse is a function's answer in the Lambda proxy integration format.
type proxyResponse struct {
	StatusCode        int
	Headers           map[string]string
	MultiValueHeaders map[string][]string
	Body              string
	IsBase64Encoded   bool
}

// parseProxyResponse reads a function's answer as API Gateway does for a REST API: a JSON object
// with only statusCode, headers, multiValueHeaders, body and isBase64Encoded; statusCode an
// integer HTTP status; headers strings; body a string. Anything else is a "Malformed Lambda
// proxy response", which API Gateway answers with 502.
func parseProxyResponse(payload []byte) (proxyResponse, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return proxyResponse{}, errors.New("not a JSON object")
	}
	var p proxyResponse
	for name, raw := range fields {
		isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
		var err error
		switch name {
		case "statusCode":
			err = json.Unmarshal(raw, &p.StatusCode)
			if err == nil && (p.StatusCode < 100 || p.StatusCode > 599) {
				err = fmt.Errorf("%d is not an HTTP status", p.StatusCode)
			}
		case "headers":
			if !isNull {
				err = json.Unmarshal(raw, &p.Headers)
			}
		case "multiValueHeaders":
			if !isNull {
				err = json.Unmarshal(raw, &p.MultiValueHeaders)
			}
		case "body":
			if !isNull {
				err = json.Unmarshal(raw, &p.Body)
			}
		case "isBase64Encoded":
			if !isNull {
				err = json.Unmarshal(raw, &p.IsBase64Encoded)
			}
		default:
			err = errors.New("unexpected field")
		}
		if err != nil {
			return proxyResponse{}, fmt.Errorf("%s: %v", name, err)
		}
	}
	if _, ok := fields["statusCode"]; !ok {
		return proxyResponse{}, errors.New("no statusCode")
	}
	return p, nil
}

// writeProxyResponse writes a function's proxy response. Where headers and multiValueHeaders
// both name a header, API Gateway keeps the multiValueHeaders values. A response without
// Content-Type gets application/json, as API Gateway gives it. A base64 body is decoded when
// the request's Accept or the response's Content-Type is one of the binary media types, and
// passed on as text otherwise.
func (g *Gateway) writeProxyResponse(w http.ResponseWriter, r *http.Request, req *request, p proxyResponse) {
	h := w.Header()
	for k, v := range p.Headers {
		h.Set(k, v)
	}
	for k, vs := range p.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	body := []byte(p.Body)
	if p.IsBase64Encoded && (matchesMediaType(r.Header.Get("Accept"), g.cfg.BinaryMediaTypes) ||
		matchesMediaType(h.Get("Content-Type"), g.cfg.BinaryMediaTypes)) {
		decoded, err := base64.StdEncoding.DecodeString(p.Body)
		if err != nil {
			for k := range h {
				delete(h, k)
			}
			req.errDetail = "isBase64Encoded body is not base64"
			g.gatewayError(w, r, req, internalError)
			return
		}
		body = decoded
	}
	g.stampHeaders(h, req)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del(textproto.CanonicalMIMEHeaderKey("Transfer-Encoding"))
	req.status = p.StatusCode
	w.WriteHeader(p.StatusCode)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
