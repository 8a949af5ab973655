package cmdspec

// ReplyWriter is the subset of *resp.Writer used to render replies
// (resp.Writer satisfies it). The writer knows the protocol: in RESP2,
// WriteMapLen(n) writes an array of 2n elements and WriteSetLen an array,
// and in RESP3 they write "%n" and "~n".
type ReplyWriter interface {
	WriteArrayLen(n int)
	WriteMapLen(n int)
	WriteSetLen(n int)
	WriteBulkString(s string)
	WriteSimple(s string)
	WriteInt(n int64)
	WriteNull()
}

// subs returns the subcommands of s that implemented accepts (all of them
// if implemented is nil).
func (s *Spec) subs(implemented func(*Spec) bool) []*Spec {
	if implemented == nil {
		return s.Subcommands
	}
	n := 0
	for _, sub := range s.Subcommands {
		if implemented(sub) {
			n++
		}
	}
	if n == len(s.Subcommands) {
		return s.Subcommands
	}
	out := make([]*Spec, 0, n)
	for _, sub := range s.Subcommands {
		if implemented(sub) {
			out = append(out, sub)
		}
	}
	return out
}

// WriteInfo writes s as one element of the COMMAND or COMMAND INFO reply,
// as Redis 7 does: an array of name, arity, flags, first key, last key,
// step, ACL categories, tips, key specs and subcommands. Flags, categories,
// tips and key specs are sets in RESP3; subcommands are an array, or an
// empty set for a command without subcommands. Only the subcommands
// that implemented accepts are included (all if it is nil).
func (s *Spec) WriteInfo(w ReplyWriter, implemented func(*Spec) bool) {
	w.WriteArrayLen(10)
	w.WriteBulkString(s.Name)
	w.WriteInt(int64(s.Arity))
	w.WriteSetLen(len(s.Flags))
	for _, f := range s.Flags {
		w.WriteSimple(f)
	}
	w.WriteInt(int64(s.FirstKey))
	w.WriteInt(int64(s.LastKey))
	w.WriteInt(int64(s.Step))
	w.WriteSetLen(len(s.categories))
	for _, c := range s.categories {
		w.WriteSimple(c)
	}
	w.WriteSetLen(len(s.Tips))
	for _, t := range s.Tips {
		w.WriteBulkString(t)
	}
	w.WriteSetLen(len(s.KeySpecs))
	for i := range s.KeySpecs {
		s.KeySpecs[i].write(w)
	}
	if !s.IsContainer() {
		w.WriteSetLen(0) // Matches Redis: an empty set, but an array when there are subcommands
		return
	}
	subs := s.subs(implemented)
	w.WriteArrayLen(len(subs))
	for _, sub := range subs {
		sub.WriteInfo(w, implemented)
	}
}

func (ks *KeySpec) write(w ReplyWriter) {
	n := 3
	if ks.Notes != "" {
		n++
	}
	w.WriteMapLen(n)
	if ks.Notes != "" {
		w.WriteBulkString("notes")
		w.WriteBulkString(ks.Notes)
	}
	w.WriteBulkString("flags")
	w.WriteSetLen(len(ks.Flags))
	for _, f := range ks.Flags {
		w.WriteSimple(f)
	}

	w.WriteBulkString("begin_search")
	w.WriteMapLen(2)
	w.WriteBulkString("type")
	w.WriteBulkString(ks.BeginSearch.Type)
	w.WriteBulkString("spec")
	switch ks.BeginSearch.Type {
	case "index":
		w.WriteMapLen(1)
		w.WriteBulkString("index")
		w.WriteInt(int64(ks.BeginSearch.Index))
	case "keyword":
		w.WriteMapLen(2)
		w.WriteBulkString("keyword")
		w.WriteBulkString(ks.BeginSearch.Keyword)
		w.WriteBulkString("startfrom")
		w.WriteInt(int64(ks.BeginSearch.StartFrom))
	default:
		w.WriteMapLen(0)
	}

	w.WriteBulkString("find_keys")
	w.WriteMapLen(2)
	w.WriteBulkString("type")
	w.WriteBulkString(ks.FindKeys.Type)
	w.WriteBulkString("spec")
	switch ks.FindKeys.Type {
	case "range":
		w.WriteMapLen(3)
		w.WriteBulkString("lastkey")
		w.WriteInt(int64(ks.FindKeys.LastKey))
		w.WriteBulkString("keystep")
		w.WriteInt(int64(ks.FindKeys.KeyStep))
		w.WriteBulkString("limit")
		w.WriteInt(int64(ks.FindKeys.Limit))
	case "keynum":
		w.WriteMapLen(3)
		w.WriteBulkString("keynumidx")
		w.WriteInt(int64(ks.FindKeys.KeyNumIdx))
		w.WriteBulkString("firstkey")
		w.WriteInt(int64(ks.FindKeys.FirstKey))
		w.WriteBulkString("keystep")
		w.WriteInt(int64(ks.FindKeys.KeyStep))
	default:
		w.WriteMapLen(0)
	}
}

