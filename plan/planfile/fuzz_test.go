package planfile

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzRead feeds Read what a tampered or damaged plan file may hold. Read
// must never panic, and a plan it accepts must survive a write and a read
// unchanged: apply trusts what Read returns as the whole plan.
func FuzzRead(f *testing.F) {
	valid, err := Marshal(validPlan())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(bytes.Replace(valid, []byte(`"stack:clone:alpha"`), []byte(`"stack:clone:../x"`), 1))
	f.Add(bytes.Replace(valid, []byte(`"/opt/stack"`), []byte(`"relative"`), 1))
	f.Add([]byte(`{"format_version": "2.0", "steps": [{}]}`))
	f.Add([]byte(`{"format_version": null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			return
		}
		again, err := Marshal(p)
		if err != nil {
			t.Fatalf("an accepted plan does not marshal: %v", err)
		}
		q, err := Read(bytes.NewReader(again), "again.json")
		if err != nil {
			t.Fatalf("an accepted plan, written again, is refused: %v\n%s", err, again)
		}
		if diff := cmp.Diff(p, q); diff != "" {
			t.Fatalf("write and read change an accepted plan (-first +second):\n%s", diff)
		}
	})
}
