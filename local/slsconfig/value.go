package slsconfig

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// value is one JSON value of the resolved configuration or of a CloudFormation property, read
// leniently, as CloudFormation does where YAML is loose ("8" for 8, "true" for true). Its
// readers report a value of another shape as absent; {Ref: X} and {Fn::GetAtt: [X, attribute]}, which
// only a deployed stack resolves, are read as the logical id they name.
type value []byte

// props is a JSON object of values: CloudFormation properties, an event, a setting.
type props map[string]value

// UnmarshalJSON keeps the value's JSON as it is.
func (v *value) UnmarshalJSON(data []byte) error {
	*v = append(value(nil), bytes.TrimSpace(data)...)
	return nil
}

// MarshalJSON writes the value back as it was read.
func (v value) MarshalJSON() ([]byte, error) {
	if v.null() {
		return []byte("null"), nil
	}
	return v, nil
}

func (v value) null() bool { return len(v) == 0 || string(v) == "null" }

func (v value) str() (string, bool) {
	var s string
	err := json.Unmarshal(v, &s)
	return s, err == nil && !v.null()
}

// text is a string, or the text of a number or boolean.
func (v value) text() (string, bool) {
	if s, ok := v.str(); ok {
		return s, true
	}
	var x any
	if json.Unmarshal(v, &x) == nil {
		switch x.(type) {
		case float64, bool:
			return string(v), true
		}
	}
	return "", false
}

func (v value) boolean() (bool, bool) {
	s, ok := v.text()
	b, err := strconv.ParseBool(s)
	return b, ok && err == nil
}

func (v value) int32() (int32, bool) {
	s, ok := v.text()
	n, err := strconv.ParseInt(s, 10, 32)
	return int32(n), ok && err == nil
}

func (v value) float64() (float64, bool) {
	s, ok := v.text()
	f, err := strconv.ParseFloat(s, 64)
	return f, ok && err == nil
}

// strings reads a list of strings, or one string as a list of one.
func (v value) strings() []string {
	if s, ok := v.str(); ok {
		return []string{s}
	}
	var list []string
	_ = json.Unmarshal(v, &list)
	return list
}

func (v value) list() []value {
	var list []value
	_ = json.Unmarshal(v, &list)
	return list
}

func (v value) obj() props {
	p := props{}
	_ = json.Unmarshal(v, &p)
	return p
}

// ref returns X of {Ref: X}, or "".
func (v value) ref() string {
	p := v.obj()
	ref, _ := p["Ref"].str()
	if len(p) != 1 {
		return ""
	}
	return ref
}

// getAtt returns X of {Fn::GetAtt: [X, attribute]} or {Fn::GetAtt: "X.attribute"}, or "".
func (v value) getAtt(attribute string) string {
	att := v.obj()["Fn::GetAtt"]
	parts := att.strings()
	if len(parts) == 1 {
		parts = strings.SplitN(parts[0], ".", 2)
	}
	if len(parts) != 2 || parts[1] != attribute {
		return ""
	}
	return parts[0]
}

// decode unmarshals the value into v; null leaves v as it is.
func (v value) decode(into any) error {
	if v.null() {
		return nil
	}
	return json.Unmarshal(v, into)
}