// WriteDocs writes the value of s's COMMAND DOCS entry, the map that follows
// its name, as Redis 7 does. A container's map ends with "subcommands", a
// map from each subcommand's full name to its docs, holding the subcommands
// that implemented accepts (all if it is nil).
func (s *Spec) WriteDocs(w ReplyWriter, implemented func(*Spec) bool) {
	d := &s.Docs
	n := 1 // group
	for _, present := range []bool{d.Summary != "", d.Since != "", d.Complexity != "", len(d.DocFlags) > 0,
		d.DeprecatedSince != "", d.ReplacedBy != "", len(d.History) > 0, d.Arguments != nil, s.IsContainer()} {
		if present {
			n++
		}
	}
	w.WriteMapLen(n)
	bulkField(w, "summary", d.Summary)
	bulkField(w, "since", d.Since)
	w.WriteBulkString("group")
	w.WriteBulkString(d.Group)
	bulkField(w, "complexity", d.Complexity)
	if len(d.DocFlags) > 0 {
		w.WriteBulkString("doc_flags")
		w.WriteSetLen(len(d.DocFlags))
		for _, f := range d.DocFlags {
			w.WriteSimple(f)
		}
	}
	bulkField(w, "deprecated_since", d.DeprecatedSince)
	bulkField(w, "replaced_by", d.ReplacedBy)
	if len(d.History) > 0 {
		w.WriteBulkString("history")
		w.WriteSetLen(len(d.History))
		for _, h := range d.History {
			w.WriteArrayLen(2)
			w.WriteBulkString(h.Version)
			w.WriteBulkString(h.Change)
		}
	}
	if d.Arguments != nil {
		w.WriteBulkString("arguments")
		writeArgs(w, d.Arguments)
	}
	if s.IsContainer() {
		subs := s.subs(implemented)
		w.WriteBulkString("subcommands")
		w.WriteMapLen(len(subs))
		for _, sub := range subs {
			w.WriteBulkString(sub.Name)
			sub.WriteDocs(w, implemented)
		}
	}
}

func writeArgs(w ReplyWriter, args []*Arg) {
	w.WriteArrayLen(len(args))
	for _, a := range args {
		n := 2
		for _, present := range []bool{a.DisplayText != "", a.KeySpecIndex >= 0, a.Token != nil, a.Summary != "",
			a.Since != "", a.DeprecatedSince != "", len(a.Flags) > 0, a.Value != "", a.Arguments != nil} {
			if present {
				n++
			}
		}
		w.WriteMapLen(n)
		w.WriteBulkString("name")
		w.WriteBulkString(a.Name)
		w.WriteBulkString("type")
		w.WriteBulkString(a.Type)
		bulkField(w, "display_text", a.DisplayText)
		if a.KeySpecIndex >= 0 {
			w.WriteBulkString("key_spec_index")
			w.WriteInt(int64(a.KeySpecIndex))
		}
		if a.Token != nil {
			w.WriteBulkString("token")
			w.WriteBulkString(*a.Token)
		}
		bulkField(w, "summary", a.Summary)
		bulkField(w, "since", a.Since)
		bulkField(w, "deprecated_since", a.DeprecatedSince)
		if len(a.Flags) > 0 {
			w.WriteBulkString("flags")
			w.WriteSetLen(len(a.Flags))
			for _, f := range a.Flags {
				w.WriteSimple(f)
			}
		}
		bulkField(w, "value", a.Value)
		if a.Arguments != nil {
			w.WriteBulkString("arguments")
			writeArgs(w, a.Arguments)
		}
	}
}

func bulkField(w ReplyWriter, name, v string) {
	if v != "" {
		w.WriteBulkString(name)
		w.WriteBulkString(v)
	}
}
