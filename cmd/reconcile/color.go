package main

import (
	"bytes"
	"io"
	"os"
	"regexp"

	"golang.org/x/term"
)

// Plans and diffs are coloured as Terraform colours them, on a terminal:
// the symbol of each change (+ green, - red, ~ yellow), headings and
// the summary bold. --no-color or $NO_COLOR (any value) turn it off;
// $CLICOLOR_FORCE (not 0) turns it on when stdout is no terminal.

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// colorOn says whether to colour what goes to stdout.
func (c *cli) colorOn() bool {
	if c.noColor || os.Getenv("NO_COLOR") != "" {
		return false
	}
	if v := os.Getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	f, ok := c.stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// printPlan writes text (a plan or a diff as text) to stdout, coloured
// when colorOn.
func (c *cli) printPlan(text []byte) error {
	if c.colorOn() {
		text = colorize(text)
	}
	_, err := c.stdout.Write(text)
	return err
}

// writePlanText is printPlan of what write writes.
func (c *cli) writePlanText(write func(io.Writer) error) error {
	var b bytes.Buffer
	err := write(&b)
	if perr := c.printPlan(b.Bytes()); err == nil {
		err = perr
	}
	return err
}

var (
	changeSymbol = regexp.MustCompile(`(?m)^( *)(-/\+|\+/-|[-+~])( )`)
	heading      = regexp.MustCompile(`(?m)^( *)(# [^(].*|Plan: .*|Apply complete!.*|No changes\..*|Note: .*)$`)
)

// symbolColors colour each change symbol.
var symbolColors = map[string]string{
	"+": ansiGreen + "+", "-": ansiRed + "-", "~": ansiYellow + "~",
	"-/+": ansiRed + "-" + ansiReset + "/" + ansiGreen + "+", "+/-": ansiGreen + "+" + ansiReset + "/" + ansiRed + "-",
}

// colorize colours a plan's or a diff's text, line by line.
func colorize(text []byte) []byte {
	text = heading.ReplaceAll(text, []byte("${1}"+ansiBold+"${2}"+ansiReset))
	return changeSymbol.ReplaceAllFunc(text, func(m []byte) []byte {
		sub := changeSymbol.FindSubmatch(m)
		return append(append(append([]byte{}, sub[1]...), symbolColors[string(sub[2])]+ansiReset...), sub[3]...)
	})
}
