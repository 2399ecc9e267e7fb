package cognito

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"
)

// verify checks a token's signature against the pool's published JWKS, as an API Gateway
// authorizer does ("Verifying a JSON Web Token"), and returns its claims.
func (e *env) verify(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	var conf struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	resp, err := http.Get(e.url + "/" + e.poolID + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&conf); err != nil {
		t.Fatal(err)
	}
	if conf.Issuer != e.url+"/"+e.poolID || conf.JWKSURI != conf.Issuer+"/.well-known/jwks.json" {
		t.Errorf("openid-configuration = %+v", conf)
	}
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{conf.JWKSURI})
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(token, claims, kf.Keyfunc, jwt.WithIssuer(conf.Issuer),
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.clock.Now)); err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	return claims
}

// "Understanding the ID token", "Understanding the access token": the claims Cognito writes;
// API_AuthenticationResultType ExpiresIn; API_CreateUserPoolClient token validity units.
func TestTokens(t *testing.T) {
	e := newEnv(t, nil)
	e.confirmedUser(t, "Jane", pw)
	out, err := e.adminAuth("jane", pw)
	if err != nil {
		t.Fatal(err)
	}
	a := out.AuthenticationResult
	if a.ExpiresIn != 30*60 || aws.ToString(a.TokenType) != "Bearer" || aws.ToString(a.RefreshToken) == "" {
		t.Errorf("result: ExpiresIn %d TokenType %q refresh %v", a.ExpiresIn, aws.ToString(a.TokenType), a.RefreshToken != nil)
	}
	id := e.verify(t, *a.IdToken)
	access := e.verify(t, *a.AccessToken)
	user, _ := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("jane")})
	sub, _ := attr(user.UserAttributes, "sub")
	now := float64(e.clock.Now().Unix())
	wantID := map[string]any{"sub": sub, "aud": *e.client.ClientId, "token_use": "id", "cognito:username": "Jane",
		"auth_time": now, "iat": now, "exp": now + 45*60}
	wantAccess := map[string]any{"sub": sub, "client_id": *e.client.ClientId, "token_use": "access", "username": "Jane",
		"scope": "aws.cognito.signin.user.admin", "auth_time": now, "iat": now, "exp": now + 30*60}
	for name, c := range map[string][2]map[string]any{"id": {id, wantID}, "access": {access, wantAccess}} {
		for k, want := range c[1] {
			if c[0][k] != want {
				t.Errorf("%s token %s = %v, want %v", name, k, c[0][k], want)
			}
		}
		for _, k := range []string{"jti", "origin_jti", "event_id"} {
			if s, _ := c[0][k].(string); s == "" {
				t.Errorf("%s token has no %s", name, k)
			}
		}
	}
	if id["jti"] == access["jti"] || id["origin_jti"] != access["origin_jti"] || id["event_id"] != access["event_id"] {
		t.Errorf("jti/origin_jti/event_id: id %v %v %v, access %v %v %v", id["jti"], id["origin_jti"], id["event_id"],
			access["jti"], access["origin_jti"], access["event_id"])
	}

	// Each pool signs with its own key: a token of another pool does not verify with this JWKS.
	other := newEnv(t, nil)
	other.confirmedUser(t, "jane", pw)
	otherOut, err := other.adminAuth("jane", pw)
	if err != nil {
		t.Fatal(err)
	}
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{e.url + "/" + e.poolID + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(*otherOut.AuthenticationResult.IdToken, kf.Keyfunc); err == nil {
		t.Error("another pool's token verifies with this pool's keys")
	}
}

