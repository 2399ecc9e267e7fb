package signin

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/signin-api/signin/shared/apigw"
)

// failureBody is the answer to every failure of every route.
type failureBody struct {
	Status         string `json:"status"`
	Error          Code   `json:"error"`
	Msg            string `json:"msg"`
	Challenge      string `json:"challenge,omitempty"`
	RetryAfter     int    `json:"retry_after,omitempty"`
	AccountCreated bool   `json:"account_created,omitempty"`
}

// SuccessResponse is a 200 answer to req carrying body (a struct marshalled to JSON), with the
// JSON and CORS headers every answer of the API carries.
func SuccessResponse(req apigw.Request, cors apigw.CORS, body any) apigw.Response {
	headers := apigw.JSONHeaders()
	cors.AddHeaders(headers, req.Origin)
	b, _ := json.Marshal(body)
	return apigw.Response{Status: http.StatusOK, Headers: headers, Body: b}
}

// FailureResponse is the answer to req for err, which is an *Error or becomes internal_error:
// {"status":"fail","error":code,"msg":sentence}, with the code's status from the one table and,
// for the codes that have one, Retry-After in the header and the body.
func FailureResponse(req apigw.Request, cors apigw.CORS, err error) apigw.Response {
	headers := apigw.JSONHeaders()
	cors.AddHeaders(headers, req.Origin)
	e := ErrorOf(err)
	fb := failureBody{Status: "fail", Error: e.Code, Msg: e.Message, Challenge: e.Challenge, AccountCreated: e.AccountCreated}
	if s := e.Code.RetryAfter(); s > 0 {
		fb.RetryAfter = s
		headers["Retry-After"] = strconv.Itoa(s)
	}
	body, _ := json.Marshal(fb)
	return apigw.Response{Status: e.Code.Status(), Headers: headers, Body: body}
}
