package signin

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// Credentials is what a login screen sends.
type Credentials struct {
	Username string
	Password string
}

// Limits on what a client may send, checked before any Cognito call, on the normalized forms.
const (
	// MaxUsernameChars is Cognito's own limit on a username, in characters.
	MaxUsernameChars = 128
	// MaxPasswordChars is Cognito's own limit on a password, in characters.
	MaxPasswordChars = 256
)

var credentialFields = Fields{What: "a username and a password", Strings: []string{"username", "password"}}

// ParseCredentials reads credentials from a request body (see ParseBody) and normalizes them;
// every failure is an *Error.
func ParseCredentials(contentType string, body []byte) (Credentials, error) {
	v, err := ParseBody(contentType, body, credentialFields)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{Username: v.Strings["username"], Password: v.Strings["password"]}.Normalize()
}

// Normalize returns the credentials as they are sent to Cognito, in the forms of RFC 8265
// (PRECIS), so that one name typed on two devices reaches one account: the username by the
// UsernameCaseMapped profile (full-width letters to their usual width, lower case, NFC; letters,
// digits and printable ASCII only: no spaces, symbols, emoji or controls), the password by
// OpaqueString (every kind of space to U+0020, NFC; no controls). The user pool compares
// usernames without case anyway; mapping case here, by the RFC's rule rather than by Cognito's
// undocumented one, makes the comparison ours and the same everywhere. What a profile refuses,
// an empty value, one over Cognito's length limits, and a password holding U+FFFD (the mark of
// bytes that were not UTF-8) are invalid_request.
func (c Credentials) Normalize() (Credentials, error) {
	if c.Username == "" {
		return Credentials{}, invalid("A username is required.")
	}
	if c.Password == "" {
		return Credentials{}, invalid("A password is required.")
	}
	username, err := precis.UsernameCaseMapped.String(c.Username)
	if err != nil {
		return Credentials{}, invalid("The username may hold letters, digits and the punctuation of ASCII only: no spaces, symbols or control characters.")
	}
	if n := utf8.RuneCountInString(username); n > MaxUsernameChars {
		return Credentials{}, invalid(fmt.Sprintf("The username is longer than %d characters.", MaxUsernameChars))
	}
	password, err := precis.OpaqueString.String(c.Password)
	if err != nil || strings.ContainsRune(password, utf8.RuneError) {
		return Credentials{}, invalid("The password may not contain control characters.")
	}
	if n := utf8.RuneCountInString(password); n > MaxPasswordChars {
		return Credentials{}, invalid(fmt.Sprintf("The password is longer than %d characters.", MaxPasswordChars))
	}
	return Credentials{Username: username, Password: password}, nil
}
