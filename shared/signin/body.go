package signin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"unicode/utf8"
)

// MaxBodyBytes bounds a request body of every route; a larger one is payload_too_large.
const MaxBodyBytes = 4 << 10

// replacementChar is U+FFFD in UTF-8. API Gateway hands a function a body whose Content-Type is
// not a binary media type as UTF-8 text, and a text decoder puts U+FFFD where bytes were not
// UTF-8; a body holding it is taken for one whose invalid bytes were replaced on the way.
var replacementChar = []byte("\uFFFD")

// Fields are the members a route reads from a request body.
type Fields struct {
	// What names them for the messages: "a username and a password".
	What string
	// Strings and Bools are the names of the string and boolean members.
	Strings []string
	Bools   []string
}

// Values are the members read by ParseBody: a missing member is absent from its map.
type Values struct {
	Strings map[string]string
	Bools   map[string]bool
}

// ParseBody reads f from a request body of the given Content-Type: JSON (also when no
// Content-Type was sent, as from the API Gateway console) or an HTML form
// (application/x-www-form-urlencoded). Other members are allowed (a client may send more), but
// a repeated one of f is refused: two parsers could read different values from it. A body over
// MaxBodyBytes, not valid UTF-8 or holding U+FFFD is refused before it is parsed. Every failure
// is an *Error.
func ParseBody(contentType string, body []byte, f Fields) (Values, error) {
	if len(body) > MaxBodyBytes {
		return Values{}, &Error{Code: CodePayloadTooLarge,
			Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	}
	if !utf8.Valid(body) || bytes.Contains(body, replacementChar) {
		return Values{}, invalid("The request body is not valid UTF-8.")
	}
	switch mediaType(contentType) {
	case "", "application/json":
		return parseJSON(body, f)
	case "application/x-www-form-urlencoded":
		return parseForm(body, f)
	}
	return Values{}, invalid("The Content-Type must be application/json or application/x-www-form-urlencoded.")
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

func (f Fields) kind(key string) (isString, isBool bool) {
	for _, k := range f.Strings {
		if k == key {
			return true, false
		}
	}
	for _, k := range f.Bools {
		if k == key {
			return false, true
		}
	}
	return false, false
}

func parseJSON(body []byte, f Fields) (Values, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Values{}, invalid("The request body is empty; send a JSON object with " + f.What + ".")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return Values{}, invalid("The request body must be a JSON object with " + f.What + ".")
	}
	v := Values{Strings: map[string]string{}, Bools: map[string]bool{}}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Values{}, invalid("The request body is not valid JSON.")
		}
		key := tok.(string) // object keys are always strings once Token succeeded
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Values{}, invalid("The request body is not valid JSON.")
		}
		isString, isBool := f.kind(key)
		if !isString && !isBool {
			continue
		}
		if seen[key] {
			return Values{}, invalid(fmt.Sprintf("The field %q appears more than once.", key))
		}
		seen[key] = true
		if bytes.Equal(raw, []byte("null")) {
			return Values{}, invalid(fmt.Sprintf("The field %q must be a %s.", key, map[bool]string{true: "string", false: "boolean"}[isString]))
		}
		if isString {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return Values{}, invalid(fmt.Sprintf("The field %q must be a string.", key))
			}
			v.Strings[key] = s
			continue
		}
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return Values{}, invalid(fmt.Sprintf("The field %q must be a boolean.", key))
		}
		v.Bools[key] = b
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Values{}, invalid("The request body is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Values{}, invalid("The request body must hold one JSON object and nothing after it.")
	}
	return v, nil
}

// parseForm reads a form as a plain HTML form posts it; a boolean is true, on or 1 (a checked
// checkbox) or false, off or 0.
func parseForm(body []byte, f Fields) (Values, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Values{}, invalid("The form body is not valid URL encoding.")
	}
	v := Values{Strings: map[string]string{}, Bools: map[string]bool{}}
	one := func(key string) (string, bool, error) {
		switch vs := form[key]; len(vs) {
		case 0:
			return "", false, nil
		case 1:
			if !utf8.ValidString(vs[0]) {
				return "", false, invalid("The form values are not valid UTF-8.")
			}
			return vs[0], true, nil
		}
		return "", false, invalid(fmt.Sprintf("The field %q appears more than once.", key))
	}
	for _, key := range f.Strings {
		s, ok, err := one(key)
		if err != nil {
			return Values{}, err
		}
		if ok {
			v.Strings[key] = s
		}
	}
	for _, key := range f.Bools {
		s, ok, err := one(key)
		if err != nil {
			return Values{}, err
		}
		switch {
		case !ok:
		case s == "true" || s == "on" || s == "1":
			v.Bools[key] = true
		case s == "false" || s == "off" || s == "0":
			v.Bools[key] = false
		default:
			return Values{}, invalid(fmt.Sprintf("The field %q must be true or false.", key))
		}
	}
	return v, nil
}

func invalid(msg string) *Error { return &Error{Code: CodeInvalidRequest, Message: msg} }
