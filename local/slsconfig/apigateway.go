package slsconfig

import (
	"strings"
)

// GatewayResponse is an AWS::ApiGateway::GatewayResponse: headers, and optionally a status and
// a body template, for one response type
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).
type GatewayResponse struct {
	// StatusCode replaces the default status; 0 keeps it.
	StatusCode int
	// Headers maps a header to its source: "'literal'" or method.request.header.<Name>.
	Headers map[string]string
	// Template is the application/json body template; empty keeps
	// {"message":$context.error.messageString}.
	Template string
}

// GatewayResponses reads the AWS::ApiGateway::GatewayResponse resources, by response type; of
// two with one type, the later logical id wins.
func (c *Config) GatewayResponses() map[string]GatewayResponse {
	out := map[string]GatewayResponse{}
	for _, id := range c.resourcesOfType("AWS::ApiGateway::GatewayResponse") {
		p := value(c.Resources[id].Properties).obj()
		typ, _ := p["ResponseType"].str()
		if typ == "" {
			continue
		}
		gr := GatewayResponse{Headers: map[string]string{}}
		status, _ := p["StatusCode"].int32() // "429" from YAML, or 429
		gr.StatusCode = int(status)
		gr.Template, _ = p["ResponseTemplates"].obj()["application/json"].str()
		for k, v := range p["ResponseParameters"].obj() {
			if name, ok := strings.CutPrefix(k, "gatewayresponse.header."); ok {
				gr.Headers[name], _ = v.str()
			}
		}
		out[typ] = gr
	}
	return out
}

// MethodThrottle is one entry of a stage's MethodSettings.
type MethodThrottle struct {
	// Path is the resource path without leading slash, or "*"; Method is upper case or "*".
	Path, Method string
	Rate         float64
	Burst        int
}

// MethodThrottles reads the throttling MethodSettings of the AWS::ApiGateway::Stage resources
// (ResourcePath "/~1signin" is /signin: ~1 escapes a slash, ~0 a tilde).
func (c *Config) MethodThrottles() []MethodThrottle {
	var out []MethodThrottle
	for _, id := range c.resourcesOfType("AWS::ApiGateway::Stage") {
		for _, ms := range value(c.Resources[id].Properties).obj()["MethodSettings"].list() {
			p := ms.obj()
			rate, rateOK := p["ThrottlingRateLimit"].float64() // a string when a --param sets it
			burst, burstOK := p["ThrottlingBurstLimit"].int32()
			if !rateOK || !burstOK {
				continue
			}
			path, _ := p["ResourcePath"].str()
			method, _ := p["HttpMethod"].str()
			out = append(out, MethodThrottle{
				Path:   strings.Trim(strings.NewReplacer("~1", "/", "~0", "~").Replace(path), "/"),
				Method: strings.ToUpper(method),
				Rate:   rate,
				Burst:  int(burst),
			})
		}
	}
	return out
}
