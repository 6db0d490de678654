package main

import "fmt"

// usageErrorf reports a bad flag or argument.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: 1, err: fmt.Errorf(format, args...)}
}
