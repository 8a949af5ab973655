package keyspace

// Match reports whether s matches the glob pattern, with the rules of Redis's KEYS, SCAN MATCH and PSUBSCRIBE:
//
//   - any run of bytes, including none
//     ?      exactly one byte
//     [abc]  one of the listed bytes; [^abc] any byte but those; [a-z] a range (reversed ranges are swapped)
//     \x     the byte x literally, outside and inside brackets
//
// Matches Redis: stringmatchlen, including its edge cases: an unclosed '[' takes the rest of the pattern as its
// set, a trailing '\' matches a backslash, and "[^" at the end matches any byte. It is byte-wise and case sensitive.
// Also like Redis, an empty s matches only an empty pattern; KEYS and SCAN treat the pattern "*" as matching
// every key themselves. It runs in O(len(pattern)*len(s)) time and does not recurse.
func Match(pattern, s []byte) bool {
	if len(s) == 0 {
		return len(pattern) == 0 // Matches Redis: even "*" does not match an empty string here
	}
	pi, si := 0, 0
	starP, starS := -1, 0 // pattern index after the last '*' seen, and where its match in s began
	for si < len(s) {
		if pi < len(pattern) && pattern[pi] == '*' {
			for pi < len(pattern) && pattern[pi] == '*' {
				pi++
			}
			if pi == len(pattern) {
				return true
			}
			starP, starS = pi, si
			continue
		}
		if pi < len(pattern) {
			if next, ok := matchOne(pattern, pi, s[si]); ok {
				pi, si = next, si+1
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP, starS
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// matchOne matches the single-byte token of pattern at pi (not '*') against c and returns the index after it.
func matchOne(p []byte, pi int, c byte) (int, bool) {
	switch p[pi] {
	case '?':
		return pi + 1, true
	case '\\':
		if pi+1 < len(p) {
			pi++
		}
		return pi + 1, p[pi] == c
	case '[':
		return matchClass(p, pi+1, c)
	default:
		return pi + 1, p[pi] == c
	}
}

// matchClass matches c against the set that starts at p[pi], just after '[', and returns the index after its ']'
// (or len(p) when the set is unclosed).
func matchClass(p []byte, pi int, c byte) (int, bool) {
	not := pi < len(p) && p[pi] == '^'
	if not {
		pi++
	}
	match := false
	for {
		if pi >= len(p) {
			break // unclosed: the set ends with the pattern
		}
		switch {
		case p[pi] == '\\' && pi+1 < len(p):
			pi++
			if p[pi] == c {
				match = true
			}
		case p[pi] == ']':
			if not {
				match = !match
			}
			return pi + 1, match
		case pi+2 < len(p) && p[pi+1] == '-':
			lo, hi := p[pi], p[pi+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				match = true
			}
			pi += 2
		default:
			if p[pi] == c {
				match = true
			}
		}
		pi++
	}
	if not {
		match = !match
	}
	return len(p), match
}
