// Package awsid makes identifiers in the forms AWS uses (request ids, X-Ray trace ids, stable
// resource-style ids), and names the account and region of a stack that has no AWS account.
package awsid

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

const (
	// AccountID is the local account, in ARNs and request contexts: AWS's documentation placeholder.
	AccountID = "000000000000"
	// Region is the region when neither serverless.yml nor a flag names one, as with the Serverless Framework.
	Region = "us-east-1"
)

// RequestID returns a random (version 4) UUID, the form of Lambda's and API Gateway's request ids.
func RequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// TraceID returns the root of an X-Ray trace header started at t, "Root=1-<epoch second in 8 hex
// digits>-<24 random hex digits>" (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-traceids).
func TraceID(t time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s", t.Unix(), Hex(12))
}

// Hex returns n random bytes as 2n hex digits.
func Hex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FunctionARN returns the ARN of the Lambda function name in region under the local account.
func FunctionARN(region, name string) string {
	return "arn:aws:lambda:" + region + ":" + AccountID + ":function:" + name
}

// FromSeed returns n (at most 64) hex digits that depend only on seed, like the ids API Gateway
// gives an API or a resource, so they stay the same across restarts.
func FromSeed(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:n]
}
