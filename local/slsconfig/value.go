package slsconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// EnvValue is a CloudFormation value: a plain string (or number, or boolean), or an intrinsic
// function that only a deployed stack can resolve.
type EnvValue struct {
	// Value is the string value when the value is a plain string (or number, or boolean).
	Value string
	// Ref is the logical id of a {Ref: ...} value.
	Ref string
	// Intrinsic holds any other non-string value as JSON ({"Fn::GetAtt": ...}).
	Intrinsic json.RawMessage
}

// IsString reports whether the value is a plain string.
func (v EnvValue) IsString() bool { return v.Ref == "" && v.Intrinsic == nil }

// String is the value as JSON writes it, for error messages.
func (v EnvValue) String() string {
	switch {
	case v.Intrinsic != nil:
		return string(v.Intrinsic)
	case v.Ref != "":
		return `{"Ref":` + strconv.Quote(v.Ref) + `}`
	}
	return strconv.Quote(v.Value)
}

// UnmarshalJSON reads a string, or the text of a number or boolean (what Lambda receives), or
// {Ref: X}; any other object is kept as Intrinsic. A list is refused.
func (v *EnvValue) UnmarshalJSON(b []byte) error {
	*v = EnvValue{}
	switch b[0] {
	case 'n': // null
	case '[':
		return fmt.Errorf("a list is not a value: %s", b)
	case '"':
		return json.Unmarshal(b, &v.Value)
	case '{':
		var ref map[string]string
		if json.Unmarshal(b, &ref) == nil && len(ref) == 1 && ref["Ref"] != "" {
			v.Ref = ref["Ref"]
		} else {
			v.Intrinsic = slices.Clone(b)
		}
	default:
		v.Value = string(b)
	}
	return nil
}

// getAtt returns X of {Fn::GetAtt: [X, attribute]} or {Fn::GetAtt: "X.attribute"}, or "".
func (v EnvValue) getAtt(attribute string) string {
	var fn struct {
		GetAtt strs `json:"Fn::GetAtt"`
	}
	_ = json.Unmarshal(v.Intrinsic, &fn)
	parts := fn.GetAtt
	if len(parts) == 1 {
		parts = strings.SplitN(parts[0], ".", 2)
	}
	if len(parts) == 2 && parts[1] == attribute {
		return parts[0]
	}
	return ""
}

// sub returns the string of {Fn::Sub: string}, or "".
func (v EnvValue) sub() string {
	var fn struct {
		Sub string `json:"Fn::Sub"`
	}
	_ = json.Unmarshal(v.Intrinsic, &fn)
	return fn.Sub
}

// num and flag are a CloudFormation number and boolean, which YAML and a --param may write as
// a string ("8" for 8, "true" for true); they marshal as JSON's own number and boolean.
type (
	num  float64
	flag bool
)

func (n *num) UnmarshalJSON(b []byte) error  { return unquote(b, (*float64)(n), "number") }
func (f *flag) UnmarshalJSON(b []byte) error { return unquote(b, (*bool)(f), "boolean") }

func unquote(b []byte, into any, kind string) error {
	if json.Unmarshal(bytes.Trim(b, `"`), into) != nil {
		return fmt.Errorf("not a %s: %s", kind, b)
	}
	return nil
}

// strs is a list of strings, or one string as a list of one.
type strs []string

func (s *strs) UnmarshalJSON(b []byte) error {
	if b[0] == '"' {
		*s = strs{""}
		return json.Unmarshal(b, &(*s)[0])
	}
	return json.Unmarshal(b, (*[]string)(s))
}
