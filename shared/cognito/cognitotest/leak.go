package cognitotest

import (
	"strconv"
	"strings"
)

// FragmentLen is the length of the pieces of a long secret looked for in logs: a log that
// holds any 12 consecutive characters of a token has leaked it.
const FragmentLen = 12

// Leaks returns a description (never the secret itself) of every secret that appears in text,
// whole or as a fragment of FragmentLen characters. Secrets shorter than 5 characters are
// ignored: they would match by chance.
func Leaks(text string, secrets []string) []string {
	var found []string
	seen := map[string]bool{}
	for i, s := range secrets {
		if len(s) < 5 || seen[s] {
			continue
		}
		seen[s] = true
		if strings.Contains(text, s) {
			found = append(found, describe(i, s, "whole"))
			continue
		}
		for j := 0; j+FragmentLen <= len(s); j++ {
			if strings.Contains(text, s[j:j+FragmentLen]) {
				found = append(found, describe(i, s, "a fragment"))
				break
			}
		}
	}
	return found
}

func describe(i int, s, how string) string {
	return "secret #" + strconv.Itoa(i) + " (" + strconv.Itoa(len(s)) + " bytes) appears " + how
}