// "Refresh tokens"; API_InitiateAuth REFRESH_TOKEN_AUTH; API_GetTokensFromRefreshToken;
// API_RevokeToken; API_GlobalSignOut; API_GetUser; API_DeleteUser.
func TestRefreshRevokeSignOut(t *testing.T) {
	e := newEnv(t, nil)
	e.confirmedUser(t, "kim", pw)
	first, err := e.adminAuth("kim", pw)
	if err != nil {
		t.Fatal(err)
	}
	refresh := *first.AuthenticationResult.RefreshToken
	e.clock.Add(time.Minute)
	// REFRESH_TOKEN_AUTH's SECRET_HASH is over the username.
	r, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: e.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": refresh, "SECRET_HASH": *e.secretHash("kim")}})
	if err != nil {
		t.Fatal(err)
	}
	if r.AuthenticationResult.RefreshToken != nil {
		t.Error("REFRESH_TOKEN_AUTH returned a refresh token without rotation")
	}
	claims := e.verify(t, *r.AuthenticationResult.AccessToken)
	if claims["auth_time"] != float64(e.clock.Now().Add(-time.Minute).Unix()) {
		t.Errorf("auth_time after refresh = %v, want the sign-in's", claims["auth_time"])
	}
	// GetTokensFromRefreshToken takes the raw secret.
	_, err = e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: &refresh, ClientSecret: aws.String("wrong")})
	wantErr(t, err, "NotAuthorizedException", "")
	g, err := e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: &refresh, ClientSecret: e.client.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	user, err := e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: g.AuthenticationResult.AccessToken})
	if err != nil || *user.Username != "kim" {
		t.Fatalf("GetUser = %v, %v", user, err)
	}

	// RevokeToken: the refresh token and the access tokens issued from it stop working.
	if _, err := e.api.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: e.client.ClientId, Token: &refresh,
		ClientSecret: e.client.ClientSecret}); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: &refresh, ClientSecret: e.client.ClientSecret})
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: g.AuthenticationResult.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")

	// GlobalSignOut ends every session of the user; another sign-in starts a new one.
	s1, _ := e.adminAuth("kim", pw)
	s2, _ := e.adminAuth("kim", pw)
	if _, err := e.api.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: s1.AuthenticationResult.AccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: s2.AuthenticationResult.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")
	_, err = e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: s2.AuthenticationResult.RefreshToken, ClientSecret: e.client.ClientSecret})
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")

	// AdminUserGlobalSignOut does the same for an administrator.
	s3, _ := e.adminAuth("kim", pw)
	if _, err := e.api.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(e.poolID), Username: aws.String("kim")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: s3.AuthenticationResult.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")

	// An expired access token, an ID token and garbage are refused.
	s4, _ := e.adminAuth("kim", pw)
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: s4.AuthenticationResult.IdToken})
	wantErr(t, err, "NotAuthorizedException", "Invalid Access Token")
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String("garbage")})
	wantErr(t, err, "NotAuthorizedException", "Invalid Access Token")
	e.clock.Add(31 * time.Minute)
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: s4.AuthenticationResult.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has expired")

	// DeleteUser with the user's own access token.
	s5, _ := e.adminAuth("kim", pw)
	if _, err := e.api.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: s5.AuthenticationResult.AccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err = e.adminAuth("kim", pw)
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: s5.AuthenticationResult.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "Access Token has been revoked")

	// The refresh token expires after RefreshTokenValidity (2 days here).
	e.confirmedUser(t, "lee", pw)
	s6, _ := e.adminAuth("lee", pw)
	e.clock.Add(49 * time.Hour)
	_, err = e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: s6.AuthenticationResult.RefreshToken, ClientSecret: e.client.ClientSecret})
	wantErr(t, err, "NotAuthorizedException", "Refresh Token has expired")
}

// "Refresh tokens": refresh token rotation (RefreshTokenRotation, RetryGracePeriodSeconds).
func TestRefreshTokenRotation(t *testing.T) {
	e := newEnv(t, func(_ *Options, _ *cip.CreateUserPoolInput, c *cip.CreateUserPoolClientInput) {
		c.RefreshTokenRotation = &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(10)}
	})
	e.confirmedUser(t, "max", pw)
	s, _ := e.adminAuth("max", pw)
	old := s.AuthenticationResult.RefreshToken
	_, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: e.client.ClientId, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": *old, "SECRET_HASH": *e.secretHash("max")}})
	wantErr(t, err, "InvalidParameterException", "")
	g, err := e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: old, ClientSecret: e.client.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	rotated := g.AuthenticationResult.RefreshToken
	if rotated == nil || *rotated == *old {
		t.Fatal("no new refresh token with rotation enabled")
	}
	// The old one works during the grace period, then not.
	if _, err := e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: old, ClientSecret: e.client.ClientSecret}); err != nil {
		t.Errorf("old token within the grace period: %v", err)
	}
	e.clock.Add(11 * time.Second)
	_, err = e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: old, ClientSecret: e.client.ClientSecret})
	wantErr(t, err, "NotAuthorizedException", "Invalid Refresh Token")
}
