package gateway

import (
	"fmt"
	"strings"

	"github.com/signin-api/signin/local/slsconfig"
)

// segment is one part of a resource path: a literal, a {param}, or a greedy {param+}.
type segment struct {
	literal string
	param   string
	greedy  bool
}

func parseResource(path string) ([]segment, error) {
	if path == "" {
		return nil, nil
	}
	parts := strings.Split(path, "/")
	segs := make([]segment, len(parts))
	for i, p := range parts {
		switch {
		case p == "":
			return nil, fmt.Errorf("resource /%s has an empty segment", path)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("resource /%s: a greedy parameter must be last", path)
			}
			segs[i] = segment{param: p[1 : len(p)-2], greedy: true}
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			segs[i] = segment{param: p[1 : len(p)-1]}
		default:
			segs[i] = segment{literal: p}
		}
	}
	return segs, nil
}

// node is a resource of the API; a resource exists for every prefix of a path, as API Gateway
// creates them, so /users exists (without methods) when /users/{id} does.
type node struct {
	path     string // "users/{id}", "" for the root
	children []*node
	seg      segment
	methods  map[string]*Route
	cors     *slsconfig.CORS
}

func (n *node) child(seg segment) *node {
	for _, c := range n.children {
		if c.seg == seg {
			return c
		}
	}
	p := seg.literal
	if seg.param != "" {
		p = "{" + seg.param
		if seg.greedy {
			p += "+"
		}
		p += "}"
	}
	if n.path != "" {
		p = n.path + "/" + p
	}
	c := &node{path: p, seg: seg, methods: map[string]*Route{}}
	n.children = append(n.children, c)
	return c
}

// insert returns the node of path, creating the resources on the way.
func (n *node) insert(path string) (*node, error) {
	segs, err := parseResource(path)
	if err != nil {
		return nil, err
	}
	cur := n
	for _, s := range segs {
		// API Gateway refuses two different parameters at one level (/{id} and /{name}).
		for _, c := range cur.children {
			if c.seg.param != "" && s.param != "" && c.seg != s {
				return nil, fmt.Errorf("resource /%s: /%s already has a parameter at this level", path, c.path)
			}
		}
		cur = cur.child(s)
	}
	return cur, nil
}

// match finds the resource for a request path split into segments, preferring a literal to a
// parameter to a greedy parameter at each level, as API Gateway does.
func (n *node) match(parts []string, params map[string]string) *node {
	if len(parts) == 0 {
		return n
	}
	for _, kind := range []int{0, 1, 2} {
		for _, c := range n.children {
			switch {
			case kind == 0 && c.seg.literal != "" && c.seg.literal == parts[0]:
				if m := c.match(parts[1:], params); m != nil {
					return m
				}
			case kind == 1 && c.seg.param != "" && !c.seg.greedy && parts[0] != "":
				if m := c.match(parts[1:], params); m != nil {
					params[c.seg.param] = parts[0]
					return m
				}
			case kind == 2 && c.seg.greedy:
				params[c.seg.param] = strings.Join(parts, "/")
				return c
			}
		}
	}
	return nil
}
