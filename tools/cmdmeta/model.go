package main

import (
	"fmt"
	"strings"
)

// The JSON model written to commands.json. Struct fields are declared in the
// order Redis emits them, so the JSON reads in the same order as the reply.
// server/internal/cmdspec parses the same format.

type command struct {
	Name          string     `json:"name"`
	Arity         int        `json:"arity"`
	Flags         []string   `json:"flags"`
	FirstKey      int        `json:"first_key"`
	LastKey       int        `json:"last_key"`
	Step          int        `json:"step"`
	ACLCategories []string   `json:"acl_categories"` // without the '@' Redis puts in front
	Tips          []string   `json:"tips"`
	KeySpecs      []*keySpec `json:"key_specs"`
	Subcommands   []*command `json:"subcommands,omitempty"`
	Docs          *docs      `json:"docs"`
}

type keySpec struct {
	Notes       string     `json:"notes,omitempty"`
	Flags       []string   `json:"flags"`
	BeginSearch searchStep `json:"begin_search"`
	FindKeys    searchStep `json:"find_keys"`
}

// searchStep is a begin_search or find_keys map: a type and a spec whose
// fields depend on the type.
type searchStep struct {
	Type string `json:"type"`
	Spec any    `json:"spec"` // one of the *Spec structs below
}

type indexSpec struct {
	Index int `json:"index"`
}

type keywordSpec struct {
	Keyword   string `json:"keyword"`
	StartFrom int    `json:"startfrom"`
}

type rangeSpec struct {
	LastKey int `json:"lastkey"`
	KeyStep int `json:"keystep"`
	Limit   int `json:"limit"`
}

type keynumSpec struct {
	KeyNumIdx int `json:"keynumidx"`
	FirstKey  int `json:"firstkey"`
	KeyStep   int `json:"keystep"`
}

type unknownSpec struct{}

