package protocol

// ETagMatches reports whether header, an If-Match or If-None-Match list
// of entity tags, names tag, compared weakly (RFC 9110 §8.8.3.2; RFC
// 7644 §3.14).
func ETagMatches(header, tag string) bool {
	for _, t := range splitList(header) {
		if t == "*" || weak(t) == weak(tag) {
			return true
		}
	}
	return false
}

func weak(t string) string {
	if len(t) > 2 && t[:2] == "W/" {
		return t[2:]
	}
	return t
}
