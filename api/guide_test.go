package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"camaug/api"
	apidocs "camaug/mobile-api-docs"
)

// guideBlock is one fenced example of mobile-api-docs/guide.md.
type guideBlock struct{ kind, name, text string }

var guideFence = regexp.MustCompile("(?s)```http (request|response)=([a-z0-9-]+)\n(.*?)\n```")

func guideBlocks(t *testing.T) []guideBlock {
	t.Helper()
	var out []guideBlock
	for _, m := range guideFence.FindAllStringSubmatch(string(apidocs.Guide), -1) {
		out = append(out, guideBlock{m[1], m[2], m[3]})
	}
	if len(out) < 10 {
		t.Fatalf("the guide has %d example blocks; the parser or the guide is broken", len(out))
	}
	return out
}

var guideVar = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// splitHTTP reads a block: its first line, its headers, and its body after
// the first empty line.
func splitHTTP(text string) (first string, header http.Header, body string) {
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	header = http.Header{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return lines[0], header, body
}

// TestGuide_Examples sends every request example of the mobile guide, in
// order, to the real app on a real listener and checks each answer against
// the response example that follows it: the status, the headers shown, and
// the JSON fields shown ("…" is any value; "{{name}}" remembers a value for
// later examples, or must equal the one remembered).
func TestGuide_Examples(t *testing.T) {
	env := newEnv(t, "sqlite")
	base := "http://" + serveOn(t, env.app, api.ConnLimits{})
	vars := map[string]string{}
	blocks := guideBlocks(t)
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		if b.kind != "request" {
			t.Fatalf("response %q follows no request", b.name)
		}
		if i+1 == len(blocks) || blocks[i+1].kind != "response" || blocks[i+1].name != b.name {
			t.Fatalf("request %q has no response=%s block right after it", b.name, b.name)
		}
		want := blocks[i+1]
		i++
		text := guideVar.ReplaceAllStringFunc(b.text, func(s string) string {
			name := guideVar.FindStringSubmatch(s)[1]
			v, ok := vars[name]
			if !ok {
				t.Fatalf("request %q uses {{%s}}, which no earlier response set", b.name, name)
			}
			return v
		})
		first, header, body := splitHTTP(text)
		method, path, _ := strings.Cut(first, " ")
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatalf("request %q: %v", b.name, err)
		}
		req.Header = header
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("request %q: %v", b.name, err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()

		status, wantHeader, wantBody := splitHTTP(want.text)
		fields := strings.Fields(status)
		code, _ := strconv.Atoi(fields[1])
		if res.StatusCode != code {
			t.Errorf("%s: got status %d, want %d; body %s", b.name, res.StatusCode, code, got)
			continue
		}
		for k, vs := range wantHeader {
			if g := res.Header.Get(k); !strings.HasPrefix(g, vs[0]) {
				t.Errorf("%s: header %s is %q, want %q", b.name, k, g, vs[0])
			}
		}
		if strings.TrimSpace(wantBody) == "" {
			// A bodiless answer (204): the answer must be bodiless too.
			if len(bytes.TrimSpace(got)) != 0 {
				t.Errorf("%s: want no body, got %s", b.name, got)
			}
			continue
		}
		var wantJSON, gotJSON any
		if err := json.Unmarshal([]byte(wantBody), &wantJSON); err != nil {
			t.Fatalf("the guide's response %q is not JSON: %v", b.name, err)
		}
		if err := json.NewDecoder(bytes.NewReader(got)).Decode(&gotJSON); err != nil {
			t.Errorf("%s: the answer is not JSON: %s", b.name, got)
			continue
		}
		for _, p := range matchShown("$", wantJSON, gotJSON, vars) {
			t.Errorf("%s: %s\n  answer: %s", b.name, p, got)
		}
	}
	for _, name := range []string{"token", "report_id", "tracking_code"} {
		if vars[name] == "" {
			t.Errorf("the guide's examples never set {{%s}}", name)
		}
	}
}

// matchShown lists where got differs from the fields want shows.
func matchShown(at string, want, got any, vars map[string]string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", at, got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", at, k))
				continue
			}
			out = append(out, matchShown(at+"."+k, wv, gv, vars)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) < len(w) || (len(w) == 0 && len(g) != 0) {
			return []string{fmt.Sprintf("%s: got %v, want %d items like %v", at, got, len(w), w)}
		}
		var out []string
		for i := range w {
			out = append(out, matchShown(fmt.Sprintf("%s[%d]", at, i), w[i], g[i], vars)...)
		}
		return out
	case string:
		if w == "…" {
			return nil
		}
		if m := guideVar.FindStringSubmatch(w); m != nil && m[0] == w {
			gs := fmt.Sprint(got)
			if old, ok := vars[m[1]]; ok && old != gs {
				return []string{fmt.Sprintf("%s: got %q, want {{%s}} = %q", at, gs, m[1], old)}
			}
			vars[m[1]] = gs
			return nil
		}
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return []string{fmt.Sprintf("%s: got %v, want %v", at, got, want)}
	}
	return nil
}
