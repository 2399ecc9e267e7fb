package signin_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// filterPattern is the part of CloudWatch Logs' JSON filter pattern syntax that serverless.yml's
// metric filters use, read as "Filter pattern syntax for metric filters, subscription filters,
// filter log events and Live Tail" (JSON log events) describes it:
//
//	{ $.a.b = "text" && $.n != 3 && $.flag IS TRUE && $.gone NOT EXISTS }
//
// Selectors are $.name paths into nested objects (no arrays); comparisons are = and != for
// strings, =, !=, <, <=, >, >= for numbers; IS TRUE, IS FALSE, IS NULL and NOT EXISTS; terms
// are joined by &&. Anything else (||, parentheses, wildcards, regular expressions, arrays)
// is refused by parseFilterPattern, so a pattern outside the subset fails its test instead of
// being judged by rules CloudWatch does not follow.
//
// A comparison on a field the event does not have, or of a value of another JSON type, does
// not match (= and != alike); the patterns in serverless.yml never depend on that case, since
// each of them also requires the field $.message that every function line carries.
type filterPattern []filterTerm

type filterTerm struct {
	path []string
	op   string // "=", "!=", "<", "<=", ">", ">=", "IS TRUE", "IS FALSE", "IS NULL", "NOT EXISTS"
	str  *string
	num  *float64
}

// parseFilterPattern reads a JSON filter pattern, or says which part is outside the subset.
func parseFilterPattern(s string) (filterPattern, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("not a JSON filter pattern (no { }): %q", s)
	}
	body := s[1 : len(s)-1]
	if strings.Contains(body, "||") || strings.ContainsAny(body, "()[]") {
		return nil, fmt.Errorf("outside the supported subset (||, parentheses or arrays): %q", s)
	}
	var p filterPattern
	for _, part := range splitTerms(body) {
		term, err := parseTerm(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%w in %q", err, s)
		}
		p = append(p, term)
	}
	return p, nil
}

// splitTerms splits on && outside string literals.
func splitTerms(s string) []string {
	var parts []string
	inString, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inString:
			i++
		case s[i] == '"':
			inString = !inString
		case !inString && strings.HasPrefix(s[i:], "&&"):
			parts = append(parts, s[start:i])
			start = i + 2
			i++
		}
	}
	return append(parts, s[start:])
}

func parseTerm(s string) (filterTerm, error) {
	if !strings.HasPrefix(s, "$.") {
		return filterTerm{}, fmt.Errorf("term %q does not start with a $. selector", s)
	}
	end := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("=!<>", r) })
	if end < 0 {
		return filterTerm{}, fmt.Errorf("term %q has no comparison", s)
	}
	t := filterTerm{path: strings.Split(s[2:end], ".")}
	for _, name := range t.path {
		if name == "" || strings.ContainsAny(name, "*\"") {
			return filterTerm{}, fmt.Errorf("selector %q is outside the subset", s[:end])
		}
	}
	rest := strings.TrimSpace(s[end:])
	for _, kw := range []string{"IS TRUE", "IS FALSE", "IS NULL", "NOT EXISTS"} {
		if rest == kw {
			t.op = kw
			return t, nil
		}
	}
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			t.op = op
			rest = strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if t.op == "" {
		return filterTerm{}, fmt.Errorf("term %q: unknown operator", s)
	}
	if strings.HasPrefix(rest, `"`) {
		v, err := strconv.Unquote(rest)
		if err != nil {
			return filterTerm{}, fmt.Errorf("term %q: bad string literal", s)
		}
		if strings.Contains(v, "*") {
			return filterTerm{}, fmt.Errorf("term %q: wildcards are outside the subset", s)
		}
		if t.op != "=" && t.op != "!=" {
			return filterTerm{}, fmt.Errorf("term %q: strings compare only with = and !=", s)
		}
		t.str = &v
		return t, nil
	}
	n, err := strconv.ParseFloat(rest, 64)
	if err != nil {
		return filterTerm{}, fmt.Errorf("term %q: value is neither a quoted string nor a number", s)
	}
	t.num = &n
	return t, nil
}

// Matches reports whether the log event (its whole message) matches. Text that is not a JSON
// object matches no JSON pattern.
func (p filterPattern) Matches(event string) bool {
	var obj map[string]any
	if json.Unmarshal([]byte(event), &obj) != nil {
		return false
	}
	for _, t := range p {
		if !t.matches(obj) {
			return false
		}
	}
	return true
}

