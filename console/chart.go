package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// chartHours is how far back the sync log's chart goes.
const chartHours = 3

// The chart's size, in SVG units: a column of chartStep per minute.
const (
	chartStep   = 4
	chartHeight = 120
	chartTop    = 10
)

// chart is the sync log's events per minute by kind, drawn server-side
// as SVG: a line per kind.
type chart struct {
	Width, Height int
	Max           int // the most events of a kind in a minute
	From, To      time.Time
	Lines         []chartLine
	Total         int
}

// chartLine is a kind's line: its points as SVG's polyline takes them.
type chartLine struct {
	Kind   string
	Points string
	Total  int
}

// eventChart draws the counts of the last hours by minute and kind.
func eventChart(a *activity, now time.Time, hours int) chart {
	minutes := hours * 60
	end := now.Truncate(time.Minute).Add(time.Minute)
	from := end.Add(-time.Duration(minutes) * time.Minute)
	first := from.Unix() / 60
	c := chart{Width: minutes * chartStep, Height: chartHeight + 2*chartTop, From: from, To: end}
	counts := make(map[string][]int, len(eventKinds))
	for i, k := range eventKinds {
		counts[k] = make([]int, minutes)
		for m := range minutes {
			if mc := a.minutes[first+int64(m)]; mc != nil {
				counts[k][m] = mc.kinds[i]
				c.Total += mc.kinds[i]
				c.Max = max(c.Max, mc.kinds[i])
			}
		}
	}
	for _, k := range eventKinds {
		l := chartLine{Kind: k}
		var b strings.Builder
		for m, n := range counts[k] {
			l.Total += n
			y := chartTop + chartHeight
			if c.Max > 0 {
				y -= n * chartHeight / c.Max
			}
			fmt.Fprintf(&b, "%d,%d ", m*chartStep, y)
		}
		l.Points = strings.TrimSpace(b.String())
		c.Lines = append(c.Lines, l)
	}
	return c
}

// ViewBox is the chart's SVG viewBox.
func (c chart) ViewBox() string {
	return "0 0 " + strconv.Itoa(c.Width) + " " + strconv.Itoa(c.Height)
}
