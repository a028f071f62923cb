package liveview

import (
	"log/slog"
	"strings"
	"unicode/utf8"
)

// Near spellings, for the server log only: the registered function an
// unknown one probably meant (DefaultErrorHandler), and the data key a
// Context.Data that found nothing probably meant (Config.Debug). Nothing
// here ever reaches a client.

// maxSuggestLen bounds the strings compared (client-chosen ones are
// clipped to MaxClientStringLog before), so one comparison costs at most
// maxSuggestLen² steps.
const maxSuggestLen = 64

// closest returns the candidate nearest to s, or "" when none is near: a
// candidate equal to s once case, '_' and '-' are ignored ("sayHello",
// "say-hello" for "say_hello"), else within an edit distance of a third of
// s's length (at least 1). Ties go to the candidate that sorts first, so
// the answer does not depend on the order of candidates.
func closest(s string, candidates func(yield func(string) bool)) string {
	if s == "" || len(s) > maxSuggestLen {
		return ""
	}
	ns := squash(s)
	limit := max(1, utf8.RuneCountInString(s)/3)
	best, bestD := "", limit+1
	for c := range candidates {
		if c == s || len(c) > maxSuggestLen {
			continue
		}
		d := 0
		if squash(c) != ns {
			d = 1 + editDistance(strings.ToLower(s), strings.ToLower(c), limit)
		}
		if d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	if bestD > limit {
		return ""
	}
	return best
}

// squash lower-cases s and drops '_' and '-'.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// editDistance is the Levenshtein distance of a and b in runes, or a value
// above limit when it is above limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// functionSuggestion is the "did_you_mean" attribute of the log line about
// an unknown function: the closest registered name, computed only when the
// line is really written (the line is summarised per connection and
// budgeted per Hub, and a client may send unknown names as fast as its
// rate limit allows). An empty group, which slog's handlers leave out,
// when no name is near.
type functionSuggestion struct {
	reg  *registry
	name string
}

func (s functionSuggestion) LogValue() slog.Value {
	chains := *s.reg.chains.Load()
	best := closest(s.name, func(yield func(string) bool) {
		for n := range chains {
			if !yield(n) {
				return
			}
		}
	})
	if best == "" {
		return slog.GroupValue()
	}
	return slog.StringValue(best)
}
