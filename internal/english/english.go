// Package english holds the small helpers that messages in English need,
// so that each is written once.
package english

// Plural is one when n is 1, else many: Plural(n, "error", "errors").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
