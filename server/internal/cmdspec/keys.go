package cmdspec

import (
	"bytes"
	"strconv"
)

// KeyPositions returns the indexes in args (args[0] is the command's name,
// args[1] a subcommand's) that are keys, in the order of s's key specs, as
// Redis finds them for ACL checks, cluster slots and COMMAND GETKEYS. Key
// specs flagged not_key (the shard channels of SPUBLISH and SSUBSCRIBE) are
// skipped. When a spec cannot be followed (a key count that is not a number,
// a range past the end) it returns [ErrInvalidArgs].
//
// Matches Redis: specs that are "unknown" or "incomplete" send Redis to the
// command's own key finder; this does the same for SORT, SORT_RO and
// MIGRATE, the only Redis 7.2 commands with such specs.
func (s *Spec) KeyPositions(args [][]byte) ([]int, error) {
	refs, err := s.Keys(args)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(refs))
	for i, r := range refs {
		out[i] = r.Pos
	}
	return out, nil
}

// KeyRef is one key argument: its index in args and the index of the key spec that found it (whose Flags say
// how the command uses the key: COMMAND GETKEYSANDFLAGS).
type KeyRef struct{ Pos, Spec int }

// Keys is [Spec.KeyPositions] with the key spec of each key.
func (s *Spec) Keys(args [][]byte) ([]KeyRef, error) { return s.AppendKeys(nil, args) }

// AppendKeys is [Spec.Keys] appending to out, for callers that reuse a buffer.
func (s *Spec) AppendKeys(out []KeyRef, args [][]byte) ([]KeyRef, error) {
	return s.appendKeys(out, args, false)
}

// AppendSlotKeys is AppendKeys with the shard channels of SPUBLISH, SSUBSCRIBE and SUNSUBSCRIBE too (their
// not_key specs): what decides the hash slot of a command in cluster mode.
func (s *Spec) AppendSlotKeys(out []KeyRef, args [][]byte) ([]KeyRef, error) {
	return s.appendKeys(out, args, true)
}

func (s *Spec) appendKeys(out []KeyRef, args [][]byte, notKeys bool) ([]KeyRef, error) {
	switch s.Name {
	case "sort", "sort_ro":
		return append(out, refsOf(sortKeys(args, s.Name == "sort"), 2)...), nil
	case "migrate":
		return append(out, refsOf(migrateKeys(args), 1)...), nil
	}
	argc := len(args)
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		if !notKeys && hasString(ks.Flags, "not_key") {
			continue
		}
		first := 0
		switch ks.BeginSearch.Type {
		case "index":
			first = ks.BeginSearch.Index
		case "keyword":
			first = keywordStart(args, ks.BeginSearch.Keyword, ks.BeginSearch.StartFrom)
			if first == 0 {
				continue // keyword not found: no keys from this spec
			}
		default:
			return nil, ErrInvalidArgs
		}
		var last, step int
		switch ks.FindKeys.Type {
		case "range":
			fk := &ks.FindKeys
			step = fk.KeyStep
			switch {
			case fk.LastKey >= 0:
				last = first + fk.LastKey
			case fk.Limit == 0:
				last = argc + fk.LastKey
			default: // LastKey is -1: the keys are the first 1/Limit of the rest
				last = first + (argc-first)/fk.Limit + fk.LastKey
			}
		case "keynum":
			fk := &ks.FindKeys
			step = fk.KeyStep
			if fk.KeyNumIdx >= argc-first {
				return nil, ErrInvalidArgs
			}
			n, err := strconv.ParseInt(string(args[first+fk.KeyNumIdx]), 10, 64)
			if err != nil || n < 0 || n > int64(argc) {
				return nil, ErrInvalidArgs
			}
			first += fk.FirstKey
			last = first + int(n) - 1
		default:
			return nil, ErrInvalidArgs
		}
		if last >= argc || last < first || first >= argc || step <= 0 {
			return nil, ErrInvalidArgs
		}
		for j := first; j <= last; j += step {
			out = append(out, KeyRef{Pos: j, Spec: i})
		}
		if hasString(ks.Flags, "incomplete") {
			return nil, ErrInvalidArgs
		}
	}
	return out, nil
}

// refsOf numbers the keys found by SORT's and MIGRATE's own finders: the first key comes from spec 0, the
// others from spec later (SORT's STORE target, spec 2; MIGRATE's KEYS list, spec 1).
func refsOf(pos []int, later int) []KeyRef {
	out := make([]KeyRef, len(pos))
	for i, p := range pos {
		out[i] = KeyRef{Pos: p}
		if i > 0 {
			out[i].Spec = later
		}
	}
	return out
}

// keywordStart returns the index after keyword, searched from startFrom to
// the end or, when startFrom is negative, from argc+startFrom back to 2. It
// returns 0 when the keyword is not found.
func keywordStart(args [][]byte, keyword string, startFrom int) int {
	argc := len(args)
	start, end := startFrom, argc-1
	if startFrom <= 0 {
		start, end = argc+startFrom, 1
	}
	// Matches Redis: the search stops before reaching end.
	for i := start; i != end; {
		if i >= argc || i < 1 {
			break
		}
		if bytes.EqualFold(args[i], []byte(keyword)) {
			return i + 1
		}
		if start <= end {
			i++
		} else {
			i--
		}
	}
	return 0
}

// sortKeys finds the keys of SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC]
// [ALPHA] [STORE dst]: the sorted key and, for SORT, the last STORE target.
func sortKeys(args [][]byte, store bool) []int {
	if len(args) < 2 {
		return nil
	}
	out := []int{1}
	if !store {
		return out
	}
	dst := 0
	for i := 2; i < len(args); i++ {
		switch a := args[i]; {
		case bytes.EqualFold(a, []byte("limit")):
			i += 2
		case bytes.EqualFold(a, []byte("get")), bytes.EqualFold(a, []byte("by")):
			i++
		case bytes.EqualFold(a, []byte("store")) && i+1 < len(args):
			dst = i + 1 // the last STORE wins, as in SORT itself
		}
	}
	if dst > 0 {
		out = append(out, dst)
	}
	return out
}

// migrateKeys finds the keys of MIGRATE host port key|"" db timeout [COPY]
// [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS key ...]: the keys after KEYS
// when the key argument is empty, else the key argument.
func migrateKeys(args [][]byte) []int {
	if len(args) < 4 {
		return nil
	}
	for i := 6; i < len(args); i++ {
		switch a := args[i]; {
		case bytes.EqualFold(a, []byte("auth")):
			i++
		case bytes.EqualFold(a, []byte("auth2")):
			i += 2
		case bytes.EqualFold(a, []byte("keys")):
			if len(args[3]) != 0 {
				return nil // MIGRATE itself fails: KEYS needs an empty key argument
			}
			out := make([]int, 0, len(args)-i-1)
			for j := i + 1; j < len(args); j++ {
				out = append(out, j)
			}
			return out
		}
	}
	return []int{3}
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
