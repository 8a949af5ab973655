package cmdspec

import (
	"fmt"
	"strings"
)

// The JSON form of commands.json and overlay72.json, as tools/cmdmeta
// writes it. Maps keep the shape of Redis's replies (begin_search and
// find_keys with a "spec" map); fields that Redis leaves out are absent.

type jsonCommand struct {
	Name          string         `json:"name"`
	Arity         int            `json:"arity"`
	Flags         []string       `json:"flags"`
	FirstKey      int            `json:"first_key"`
	LastKey       int            `json:"last_key"`
	Step          int            `json:"step"`
	ACLCategories []string       `json:"acl_categories"`
	Tips          []string       `json:"tips"`
	KeySpecs      []jsonKeySpec  `json:"key_specs"`
	Subcommands   []*jsonCommand `json:"subcommands"`
	Docs          *jsonDocs      `json:"docs"`
}

type jsonKeySpec struct {
	Notes       string   `json:"notes"`
	Flags       []string `json:"flags"`
	BeginSearch struct {
		Type string `json:"type"`
		Spec struct {
			Index     int    `json:"index"`
			Keyword   string `json:"keyword"`
			StartFrom int    `json:"startfrom"`
		} `json:"spec"`
	} `json:"begin_search"`
	FindKeys struct {
		Type string `json:"type"`
		Spec struct {
			LastKey   int `json:"lastkey"`
			KeyStep   int `json:"keystep"`
			Limit     int `json:"limit"`
			KeyNumIdx int `json:"keynumidx"`
			FirstKey  int `json:"firstkey"`
		} `json:"spec"`
	} `json:"find_keys"`
}

type jsonDocs struct {
	Summary         string      `json:"summary"`
	Since           string      `json:"since"`
	Group           string      `json:"group"`
	Complexity      string      `json:"complexity"`
	DocFlags        []string    `json:"doc_flags"`
	DeprecatedSince string      `json:"deprecated_since"`
	ReplacedBy      string      `json:"replaced_by"`
	History         [][2]string `json:"history"`
	Arguments       []*jsonArg  `json:"arguments"`
}

type jsonArg struct {
	Name            string     `json:"name"`
	Type            string     `json:"type"`
	DisplayText     string     `json:"display_text"`
	KeySpecIndex    *int       `json:"key_spec_index"`
	Token           *string    `json:"token"`
	Summary         string     `json:"summary"`
	Since           string     `json:"since"`
	DeprecatedSince string     `json:"deprecated_since"`
	Flags           []string   `json:"flags"`
	Value           string     `json:"value"`
	Arguments       []*jsonArg `json:"arguments"`
}

func (jc *jsonCommand) spec(parent *Spec) (*Spec, error) {
	s := &Spec{
		Name:          strings.ToLower(jc.Name),
		Arity:         jc.Arity,
		Flags:         nonNil(jc.Flags),
		FirstKey:      jc.FirstKey,
		LastKey:       jc.LastKey,
		Step:          jc.Step,
		ACLCategories: nonNil(jc.ACLCategories),
		Tips:          nonNil(jc.Tips),
		Parent:        parent,
	}
	if parent != nil && !strings.HasPrefix(s.Name, parent.Name+"|") {
		return nil, fmt.Errorf("%s: not a subcommand of %s", s.Name, parent.Name)
	}
	for _, f := range s.Flags {
		b := flagNames[f]
		if b == 0 {
			return nil, fmt.Errorf("%s: unknown flag %q", s.Name, f)
		}
		s.Bits |= b
	}
	s.categories = make([]string, len(s.ACLCategories))
	for i, c := range s.ACLCategories {
		s.categories[i] = "@" + c
	}
	for i, jk := range jc.KeySpecs {
		ks := KeySpec{
			Notes: jk.Notes,
			Flags: nonNil(jk.Flags),
			BeginSearch: BeginSearch{
				Type:      jk.BeginSearch.Type,
				Index:     jk.BeginSearch.Spec.Index,
				Keyword:   jk.BeginSearch.Spec.Keyword,
				StartFrom: jk.BeginSearch.Spec.StartFrom,
			},
			FindKeys: FindKeys{
				Type:      jk.FindKeys.Type,
				LastKey:   jk.FindKeys.Spec.LastKey,
				KeyStep:   jk.FindKeys.Spec.KeyStep,
				Limit:     jk.FindKeys.Spec.Limit,
				KeyNumIdx: jk.FindKeys.Spec.KeyNumIdx,
				FirstKey:  jk.FindKeys.Spec.FirstKey,
			},
		}
		switch ks.BeginSearch.Type {
		case "index", "keyword", "unknown":
		default:
			return nil, fmt.Errorf("%s: key spec %d: begin_search type %q", s.Name, i, ks.BeginSearch.Type)
		}
		switch ks.FindKeys.Type {
		case "range", "keynum", "unknown":
		default:
			return nil, fmt.Errorf("%s: key spec %d: find_keys type %q", s.Name, i, ks.FindKeys.Type)
		}
		s.KeySpecs = append(s.KeySpecs, ks)
	}
	if jc.Docs == nil {
		return nil, fmt.Errorf("%s: no docs", s.Name)
	}
	d := jc.Docs
	s.Docs = Docs{
		Summary:         d.Summary,
		Since:           d.Since,
		Group:           d.Group,
		Complexity:      d.Complexity,
		DocFlags:        d.DocFlags,
		DeprecatedSince: d.DeprecatedSince,
		ReplacedBy:      d.ReplacedBy,
		Arguments:       args(d.Arguments),
	}
	for _, h := range d.History {
		s.Docs.History = append(s.Docs.History, History{Version: h[0], Change: h[1]})
	}
	for _, jsub := range jc.Subcommands {
		sub, err := jsub.spec(s)
		if err != nil {
			return nil, err
		}
		s.Subcommands = append(s.Subcommands, sub)
	}
	return s, nil
}

func args(ja []*jsonArg) []*Arg {
	if ja == nil {
		return nil
	}
	out := make([]*Arg, len(ja))
	for i, j := range ja {
		a := &Arg{
			Name:            j.Name,
			Type:            j.Type,
			DisplayText:     j.DisplayText,
			KeySpecIndex:    -1,
			Token:           j.Token,
			Summary:         j.Summary,
			Since:           j.Since,
			DeprecatedSince: j.DeprecatedSince,
			Flags:           j.Flags,
			Value:           j.Value,
			Arguments:       args(j.Arguments),
		}
		if j.KeySpecIndex != nil {
			a.KeySpecIndex = *j.KeySpecIndex
		}
		out[i] = a
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
