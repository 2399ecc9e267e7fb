package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// ColdRow is item 3 for one function: Starts cold starts, each in a pool of its own.
type ColdRow struct {
	Function string
	Event    string
	// Init is process start to the runtime's first /next (Response.InitDuration).
	Init Summary
	// FirstResponse is process start to the first response: InitDuration + Duration.
	FirstResponse Summary
}

// coldCase is a function and the sample event its first invocation answers.
type coldCase struct {
	key, event string
	check      func(payload []byte) error
}

var coldCases = []coldCase{
	{"signin", "signin-apigw-v1.json", signedIn},
	{OriginalKey, "signin-apigw-v1.json", signedIn},
	{"autoconfirm", "autoconfirm-presignup.json", autoConfirmed},
	{"me", "me.json", proxyOK},
}

// ColdStarts starts each function n times under the local Lambda runner, a new pool (so a new
// process) each time, and times process start to first response. signin's first response
// includes its one AdminInitiateAuth against the stack's local Cognito (the sample user exists).
func ColdStarts(ctx context.Context, ls *localStack, n int) ([]ColdRow, error) {
	var rows []ColdRow
	for _, c := range coldCases {
		fn, err := ls.function(c.key)
		if err != nil {
			return nil, err
		}
		payload, err := os.ReadFile(filepath.Join(ls.root, "events", c.event))
		if err != nil {
			return nil, err
		}
		var inits, firsts []time.Duration
		for i := 0; i < n; i++ {
			resp, err := coldInvoke(ctx, fn, payload)
			if err != nil {
				return nil, fmt.Errorf("%s, start %d: %w", c.key, i+1, err)
			}
			if err := c.check(resp.Payload); err != nil {
				return nil, fmt.Errorf("%s, start %d: %w", c.key, i+1, err)
			}
			inits = append(inits, resp.InitDuration)
			firsts = append(firsts, resp.InitDuration+resp.Duration)
		}
		rows = append(rows, ColdRow{Function: c.key, Event: c.event, Init: Summarize(inits), FirstResponse: Summarize(firsts)})
	}
	return rows, nil
}

// coldInvoke invokes fn once in a new pool and closes it.
func coldInvoke(ctx context.Context, fn lambdaruntime.Function, payload []byte) (lambdaruntime.Response, error) {
	p, err := lambdaruntime.NewPool(fn)
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	defer p.Close()
	resp, err := p.Invoke(ctx, payload)
	switch {
	case err != nil:
		return resp, err
	case resp.FunctionError != "":
		return resp, fmt.Errorf("function error %s", resp.FunctionError)
	case resp.InitDuration == 0:
		return resp, fmt.Errorf("the first invocation of a new pool was warm")
	}
	return resp, nil
}

// signedIn checks a proxy response of a returning user's successful sign-in.
func signedIn(payload []byte) error {
	var r events.APIGatewayProxyResponse
	var body struct {
		Status string `json:"status"`
		IsNew  bool   `json:"is_new"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return fmt.Errorf("not a proxy response: %w", err)
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.StatusCode != 200 || body.Status != "success" || body.IsNew {
		return fmt.Errorf("status %d, %q %q: want a returning user's success", r.StatusCode, body.Status, body.Error)
	}
	return nil
}

func proxyOK(payload []byte) error {
	var r events.APIGatewayProxyResponse
	if err := json.Unmarshal(payload, &r); err != nil || r.StatusCode != 200 {
		return fmt.Errorf("want a 200 proxy response, got status %d (%v)", r.StatusCode, err)
	}
	return nil
}

func autoConfirmed(payload []byte) error {
	var ev events.CognitoEventUserPoolsPreSignup
	if err := json.Unmarshal(payload, &ev); err != nil || !ev.Response.AutoConfirmUser {
		return fmt.Errorf("want autoConfirmUser true (%v)", err)
	}
	return nil
}
