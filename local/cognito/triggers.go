package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// invokeTrigger runs a trigger function with event and decodes its reply into reply, mapping
// failures as "Customizing user pool workflows with Lambda triggers" and the API reference's
// errors do: a function error is UserLambdaValidationException ("<Trigger> failed with error
// <message>."), a function that cannot be run UnexpectedLambdaException, a reply that is not
// the event's shape InvalidLambdaResponseException. It runs without s.mu held.
func (s *Server) invokeTrigger(ctx context.Context, trigger, arn string, event, reply any) error {
	if s.opts.Lambda == nil {
		return newErr(codeUnexpectedLambda, "%s invocation failed due to error AccessDeniedException.", trigger)
	}
	payload, err := json.Marshal(event)
	if err != nil {
		return err
	}
	// Cognito waits 5 seconds for a trigger ("Customizing user pool workflows with Lambda
	// triggers": the function must answer within 5 seconds).
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := s.opts.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(arn), Payload: payload})
	if err != nil {
		return newErr(codeUnexpectedLambda, "%s invocation failed due to error %s.", trigger, errorName(err))
	}
	if out.FunctionError != nil {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out.Payload, &fe)
		return newErr(codeUserLambda, "%s failed with error %s.", trigger, fe.ErrorMessage)
	}
	if err := json.Unmarshal(out.Payload, reply); err != nil {
		return newErr(codeInvalidLambdaReply, "Unrecognizable lambda output")
	}
	return nil
}

func errorName(err error) string {
	var code interface{ ErrorCode() string }
	if errors.As(err, &code) {
		return code.ErrorCode()
	}
	return "UnknownError"
}

func header(p *pool, trigger, username, clientID string) events.CognitoEventUserPoolsHeader {
	return events.CognitoEventUserPoolsHeader{
		Version: "1", TriggerSource: trigger, Region: regionOf(*p.Pool.Id), UserPoolID: *p.Pool.Id, UserName: username,
		CallerContext: events.CognitoEventUserPoolsCallerContext{AWSSDKVersion: "aws-sdk-unknown-unknown", ClientID: clientID},
	}
}

// preSignUp runs the PreSignUp trigger ("Pre sign-up Lambda trigger") and reports whether it
// confirmed the user.
func (s *Server) preSignUp(ctx context.Context, p *pool, arn, trigger, username, clientID string, attrs []types.AttributeType,
	validation, metadata map[string]string) (autoConfirm bool, err error) {
	ev := events.CognitoEventUserPoolsPreSignup{
		CognitoEventUserPoolsHeader: header(p, trigger, username, clientID),
		Request: events.CognitoEventUserPoolsPreSignupRequest{
			UserAttributes: attrMap(attrs), ValidationData: validation, ClientMetadata: metadata,
		},
	}
	var reply events.CognitoEventUserPoolsPreSignup
	if err := s.invokeTrigger(ctx, "PreSignUp", arn, ev, &reply); err != nil {
		return false, err
	}
	return reply.Response.AutoConfirmUser, nil
}

// tokenOverride is a Pre Token Generation V2_0 trigger's answer.
type tokenOverride events.ClaimsAndScopeOverrideDetailsV2_0

// restrictedClaims cannot be added, overridden or suppressed by the trigger ("Pre token
// generation Lambda trigger": excluded claims); Cognito ignores such changes.
var restrictedClaims = []string{"acr", "amr", "aud", "auth_time", "azp", "at_hash", "c_hash", "client_id", "cognito:username",
	"exp", "iat", "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "scope", "sub", "token_use", "username", "event_id", "version"}

func (o *tokenOverride) apply(id, access map[string]any, scopes *[]string) {
	change := func(claims map[string]any, add map[string]any, suppress []string) {
		for _, k := range suppress {
			if !slices.Contains(restrictedClaims, k) {
				delete(claims, k)
			}
		}
		for k, v := range add {
			if !slices.Contains(restrictedClaims, k) {
				claims[k] = v
			}
		}
	}
	change(id, o.IDTokenGeneration.ClaimsToAddOrOverride, o.IDTokenGeneration.ClaimsToSuppress)
	at := o.AccessTokenGeneration
	change(access, at.ClaimsToAddOrOverride, at.ClaimsToSuppress)
	for _, sc := range at.ScopesToAdd {
		if !slices.Contains(*scopes, sc) {
			*scopes = append(*scopes, sc)
		}
	}
	*scopes = slices.DeleteFunc(*scopes, func(sc string) bool { return slices.Contains(at.ScopesToSuppress, sc) })
}

// preTokenGeneration runs the pool's Pre Token Generation trigger when it is of version V2_0
// (LambdaConfig.PreTokenGenerationConfig); source is TokenGeneration_Authentication,
// _RefreshTokens or _NewPasswordChallenge. No trigger: nil.
func (s *Server) preTokenGeneration(ctx context.Context, p *pool, source, clientID string, u *user, metadata map[string]string) (*tokenOverride, error) {
	cfg := p.Pool.LambdaConfig
	if cfg == nil || cfg.PreTokenGenerationConfig == nil || cfg.PreTokenGenerationConfig.LambdaVersion != types.PreTokenGenerationLambdaVersionTypeV20 {
		return nil, nil
	}
	userAttrs := attrMap(u.Attributes)
	userAttrs["cognito:user_status"] = string(u.Status)
	h := header(p, source, u.Username, clientID)
	h.Version = "2"
	ev := events.CognitoEventUserPoolsPreTokenGenV2_0{
		CognitoEventUserPoolsHeader: h,
		Request: events.CognitoEventUserPoolsPreTokenGenRequestV2_0{
			UserAttributes: userAttrs, ClientMetadata: metadata, Scopes: []string{scopeAdmin},
			GroupConfiguration: events.GroupConfigurationV2_0{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
		},
	}
	var reply events.CognitoEventUserPoolsPreTokenGenV2_0
	if err := s.invokeTrigger(ctx, "PreTokenGeneration", deref(cfg.PreTokenGenerationConfig.LambdaArn), ev, &reply); err != nil {
		return nil, err
	}
	o := tokenOverride(reply.Response.ClaimsAndScopeOverrideDetails)
	return &o, nil
}

func attrMap(attrs []types.AttributeType) map[string]string {
	m := map[string]string{}
	for _, a := range attrs {
		m[deref(a.Name)] = deref(a.Value)
	}
	return m
}

// regionOf is the region part of a pool id (us-east-1_AbC123).
func regionOf(poolID string) string {
	region, _, _ := strings.Cut(poolID, "_")
	return region
}
