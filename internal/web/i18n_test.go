package web

import (
	"io/fs"
	"regexp"
	"testing"
)

// Every text a template asks for exists in both languages: a missing key
// would show as "queue.title" on the page.
func TestMessages_EveryKeyTranslated(t *testing.T) {
	keyRef := regexp.MustCompile(`tr \$?\.Lang "([a-z0-9_.]+)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v", err)
	}
	for _, f := range files {
		b, _ := templateFS.ReadFile(f)
		for _, m := range keyRef.FindAllStringSubmatch(string(b), -1) {
			msg, ok := messages[m[1]]
			if !ok || msg.Vi == "" || msg.En == "" {
				t.Errorf("%s: message %q is missing or not in both languages", f, m[1])
			}
		}
	}
}