type docs struct {
	Summary         string      `json:"summary,omitempty"`
	Since           string      `json:"since,omitempty"`
	Group           string      `json:"group"`
	Complexity      string      `json:"complexity,omitempty"`
	DocFlags        []string    `json:"doc_flags,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	ReplacedBy      string      `json:"replaced_by,omitempty"`
	History         [][2]string `json:"history,omitempty"`
	Arguments       []*arg      `json:"arguments,omitempty"`
}

type arg struct {
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	DisplayText     string   `json:"display_text,omitempty"`
	KeySpecIndex    *int     `json:"key_spec_index,omitempty"`
	Token           *string  `json:"token,omitempty"` // may be present and empty (MIGRATE's "")
	Summary         string   `json:"summary,omitempty"`
	Since           string   `json:"since,omitempty"`
	DeprecatedSince string   `json:"deprecated_since,omitempty"`
	Flags           []string `json:"flags,omitempty"`
	Value           string   `json:"value,omitempty"`
	Arguments       []*arg   `json:"arguments,omitempty"`
}

// Canonical key orders, as Redis 7 writes them. Conversion fails if a reply
// has a key not listed or keys out of this order, so a Redis that changed
// its format cannot slip through silently.
var (
	docsKeys = []string{"summary", "since", "group", "complexity", "doc_flags", "deprecated_since",
		"replaced_by", "history", "arguments", "subcommands"}
	argKeys = []string{"name", "type", "display_text", "key_spec_index", "token", "summary", "since",
		"deprecated_since", "flags", "value", "arguments"}
	keySpecKeys = []string{"notes", "flags", "begin_search", "find_keys"}
	stepKeys    = []string{"type", "spec"}
)

// eachPair calls fn for each pair of map v, checking keys against canon.
func eachPair(v value, canon []string, fn func(k string, v value) error) error {
	ps, err := v.pairs()
	if err != nil {
		return err
	}
	pos := -1
	for _, p := range ps {
		k := p[0].Str
		i := indexOf(canon, k)
		if i < 0 {
			return fmt.Errorf("unknown field %q", k)
		}
		if i <= pos {
			return fmt.Errorf("field %q out of order", k)
		}
		pos = i
		if err := fn(k, p[1]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func strs(v value) ([]string, error) {
	if !v.isAggregate() {
		return nil, fmt.Errorf("expected a list, got %q", v.Kind)
	}
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		if e.Kind != '+' && e.Kind != '$' {
			return nil, fmt.Errorf("expected a string, got %q", e.Kind)
		}
		out[i] = e.Str
	}
	return out, nil
}

func nonEmptyStr(v value) (string, error) {
	if v.Kind != '+' && v.Kind != '$' {
		return "", fmt.Errorf("expected a string, got %q", v.Kind)
	}
	if v.Str == "" {
		return "", fmt.Errorf("empty string would be lost in JSON")
	}
	return v.Str, nil
}

func nonEmptyStrs(v value) ([]string, error) {
	s, err := strs(v)
	if err == nil && len(s) == 0 {
		err = fmt.Errorf("empty list would be lost in JSON")
	}
	return s, err
}

func integer(v value) (int, error) {
	if v.Kind != ':' {
		return 0, fmt.Errorf("expected an integer, got %q", v.Kind)
	}
	return int(v.Int), nil
}

// infoCommand converts one element of a COMMAND INFO reply.
func infoCommand(v value) (*command, error) {
	if v.Kind != '*' || len(v.Elems) != 10 {
		return nil, fmt.Errorf("command info: expected an array of 10, got %q with %d", v.Kind, len(v.Elems))
	}
	e := v.Elems
	c := &command{Name: strings.ToLower(e[0].Str)}
	var err error
	wrap := func(what string, err error) error { return fmt.Errorf("%s: %s: %w", c.Name, what, err) }
	if c.Arity, err = integer(e[1]); err != nil {
		return nil, wrap("arity", err)
	}
	if c.Flags, err = strs(e[2]); err != nil {
		return nil, wrap("flags", err)
	}
	if c.FirstKey, err = integer(e[3]); err != nil {
		return nil, wrap("first key", err)
	}
	if c.LastKey, err = integer(e[4]); err != nil {
		return nil, wrap("last key", err)
	}
	if c.Step, err = integer(e[5]); err != nil {
		return nil, wrap("step", err)
	}
	cats, err := strs(e[6])
	if err != nil {
		return nil, wrap("acl categories", err)
	}
	c.ACLCategories = make([]string, len(cats))
	for i, s := range cats {
		if !strings.HasPrefix(s, "@") {
			return nil, wrap("acl categories", fmt.Errorf("%q has no @", s))
		}
		c.ACLCategories[i] = s[1:]
	}
	if c.Tips, err = strs(e[7]); err != nil {
		return nil, wrap("tips", err)
	}
	if !e[8].isAggregate() {
		return nil, wrap("key specs", fmt.Errorf("not a list"))
	}
	c.KeySpecs = []*keySpec{}
	for i, ks := range e[8].Elems {
		spec, err := keySpecOf(ks)
		if err != nil {
			return nil, wrap(fmt.Sprintf("key spec %d", i), err)
		}
		c.KeySpecs = append(c.KeySpecs, spec)
	}
	if !e[9].isAggregate() {
		return nil, wrap("subcommands", fmt.Errorf("not a list"))
	}
	for _, sv := range e[9].Elems {
		sub, err := infoCommand(sv)
		if err != nil {
			return nil, wrap("subcommand", err)
		}
		c.Subcommands = append(c.Subcommands, sub)
	}
	return c, nil
}

func keySpecOf(v value) (*keySpec, error) {
	ks := &keySpec{}
	err := eachPair(v, keySpecKeys, func(k string, v value) (err error) {
		switch k {
		case "notes":
			ks.Notes, err = nonEmptyStr(v)
		case "flags":
			ks.Flags, err = strs(v)
		case "begin_search":
			ks.BeginSearch, err = stepOf(v, true)
		case "find_keys":
			ks.FindKeys, err = stepOf(v, false)
		}
		return err
	})
	return ks, err
}

func stepOf(v value, begin bool) (searchStep, error) {
	var st searchStep
	var specV value
	haveSpec := false
	err := eachPair(v, stepKeys, func(k string, v value) (err error) {
		if k == "type" {
			st.Type, err = nonEmptyStr(v)
		} else {
			specV, haveSpec = v, true
		}
		return err
	})
	if err != nil {
		return st, err
	}
	if !haveSpec {
		return st, fmt.Errorf("no spec")
	}
	var keys []string
	switch {
	case begin && st.Type == "index":
		keys = []string{"index"}
	case begin && st.Type == "keyword":
		keys = []string{"keyword", "startfrom"}
	case !begin && st.Type == "range":
		keys = []string{"lastkey", "keystep", "limit"}
	case !begin && st.Type == "keynum":
		keys = []string{"keynumidx", "firstkey", "keystep"}
	case st.Type == "unknown":
		keys = nil
	default:
		return st, fmt.Errorf("unknown type %q", st.Type)
	}
	got := map[string]value{}
	n := 0
	if err := eachPair(specV, keys, func(k string, v value) error { got[k] = v; n++; return nil }); err != nil {
		return st, err
	}
	if n != len(keys) {
		return st, fmt.Errorf("spec of type %q has %d fields, want %d", st.Type, n, len(keys))
	}
	ints := make([]int, len(keys))
	for i, k := range keys {
		if k == "keyword" {
			continue
		}
		var err error
		if ints[i], err = integer(got[k]); err != nil {
			return st, fmt.Errorf("%s: %w", k, err)
		}
	}
	switch {
	case st.Type == "unknown":
		st.Spec = unknownSpec{}
	case st.Type == "index":
		st.Spec = indexSpec{Index: ints[0]}
	case st.Type == "keyword":
		kw, err := nonEmptyStr(got["keyword"])
		if err != nil {
			return st, err
		}
		st.Spec = keywordSpec{Keyword: kw, StartFrom: ints[1]}
	case st.Type == "range":
		st.Spec = rangeSpec{LastKey: ints[0], KeyStep: ints[1], Limit: ints[2]}
	case st.Type == "keynum":
		st.Spec = keynumSpec{KeyNumIdx: ints[0], FirstKey: ints[1], KeyStep: ints[2]}
	}
	return st, nil
}

// docsOf converts one COMMAND DOCS map. Subcommand docs are returned by full
// name ("client|kill").
func docsOf(v value, subs map[string]*docs) (*docs, error) {
	d := &docs{}
	err := eachPair(v, docsKeys, func(k string, v value) (err error) {
		switch k {
		case "summary":
			d.Summary, err = nonEmptyStr(v)
		case "since":
			d.Since, err = nonEmptyStr(v)
		case "group":
			d.Group, err = nonEmptyStr(v)
		case "complexity":
			d.Complexity, err = nonEmptyStr(v)
		case "doc_flags":
			d.DocFlags, err = nonEmptyStrs(v)
		case "deprecated_since":
			d.DeprecatedSince, err = nonEmptyStr(v)
		case "replaced_by":
			d.ReplacedBy, err = nonEmptyStr(v)
		case "history":
			if !v.isAggregate() || len(v.Elems) == 0 {
				return fmt.Errorf("expected a non-empty list")
			}
			for _, h := range v.Elems {
				s, err := strs(h)
				if err != nil || len(s) != 2 {
					return fmt.Errorf("bad history entry")
				}
				d.History = append(d.History, [2]string{s[0], s[1]})
			}
		case "arguments":
			d.Arguments, err = argsOf(v)
		case "subcommands":
			ps, err := v.pairs()
			if err != nil {
				return err
			}
			for _, p := range ps {
				sd, err := docsOf(p[1], subs)
				if err != nil {
					return fmt.Errorf("%s: %w", p[0].Str, err)
				}
				subs[strings.ToLower(p[0].Str)] = sd
			}
		}
		return err
	})
	return d, err
}

func argsOf(v value) ([]*arg, error) {
	if !v.isAggregate() || len(v.Elems) == 0 {
		return nil, fmt.Errorf("expected a non-empty list of arguments")
	}
	var out []*arg
	for _, av := range v.Elems {
		a := &arg{}
		err := eachPair(av, argKeys, func(k string, v value) (err error) {
			switch k {
			case "name":
				a.Name, err = nonEmptyStr(v)
			case "type":
				a.Type, err = nonEmptyStr(v)
			case "display_text":
				a.DisplayText, err = nonEmptyStr(v)
			case "key_spec_index":
				var i int
				i, err = integer(v)
				a.KeySpecIndex = &i
			case "token":
				if v.Kind != '+' && v.Kind != '$' {
					return fmt.Errorf("expected a string, got %q", v.Kind)
				}
				a.Token = &v.Str
			case "summary":
				a.Summary, err = nonEmptyStr(v)
			case "since":
				a.Since, err = nonEmptyStr(v)
			case "deprecated_since":
				a.DeprecatedSince, err = nonEmptyStr(v)
			case "flags":
				a.Flags, err = nonEmptyStrs(v)
			case "value":
				a.Value, err = nonEmptyStr(v)
			case "arguments":
				a.Arguments, err = argsOf(v)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", a.Name, err)
		}
		out = append(out, a)
	}
	return out, nil
}