func (t filterTerm) matches(obj map[string]any) bool {
	v, ok := lookup(obj, t.path)
	switch t.op {
	case "NOT EXISTS":
		return !ok
	case "IS NULL":
		return ok && v == nil
	case "IS TRUE", "IS FALSE":
		b, isBool := v.(bool)
		return ok && isBool && b == (t.op == "IS TRUE")
	}
	if !ok {
		return false
	}
	if t.str != nil {
		s, isString := v.(string)
		if !isString {
			return false
		}
		return (s == *t.str) == (t.op == "=")
	}
	n, isNumber := v.(float64)
	if !isNumber {
		return false
	}
	switch t.op {
	case "=":
		return n == *t.num
	case "!=":
		return n != *t.num
	case "<":
		return n < *t.num
	case "<=":
		return n <= *t.num
	case ">":
		return n > *t.num
	default: // ">="
		return n >= *t.num
	}
}

// lookup follows a selector path through nested objects.
func lookup(obj map[string]any, path []string) (any, bool) {
	var v any = obj
	for _, name := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// fieldValue reads a metric filter's $.field reference (a MetricValue or a dimension value).
func fieldValue(event, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "$.") {
		return nil, false
	}
	var obj map[string]any
	if json.Unmarshal([]byte(event), &obj) != nil {
		return nil, false
	}
	return lookup(obj, strings.Split(ref[2:], "."))
}

func TestFilterPattern(t *testing.T) {
	const event = `{"message":"sign-in","outcome":"success","is_new":true,"cognito_calls":3,"nested":{"code":"x"},"none":null,"off":false}`
	tests := []struct {
		pattern string
		want    bool
	}{
		{`{ $.message = "sign-in" }`, true},
		{`{$.message="sign-in"}`, true},
		{`{ $.message = "sign-up" }`, false},
		{`{ $.message != "sign-up" }`, true},
		{`{ $.message != "sign-in" }`, false},
		{`{ $.message = "sign-in" && $.outcome = "success" }`, true},
		{`{ $.message = "sign-in" && $.outcome = "invalid_request" }`, false},
		{`{ $.outcome = "a && b" }`, false},
		{`{ $.is_new IS TRUE }`, true},
		{`{ $.is_new IS FALSE }`, false},
		{`{ $.off IS FALSE }`, true},
		{`{ $.outcome IS TRUE }`, false},
		{`{ $.none IS NULL }`, true},
		{`{ $.outcome IS NULL }`, false},
		{`{ $.gone NOT EXISTS }`, true},
		{`{ $.outcome NOT EXISTS }`, false},
		{`{ $.cognito_calls = 3 }`, true},
		{`{ $.cognito_calls = 3.0 }`, true},
		{`{ $.cognito_calls != 3 }`, false},
		{`{ $.cognito_calls > 2 && $.cognito_calls <= 3 }`, true},
		{`{ $.cognito_calls < 3 }`, false},
		{`{ $.cognito_calls >= 4 }`, false},
		{`{ $.nested.code = "x" }`, true},
		{`{ $.nested.missing = "x" }`, false},
		// Type mismatches and absent fields match nothing, != included.
		{`{ $.cognito_calls = "3" }`, false},
		{`{ $.outcome = 3 }`, false},
		{`{ $.gone != "x" }`, false},
		{`{ $.is_new = "true" }`, false},
	}
	for _, tt := range tests {
		p, err := parseFilterPattern(tt.pattern)
		if err != nil {
			t.Errorf("parse %s: %v", tt.pattern, err)
			continue
		}
		if got := p.Matches(event); got != tt.want {
			t.Errorf("%s on %s: got %v, want %v", tt.pattern, event, got, tt.want)
		}
	}

	for _, text := range []string{"sign-in success", `["message","sign-in"]`, ""} {
		if p, _ := parseFilterPattern(`{ $.message = "sign-in" }`); p.Matches(text) {
			t.Errorf("non-object event %q matched a JSON pattern", text)
		}
	}

	for _, bad := range []string{
		`$.message = "sign-in"`,
		`{ $.a = "x" || $.b = "y" }`,
		`{ ($.a = "x") }`,
		`{ $.a[0] = "x" }`,
		`{ $.a = "x*" }`,
		`{ $.a = x }`,
		`{ $.a > "x" }`,
		`{ $.a ~ "x" }`,
		`{ a = "x" }`,
		`{ $. = "x" }`,
		`{ $.a IS MAYBE }`,
	} {
		if _, err := parseFilterPattern(bad); err == nil {
			t.Errorf("parse %s: got no error, want it refused", bad)
		}
	}
}

func TestFieldValue(t *testing.T) {
	const event = `{"outcome":"too_many_requests","cognito_calls":2}`
	if v, ok := fieldValue(event, "$.outcome"); !ok || v != "too_many_requests" {
		t.Errorf("$.outcome: got %v %v", v, ok)
	}
	if v, ok := fieldValue(event, "$.cognito_calls"); !ok || v != 2.0 {
		t.Errorf("$.cognito_calls: got %v %v", v, ok)
	}
	for _, ref := range []string{"$.gone", "1", "outcome"} {
		if v, ok := fieldValue(event, ref); ok {
			t.Errorf("%s: got %v, want no field", ref, v)
		}
	}
}
