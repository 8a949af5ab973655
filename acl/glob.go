package acl

// Match reports whether s matches the glob pattern with Redis's glob rules (stringmatchlen, as for KEYS and
// key patterns): '*' any run of bytes, '?' one byte, "[abc]", "[^abc]" and "[a-z]" classes (a reversed range
// is swapped), and '\' quoting the next byte. A class without its ']' runs to the end of the pattern, and a
// trailing '\' stands for itself. Like Redis, an empty s matches only an empty pattern. It works byte by byte,
// case-sensitively, in O(len(pattern)*len(s)) time.
//
// The acl module keeps its own matcher because it imports no other module; it agrees with the keyspace's.
func Match(pattern string, s []byte) bool {
	if len(s) == 0 {
		return len(pattern) == 0
	}
	// Every token but '*' takes exactly one byte, so on a mismatch it is enough to let the last '*' seen
	// take one byte more (earlier stars can only do worse).
	p, i := 0, 0
	backP, backI := -1, 0
	for i < len(s) {
		if p < len(pattern) && pattern[p] == '*' {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true
			}
			backP, backI = p, i
			continue
		}
		if p < len(pattern) {
			if next, ok := token(pattern, p, s[i]); ok {
				p, i = next, i+1
				continue
			}
		}
		if backP < 0 {
			return false
		}
		backI++
		p, i = backP, backI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// token matches b against the one-byte token at pattern[p] and returns where the next token starts.
func token(pattern string, p int, b byte) (next int, ok bool) {
	switch pattern[p] {
	case '?':
		return p + 1, true
	case '\\':
		if p+1 < len(pattern) {
			p++
		}
		return p + 1, pattern[p] == b
	case '[':
	default:
		return p + 1, pattern[p] == b
	}
	p++
	negate := p < len(pattern) && pattern[p] == '^'
	if negate {
		p++
	}
	in := false
	for p < len(pattern) && pattern[p] != ']' {
		c := pattern[p]
		switch {
		case c == '\\' && p+1 < len(pattern):
			in = in || pattern[p+1] == b
			p += 2
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := c, pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			in = in || (lo <= b && b <= hi)
			p += 3
		default:
			in = in || c == b
			p++
		}
	}
	if p < len(pattern) {
		p++ // the ']'
	}
	return p, in != negate
}
