package localconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTmpSlow(t *testing.T) {
	dir := os.Getenv("FUZZDIR")
	if dir == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(dir + "/*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(string(b), "\n")
		s := strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
		src, err := strconv.Unquote(s)
		if err != nil {
			continue
		}
		legacy := strings.Contains(lines[2], "true")
		opts := Options{Env: map[string]string{"GIT_BASE": "https://g"}}
		if legacy {
			opts.Kind = "localrc"
		}
		start := time.Now()
		Parse("x", []byte(src), opts)
		if d := time.Since(start); d > 50*time.Millisecond {
			fmt.Println(f, d, len(src))
		}
	}
}
