package node

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/carminedb/carmine/keyspace"
)

var _ = register(map[string]handler{
	"zunion":      cmdZSetOp,
	"zinter":      cmdZSetOp,
	"zdiff":       cmdZSetOp,
	"zunionstore": cmdZSetOp,
	"zinterstore": cmdZSetOp,
	"zdiffstore":  cmdZSetOp,
	"zintercard":  cmdZSetOp,
})

// setSource is what the sorted-set operations need of a plain set given as an input, where each member
// counts with score 1: keyspace.Set.
type setSource interface {
	Len() int
	Contains(member []byte) bool
	Range(fn func(member []byte) bool)
}

var _ setSource = (*keyspace.Set)(nil)

// zsrc is one input of ZUNION, ZINTER, ZDIFF and their store forms.
type zsrc struct {
	z      *keyspace.ZSet
	set    setSource
	weight float64
}

func (s *zsrc) length() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.set != nil:
		return s.set.Len()
	}
	return 0
}

func (s *zsrc) score(m []byte) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(m)
	case s.set != nil:
		return 1, s.set.Contains(m)
	}
	return 0, false
}

func (s *zsrc) each(fn func(m []byte, score float64) bool) {
	switch {
	case s.z != nil:
		if n := s.z.Len(); n > 0 {
			s.z.Range(0, n-1, false, fn)
		}
	case s.set != nil:
		s.set.Range(func(m []byte) bool { return fn(m, 1) })
	}
}

// weighted is a member's score times its input's weight, 0 for NaN (inf times 0), as Redis computes it.
func weighted(w, s float64) float64 {
	v := w * s
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// Aggregates of ZUNION and ZINTER.
const (
	aggSum = iota
	aggMin
	aggMax
)

func aggregate(agg int, acc, v float64) float64 {
	switch agg {
	case aggMin:
		return min(acc, v)
	case aggMax:
		return max(acc, v)
	}
	acc += v
	if math.IsNaN(acc) { // inf + -inf
		return 0
	}
	return acc
}

// ZUNION/ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES],
// ZDIFF numkeys key [key ...] [WITHSCORES], ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE destination numkeys ...,
// ZINTERCARD numkeys key [key ...] [LIMIT limit].
func cmdZSetOp(c *client, args [][]byte) error {
	name := string(lowerASCII(args[0]))
	union := name == "zunion" || name == "zunionstore"
	diff := name == "zdiff" || name == "zdiffstore"
	cardOnly := name == "zintercard"
	store := name[len(name)-1] == 'e' // ...store
	at := 1
	var dst []byte
	if store {
		dst, at = args[1], 2
	}
	n, ok := keyspace.ParseInt(args[at])
	if !ok {
		return errNotInteger
	}
	if n < 1 {
		return errorf(fmt.Sprintf("at least 1 input key is needed for '%s' command", name))
	}
	if n > int64(len(args)-at-1) {
		return errSyntax
	}
	keys := args[at+1 : at+1+int(n)]
	locked := keys
	if store {
		locked = append([][]byte{dst}, keys...)
	}
	tx := c.begin(locked...)
	defer tx.End()
	srcs := make([]zsrc, len(keys))
	for i, k := range keys {
		srcs[i].weight = 1
		e, ok := tx.Lookup(k)
		if !ok {
			continue
		}
		switch obj := e.Object(); {
		case e.Kind() == keyspace.KindZSet:
			srcs[i].z = obj.(*keyspace.ZSet)
		case e.Kind() == keyspace.KindSet:
			set, ok := obj.(setSource)
			if !ok {
				return keyspace.ErrWrongType
			}
			srcs[i].set = set
		default:
			return keyspace.ErrWrongType
		}
	}
	agg, withScores, limit := aggSum, false, int64(0)
	for j := at + 1 + int(n); j < len(args); {
		left := len(args) - j
		switch a := args[j]; {
		case !diff && !cardOnly && left >= len(keys)+1 && eqFold(a, "weights"):
			j++
			for i := range srcs {
				w, ok := parseScore(args[j])
				if !ok {
					return errWeightFloat
				}
				srcs[i].weight = w
				j++
			}
		case !diff && !cardOnly && left >= 2 && eqFold(a, "aggregate"):
			switch b := args[j+1]; {
			case eqFold(b, "sum"):
				agg = aggSum
			case eqFold(b, "min"):
				agg = aggMin
			case eqFold(b, "max"):
				agg = aggMax
			default:
				return errSyntax
			}
			j += 2
		case !store && !cardOnly && eqFold(a, "withscores"):
			withScores = true
			j++
		case cardOnly && left >= 2 && eqFold(a, "limit"):
			l, ok := keyspace.ParseInt(args[j+1])
			if !ok || l < 0 {
				return errLimitNegtive
			}
			limit = l
			j += 2
		default:
			return errSyntax
		}
	}
	if !diff {
		// Matches Redis: inputs are taken smallest first (which also orders the additions of SUM).
		slices.SortStableFunc(srcs, func(a, b zsrc) int { return cmp.Compare(a.length(), b.length()) })
	}
	lim := tx.Limits()
	// Matches Redis: the result is built as a skiplist (which keeps -0 scores), and a stored one is then
	// converted to a listpack if it fits.
	out := keyspace.NewZSetFor(lim, math.MaxInt, 0)
	cardinality := int64(0)
	switch {
	case union:
		acc := make(map[string]float64)
		var order []string // the members in the order met; each's slice is valid only during its callback
		for i := range srcs {
			s := &srcs[i]
			s.each(func(m []byte, score float64) bool {
				v := weighted(s.weight, score)
				if cur, ok := acc[string(m)]; ok {
					acc[string(m)] = aggregate(agg, cur, v)
				} else {
					acc[string(m)] = v
					order = append(order, string(m))
				}
				return true
			})
		}
		for _, m := range order {
			out.Add(lim, []byte(m), acc[m], 0)
		}
	case diff:
		srcs[0].each(func(m []byte, score float64) bool {
			for i := 1; i < len(srcs); i++ {
				if _, ok := srcs[i].score(m); ok {
					return true
				}
			}
			out.Add(lim, m, score, 0)
			return true
		})
	default: // inter
		srcs[0].each(func(m []byte, score float64) bool {
			v := weighted(srcs[0].weight, score)
			for i := 1; i < len(srcs); i++ {
				s, ok := srcs[i].score(m)
				if !ok {
					return true
				}
				v = aggregate(agg, v, weighted(srcs[i].weight, s))
			}
			if cardOnly {
				cardinality++
				return limit == 0 || cardinality < limit
			}
			out.Add(lim, m, v, 0)
			return true
		})
	}
	switch {
	case cardOnly:
		c.w.WriteInt(cardinality)
	case store:
		out.Compact(lim)
		c.storeZSet(&tx, dst, out, name)
	default:
		size := out.Len()
		c.writeScoredLen(size, withScores)
		if size > 0 {
			out.Range(0, size-1, false, func(m []byte, s float64) bool {
				c.writeScored(m, s, withScores)
				return true
			})
		}
	}
	return nil
}
