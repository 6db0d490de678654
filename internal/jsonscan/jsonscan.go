// Package jsonscan reads parts of a JSON document (a stored SCIM resource)
// without decoding the rest: a top-level member, the elements of an
// array, the members of an object. It reads valid JSON as encoding/json
// does (the fuzz tests compare them); it does not validate, and what it
// makes of text that is not JSON is only safe, not specified.
package jsonscan

import (
	"encoding/json"
	"unicode/utf8"
)

// String returns the string value of key at the top level of the JSON
// object doc. ok is false when doc is not an object or key is absent or
// not a string.
func String(doc []byte, key string) (value string, ok bool) {
	raw := Value(doc, key)
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if _, escaped := stringEnd(raw, 0); !escaped && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", false
	}
	return value, true
}

// Value returns the JSON text of the value of key at the top level of the
// JSON object doc, or nil. Of duplicated keys it takes the last, as
// encoding/json does, so it reads the whole object.
func Value(doc []byte, key string) []byte {
	var value []byte
	Members(doc, func(k []byte, escaped bool, v []byte) bool {
		if keyIs(k, escaped, key) {
			value = v
		}
		return true
	})
	return value
}

// Members calls fn with each member of the JSON object doc in order: its
// key as quoted JSON text (escaped tells whether it holds escapes) and
// the JSON text of its value, until fn returns false. It reports whether
// doc was read as an object up to where fn stopped it, or to its end; on
// false fn may have seen some of its members. It does not validate the
// values: text that is not JSON may be read as members.
func Members(doc []byte, fn func(key []byte, escaped bool, value []byte) bool) bool {
	i := skipSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return false
	}
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		return skipSpace(doc, i+1) == len(doc)
	}
	for i < len(doc) && doc[i] == '"' {
		kEnd, escaped := stringEnd(doc, i)
		if kEnd < 0 {
			return false
		}
		k := doc[i : kEnd+1]
		i = skipSpace(doc, kEnd+1)
		if i >= len(doc) || doc[i] != ':' {
			return false
		}
		i = skipSpace(doc, i+1)
		end := skipValue(doc, i)
		if end < 0 {
			return false
		}
		if !fn(k, escaped, doc[i:end]) {
			return true
		}
		i = skipSpace(doc, end)
		if i < len(doc) && doc[i] == '}' {
			return skipSpace(doc, i+1) == len(doc)
		}
		if i >= len(doc) || doc[i] != ',' {
			return false
		}
		i = skipSpace(doc, i+1)
	}
	return false
}

// KeyIs reports whether the quoted JSON string k (a key Members gave,
// with escaped as it said) is key.
func KeyIs(k []byte, escaped bool, key string) bool { return keyIs(k, escaped, key) }

// Elements calls fn with the JSON text of each element of the JSON array
// arr, as far as arr is well formed; nothing if it is not an array.
func Elements(arr []byte, fn func(elem []byte)) {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return
	}
	i = skipSpace(arr, i+1)
	for i < len(arr) && arr[i] != ']' {
		end := skipValue(arr, i)
		if end < 0 {
			return
		}
		fn(arr[i:end])
		i = skipSpace(arr, end)
		if i >= len(arr) || arr[i] != ',' {
			return
		}
		i = skipSpace(arr, i+1)
	}
}

// keyIs compares the quoted JSON string k with key.
func keyIs(k []byte, escaped bool, key string) bool {
	if len(k) < 2 {
		return false
	}
	if !escaped {
		return string(k[1:len(k)-1]) == key
	}
	var s string
	return json.Unmarshal(k, &s) == nil && s == key
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index of the quote closing the string that starts
// at doc[i], -1 if there is none, and whether the string has escapes.
func stringEnd(doc []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return -1, escaped
}

// skipValue returns the index just past the JSON value starting at doc[i],
// or -1.
func skipValue(doc []byte, i int) int {
	if i >= len(doc) {
		return -1
	}
	switch doc[i] {
	case '"':
		end, _ := stringEnd(doc, i)
		if end < 0 {
			return -1
		}
		return end + 1
	case '{', '[':
		depth := 0
		for j := i; j < len(doc); j++ {
			switch doc[j] {
			case '"':
				end, _ := stringEnd(doc, j)
				if end < 0 {
					return -1
				}
				j = end
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(doc) && doc[j] != ',' && doc[j] != '}' && doc[j] != ']' && doc[j] != ' ' && doc[j] != '\t' && doc[j] != '\n' && doc[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
