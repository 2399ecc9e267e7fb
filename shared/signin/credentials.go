package signin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"unicode"
	"unicode/utf8"
)

// Credentials is what a login screen sends.
type Credentials struct {
	Username string
	Password string
}

// Limits on what a client may send, checked before any Cognito call.
const (
	// MaxBodyBytes bounds a request body; a larger one is payload_too_large.
	MaxBodyBytes = 4 << 10
	// MaxUsernameChars is Cognito's own limit on a username, in characters.
	MaxUsernameChars = 128
	// MaxPasswordChars is Cognito's own limit on a password, in characters.
	MaxPasswordChars = 256
)

// ParseCredentials reads credentials from a request body of the given Content-Type: JSON
// (also when no Content-Type was sent, as from the API Gateway console) or an HTML form
// (application/x-www-form-urlencoded). It validates them; every failure is an *Error.
func ParseCredentials(contentType string, body []byte) (Credentials, error) {
	if len(body) > MaxBodyBytes {
		return Credentials{}, &Error{Code: CodePayloadTooLarge,
			Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	}
	if !utf8.Valid(body) {
		return Credentials{}, invalid("The request body is not valid UTF-8.")
	}
	var (
		c   Credentials
		err error
	)
	switch mediaType(contentType) {
	case "", "application/json":
		c, err = parseJSON(body)
	case "application/x-www-form-urlencoded":
		c, err = parseForm(body)
	default:
		return Credentials{}, invalid("The Content-Type must be application/json or application/x-www-form-urlencoded.")
	}
	if err != nil {
		return Credentials{}, err
	}
	return c, c.Validate()
}

// mediaType is the lower-case media type of a Content-Type header, without parameters;
// "invalid" when the header cannot be parsed.
func mediaType(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "invalid"
	}
	return mt
}

// parseJSON reads {"username": "...", "password": "..."}. Other members are allowed (a login
// screen may send more), but a repeated username or password is refused: two parsers could
// read different values from it.
func parseJSON(body []byte) (Credentials, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Credentials{}, invalid("The request body is empty; send a JSON object with a username and a password.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return Credentials{}, invalid("The request body must be a JSON object with a username and a password.")
	}
	var c Credentials
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Credentials{}, invalid("The request body is not valid JSON.")
		}
		key := tok.(string) // object keys are always strings once Token succeeded
		var dst *string
		switch key {
		case "username":
			dst = &c.Username
		case "password":
			dst = &c.Password
		}
		if dst == nil {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return Credentials{}, invalid("The request body is not valid JSON.")
			}
			continue
		}
		if seen[key] {
			return Credentials{}, invalid(fmt.Sprintf("The field %q appears more than once.", key))
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Credentials{}, invalid("The request body is not valid JSON.")
		}
		if err := json.Unmarshal(raw, dst); err != nil || bytes.Equal(raw, []byte("null")) {
			return Credentials{}, invalid(fmt.Sprintf("The field %q must be a string.", key))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Credentials{}, invalid("The request body is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Credentials{}, invalid("The request body must hold one JSON object and nothing after it.")
	}
	return c, nil
}

// parseForm reads username=...&password=... as a plain HTML form posts it.
func parseForm(body []byte) (Credentials, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return Credentials{}, invalid("The form body is not valid URL encoding.")
	}
	var c Credentials
	for key, dst := range map[string]*string{"username": &c.Username, "password": &c.Password} {
		switch vs := values[key]; len(vs) {
		case 0:
		case 1:
			*dst = vs[0]
		default:
			return Credentials{}, invalid(fmt.Sprintf("The field %q appears more than once.", key))
		}
	}
	if !utf8.ValidString(c.Username) || !utf8.ValidString(c.Password) {
		return Credentials{}, invalid("The form values are not valid UTF-8.")
	}
	return c, nil
}

// Validate checks the credentials as Cognito would, so that bad input never costs a Cognito
// call: a username of 1 to 128 letters, marks, symbols, numbers or punctuation (no whitespace or
// control characters), and a password of 1 to 256 characters with no control characters.
func (c Credentials) Validate() error {
	switch n := utf8.RuneCountInString(c.Username); {
	case n == 0:
		return invalid("A username is required.")
	case n > MaxUsernameChars:
		return invalid(fmt.Sprintf("The username is longer than %d characters.", MaxUsernameChars))
	}
	for _, r := range c.Username {
		if r == utf8.RuneError || !unicode.In(r, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P) {
			return invalid("The username may not contain whitespace or control characters.")
		}
	}
	switch n := utf8.RuneCountInString(c.Password); {
	case n == 0:
		return invalid("A password is required.")
	case n > MaxPasswordChars:
		return invalid(fmt.Sprintf("The password is longer than %d characters.", MaxPasswordChars))
	}
	for _, r := range c.Password {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return invalid("The password may not contain control characters.")
		}
	}
	return nil
}

func invalid(msg string) *Error { return &Error{Code: CodeInvalidRequest, Message: msg} }
